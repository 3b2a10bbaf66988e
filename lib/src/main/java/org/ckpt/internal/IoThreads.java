package org.ckpt.internal;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Ending the I/O threads a checkpoint (writer) or a restart (read-ahead) starts for itself. */
final class IoThreads {
    /** How long an interrupted I/O thread may take to end before it is left behind. */
    private static final long AFTER_INTERRUPT_MILLIS = 10_000;

    /**
     * How long a thread of a producer/consumer pair (the checkpoint's writer, a restart's
     * read-ahead) spins on the other's progress before it parks. A buffer takes 50–250 µs to
     * fill, checksum or write; parking for that long makes the other thread's every hand-over
     * a futex wake of an idle CPU, which on a virtual machine is an inter-processor interrupt
     * through the hypervisor: perf charged 12 % of a many-task checkpoint's calling thread to
     * those wake-ups (bench/run, issue 17). Bounded, so an idle pair costs at most this much
     * CPU per hand-over.
     */
    static final long SPIN_NANOS = 200_000;

    private IoThreads() {
    }

    /**
     * Spins until {@code ready} is true or {@link #SPIN_NANOS} have passed; returns whether it
     * became true. The caller then checks again under its lock and parks if need be.
     */
    static boolean spin(java.util.function.BooleanSupplier ready) {
        long start = System.nanoTime();
        int n = 0;
        while (!ready.getAsBoolean()) {
            if ((++n & 63) == 0) {
                long spent = System.nanoTime() - start;
                if (spent > SPIN_NANOS) {
                    return false;
                }
                if (spent > SPIN_NANOS / 8) {
                    // Past the usual hand-over: let a thread that shares this CPU (the other side,
                    // a compiler or GC thread on a busy machine) run instead of spinning against it.
                    Thread.yield();
                    continue;
                }
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /**
     * Waits for {@code thread} to end: {@code graceMillis} for one finishing what it is doing,
     * then interrupts it (which closes an interruptible channel and ends a blocked call) and
     * waits a bounded time more. Returns false, with a warning naming {@code stuck} and the
     * channel's class, for a thread that is still alive: it is left behind, and so must whatever
     * it holds. The caller's interrupt status is kept, and an interrupt during the wait does not
     * cut it short.
     */
    static boolean stop(Thread thread, long graceMillis, String stuck, Object channel) {
        boolean interrupted = Thread.interrupted();
        try {
            if (!join(thread, graceMillis)) {
                thread.interrupt();
                if (!join(thread, AFTER_INTERRUPT_MILLIS)) {
                    Log.SYS.warn("{} {} and is left behind", stuck, channel.getClass().getName());
                    return false;
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Throws {@code f}, a failure one thread of a pair hands the other, as what it is (an
     * IOException, unchecked) or wrapped in an IOException.
     */
    static void raise(Throwable f) throws IOException {
        if (f instanceof IOException e) {
            throw e;
        }
        if (f instanceof RuntimeException e) {
            throw e;
        }
        if (f instanceof Error e) {
            throw e;
        }
        throw new IOException(f);
    }

    private static boolean join(Thread thread, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (thread.isAlive()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                // Keep waiting the bounded time; stop restores the interrupt.
            }
        }
        return true;
    }
}
