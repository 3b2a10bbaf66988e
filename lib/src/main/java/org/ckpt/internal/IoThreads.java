package org.ckpt.internal;

import java.util.concurrent.TimeUnit;

/** Ending the I/O threads a checkpoint (writer) or a restart (read-ahead) starts for itself. */
final class IoThreads {
    /** How long an interrupted I/O thread may take to end before it is left behind. */
    private static final long AFTER_INTERRUPT_MILLIS = 10_000;

    private IoThreads() {
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
