package org.ckpt.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes buffers to a channel on one thread of its own, in submission order, so that
 * the checkpointing thread's zero detection and checksums overlap the channel's I/O
 * instead of adding to it. Lives for one checkpoint. The checkpointing thread owns
 * the buffers again only after {@link #drain}; a failure of the channel is rethrown
 * to it at its next call.
 */
final class BackgroundWriter implements AutoCloseable {
    /** Host bytes queued and not yet written: bounds how far computing may run ahead of I/O. */
    private static final long MAX_PENDING = 64L << 20;

    private record Job(ByteBuffer bytes, boolean pooled) {
    }

    private final WritableByteChannel channel;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Job> jobs = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private final Thread thread;
    private long pending;
    private boolean busy;
    private boolean closed;
    private Throwable failure;

    /** @param pooled the copy buffers the writer hands back through {@link #takeFree} once written */
    BackgroundWriter(WritableByteChannel channel, ByteBuffer... pooled) {
        this.channel = channel;
        free.addAll(java.util.List.of(pooled));
        thread = new Thread(this::run, "ckpt-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues {@code bytes} (position to limit); they must stay unchanged until {@link #drain}. */
    void submit(ByteBuffer bytes, boolean pooled) throws IOException {
        lock.lock();
        try {
            while (failure == null && pending > MAX_PENDING) {
                await();
            }
            rethrow();
            jobs.add(new Job(bytes, pooled));
            pending += bytes.remaining();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A pooled copy buffer that has been written out, cleared. */
    ByteBuffer takeFree() throws IOException {
        lock.lock();
        try {
            while (failure == null && free.isEmpty()) {
                await();
            }
            rethrow();
            return free.poll().clear();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until everything submitted is written. */
    void drain() throws IOException {
        lock.lock();
        try {
            while (failure == null && (busy || !jobs.isEmpty())) {
                await();
            }
            rethrow();
        } finally {
            lock.unlock();
        }
    }

    /** Stops the thread after the write in progress, dropping what is queued; returns when it has ended. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            jobs.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void await() throws InterruptedIOException {
        try {
            changed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the image writer");
        }
    }

    private void rethrow() throws IOException {
        if (failure instanceof IOException e) {
            throw e;
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new UncheckedIOException(new IOException(failure));
        }
    }

    private void run() {
        while (true) {
            Job job;
            lock.lock();
            try {
                while (jobs.isEmpty() && !closed) {
                    changed.awaitUninterruptibly();
                }
                if (closed) {
                    return;
                }
                job = jobs.poll();
                busy = true;
            } finally {
                lock.unlock();
            }
            Throwable failed = null;
            int n = job.bytes.remaining();
            try {
                while (job.bytes.hasRemaining()) {
                    if (channel.write(job.bytes) == 0) {
                        Thread.onSpinWait();
                    }
                }
            } catch (Throwable t) {
                failed = t;
            }
            lock.lock();
            try {
                busy = false;
                pending -= n;
                if (job.pooled) {
                    free.add(job.bytes);
                }
                if (failed != null && failure == null) {
                    failure = failed;
                    for (Job j : jobs) {
                        if (j.pooled) {
                            free.add(j.bytes);
                        }
                    }
                    jobs.clear();
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
