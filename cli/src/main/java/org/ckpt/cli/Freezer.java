package org.ckpt.cli;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a process stopped (SIGSTOP) while it is read and continues it (SIGCONT)
 * afterwards — on success, on error, and from a shutdown hook on Ctrl-C. Java has no
 * signal API, so the signals are sent with {@code kill(1)}. A process that was
 * already stopped is left stopped.
 */
final class Freezer implements AutoCloseable {
    private static final long WAIT_MILLIS = 3000;

    private final long pid;
    private final boolean stoppedByUs;
    private final Thread hook;
    private final Map<Integer, Character> statesBefore;

    private Freezer(long pid, boolean stoppedByUs, Map<Integer, Character> statesBefore) {
        this.pid = pid;
        this.stoppedByUs = stoppedByUs;
        this.statesBefore = statesBefore;
        this.hook = stoppedByUs ? new Thread(this::resume, "ckpt-sigcont-" + pid) : null;
    }

    /** Stops {@code pid} unless it is stopped already, and waits until every thread is. */
    static Freezer freeze(long pid) throws IOException, CliException {
        Map<Integer, Character> before = ProcFs.threadStates(pid);
        Character leader = before.get((int) pid);
        if (leader != null && (leader == 'T' || leader == 't')) {
            return new Freezer(pid, false, before);
        }
        Freezer f = new Freezer(pid, true, before);
        Runtime.getRuntime().addShutdownHook(f.hook);
        try {
            signal(pid, "STOP");
            f.awaitStopped();
        } catch (IOException | CliException | RuntimeException e) {
            f.close();
            throw e;
        }
        return f;
    }

    /** A freezer that does nothing: the process is read while it runs. */
    static Freezer none(long pid) throws IOException {
        return new Freezer(pid, false, ProcFs.threadStates(pid));
    }

    /** Thread states (proc(5) letters) before the process was stopped. */
    Map<Integer, Character> statesBefore() {
        return statesBefore;
    }

    boolean stoppedByUs() {
        return stoppedByUs;
    }

    private void awaitStopped() throws IOException, CliException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (true) {
            boolean all = true;
            for (char c : ProcFs.threadStates(pid).values()) {
                if (c != 'T' && c != 't' && c != 'Z' && c != 'X') {
                    all = false;
                    break;
                }
            }
            if (all) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw CliException.failed("process " + pid + " did not stop within " + WAIT_MILLIS
                        + " ms of SIGSTOP (a thread in uninterruptible sleep?)");
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.failed("interrupted while waiting for process " + pid + " to stop");
            }
        }
    }

    static void signal(long pid, String sig) throws IOException, CliException {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        try {
            if (p.waitFor() != 0) {
                throw CliException.usage("kill -" + sig + " " + pid + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.failed("interrupted while sending SIG" + sig + " to " + pid);
        }
    }

    private void resume() {
        try {
            signal(pid, "CONT");
        } catch (IOException | CliException e) {
            // the process may have exited; nothing else can be done from here
        }
    }

    @Override
    public void close() {
        if (!stoppedByUs) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            return; // shutting down: the hook continues the process
        }
        resume();
    }
}
