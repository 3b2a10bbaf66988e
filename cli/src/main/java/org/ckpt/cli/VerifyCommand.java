package org.ckpt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ckpt.RestartResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true,
        header = "Check everything a restart would check; exit 0 valid, 1 invalid.",
        description = {
    "Check everything a restart would check, without a target: framing, every record and image "
            + "checksum, limits, references, address ranges, the architecture's register rules.",
    "Exit 0 when valid; 1 with the library's message (record type, offset, reason) when not."})
final class VerifyCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The image.")
    Path file;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        RestartResult r = Images.restart(file, spec.commandLine().getErr());
        PrintWriter out = spec.commandLine().getOut();
        out.println(file + ": valid " + r.info().architecture() + " image, " + Fmt.plural(r.tasks().size(), "task")
                + ", " + Fmt.plural(r.recordsRead(), "record") + ", " + Fmt.plural(r.pagesRead(), "page") + ", "
                + Fmt.bytes(r.bytesRead()) + " verified in " + Fmt.seconds(r.elapsed()) + " ("
                + Fmt.rate(r.bytesRead(), r.elapsed()) + ")");
        out.flush();
        return Main.OK;
    }
}
