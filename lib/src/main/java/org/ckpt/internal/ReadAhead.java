package org.ckpt.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reads an image file on a thread of its own, ahead of the restart, into pooled direct
 * buffers ({@link Staging#take}): the mirror of the checkpoint's writer thread. The kernel's
 * copy out of the page cache then overlaps the restart's copy into page destinations, its
 * checksums and its parsing. Bytes arrive in order, and a failure of the channel (or its end)
 * is reported only after every byte read before it.
 *
 * <p>One thread may read several channels, one after the other (the images of a chain, oldest
 * first, each from where its prologue left it): each channel is a segment, read with
 * {@link #next(int)}, and ends with its own end. The thread reads on into the next image while
 * the restart is still parsing the one before, and a chain pays for one thread, not one per
 * image (children of a few MB gained nothing from a thread of their own; see
 * {@link ImageReader#READ_AHEAD_MIN}).
 *
 * <p>Used for regular files only, whose reads never wait for a peer: a failed or interrupted
 * restart lets the thread finish the read it is in and stop, without interrupting it (which
 * would close the host's channel).
 */
final class ReadAhead implements AutoCloseable {
    /**
     * Eight buffers, as the checkpoint's writer thread has, not three: with three the reader
     * stopped whenever the restart lagged a moment, and on this project's 2-vCPU VM a full
     * restart of mem-1g ran at medians of 86.0 ms into fresh heap buffers and 80.9 ms into host
     * memory; with eight at 63.3 and 63.5 (41 interleaved restarts each, sixth session).
     */
    private static final int BUFFERS = 8;

    /** The segments, read in this order. */
    private final List<ReadableByteChannel> channels;
    private final ChannelIo io;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Bytes of a segment, or (buf null) its end. */
    private record Part(ByteBuffer buf, int segment) {
    }

    private final ArrayDeque<Part> filled = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private final Thread thread;
    /** The buffer the restart is reading, held until it asks for the next. */
    private ByteBuffer current;
    private volatile boolean ended;
    private volatile boolean closed;
    private volatile boolean waiting;
    private volatile Throwable failure;
    /** The segment whose read failed. */
    private int failedSegment;
    /** The segment the thread reads (for a stuck-thread message). */
    private volatile int reading;
    /** Buffers filled and buffers free, for the spinning side (written under the lock). */
    private volatile int filledCount;
    private volatile int freeCount;
    private final java.util.function.BooleanSupplier dataOrEnd =
            () -> this.filledCount > 0 || this.ended || this.failure != null;
    private final java.util.function.BooleanSupplier roomOrClosed = () -> this.freeCount > 0 || this.closed;

    ReadAhead(ReadableByteChannel channel, Duration stallTimeout) {
        this(List.of(channel), stallTimeout);
    }

    /** Reads {@code channels} one after the other, each from its current position to its end. */
    ReadAhead(List<? extends ReadableByteChannel> channels, Duration stallTimeout) {
        if (channels.isEmpty()) {
            throw new IllegalArgumentException("no channel to read");
        }
        this.channels = List.copyOf(channels);
        this.io = new ChannelIo(stallTimeout, "the image channel");
        for (int i = 0; i < BUFFERS; i++) {
            free.add(Staging.take());
        }
        freeCount = free.size();
        thread = new Thread(this::run, "ckpt-reader");
        thread.setDaemon(true);
        Staging.LIVE_THREADS.incrementAndGet();
        thread.start();
    }

    /** {@link #next(int)} of the only channel. */
    ByteBuffer next() throws IOException {
        return next(0);
    }

    /**
     * The next bytes of channel {@code segment} (position to limit), or null at its end. The
     * buffer returned before, of any segment, is recycled: it must not be used any more. What
     * is left unread of an earlier segment is skipped.
     */
    ByteBuffer next(int segment) throws IOException {
        ChannelIo.checkInterrupt("reading the image channel");
        if (current != null) {
            lock.lock();
            try {
                free.add(current);
                freeCount = free.size();
                current = null;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
        if (filledCount == 0) {
            // Marked waiting while spinning too: the reader hands over a part-filled buffer then.
            waiting = true;
            IoThreads.spin(dataOrEnd);
        }
        lock.lock();
        try {
            while (true) {
                while (filled.isEmpty() && !ended && failure == null) {
                    waiting = true;
                    try {
                        changed.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("restart interrupted while waiting for the image reader");
                    } finally {
                        waiting = false;
                    }
                }
                waiting = false;
                Part p = filled.peek();
                if (p == null) {
                    if (failure != null && failedSegment <= segment) {
                        rethrow();
                    }
                    return null;
                }
                if (p.segment > segment) {
                    return null;  // this segment's end was taken already
                }
                filled.poll();
                filledCount = filled.size();
                if (p.segment < segment) {
                    if (p.buf != null) {
                        free.add(p.buf);
                        freeCount = free.size();
                        changed.signalAll();
                    }
                    continue;
                }
                if (p.buf == null) {
                    return null;
                }
                current = p.buf;
                return current;
            }
        } finally {
            lock.unlock();
        }
    }

    private void rethrow() throws IOException {
        IoThreads.raise(failure);
    }

    private void run() {
        try {
            readAll();
        } catch (Throwable t) {
            // Outside a read (an OutOfMemoryError queueing a buffer): the restart must not wait for ever.
            lock.lock();
            try {
                if (failure == null) {
                    failure = t;
                    failedSegment = reading;
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        } finally {
            Staging.LIVE_THREADS.decrementAndGet();
        }
    }

    private void readAll() {
        int segment = 0;
        ReadableByteChannel channel = channels.get(0);
        while (true) {
            ByteBuffer buf;
            if (freeCount == 0) {
                IoThreads.spin(roomOrClosed);
            }
            lock.lock();
            try {
                while (free.isEmpty() && !closed) {
                    changed.awaitUninterruptibly();
                }
                if (closed) {
                    return;
                }
                buf = free.poll();
                freeCount = free.size();
            } finally {
                lock.unlock();
            }
            buf.clear();
            boolean end = false;
            Throwable failed = null;
            try {
                // Fill the buffer, but hand over what there is as soon as the restart waits for it.
                while (buf.hasRemaining() && !(waiting && buf.position() > 0)) {
                    if (io.read(channel, buf) < 0) {
                        end = true;
                        break;
                    }
                }
            } catch (Throwable t) {
                failed = t;
            }
            lock.lock();
            try {
                if (buf.position() > 0) {
                    filled.add(new Part(buf.flip(), segment));
                } else {
                    free.add(buf);
                    freeCount = free.size();
                }
                if (failed != null) {
                    failure = failed;
                    failedSegment = segment;
                } else if (end) {
                    filled.add(new Part(null, segment));
                }
                filledCount = filled.size();
                boolean last = segment == channels.size() - 1;
                ended |= end && last;
                changed.signalAll();
                if (failed != null || end && last) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            if (end) {
                segment++;
                reading = segment;
                channel = channels.get(segment);
            }
        }
    }

    /**
     * Stops the thread after the read it is in (a file read ends promptly) and returns the
     * buffers to the pool. A read that does not end within seconds is interrupted, which
     * closes an interruptible channel; one that still hangs is left behind with its buffers.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (!IoThreads.stop(thread, 5_000, "the image reader thread is stuck in a read of",
                channels.get(reading))) {
            return;
        }
        lock.lock();
        try {
            if (current != null) {
                Staging.give(current);
                current = null;
            }
            filled.forEach(p -> {
                if (p.buf != null) {
                    Staging.give(p.buf);
                }
            });
            filled.clear();
            free.forEach(Staging::give);
            free.clear();
        } finally {
            lock.unlock();
        }
    }
}
