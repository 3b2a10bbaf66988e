package org.ckpt.cli;

import java.io.PrintWriter;
import java.util.TreeSet;
import org.ckpt.RestartResult;
import org.ckpt.model.Task;

/** {@code ckpt restart}: an image into the in-memory model, optionally compared with the live process. */
final class RestartCommand implements Command {
    static final Spec SPEC = new Spec("restart",
            "Restart an image into the in-memory model; optionally compare it with the live process.")
            .describe("Restart an image into the library's in-memory model — what a host (an emulator, a "
                    + "simulator, a debugger) would receive: everything validated, the registers checked under the "
                    + "image's restore policy — and print what came back. It does not recreate a Linux process.")
            .describe("With --check-against-pid, compare the restored memory of that process with the live one: "
                    + "equal for a process that has not run since it was dumped (stop it with kill -STOP before "
                    + "the dump, which leaves a stopped process stopped, check, then kill -CONT). A process dumped "
                    + "with --leave-running kept running while it was read, so its pages can differ. The pid must "
                    + "be one of the image's processes. Exit 1 if anything differs.")
            .param("FILE", "The image: a file, '-' for standard input, or s3://BUCKET/KEY.")
            .storeOptions(false)
            .option("PID", "Compare the restored process PID with the live process PID.", "--check-against-pid")
            .option("KEYS", "Trust seals by these keys, and only them (several joined by commas). "
                    + KeyOptions.FORMATS + ".", "--trust-key")
            .option("KEYS", "Decrypt with these AES-256 keys (several joined by commas). " + KeyOptions.FORMATS + ".",
                    "--decrypt-key")
            .option("POLICY", "Restart under this restore policy (linux-user or exact) instead of the image's own.",
                    "--policy")
            .option("PATH", "Where the parents of an incremental image are: a directory, or an image file (default: "
                    + "the image's directory). The chain is verified whole; what comes back is its last image's "
                    + "tasks. The parents are read with the same --trust-key and --decrypt-key as the image.",
                    "--parents");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Spec.Parsed a, Io io) throws Exception {
        String file = a.param(0);
        Long checkPid = a.has("--check-against-pid") ? a.number("--check-against-pid", 0) : null;
        if (checkPid != null) {
            ProcFs.requireProcess(checkPid);
        }
        RestartResult r = Images.restart(file, io, Images.policy(a.string("--policy")), KeyOptions.Reading.of(a),
                Chains.resolver(file, a.string("--parents")));
        PrintWriter out = io.out;
        print(r, file, out);
        if (checkPid == null) {
            return Main.OK;
        }
        Task t = task(r, checkPid);
        if (t == null) {
            TreeSet<Integer> pids = new TreeSet<>();
            for (Task x : r.tasks()) {
                pids.add(x.tgid());
            }
            throw CliException.usage("pid " + checkPid + " is not a process of " + file + " (its processes: "
                    + pids + "); nothing to compare");
        }
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

    /** The task of process {@code pid} (its thread-group leader, else any of its threads), or null. */
    static Task task(RestartResult r, long pid) {
        Task any = null;
        for (Task t : r.tasks()) {
            if (t.pid() == pid && t.tgid() == pid) {
                return t;
            }
            if (any == null && (t.tgid() == pid || t.pid() == pid)) {
                any = t;
            }
        }
        return any;
    }

    static void print(RestartResult r, String file, PrintWriter out) {
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
