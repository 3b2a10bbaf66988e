package org.ckpt.cli;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.Limits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "dump", mixinStandardHelpOptions = true,
        header = "Checkpoint a live Linux process (/proc/PID) into an image.",
        description = {
    "Checkpoint a live Linux process into an image, reading /proc/PID: its threads (stat, status), "
            + "address-space layout and areas (maps), page contents (mem, using pagemap so that pages "
            + "never touched are not read; zero pages are not written), and its descriptors (fd, fdinfo; "
            + "deleted-but-open files with their contents).",
    "The process is stopped with SIGSTOP while it is read and continued afterwards, also on error "
            + "or Ctrl-C; a process that was stopped already is left stopped. Registers need ptrace and "
            + "are not captured: the image says the CPU state is absent.",
    "Needs ptrace access to the process: root, or its owner where the kernel allows reading /proc/PID/mem."})
final class DumpCommand implements Callable<Integer> {
    private static final long PF_KTHREAD = 0x00200000;

    @Option(names = "--pid", required = true, paramLabel = "PID", description = "The process to checkpoint.")
    long pid;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The image to write.")
    Path output;

    @Option(names = "--leave-running", description = "Do not stop the process while it is read "
            + "(the image may then mix moments).")
    boolean leaveRunning;

    @Option(names = "--quiet", description = "Print nothing but errors.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    /** What one dump did, for the summary and for {@code ckpt demo}. */
    record Summary(long pid, String comm, String architecture, int pageSize, int threads, int areas,
                   CheckpointResult result,
                   ProcPages.Stats pages, List<String> largest, List<String> notes, Duration stopped,
                   Duration elapsed) {
    }

    @Override
    public Integer call() throws Exception {
        Summary s = dump(pid, output, leaveRunning, spec.commandLine().getErr());
        if (!quiet) {
            print(s, output, spec.commandLine().getOut());
        }
        return Main.OK;
    }

    static Summary dump(long pid, Path output, boolean leaveRunning, PrintWriter err)
            throws IOException, CliException {
        ProcFs.requireProcess(pid);
        long started = System.nanoTime();
        String arch = ProcFs.architecture(pid);
        ArchProvider provider = provider(arch);
        int pageSize = ProcFs.pageSize(pid, !arch.equals("i386") && !arch.equals("ppc32"));
        Limits limits = Limits.DEFAULTS;
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw CliException.usage("cannot write " + output + ": no such directory " + parent);
        }
        boolean hasMemory = !ProcFs.maps(pid).isEmpty();
        long expected = expectedBytes(pid);
        try (Progress p = Progress.of(err, "dumping pid " + pid, expected);
             ProcMemory mem = hasMemory ? ProcMemory.open(pid, pageSize) : null) {
            Checkpointer ckpt = Checkpointer.builder().architecture(arch).root("/").pageSize(pageSize).limits(limits)
                    .uname(ProcFs.uname()).progressListener(p).build();
            // load providers and classes now, not while the process is stopped
            ckpt.checkpoint(List.of(), Channels.newChannel(OutputStream.nullOutputStream()));
            long stopStart = System.nanoTime();
            // kernel threads ignore SIGSTOP
            boolean kernelThread = (ProcFs.stat(ProcFs.dir(pid)).num(9) & PF_KTHREAD) != 0;
            try (Freezer freezer = leaveRunning || kernelThread ? Freezer.none(pid) : Freezer.freeze(pid)) {
                ProcSnapshot snap = new ProcSnapshot(pid, mem, provider.addressLimit(arch, org.ckpt.spi.RestorePolicy.LINUX_USER), limits,
                        freezer.statesBefore()).read();
                CheckpointResult r;
                try (FileChannel out = open(output)) {
                    r = ckpt.checkpoint(snap.tasks(), out);
                } catch (IOException | RuntimeException e) {
                    // a partial image would only be mistaken for a dump; the message says what went wrong
                    Files.deleteIfExists(output);
                    throw e;
                }
                Duration stopped = Duration.ofNanos(System.nanoTime() - stopStart);
                String comm = snap.tasks().isEmpty() ? "?" : snap.tasks().get(0).comm();
                return new Summary(pid, comm, arch, pageSize, snap.tasks().size(), snap.areas(), r, snap.stats(),
                        snap.largestAreas(3), snap.notes(), freezer.stoppedByUs() ? stopped : Duration.ZERO,
                        Duration.ofNanos(System.nanoTime() - started));
            }
        }
    }

    private static FileChannel open(Path output) throws CliException {
        try {
            return FileChannel.open(output, CREATE, WRITE, TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw CliException.usage("cannot write " + output + ": " + e.getMessage());
        }
    }

    /** The resident and swapped size: what the dump will roughly read, for the progress bar. */
    private static long expectedBytes(long pid) {
        try {
            var st = ProcFs.status(ProcFs.dir(pid));
            return kib(st.get("VmRSS")) + kib(st.get("VmSwap"));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long kib(String v) {
        return v == null ? 0 : Long.parseLong(v.replace("kB", "").trim()) * 1024;
    }

    private static ArchProvider provider(String arch) throws CliException {
        TreeSet<String> known = new TreeSet<>();
        for (ArchProvider p : ServiceLoader.load(ArchProvider.class, Main.class.getClassLoader())) {
            if (p.architectures().contains(arch)) {
                return p;
            }
            known.addAll(p.architectures());
        }
        throw CliException.failed("process architecture '" + arch + "' has no ckpt architecture provider "
                + "(this ckpt has " + String.join(", ", known) + ")");
    }

    static void print(Summary s, Path output, PrintWriter out) {
        CheckpointResult r = s.result();
        out.println("dumped pid " + s.pid() + " (" + s.comm() + ") to " + output + ": " + s.architecture() + ", "
                + Fmt.plural(s.threads(), "thread") + ", " + Fmt.plural(s.areas(), "area") + ", CPU state not "
                + "captured (needs ptrace)");
        out.println("  pages: " + Fmt.count(r.pagesWritten()) + " written (" + Fmt.bytes(r.pagesWritten() * s.pageSize())
                + "), " + Fmt.count(r.zeroPagesSkipped()) + " zero pages skipped, " + Fmt.count(s.pages().untouched)
                + " never touched (not read), " + Fmt.count(s.pages().leftToFile) + " clean file pages left to their files"
                + (s.pages().unreadable > 0 ? ", " + Fmt.count(s.pages().unreadable) + " unreadable (saved as zero)" : ""));
        out.println("  image: " + Fmt.bytes(r.bytesWritten()) + " in " + Fmt.plural(r.recordsWritten(), "record")
                + ", written in " + Fmt.seconds(r.elapsed()) + " (" + Fmt.rate(r.bytesWritten(), r.elapsed()) + ")"
                + (s.stopped().isZero() ? "" : "; process stopped for " + Fmt.seconds(s.stopped())));
        if (!s.largest().isEmpty()) {
            out.println("  largest areas:");
            for (String a : s.largest()) {
                out.println("    " + a);
            }
        }
        if (!s.notes().isEmpty()) {
            out.println("  left out or changed (" + s.notes().size() + "):");
            for (String n : s.notes()) {
                out.println("    " + n);
            }
        }
        out.flush();
    }
}
