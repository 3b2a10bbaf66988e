package org.ckpt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ckpt.RestartResult;
import org.ckpt.model.Task;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "restart", mixinStandardHelpOptions = true,
        header = "Restart an image into the in-memory model; optionally compare with a live process.",
        description = {
    "Restart an image into the library's in-memory model (everything validated, nothing committed "
            + "anywhere) and print what came back.",
    "With --check-against-pid, compare the restored memory with a live process's: for a process "
            + "dumped with --leave-running (or stopped) that has not run since, every page is equal. "
            + "Exit 1 if anything differs."})
final class RestartCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The image.")
    Path file;

    @Option(names = "--check-against-pid", paramLabel = "PID",
            description = "Compare the restored task of this pid (or the image's first task) with the live process.")
    Long checkPid;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (checkPid != null) {
            ProcFs.requireProcess(checkPid);
        }
        RestartResult r = Images.restart(file, spec.commandLine().getErr());
        PrintWriter out = spec.commandLine().getOut();
        print(r, file, out);
        if (checkPid == null) {
            return Main.OK;
        }
        Task t = task(r, checkPid);
        LiveCheck c = LiveCheck.run(t, checkPid, r.info().pageSize());
        out.println(c.summary(checkPid));
        if (!c.ok()) {
            out.println(Fmt.plural(c.differenceCount(), "difference") + ":");
            for (String d : c.differences) {
                out.println("  " + d);
            }
            if (c.differenceCount() > c.differences.size()) {
                out.println("  ... " + (c.differenceCount() - c.differences.size()) + " more");
            }
            out.flush();
            throw CliException.failed("the restored memory differs from live pid " + checkPid + " ("
                    + Fmt.plural(c.differenceCount(), "difference") + ")");
        }
        out.flush();
        return Main.OK;
    }

    static Task task(RestartResult r, long pid) {
        for (Task t : r.tasks()) {
            if (t.pid() == pid) {
                return t;
            }
        }
        return r.tasks().get(0);
    }

    static void print(RestartResult r, Path file, PrintWriter out) {
        out.println("restarted " + file + " into the in-memory model: " + r.info().architecture() + ", "
                + Fmt.plural(r.tasks().size(), "task") + ", " + Fmt.count(r.pagesRead()) + " pages ("
                + Fmt.bytes(r.pagesRead() * r.info().pageSize()) + "), " + Fmt.bytes(r.bytesRead()) + " read and "
                + "validated in " + Fmt.seconds(r.elapsed()) + " (" + Fmt.rate(r.bytesRead(), r.elapsed()) + ")");
        for (int i = 0; i < r.tasks().size(); i++) {
            Task t = r.tasks().get(i);
            StringBuilder sb = new StringBuilder("  task ").append(i).append(": pid ").append(t.pid())
                    .append(" tgid ").append(t.tgid()).append(" (").append(t.comm()).append(") ")
                    .append(t.state());
            if (t.mm() != null) {
                long pages = 0;
                for (var v : t.mm().vmas()) {
                    pages += PageRuns.pages(PageRuns.of(v.pages(), r.info().pageSize()));
                }
                sb.append(", ").append(Fmt.plural(t.mm().vmas().size(), "area")).append(", ")
                        .append(Fmt.plural(pages, "page"));
            }
            if (t.files() != null) {
                sb.append(", ").append(Fmt.plural(t.files().entries().size(), "descriptor"));
            }
            sb.append(", CPU state: ").append(t.cpu() == null ? "absent (not captured)" : t.cpu().architecture());
            out.println(sb);
        }
    }
}
