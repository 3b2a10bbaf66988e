package org.ckpt.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Waits, before a timed invocation, until the JIT's compiler threads have gone quiet: compilations
 * that an operation queued go on in the background after it returns and would otherwise run during
 * the next one. In the full rotation of the 2026-12-03 VM that was the checkpoint's slow mode: the
 * C2 compiler thread ran 53-103 ms of a 110-153 ms checkpoint (the usual 70-80), compiling the
 * Kryo code of the operation before it, and the checkpoint's two threads shared the other CPU
 * (39-62 ms on a run queue, against 0-6 in the fast rounds); the one-thread raw write lost
 * nothing, the compiler taking the CPU it leaves idle. Quiet: the compiler threads ({@code /proc}
 * task names {@code C1 CompilerThre...}, {@code C2 CompilerThre...}; HotSpot starts and stops them
 * as its queue needs) ran less than {@link #BUSY_NS} over {@link #SLICE_MS} ms. A compilation the
 * timed operation itself triggers still runs during it, as it would in a host.
 */
final class JitQuiet {
    static final int SLICE_MS = 10;
    static final long BUSY_NS = 500_000;
    /** The longest wait before giving up (a compiler that never goes quiet). */
    static final long MAX_MS = Long.getLong("ckpt.bench.jitQuietMaxMs", 5_000);

    /** {@code -Dckpt.bench.jitQuiet=false}: no wait (to measure what the wait changes). */
    static final boolean ON = Boolean.parseBoolean(System.getProperty("ckpt.bench.jitQuiet", "true"));

    private static final Path TASKS = Path.of("/proc/self/task");

    private long waits;
    private long waitedNs;
    private long gaveUp;

    /** Returns once the compiler threads are quiet, or without {@code /proc}, or after {@link #MAX_MS}. */
    void await() throws InterruptedException {
        if (!ON) {
            return;
        }
        long start = System.nanoTime();
        long before = compilerNs();
        if (before < 0) {
            return;
        }
        boolean waited = false;
        while (true) {
            Thread.sleep(SLICE_MS);
            long now = compilerNs();
            if (now - before < BUSY_NS) {
                break;
            }
            waited = true;
            if (System.nanoTime() - start > MAX_MS * 1_000_000) {
                gaveUp++;
                return;
            }
            before = now;
        }
        if (waited) {
            waits++;
            waitedNs += System.nanoTime() - start - SLICE_MS * 1_000_000L;
        }
    }

    /** How often a compiler thread was still busy before an invocation, and for how long in all. */
    String summary() {
        return String.format(java.util.Locale.ROOT, "%d waits, %.0f ms, %d gave up", waits, waitedNs / 1e6, gaveUp);
    }

    /** The CPU time, in ns, the compiler threads alive now have run; -1 without {@code /proc}. */
    private static long compilerNs() {
        long sum = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path t : tasks) {
                try {
                    if (Files.readString(t.resolve("comm")).contains("CompilerThre")) {
                        sum += GuestKernel.ranNs(t);
                    }
                } catch (NoSuchFileException gone) {
                    // a thread that ended meanwhile: its time no longer counts either way
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return sum;
    }
}
