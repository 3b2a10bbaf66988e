package org.ckpt.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The staging buffers a checkpoint copies its output into, and the two ways they reach the
 * channel: on the calling thread, or on a writer thread of the checkpoint's own (so that
 * scanning, copying and checksumming overlap the channel's I/O). Staging buffers are direct
 * (the channel takes them without another copy) and pooled across checkpoints, so a
 * checkpoint allocates no direct memory once the pool is warm and a failed one leaks none.
 */
abstract class Staging implements AutoCloseable {
    /** A staging buffer holds the largest PAGES record the writer produces, with room to spare. */
    static final int SIZE = (1 << 20) + (64 << 10);
    private static final int POOL_MAX = 8;
    private static final ConcurrentLinkedDeque<ByteBuffer> POOL = new ConcurrentLinkedDeque<>();

    static ByteBuffer take() {
        ByteBuffer b = POOL.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    static void give(ByteBuffer b) {
        if (POOL.size() < POOL_MAX) {
            POOL.offer(b.clear());
        }
    }

    /** Threads started for checkpoints that are still alive (for leak tests and diagnostics). */
    static final AtomicInteger LIVE_THREADS = new AtomicInteger();

    static Staging open(WritableByteChannel channel, boolean thread, Duration stallTimeout) {
        return thread ? new Threaded(channel, stallTimeout) : new Direct(channel, stallTimeout);
    }

    /** Who sees the bytes on their way to the channel (the seal's hash). */
    interface Observer {
        /** A buffer, in order, just before it is written (on the writer thread when there is one). */
        void bytes(ByteBuffer out);

        /** The buffers seen so far are written and may be reused once this returns. */
        void settle();
    }

    private volatile Observer observer;

    /** Sets the observer; before the first rotate. */
    void observer(Observer o) {
        observer = o;
    }

    final void observe(ByteBuffer out) {
        Observer o = observer;
        if (o != null) {
            o.bytes(out.duplicate());
        }
    }

    final void settled() {
        Observer o = observer;
        if (o != null) {
            o.settle();
        }
    }

    /** The buffer to copy into; valid until {@link #rotate}. */
    abstract ByteBuffer current();

    /** Sends the current buffer's bytes (position 0 to position) and makes an empty one current. */
    abstract void rotate() throws IOException;

    /** Sends the current buffer and returns once everything sent has reached the channel. */
    abstract void flush() throws IOException;

    /** Whether the channel failed or the writing was interrupted: then nothing more may be written. */
    abstract boolean broken();

    /** Ends the writing; buffers go back to the pool (unless a writer thread could not be stopped). */
    @Override
    public abstract void close();

    /** Writes on the calling thread. */
    private static final class Direct extends Staging {
        private final WritableByteChannel channel;
        private final ChannelIo io;
        private ByteBuffer buf = take();
        private boolean broken;

        Direct(WritableByteChannel channel, Duration stallTimeout) {
            this.channel = channel;
            this.io = new ChannelIo(stallTimeout, "the image channel");
        }

        @Override
        ByteBuffer current() {
            return buf;
        }

        @Override
        void rotate() throws IOException {
            if (broken) {
                throw new IOException("the image channel failed earlier; nothing more is written");
            }
            buf.flip();
            try {
                observe(buf);
                io.writeFully(channel, buf);
                settled();
            } catch (IOException | RuntimeException | Error e) {
                // What went out is gone and what did not must never be re-sent after other bytes.
                broken = true;
                throw e;
            } finally {
                buf.clear();
            }
        }

        @Override
        void flush() throws IOException {
            if (buf.position() > 0) {
                rotate();
            }
        }

        @Override
        boolean broken() {
            return broken;
        }

        @Override
        public void close() {
            if (buf != null) {
                give(buf);
                buf = null;
            }
        }
    }

    /**
     * Writes on a thread of its own, in submission order, through three staging buffers: one
     * being filled, up to two queued or being written. The filling thread waits only when all
     * three are in flight.
     */
    private static final class Threaded extends Staging {
        private static final int BUFFERS = 3;

        private final WritableByteChannel channel;
        private final ChannelIo io;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
        private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
        private final Thread thread;
        private ByteBuffer buf;
        private int held = BUFFERS;
        private boolean busy;
        private boolean closed;
        private boolean broken;
        private Throwable failure;

        Threaded(WritableByteChannel channel, Duration stallTimeout) {
            this.channel = channel;
            this.io = new ChannelIo(stallTimeout, "the image channel");
            buf = take();
            for (int i = 1; i < BUFFERS; i++) {
                free.add(take());
            }
            thread = new Thread(this::run, "ckpt-writer");
            thread.setDaemon(true);
            LIVE_THREADS.incrementAndGet();
            thread.start();
        }

        @Override
        ByteBuffer current() {
            return buf;
        }

        @Override
        void rotate() throws IOException {
            lock.lock();
            try {
                rethrow();
                buf.flip();
                queue.add(buf);
                buf = null;
                changed.signalAll();
                while (failure == null && free.isEmpty()) {
                    await();
                }
                rethrow();
                buf = free.poll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        void flush() throws IOException {
            if (buf.position() > 0) {
                rotate();
            }
            lock.lock();
            try {
                while (failure == null && (busy || !queue.isEmpty())) {
                    await();
                }
                rethrow();
            } finally {
                lock.unlock();
            }
        }

        @Override
        boolean broken() {
            lock.lock();
            try {
                return broken;
            } finally {
                lock.unlock();
            }
        }

        /** Waits for the writer; an interrupt of the caller stops the writer and ends the checkpoint. */
        private void await() throws InterruptedIOException {
            try {
                changed.await();
            } catch (InterruptedException e) {
                broken = true;
                thread.interrupt();
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("checkpoint interrupted while waiting for the image writer");
            }
        }

        private void rethrow() throws IOException {
            if (failure == null) {
                return;
            }
            if (failure instanceof IOException e) {
                throw e;
            }
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            throw new IOException(failure);
        }

        @Override
        public void close() {
            lock.lock();
            try {
                closed = true;
                queue.forEach(free::add);
                queue.clear();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            boolean interrupted = Thread.interrupted();
            try {
                // An idle writer ends at once; one blocked in a write is interrupted, which closes
                // an interruptible channel and ends the write (the checkpoint has failed anyway).
                if (!join(1_000)) {
                    thread.interrupt();
                    if (!join(10_000)) {
                        Log.SYS.warn("the image writer thread is stuck in a write to {} and is left behind",
                                channel.getClass().getName());
                        return;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            lock.lock();
            try {
                if (buf != null) {
                    give(buf);
                    buf = null;
                }
                free.forEach(Staging::give);
                free.clear();
            } finally {
                lock.unlock();
            }
        }

        private boolean join(long millis) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while (thread.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    // Keep waiting the bounded time; the interrupt is restored by close.
                }
            }
            return true;
        }

        private void run() {
            try {
                while (true) {
                    ByteBuffer job;
                    lock.lock();
                    try {
                        while (queue.isEmpty() && !closed) {
                            changed.awaitUninterruptibly();
                        }
                        if (closed) {
                            return;
                        }
                        job = queue.poll();
                        busy = true;
                    } finally {
                        lock.unlock();
                    }
                    Throwable failed = null;
                    try {
                        observe(job);
                        io.writeFully(channel, job);
                        settled();
                    } catch (Throwable t) {
                        failed = t;
                    }
                    lock.lock();
                    try {
                        busy = false;
                        free.add(job.clear());
                        if (failed != null && failure == null) {
                            failure = failed;
                            broken = true;
                            queue.forEach(free::add);
                            queue.clear();
                        }
                        changed.signalAll();
                    } finally {
                        lock.unlock();
                    }
                }
            } finally {
                LIVE_THREADS.decrementAndGet();
            }
        }
    }
}
