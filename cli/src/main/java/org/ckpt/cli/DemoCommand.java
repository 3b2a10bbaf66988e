package org.ckpt.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.ckpt.RestartResult;

/** {@code ckpt demo}: the tour — dump a child, verify, restart and compare it, next to gcore. */
final class DemoCommand implements Command {
    static final Spec SPEC = new Spec("demo", "Dump a child process, verify, restart and compare it; side by side with gcore.")
            .describe("The one-command tour: start a child JVM that fills memory with a pattern and opens a few "
                    + "files (one deleted, one a directory) and a memfd it maps, dump it, verify the image, restart it "
                    + "into the model, and compare every restored page with the child's memory (the demo stops the "
                    + "child with SIGSTOP between the dump and the comparison, so that nothing changes in between); "
                    + "print sizes and times.")
            .describe("If gcore (gdb) is installed, also snapshot the same child with it and compare. The dump runs "
                    + "inside this JVM, so its time has no JVM start-up (bench/dump-vs-gcore measures the command).")
            .option("MiB", "Memory the child allocates, in MiB (default 64; the last quarter stays zero).", "--size")
            .option("DIR", "Keep the image (and the gcore core) in DIR.", "--keep")
            .flag("Do not run gcore even if it is installed.", "--no-gcore");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Spec.Parsed a, Io io) throws Exception {
        long size = a.number("--size", 64);
        Path keep = a.has("--keep") ? Path.of(a.string("--keep")) : null;
        boolean noGcore = a.has("--no-gcore");
        if (size < 1 || size > 2047) {
            throw CliException.usage("--size must be between 1 and 2047 MiB: " + size);
        }
        int mib = (int) size;
        if (keep != null && !Files.isDirectory(keep)) {
            throw CliException.usage("--keep: no such directory: " + keep);
        }
        PrintWriter out = io.out;
        Path tmp = Files.createTempDirectory("ckpt-demo-");
        Path work = keep != null ? keep : tmp;
        try (Child child = Child.start(tmp, mib)) {
            out.println("child: pid " + child.pid + ", a JVM that filled " + Fmt.bytes(child.size) + " at "
                    + Fmt.hex(child.address) + " (" + Fmt.bytes(child.patterned) + " patterned, the rest zero), maps a "
                    + "memfd, and holds 3 files and a directory open in " + tmp + " (one file deleted)");
            out.println();
            out.flush();
            Path image = work.resolve("demo-" + child.pid + ".ckpt");
            DumpCommand.Summary dump;
            LiveCheck check;
            // stopped (job control, as a user would) from before the dump until the comparison, so
            // that the memory compared is the memory dumped; the dump leaves a stopped process stopped
            out.println("0. kill -STOP " + child.pid + "   (until its memory has been compared)");
            child.stop();
            try {
                out.println("1. ckpt dump --pid " + child.pid + " -o " + image);
                dump = DumpCommand.dump(new DumpCommand.Request(child.pid, image, false, false), io, new ArrayList<>());
                DumpCommand.print(dump, image.toString(), indent(out));

                out.println("2. ckpt verify " + image);
                RestartResult v = Images.restart(image.toString(), io, null);
                out.println("   valid: " + Fmt.plural(v.recordsRead(), "record") + ", " + Fmt.bytes(v.bytesRead())
                        + " checked in " + Fmt.seconds(v.elapsed()) + " (" + Fmt.rate(v.bytesRead(), v.elapsed())
                        + "), registers checked under " + v.info().policy() + " rules");

                out.println("3. ckpt restart " + image + " --check-against-pid " + child.pid);
                RestartResult r = Images.restart(image.toString(), io, null);
                out.println("   restored " + Fmt.plural(r.tasks().size(), "task") + " (one per thread, each with its "
                        + "registers) into the model: " + Fmt.count(r.pagesRead()) + " pages in "
                        + Fmt.seconds(r.elapsed()) + " (" + Fmt.rate(r.bytesRead(), r.elapsed()) + ")");
                check = LiveCheck.run(RestartCommand.task(r, child.pid), child.pid, r.info().pageSize());
                out.println("   " + check.summary(child.pid));
                for (String d : check.differences) {
                    out.println("     " + d);
                }
            } finally {
                child.cont();
            }
            out.println("4. kill -CONT " + child.pid);
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
            out.println("5. gcore is not installed (it comes with gdb): no comparison");
            return null;
        }
        out.println("5. gcore -o " + dir.resolve("core") + " " + pid + "   (gdb's core dump of the same child)");
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
        String fmt = "%-20s %20s %18s%n";
        boolean gok = g != null && g.failure() == null;
        out.printf(fmt, "", "ckpt dump", g == null ? "" : "gcore");
        out.printf(fmt, "file size", Fmt.bytes(size), gok ? Fmt.bytes(g.bytes()) : "-");
        out.printf(fmt, "time", Fmt.seconds(d.elapsed()) + " (in-JVM)", g == null ? "-" : Fmt.seconds(g.elapsed()));
        out.printf(fmt, "process frozen", Fmt.millis(d.frozen()), g == null ? "-" : "whole run");
        out.printf(fmt, "registers", d.registers() ? "every thread" : "no", gok ? "every thread" : "-");
        out.printf(fmt, "descriptors", "yes", g == null ? "-" : "no");
        out.printf(fmt, "pipes/sockets/ttys", "recorded", g == null ? "-" : "no");
        out.printf(fmt, "checksummed", "CRC32C", g == null ? "-" : "no");
        out.printf(fmt, "restarts into", "model/host target", g == null ? "-" : "no (gdb reads it)");
        out.println("(\"restarts into\": ckpt's in-memory model or a host's RestartTarget, such as an emulator; "
                + "neither ckpt nor gcore recreates a live Linux process. 'ckpt export-core' turns the image into a "
                + "core gdb reads.)");
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
