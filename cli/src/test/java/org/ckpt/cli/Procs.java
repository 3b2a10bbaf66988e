package org.ckpt.cli;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Real processes for the live tests: start, wait for, signal, and look at them. */
final class Procs {
    static final int SIGKILL = 9;
    static final int SIGINT = 2;
    static final int SIGTERM = 15;
    static final int SIGSTOP = 19;
    static final int SIGCONT = 18;

    private Procs() {
    }

    /**
     * A process started through a shell that exits at once, so that this JVM is not its parent
     * (a parent JVM waits for its children with waitpid(pid, 0), which would also take the ptrace
     * stops of a dump). Killed, with its descendants, on close.
     */
    static final class Proc implements AutoCloseable {
        final int pid;
        final Path output;

        Proc(int pid, Path output) {
            this.pid = pid;
            this.output = output;
        }

        /** What it has written so far: nothing yet while the shell that redirects it has not opened the file. */
        String output() throws IOException {
            try {
                return Files.readString(output);
            } catch (java.nio.file.NoSuchFileException e) {
                return "";
            }
        }

        @Override
        public void close() {
            for (int c : ProcTree.descendants(pid)) {
                kill(c, SIGKILL);
            }
            kill(pid, SIGKILL);
        }
    }

    static void kill(int pid, int sig) {
        try {
            Linux.kill(pid, sig);
        } catch (com.sun.jna.LastErrorException e) {
            // gone already
        }
    }

    static Proc start(Path dir, String... cmd) throws Exception {
        Path out = dir.resolve("out-" + System.nanoTime() + ".txt");
        List<String> sh = new ArrayList<>(List.of("/bin/sh", "-c", "\"$@\" > '" + out + "' 2>&1 < /dev/null & echo $!",
                "sh"));
        sh.addAll(List.of(cmd));
        Process p = new ProcessBuilder(sh).directory(dir.toFile()).redirectErrorStream(true).start();
        String pid = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        p.waitFor(10, TimeUnit.SECONDS);
        return new Proc(Integer.parseInt(pid), out);
    }

    /** {@code sleep 600} (a real program, blocked in a system call). */
    static Proc sleep(Path dir) throws Exception {
        Proc p = start(dir, "sleep", "600");
        awaitState(p.pid, "S");
        return p;
    }

    static char state(long pid) throws IOException {
        return ProcFs.stat(ProcFs.dir(pid)).state();
    }

    /** Waits until {@code pid}'s state is one of {@code states} (proc(5) letters). */
    static void awaitState(long pid, String states) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (states.indexOf(state(pid)) < 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("pid " + pid + " is in state " + state(pid) + ", not one of " + states);
            }
            Thread.sleep(5);
        }
    }

    /** Waits until {@code pid} has {@code n} children. */
    static List<Integer> awaitChildren(int pid, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<Integer> c = ProcTree.descendants(pid);
            if (c.size() >= n) {
                return c;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("pid " + pid + " has children " + c + ", expected " + n);
            }
            Thread.sleep(5);
        }
    }

    static String tracerPid(long pid) throws IOException {
        return ProcFs.status(ProcFs.dir(pid)).get("TracerPid");
    }

    /**
     * What this JVM — the parent — would learn from {@code waitid(WSTOPPED|WCONTINUED|WNOHANG|WNOWAIT)}:
     * {@code null} when the child reported no stop or continue (what a shell's job control would see).
     */
    static String jobControlEvent(int pid) {
        Memory info = new Memory(128);
        info.clear();
        Linux.waitid(Linux.P_PID, pid, info, Linux.WSTOPPED | 8 /* WCONTINUED */ | Linux.WNOHANG | Linux.WNOWAIT);
        int pidOffset = Native.LONG_SIZE == 8 ? 16 : 12;
        if (info.getInt(pidOffset) == 0) {
            return null;
        }
        return "si_code " + info.getInt(8) + " status " + info.getInt(pidOffset + 8);
    }

    /** The temporary files an atomic write leaves next to {@code file} while it writes. */
    static List<Path> temporaries(Path file) throws IOException {
        List<Path> out = new ArrayList<>();
        try (var s = Files.newDirectoryStream(file.toAbsolutePath().getParent(),
                "." + file.getFileName() + ".*.tmp")) {
            s.forEach(out::add);
        }
        return out;
    }
}
