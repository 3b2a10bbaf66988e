package org.ckpt.cli;

import java.io.PrintWriter;
import org.ckpt.RestartResult;
import org.ckpt.spi.RestorePolicy;

/** {@code ckpt verify}: everything a restart checks, without a target. */
final class VerifyCommand implements Command {
    static final Spec SPEC = new Spec("verify", "Check everything a restart would check; exit 0 valid, 1 invalid.")
            .describe("Check everything a restart would check, without a target: framing, every record and image "
                    + "checksum, limits, references, address ranges, and the architecture's register rules of the "
                    + "restore policy the image was written under (or --policy).")
            .describe("Exit 0 when valid; 1 with the library's message (record type, offset, reason) when not. "
                    + "Reads in one pass: files, FIFOs, /dev/stdin and '-' alike.")
            .param("FILE", "The image: a file, '-' for standard input, or s3://BUCKET/KEY.")
            .storeOptions(false)
            .option("POLICY", "Check under this restore policy (linux-user or exact) instead of the image's own.",
                    "--policy");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Spec.Parsed a, Io io) throws Exception {
        String file = a.param(0);
        RestorePolicy policy = Images.policy(a.string("--policy"));
        RestartResult r = Images.restart(file, io, policy);
        PrintWriter out = io.out;
        out.println(file + ": valid " + r.info().architecture() + " image, " + Fmt.plural(r.tasks().size(), "task")
                + ", " + Fmt.plural(r.recordsRead(), "record") + ", " + Fmt.plural(r.pagesRead(), "page") + ", "
                + Fmt.bytes(r.bytesRead()) + " verified in " + Fmt.seconds(r.elapsed()) + " ("
                + Fmt.rate(r.bytesRead(), r.elapsed()) + ") under " + (policy != null ? policy : r.info().policy())
                + " rules");
        out.flush();
        return Main.OK;
    }
}
