package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.TruncatedImageException;

/**
 * The page bytes of large PAGES records of an image file, read on a thread of its own where
 * they lie in the file ({@link FileChannel#read(ByteBuffer, long)}), straight into their page
 * destination and checksummed there, while the restart parses on; the restart reads the
 * records the thread has no room for itself, the same way. Each thread thus reads, copies and
 * checksums bytes of its own: none crosses between CPUs, which on this project's VM cost more
 * than the work it spreads (bench's {@code cpu_pipeline}), so that a read-ahead thread that
 * hands its buffers to the restart could not reach the raw read (issue 17).
 *
 * <p>Every byte is still read once, and the checksums cover exactly the bytes that landed in
 * the destination. A record's verdict arrives later: the image CRC takes it in order
 * ({@link Crc32c.Running#appendLater}), so the tail waits for every record, and a failed
 * restart reports the earliest failure in file order ({@link ImageReader#settle}) and stops the
 * thread before the page destination is released.
 */
final class PageReads implements AutoCloseable {
    /**
     * Records queued or being read at most. The restart reads a record itself only when the
     * thread has this many: with two the thread waited for work while the restart read a large
     * one (mem-1g, probe in one JVM: 54.7 ms a restart with two, 52.8 with four).
     */
    private static final int DEPTH = 4;
    /** Bytes read and checksummed at a time, so the checksum reads them from cache. */
    private static final int CHUNK = 256 << 10;

    /** One record's page bytes. */
    static final class Job implements Crc32c.PendingCrc {
        private final ByteBuffer dst;
        private final int buffered;
        private final long filePosition;
        private final int headCrc;
        private final int headerCrc;
        private final String name;
        private final long recordOffset;
        private final int length;
        /** The failure's breadcrumbs, outermost first ({@link ImageReader#enter}). */
        private final String[] trail;
        /** Guarded by the lock of the {@link PageReads} it was given to. */
        private boolean done;
        private int pagesCrc;
        private IOException failure;
        /** The thread could not write the destination (one confined to the restart's thread): read by {@link #crc}. */
        private RuntimeException elsewhere;
        private PageReads owner;

        /**
         * @param dst          the page bytes' destination, exactly the record's page bytes
         * @param buffered     its first bytes, already copied in by the restart
         * @param filePosition where the rest lies in the file
         * @param headCrc      CRC32C of the record header's first 12 bytes and the 16-byte prefix
         * @param headerCrc    the record checksum its header gives
         */
        Job(ByteBuffer dst, int buffered, long filePosition, int headCrc, int headerCrc, String name,
            long recordOffset, int length, String[] trail) {
            this.trail = trail;
            this.dst = dst;
            this.buffered = buffered;
            this.filePosition = filePosition;
            this.headCrc = headCrc;
            this.headerCrc = headerCrc;
            this.name = name;
            this.recordOffset = recordOffset;
            this.length = length;
        }

        /**
         * Waits for the record's bytes; returns their CRC32C, or throws what failed. A record
         * the thread could not write into its destination is read here, on the restart's
         * thread (which alone calls this).
         */
        @Override
        public int crc() throws IOException {
            owner.await(this);
            readHere();
            if (elsewhere != null) {
                ChannelIo.checkInterrupt("reading the image channel");
            }
            if (failure != null) {
                throw failure;
            }
            return pagesCrc;
        }

        /**
         * After it is done, on the restart's thread: reads the record here if the thread could
         * not write its destination. Its failure is then kept, like the thread's, for the tail
         * or {@link ImageReader#settle} to report.
         */
        void readHere() {
            // Not on an interrupted thread: the read would close the host's channel; the
            // restart's next read reports the interrupt (ChannelIo), the tail below.
            if (elsewhere != null && !Thread.currentThread().isInterrupted()) {
                elsewhere = null;
                failure = read(owner.channel, new CRC32C());
            }
        }

        /** On the restart's thread: the CRC if the record is read and intact now (reading it here if it must). */
        @Override
        public long crcIfReady() {
            if (!owner.isDone(this)) {
                return -1;
            }
            readHere();
            return elsewhere == null && failure == null ? pagesCrc & 0xFFFF_FFFFL : -1;
        }

        @Override
        public boolean failed() {
            return owner.isDone(this) && elsewhere == null && failure != null;
        }

        /** After it is done: what failed, or null. */
        IOException failure() {
            return failure;
        }

        /** Reads and checksums the bytes; returns the failure, with the trail it would have collected, or null. */
        private IOException read(FileChannel ch, CRC32C crc) {
            IOException f = readAndCheck(ch, crc);
            if (f instanceof ImageException e) {
                for (int i = trail.length - 1; i >= 0; i--) {
                    e.addTrace(trail[i]);
                }
            }
            return f;
        }

        private IOException readAndCheck(FileChannel ch, CRC32C crc) {
            crc.reset();
            int base = dst.position();
            int n = dst.remaining();
            ByteBuffer b = dst.duplicate();
            b.limit(base + buffered);
            crc.update(b);
            try {
                for (int done = buffered; done < n; ) {
                    int k = Math.min(CHUNK, n - done);
                    b.limit(base + done + k).position(base + done);
                    while (b.hasRemaining()) {
                        if (ch.read(b, filePosition + (b.position() - base - buffered)) < 0) {
                            return new TruncatedImageException(name, recordOffset, "image ends inside record " + name
                                    + " after " + (16 + b.position() - base) + " of " + length + " payload bytes");
                        }
                    }
                    crc.update(b.position(base + done));
                    done += k;
                }
            } catch (IOException e) {
                return e;
            }
            pagesCrc = (int) crc.getValue();
            int value = Crc32c.combine(headCrc, pagesCrc, n);
            if (value != headerCrc) {
                return new ChecksumException(name, recordOffset, String.format(
                        "record checksum mismatch: header says %08x, payload gives %08x", headerCrc, value));
            }
            return null;
        }
    }

    /** Records whose page bytes this class read, for tests: a fast path that is not taken is no fast path. */
    static final java.util.concurrent.atomic.AtomicLong RECORDS_READ = new java.util.concurrent.atomic.AtomicLong();

    private final FileChannel channel;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Job> queue = new ArrayDeque<>(DEPTH);
    private final Thread thread;
    /** Jobs given and not done (under the lock; read without it to spin). */
    private volatile int pending;
    private volatile boolean closed;
    private final java.util.function.BooleanSupplier workOrClosed = () -> this.pending > 0 || this.closed;

    PageReads(FileChannel channel) {
        this.channel = channel;
        thread = new Thread(this::run, "ckpt-page-reader");
        thread.setDaemon(true);
        Staging.LIVE_THREADS.incrementAndGet();
        thread.start();
    }

    /** Whether the thread has room for another record now. */
    boolean hasRoom() {
        return pending < DEPTH && !closed && !confined;
    }

    /** The page destination's memory cannot be written by this thread: nothing more is handed over. */
    private volatile boolean confined;
    /** Tests: the thread behaves as if the destination's memory were confined to the restart's thread. */
    static volatile boolean destinationConfinedForTests;

    /** Gives the thread {@code job} (after {@link #hasRoom}). */
    void submit(Job job) {
        job.owner = this;
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("page reads are closed");
            }
            queue.add(job);
            pending++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code job} is done (its bytes read and checked, or failed). */
    boolean isDone(Job job) {
        lock.lock();
        try {
            return job.done;
        } finally {
            lock.unlock();
        }
    }

    private void await(Job job) throws IOException {
        if (!isDone(job)) {
            IoThreads.spin(() -> isDone(job));
        }
        lock.lock();
        try {
            while (!job.done) {
                if (closed && !thread.isAlive()) {
                    throw new IllegalStateException("page reads closed before the record at offset "
                            + job.recordOffset + " was read");
                }
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        CRC32C crc = new CRC32C();
        try {
            while (true) {
                if (pending == 0) {
                    IoThreads.spin(workOrClosed);
                }
                Job job;
                lock.lock();
                try {
                    while (queue.isEmpty() && !closed) {
                        changed.awaitUninterruptibly();
                    }
                    job = queue.peek();
                    if (job == null) {
                        return;  // closed with nothing left: every job given was read
                    }
                } finally {
                    lock.unlock();
                }
                IOException failure = null;
                RuntimeException elsewhere = null;
                try {
                    if (destinationConfinedForTests) {
                        throw new IllegalStateException("the page destination is confined to its thread (test)");
                    }
                    failure = job.read(channel, crc);
                    RECORDS_READ.incrementAndGet();
                } catch (RuntimeException e) {
                    // A destination this thread may not write (memory confined to the restart's
                    // thread): that thread reads this record when it needs it, and the rest itself.
                    elsewhere = e;
                    if (!confined) {
                        confined = true;
                        Log.RW.debug("the page reader thread cannot write the page destination ({}); the restart"
                                + " reads the page bytes itself", e.toString());
                    }
                } catch (Error e) {
                    failure = new IOException("reading page bytes at offset " + job.recordOffset + " failed", e);
                }
                lock.lock();
                try {
                    queue.poll();
                    job.elsewhere = elsewhere;
                    job.failure = failure;
                    job.done = true;
                    pending--;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            lock.lock();
            try {
                // Left undone only if the thread died outside a read: whoever waits must not wait for ever.
                for (Job j : queue) {
                    j.failure = new IOException("the page reader thread ended before the record at offset "
                            + j.recordOffset + " was read");
                    j.done = true;
                }
                queue.clear();
                pending = 0;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            Staging.LIVE_THREADS.decrementAndGet();
        }
    }

    /**
     * Lets the thread read what it was given (file reads end promptly; a failed restart
     * reports the earliest failure, which may be one of them) and stops it: after this, no
     * page destination is written any more.
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
        IoThreads.stop(thread, 5_000, "the page reader thread is stuck in a read of", channel);
    }
}
