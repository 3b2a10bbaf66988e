package org.ckpt.bench;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.zip.CRC32C;

/**
 * What a second thread can buy on this machine at the moment of the call, in two figures that
 * each round of the benchmarks records beside its times, so that a run explains itself:
 * <ul>
 * <li>{@code share}: the same CRC32C work (16 passes over a 4 MiB buffer that stays in cache)
 * timed on one thread, then on two at once, each with a buffer of its own: 2 × one ÷ both.
 * 2.0 when the two run in parallel, 1.0 when they share one CPU.</li>
 * <li>{@code pipeline}: 64 MiB of fresh (uncached) bytes copied into a ring of eight 1 MiB
 * direct buffers and checksummed, first all on one thread, then copied on one and checksummed
 * on the other, as a checkpoint's filling thread and writer thread share its staging buffers:
 * one ÷ two. Above 1 the hand-over pays; below 1 moving the bytes between the CPUs costs more
 * than the work it spreads. On the VM of 2026-12-02 it was about 0.5 while {@code share} was
 * about 1.8: its two vCPUs ran in parallel but did not share a cache, which is why a
 * checkpoint to a fast channel was faster there with the writer thread off.</li>
 * </ul>
 * Each figure is the median of three alternations.
 */
final class CpuShare {
    private static final int PASSES = 16;
    private static final int REPEATS = 3;
    private static final int RING = 8;
    private static final int SLOT = 1 << 20;
    private static final int TASK_CRC = 1;
    private static final int TASK_RING = 2;

    private final ByteBuffer[] own = {ByteBuffer.allocateDirect(4 << 20), ByteBuffer.allocateDirect(4 << 20)};
    private final ByteBuffer[] ring = new ByteBuffer[RING];
    private final byte[] source = new byte[64 << 20];
    private final long[] sink = new long[2];
    private final CyclicBarrier wake = new CyclicBarrier(2);
    /** The helper spins (does not park) from {@link #ready} to {@link #task}, so its wake-up is not timed. */
    private volatile boolean ready;
    private volatile int task;
    private volatile boolean finished;
    /** Ring slots filled and checksummed so far in a pipeline measurement. */
    private volatile long produced;
    private volatile long consumed;

    CpuShare() {
        for (ByteBuffer b : own) {
            for (int i = 0; i < b.capacity(); i += 8) {
                b.putLong(i, i * 0x9E3779B97F4A7C15L);
            }
        }
        for (int i = 0; i < RING; i++) {
            ring[i] = ByteBuffer.allocateDirect(SLOT);
        }
        new SplittableRandom(17).nextBytes(source);
        Thread helper = new Thread(this::helperLoop, "bench-cpu-share");
        helper.setDaemon(true);
        helper.start();
        for (int i = 0; i < 3; i++) {
            measure();  // warm-up: the intrinsics compiled, the helper's loop too
        }
    }

    private void helperLoop() {
        try {
            while (true) {
                wake.await();
                ready = true;
                int t;
                while ((t = task) == 0) {
                    Thread.onSpinWait();
                }
                task = 0;
                sink[1] += t == TASK_CRC ? crc(own[1]) : consumeRing();
                finished = true;
            }
        } catch (Exception e) {
            // the JVM ends with the benchmark; nothing to clean up
        }
    }

    private static long crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        for (int i = 0; i < PASSES; i++) {
            c.update(b.duplicate());
        }
        return c.getValue();
    }

    private long consumeRing() {
        CRC32C c = new CRC32C();
        long slots = source.length / SLOT;
        for (long i = 0; i < slots; i++) {
            while (produced <= i) {
                Thread.onSpinWait();
            }
            c.update(ring[(int) (i % RING)].duplicate().clear());
            consumed = i + 1;
        }
        return c.getValue();
    }

    /** Copies the source through the ring, checksumming each slot here too when {@code alone}. */
    private long produceRing(boolean alone) {
        CRC32C c = new CRC32C();
        int slots = source.length / SLOT;
        for (int i = 0; i < slots; i++) {
            while (!alone && i - consumed >= RING) {
                Thread.onSpinWait();
            }
            ByteBuffer b = ring[i % RING].clear();
            b.put(source, i * SLOT, SLOT);
            if (alone) {
                c.update(b.flip());
            }
            produced = i + 1;
        }
        return c.getValue();
    }

    /** Runs {@code t} on the helper and {@code mine} here, from a common start; their wall time in ns. */
    private long together(int t, Runnable mine) throws Exception {
        wake.await();
        while (!ready) {
            Thread.onSpinWait();
        }
        ready = false;
        long s = System.nanoTime();
        task = t;
        mine.run();
        while (!finished) {
            Thread.onSpinWait();
        }
        long e = System.nanoTime();
        finished = false;
        return e - s;
    }

    /** {share, pipeline}, each the median of three (about 100 ms in all). */
    double[] measure() {
        try {
            double[] share = new double[REPEATS];
            double[] pipeline = new double[REPEATS];
            for (int i = 0; i < REPEATS; i++) {
                long s = System.nanoTime();
                sink[0] += crc(own[0]);
                long one = System.nanoTime() - s;
                long both = together(TASK_CRC, () -> sink[0] += crc(own[0]));
                share[i] = 2.0 * one / both;

                produced = 0;
                s = System.nanoTime();
                sink[0] += produceRing(true);
                long alone = System.nanoTime() - s;
                produced = 0;
                consumed = 0;
                long split = together(TASK_RING, () -> sink[0] += produceRing(false));
                pipeline[i] = (double) alone / split;
            }
            Arrays.sort(share);
            Arrays.sort(pipeline);
            return new double[] {share[REPEATS / 2], pipeline[REPEATS / 2]};
        } catch (Exception e) {
            throw new IllegalStateException("the two-CPU probe failed", e);
        }
    }

    /** "median m (min a, max b) of n" of {@code values}. */
    static String summary(double[] values) {
        if (values.length == 0) {
            return "not measured";
        }
        return String.format(Locale.ROOT, "median %.2f (min %.2f, max %.2f) of %d", BenchMain.median(values),
                Arrays.stream(values).min().getAsDouble(), Arrays.stream(values).max().getAsDouble(), values.length);
    }
}
