package org.ckpt.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "Dump a child process, verify, restart and compare it; side by side with gcore.",
        description = {
    "The one-command tour: start a child JVM that fills memory with a pattern and opens a few files "
            + "(one deleted, one a directory), dump it, verify the image, restart it into the model, and "
            + "compare every restored page with the child's memory; print sizes and throughput.",
    "If gcore (gdb) is installed, also snapshot the same child with it and compare sizes and times."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--size", paramLabel = "MiB", defaultValue = "64",
            description = "Memory the child allocates, in MiB (default ${DEFAULT-VALUE}; the last quarter stays zero).")
    int mib;

    @Option(names = "--keep", paramLabel = "DIR", description = "Keep the image (and the gcore core) in DIR.")
    Path keep;

    @Option(names = "--no-gcore", description = "Do not run gcore even if it is installed.")
    boolean noGcore;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (mib < 1 || mib > 2047) {
            throw CliException.usage("--size must be between 1 and 2047 MiB: " + mib);
        }
        if (keep != null && !Files.isDirectory(keep)) {
            throw CliException.usage("--keep: no such directory: " + keep);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path tmp = Files.createTempDirectory("ckpt-demo-");
        Path work = keep != null ? keep : tmp;
        try (Child child = Child.start(tmp, mib)) {
            out.println("child: pid " + child.pid + ", a JVM that filled " + Fmt.bytes(child.size) + " at "
                    + Fmt.hex(child.address) + " (" + Fmt.bytes(child.patterned) + " patterned, the rest zero) and "
                    + "holds 3 files and a directory open in " + tmp + " (one file deleted)");
            out.flush();
            Path image = work.resolve("demo-" + child.pid + ".ckpt");
            DumpCommand.Summary dump;
            LiveCheck check;
            // stopped from the dump until the comparison, so the live memory is the dumped memory
            try (Freezer frozen = Freezer.freeze(child.pid)) {
                out.println(frozen.stoppedByUs() ? "child stopped (SIGSTOP) until its memory has been compared" : "");
                out.println();
                out.println("1. ckpt dump --pid " + child.pid + " -o " + image);
                dump = DumpCommand.dump(child.pid, image, false, err);
                DumpCommand.print(dump, image, indent(out));

                out.println("2. ckpt verify " + image);
                RestartResult v = Images.restart(image, err);
                out.println("   valid: " + Fmt.plural(v.recordsRead(), "record") + ", " + Fmt.bytes(v.bytesRead())
                        + " checked in " + Fmt.seconds(v.elapsed()) + " (" + Fmt.rate(v.bytesRead(), v.elapsed()) + ")");

                out.println("3. ckpt restart " + image + " --check-against-pid " + child.pid);
                RestartResult r;
                try (FileChannel in = Images.open(image)) {
                    r = Restarter.builder().build().restart(in);
                }
                out.println("   restored " + Fmt.plural(r.tasks().size(), "task") + " (threads), " + Fmt.count(r.pagesRead())
                        + " pages in " + Fmt.seconds(r.elapsed()) + " (" + Fmt.rate(r.bytesRead(), r.elapsed()) + ")");
                check = LiveCheck.run(RestartCommand.task(r, child.pid), child.pid, r.info().pageSize());
                out.println("   " + check.summary(child.pid));
                for (String d : check.differences) {
                    out.println("     " + d);
                }
            }
            out.flush();
            Gcore g = noGcore ? null : gcore(child.pid, work, out);
            out.println();
            table(out, dump, image, g);
            if (keep == null) {
                out.println("(image removed; use --keep DIR to keep it)");
            } else {
                out.println("image kept: " + image);
            }
            out.flush();
            if (!check.ok()) {
                throw CliException.failed("the restored memory differs from the child's");
            }
            return Main.OK;
        } finally {
            delete(tmp);
        }
    }

    private static PrintWriter indent(PrintWriter out) {
        return new PrintWriter(new java.io.Writer() {
            private boolean lineStart = true;

            @Override
            public void write(char[] cbuf, int off, int len) {
                for (int i = off; i < off + len; i++) {
                    if (lineStart) {
                        out.print("   ");
                    }
                    out.print(cbuf[i]);
                    lineStart = cbuf[i] == '\n';
                }
            }

            @Override
            public void flush() {
                out.flush();
            }

            @Override
            public void close() {
                flush();
            }
        }, true);
    }

    record Gcore(long bytes, Duration elapsed, String failure) {
    }

    private static Gcore gcore(long pid, Path dir, PrintWriter out) throws IOException {
        Path gcore = onPath("gcore");
        if (gcore == null) {
            out.println("4. gcore is not installed (it comes with gdb): no comparison");
            return null;
        }
        out.println("4. gcore -o " + dir.resolve("core") + " " + pid + "   (gdb's core dump of the same child)");
        out.flush();
        Path log = dir.resolve("gcore.log");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(gcore.toString(), "-o", dir.resolve("core").toString(), Long.toString(pid))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done;
        try {
            done = p.waitFor(300, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done = false;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        Path core = dir.resolve("core." + pid);
        if (!done) {
            p.destroyForcibly();
        }
        Files.deleteIfExists(log);
        if (!done || p.exitValue() != 0 || !Files.exists(core)) {
            out.println("   gcore failed" + (done ? " (exit " + p.exitValue() + ")" : " (timed out)"));
            return new Gcore(0, took, "failed");
        }
        long size = Files.size(core);
        out.println("   core: " + Fmt.bytes(size) + " in " + Fmt.seconds(took));
        return new Gcore(size, took, null);
    }

    private static void table(PrintWriter out, DumpCommand.Summary d, Path image, Gcore g) throws IOException {
        long size = Files.size(image);
        String fmt = "%-24s %16s %16s%n";
        out.printf(fmt, "", "ckpt dump", g == null ? "" : "gcore");
        out.printf(fmt, "file size", Fmt.bytes(size), g == null || g.failure() != null ? "-" : Fmt.bytes(g.bytes()));
        out.printf(fmt, "time", Fmt.seconds(d.elapsed()), g == null ? "-" : Fmt.seconds(g.elapsed()));
        out.printf(fmt, "throughput (file/time)", Fmt.rate(size, d.elapsed()),
                g == null || g.failure() != null ? "-" : Fmt.rate(g.bytes(), g.elapsed()));
        out.printf(fmt, "registers", "no (needs ptrace)", g == null ? "-" : "yes");
        out.printf(fmt, "descriptors", "yes", g == null ? "-" : "no");
        out.printf(fmt, "restartable, validated", "yes (CRC32C)", g == null ? "-" : "no (for gdb)");
    }

    static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = s.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory left behind is not worth failing the demo for
        }
    }
}
