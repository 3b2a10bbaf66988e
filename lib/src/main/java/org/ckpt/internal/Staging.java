package org.ckpt.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The staging buffers a checkpoint copies its output into, and the two ways they reach the
 * channel: on the calling thread, or on a writer thread of the checkpoint's own (so that
 * scanning, copying and checksumming overlap the channel's I/O). Staging buffers are direct
 * (the channel takes them without another copy) and pooled across checkpoints, so a
 * checkpoint allocates no direct memory once the pool is warm and a failed one leaks none.
 *
 * <p>The image checksum is folded here, buffer by buffer in image order, just before each
 * buffer is written ({@link Block#seal}): the bytes between page runs are checksummed then
 * (they are few), the page runs' checksums are combined in. A buffer's page runs are
 * checksummed by the filling thread as it copies them — or, when the writer thread was idle
 * at the buffer's start, by the writer thread at sealing time, so that the checksums of a
 * checkpoint whose channel is fast overlap its zero scan and copying ({@link #deferCrc}) —
 * where that measures faster on this machine ({@link Deferral}).
 *
 * <p>Pages of the library's own page data ({@link StableRuns}: host arrays, a restart's buffers,
 * valid until the checkpoint returns) are, in a buffer begun while no other waited for the writer,
 * only reserved by the filling thread, which zero-scans them and writes the records' headers;
 * the writer copies and checksums them when it seals the buffer ({@link Block#pages(int, int,
 * int, ByteBuffer, int)}), reading the host's memory rather than what the other CPU just wrote.
 * That is how many small areas, whose runs are too short for windows, use both threads.
 *
 * <p>Long runs of pages take a third way ({@link #inParallel}): both threads fill windows of
 * the run into buffers of their own and each writes what it filled, in window order.
 */
abstract class Staging implements AutoCloseable {
    /** Buffers each thread fills windows into during {@link #inParallel}. */
    static final int PHASE_BUFFERS = 2;
    /** A staging buffer holds the largest PAGES record the writer produces, with room to spare. */
    static final int SIZE = (1 << 20) + (64 << 10);
    private static final int POOL_MAX = 16;
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
    /** PAGES records whose pages were copied when their buffer was sealed (for tests: whether any was). */
    static final AtomicLong COPIED_AT_SEALING = new AtomicLong();
    /** Writer threads started so far (for tests: whether a checkpoint started one). */
    static final AtomicInteger STARTS = new AtomicInteger();

    /**
     * For tests: whether the writer thread checksums every buffer's page runs ({@code TRUE}),
     * none ({@code FALSE}), or those of buffers begun while it was idle, where that measures
     * faster ({@code null}, the engine's way: {@link Deferral}).
     */
    static volatile Boolean deferCrcForTests;

    /** For tests: the writer thread's reads of the host's pages fail, as memory confined to the host's thread does. */
    static volatile boolean hostMemoryConfinedForTests;

    /** For tests: {@code FALSE} keeps runs of pages off {@link #inParallel} (null: the engine's way). */
    static volatile Boolean parallelForTests;

    /** For tests: the bytes a checkpoint writes on its calling thread before its writer thread starts (-1: the engine's). */
    static volatile long threadAfterForTests = -1;

    /**
     * Whether handing a buffer's page checksums to an idle writer thread pays on this machine,
     * measured by the checkpoints themselves. It pays where the two CPUs share a cache: the
     * checksum leaves the filling thread's path. It costs where they do not (measured on a
     * 2-vCPU AMD EPYC VM: mem-1g to a discarding channel 69.8 ms with the filling thread
     * checksumming, 96.8 ms handing over; bench's cpu_pipeline 0.6): the writer reads the
     * buffer across CPUs, and the filling thread, reusing it eight buffers later, writes lines
     * the other CPU holds. The cost lands on later buffers, so a verdict per buffer cannot see
     * it (tried); one per block of buffers can.
     *
     * <p>Trials: a checkpoint with no verdict to follow tries both ways in blocks of
     * {@link #BLOCK} buffers that alternate (its first block's way alternating between
     * checkpoints, so that neither way gets only one region of the task), timing the filling
     * thread's wall time per staged byte over each block but its first {@link #SETTLE} buffers
     * (a buffer is reused eight buffers later, where the way before still costs). In a hand-over
     * block only the buffers the writer took count: a busy writer (a slow channel) takes none,
     * and such a trial says nothing. The trials of all checkpoints in the JVM add up until each
     * way has {@link #MEASURED} buffers (one checkpoint of 96 or more, or several smaller ones);
     * then handing over is kept only if at least {@link #MARGIN} faster: the filling thread's
     * own checksum never costs much, a hand-over on the wrong machine 40 %. From then on
     * checkpoints follow the verdict from their first buffer (the one that reached it, for its
     * rest), but every {@link #RETRIAL}th tries again: the machine's state and the channels
     * change.
     */
    static final class Deferral {
        static final int BLOCK = 16;
        static final int SETTLE = 8;
        static final int MEASURED = 24;
        static final int RETRIAL = 16;
        static final double MARGIN = 0.97;
        private static final int MIB = 1 << 20;
        // The JVM's trials and verdict, guarded by Deferral.class.
        private static Boolean verdict;
        private static int verdicts;
        private static int checkpoints;
        private static final long[] NANOS = new long[2];
        private static final long[] BYTES = new long[2];
        private static final int[] COUNT = new int[2];

        private boolean trial;
        /** The way of even trial blocks, or the way followed. */
        private boolean first;
        /** The verdicts reached when this checkpoint began. */
        private final int seen;
        private int buffer;
        /** When the buffer before was sent (meaningful from the second buffer on). */
        private long last;

        Deferral() {
            synchronized (Deferral.class) {
                int k = checkpoints++;
                trial = verdict == null || k % RETRIAL == 0;
                first = verdict != null ? verdict : (k & 1) == 0;
                seen = verdicts;
            }
        }

        static synchronized Boolean verdict() {
            return verdict;
        }

        /** For tests: forgets the verdict and the trials. */
        static synchronized void forget() {
            verdict = null;
            verdicts = 0;
            checkpoints = 0;
            Arrays.fill(NANOS, 0);
            Arrays.fill(BYTES, 0);
            Arrays.fill(COUNT, 0);
        }

        /** Whether buffer {@code b} hands its checksums over (if the writer is idle). */
        private boolean way(int b) {
            return trial ? ((b / BLOCK) % 2 == 0) == first : first;
        }

        /**
         * Called by the filling thread as its current buffer is sent with {@code staged} bytes,
         * {@code handedOver} if the writer took its checksums; returns whether the next buffer's
         * go to the writer if it is idle.
         */
        boolean next(int staged, boolean handedOver, boolean copiesHandedOver) {
            return next(staged, handedOver, copiesHandedOver, System.nanoTime());
        }

        /**
         * {@link #next(int, boolean, boolean)} at time {@code now} (tests give their own clock). A
         * buffer whose copies the writer took ({@code copiesHandedOver}) says nothing about checksums.
         */
        boolean next(int staged, boolean handedOver, boolean copiesHandedOver, long now) {
            int b = buffer++;
            if (trial && b > 0 && b % BLOCK >= SETTLE && way(b) == handedOver && !copiesHandedOver) {
                Boolean v = record(handedOver ? 1 : 0, now - last, staged, seen);
                if (v != null) {
                    trial = false;
                    first = v;
                }
            }
            last = now;
            return way(b + 1);
        }

        /**
         * Whether the next buffer is a timed trial buffer: then no page is copied at sealing in it,
         * so that what it measures is the checksums' way alone (a buffer with such copies does
         * not count, and in a task of the library's own page data every buffer begun while the
         * writer had nothing queued would have them: the trials of handing over would never end).
         */
        boolean timesNext() {
            return trial && buffer % BLOCK >= SETTLE;
        }

        /** Times the next buffer from {@code now}: the time in between (a parallel phase) is no buffer's. */
        void resume(long now) {
            last = now;
        }

        /** Adds a timed buffer to the JVM's trials; returns the verdict if there is a newer one than {@code seen}. */
        private static synchronized Boolean record(int way, long nanos, int staged, int seen) {
            NANOS[way] += nanos;
            BYTES[way] += staged;
            COUNT[way]++;
            if (COUNT[0] >= MEASURED && COUNT[1] >= MEASURED && BYTES[0] > 0 && BYTES[1] > 0) {
                double inline = NANOS[0] / (double) BYTES[0];
                double handOver = NANOS[1] / (double) BYTES[1];
                verdict = handOver < inline * MARGIN;
                verdicts++;
                Arrays.fill(NANOS, 0);
                Arrays.fill(BYTES, 0);
                Arrays.fill(COUNT, 0);
                Log.RW.debug("page checksums {} the writer thread: {} ns/MiB handing over, {} ns/MiB not",
                        verdict ? "handed to" : "kept from", (long) (handOver * MIB), (long) (inline * MIB));
            }
            return verdicts > seen ? verdict : null;
        }
    }

    /** Bytes of a PAGES record before its pages: header and prefix. */
    static final int PAGES_HEAD = Format.HEADER_SIZE + 16;

    /** The image checksum of every byte sealed so far. */
    private final Crc32c.Running imageCrc = new Crc32c.Running();
    private final CRC32C pagesCrc = new CRC32C();

    /** A staging buffer and the PAGES records in it, whose checksums are folded when it is sealed. */
    static final class Block {
        final ByteBuffer buf;
        private final ByteBuffer view;
        private int count;
        private int[] headerAt = new int[8];
        private int[] pageBytes = new int[8];
        private int[] crc = new int[8];
        private boolean[] known = new boolean[8];
        /** Where a record's pages are copied from at sealing (its bytes until then only reserved), or null. */
        private ByteBuffer[] source = new ByteBuffer[8];
        private int[] sourceAt = new int[8];
        private int sources;
        boolean deferCrc;
        /** Whether the page records begun in this buffer copy a stable host run's pages at sealing. */
        boolean deferCopy;

        Block(ByteBuffer buf) {
            this.buf = buf;
            this.view = buf.duplicate();
        }

        Block reset() {
            buf.clear();
            if (sources > 0) {
                Arrays.fill(source, 0, count, null);  // the host's buffers are not kept past their checkpoint
                sources = 0;
            }
            count = 0;
            deferCrc = false;
            deferCopy = false;
            return this;
        }

        /**
         * A PAGES record at {@code at} with {@code n} bytes of pages: with {@code known} its pages'
         * CRC32C is {@code crc} and its header is complete; without, {@code crc} is the CRC32C of
         * its header's first 12 bytes and its prefix, and the pages' checksum and the header's are
         * computed at sealing.
         */
        void pages(int at, int n, int crc, boolean known) {
            add(at, n, crc, known, null, 0);
        }

        /**
         * A PAGES record at {@code at} whose {@code n} bytes of pages are copied at sealing from
         * {@code from}, index {@code fromAt} on (the header and its checksum as with {@code known} false).
         */
        void pages(int at, int n, int crc, ByteBuffer from, int fromAt) {
            add(at, n, crc, false, from, fromAt);
        }

        /** How many records of this buffer copy their pages at sealing. */
        int sources() {
            return sources;
        }

        /**
         * Copies the pages of the records that copy them at sealing now, and lets go of the host's
         * buffers; their checksums are still taken at sealing. By the one thread that holds the
         * block: the sealing thread, or the filling thread for a block not yet taken by the writer.
         */
        void copySources() {
            if (sources == 0) {
                return;
            }
            for (int i = 0; i < count; i++) {
                if (source[i] != null) {
                    buf.put(headerAt[i] + PAGES_HEAD, source[i], sourceAt[i], pageBytes[i]);
                    source[i] = null;
                }
            }
            sources = 0;
        }

        private void add(int at, int n, int crc, boolean known, ByteBuffer from, int fromAt) {
            if (count == headerAt.length) {
                source = Arrays.copyOf(source, count * 2);
                sourceAt = Arrays.copyOf(sourceAt, count * 2);
                headerAt = Arrays.copyOf(headerAt, count * 2);
                pageBytes = Arrays.copyOf(pageBytes, count * 2);
                this.crc = Arrays.copyOf(this.crc, count * 2);
                this.known = Arrays.copyOf(this.known, count * 2);
            }
            headerAt[count] = at;
            pageBytes[count] = n;
            this.crc[count] = crc;
            this.known[count] = known;
            source[count] = from;
            sourceAt[count] = fromAt;
            if (from != null) {
                sources++;
            }
            count++;
        }

        /**
         * Copies the pages of the records that copy them at sealing, completes the deferred
         * page checksums (patching their headers) and folds the block's bytes, 0 to position,
         * into {@code image}.
         */
        void seal(Crc32c.Running image, CRC32C scratch) {
            copySources();
            int end = buf.position();
            int pos = 0;
            for (int i = 0; i < count; i++) {
                int first = headerAt[i] + PAGES_HEAD;
                int n = pageBytes[i];
                int value = crc[i];
                if (!known[i]) {
                    scratch.reset();
                    scratch.update(view.limit(first + n).position(first));
                    int pages = (int) scratch.getValue();
                    buf.putInt(headerAt[i] + 12, Crc32c.combine(value, pages, n));
                    value = pages;
                }
                image.update(view.limit(first).position(pos));
                image.append(value, n);
                pos = first + n;
            }
            image.update(view.limit(end).position(pos));
        }
    }

    static Staging open(WritableByteChannel channel, boolean thread, Duration stallTimeout) {
        return thread ? new Threaded(channel, stallTimeout) : new Direct(channel, stallTimeout);
    }

    /** Who sees the bytes on their way to the channel (the seal's hash). */
    interface Observer {
        /**
         * A buffer, in order, just before it is written: on the thread that writes it (the calling
         * thread, the writer thread, or either for the windows of {@link #inParallel}).
         */
        void bytes(ByteBuffer out);

        /** The buffers seen so far are written and may be reused once this returns. */
        void settle();
    }

    private volatile Observer observer;

    final WritableByteChannel channel;
    final ChannelIo io;

    Staging(WritableByteChannel channel, Duration stallTimeout) {
        this.channel = channel;
        this.io = new ChannelIo(stallTimeout, "the image channel");
    }

    /** Sets the observer; before the first rotate. */
    void observer(Observer o) {
        observer = o;
    }

    /**
     * Seals {@code b} into the image checksum and writes it to the channel, the observer seeing
     * it first and settling after; on whichever thread writes it, in image order.
     */
    final void send(Block b) throws IOException {
        if (b.sources() > 0) {
            COPIED_AT_SEALING.addAndGet(b.sources());
        }
        seal(b);
        sealed(b);
        ByteBuffer out = b.buf.flip();
        Observer o = observer;
        if (o != null) {
            o.bytes(out.duplicate());
        }
        io.writeFully(channel, out);
        if (o != null) {
            o.settle();
        }
    }

    /** The buffer to copy into; valid until {@link #rotate}. */
    ByteBuffer current() {
        return block().buf;
    }

    abstract Block block();

    /** Whether the page runs of the current buffer are checksummed at sealing (by the writer thread). */
    boolean deferCrc() {
        return block().deferCrc;
    }

    /**
     * Whether page records begun in the current buffer may copy a stable host run's pages at
     * sealing ({@link ImageWriter#stableSource}): no other buffer waited for the writer thread at
     * this one's start.
     */
    boolean deferCopy() {
        return block().deferCopy;
    }

    /** Registers a PAGES record of the current buffer (see {@link Block#pages}). */
    void pages(int at, int n, int crc, boolean known) {
        block().pages(at, n, crc, known);
    }

    /** Registers a PAGES record of the current buffer whose pages are copied at sealing (see {@link Block#pages}). */
    void pages(int at, int n, int crc, ByteBuffer from, int fromAt) {
        block().pages(at, n, crc, from, fromAt);
    }

    /** {@code b} is sealed, its pages copied from the host's memory; it is written next. */
    void sealed(Block b) {
    }

    /** Seals {@code b} into the image checksum; it is written next. */
    private void seal(Block b) {
        b.seal(imageCrc, pagesCrc);
    }

    /**
     * The image checksum of every byte sent so far: call after {@link #flush} (which makes the
     * writer thread's sealing visible).
     */
    long imageCrc() {
        return imageCrc.value();
    }

    /** Sends the current buffer's bytes (position 0 to position) and makes an empty one current. */
    abstract void rotate() throws IOException;

    /**
     * Returns once every page staged so far has been copied from the host's memory: the pages
     * that were to be copied at sealing ({@link Block#copySources}) are copied now by the calling
     * thread, or, for the buffer the writer is sealing, by the writer before this returns. After
     * it the host may change what it gave so far (a task reported done).
     */
    void copyPending() {
        block().copySources();
    }

    /** Fills one window of a run of pages into an empty staging buffer, on either thread of {@link #inParallel}. */
    interface WindowFiller {
        /**
         * Fills window {@code w} into {@code into} from its position on (reset, all of it free,
         * but for window 0 after the bytes staged before the phase), registering its PAGES records
         * ({@link Block#pages}, checksums known). {@code lane} is 0 on the calling thread and 1 on
         * the writer thread: the filler's scratch state for that thread.
         */
        void fill(int w, Block into, int lane) throws IOException;
    }

    /**
     * Whether {@link #inParallel} may be called now for a run of {@code bytes} bytes: a writer
     * thread runs (started now if the run takes the checkpoint past the bytes written before one
     * starts) and nothing has failed.
     */
    boolean parallel(long bytes) {
        return false;
    }

    /** Told, on the calling thread during {@link #inParallel}, how many windows are written so far. */
    interface WindowsWritten {
        void written(int windows) throws IOException;
    }

    /**
     * Sends what is staged, then has windows 0 to {@code n - 1} filled by the calling thread and
     * the writer thread together, each window into a buffer of its own, each buffer written to the
     * channel by the thread that filled it, in window order; returns once all are written. No
     * byte crosses to the other CPU on its way to the channel (measured: on a VM whose CPUs share
     * no cache, a buffer filled on one CPU and written on the other took the writer longer than
     * the filling), and both CPUs scan, copy and checksum. Each thread has {@link #PHASE_BUFFERS}
     * buffers: one whose window waits for its turn while it fills the next, so that neither waits
     * for the other's filling and writing, as with one each (measured on mem-1g: each thread
     * waited 5-18 ms a checkpoint of 60-80). {@code progress} is called on the calling thread
     * after each window it fills or writes (and may throw, which ends the writing as a failed fill
     * does). {@code windowMax} bounds the bytes one window stages: where the bytes staged before
     * the phase leave room for that much, they are not sent ahead but go out at the head of
     * window 0, which the calling thread then fills after them ({@link Threaded#inParallel}).
     */
    void inParallel(int n, WindowFiller filler, WindowsWritten progress, int windowMax) throws IOException {
        throw new UnsupportedOperationException("no writer thread");
    }

    /** Sends the current buffer and returns once everything sent has reached the channel. */
    abstract void flush() throws IOException;

    /** Whether the channel failed or the writing was interrupted: then nothing more may be written. */
    abstract boolean broken();

    /** Ends the writing; buffers go back to the pool (unless a writer thread could not be stopped). */
    @Override
    public abstract void close();

    /** Writes on the calling thread. */
    private static final class Direct extends Staging {
        private Block block = new Block(take());
        private ByteBuffer buf = block.buf;
        private boolean broken;

        Direct(WritableByteChannel channel, Duration stallTimeout) {
            super(channel, stallTimeout);
        }

        @Override
        Block block() {
            return block;
        }

        @Override
        void rotate() throws IOException {
            if (broken) {
                throw new IOException("the image channel failed earlier; nothing more is written");
            }
            try {
                send(block);
            } catch (IOException | RuntimeException | Error e) {
                // What went out is gone and what did not must never be re-sent after other bytes.
                broken = true;
                throw e;
            } finally {
                block.reset();
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
                block = null;
            }
        }
    }

    /**
     * Writes on a thread of its own, in submission order, through eight staging buffers: one
     * being filled, up to seven queued or being written. The filling thread waits only when all
     * are in flight. Eight, not three: the scan-copy-checksum and the channel's writes run at
     * about the same speed, and each stalls now and then (a page-cache allocation, a GC, the
     * other thread's time slice on two cores); the deeper queue absorbs the stalls, which took
     * mem-1g's checkpoint from 1.48 to 1.07 x the staged raw write (bench/run, issue 17).
     *
     * <p>The thread starts only once {@link #THREAD_AFTER} bytes have been written; until then
     * buffers are written on the calling thread, as {@link Direct} writes them. Below that the
     * thread's start, hand-overs and end cost more than the overlap gains, and hosts that
     * checkpoint small tasks before every input or step pay it thousands of times a second.
     * Measured (bench/run small, 2-vCPU VM) with the thread from the first buffer, against
     * none, per checkpoint of random pages: 64 KiB 244 against 53 us to a discarding channel,
     * 278 against 59 us to a file overwritten in place; 4 MiB 693 against 214 and 907 against
     * 421 us; 16 MiB to a file overwritten in place 1.94 against 2.21 ms, 64 MiB 8.0 against
     * 12.5 ms (there the thread pays; to a discarding channel or a new file it still cost at
     * 16 MiB, 2.1 against 1.0 ms and 10.1 against 8.9 ms, and broke even at 64 MiB to a new
     * file). 8 MiB, as a restart's read-ahead ({@code ImageReader.READ_AHEAD_MIN}): the small
     * checkpoints' cost is gone, and a large one loses the overlap for its first 8 MiB only.
     */
    private static final class Threaded extends Staging {
        private static final int BUFFERS = 8;
        /** Bytes written on the calling thread before the writer thread starts. */
        static final long THREAD_AFTER = 8L << 20;

        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final ArrayDeque<Block> queue = new ArrayDeque<>();
        private final ArrayDeque<Block> free = new ArrayDeque<>();
        /** Null until the first buffer is sent ({@link #start}). */
        private Thread thread;
        private Block buf;
        /** The writer is writing a queued buffer (written under the lock; read by the spinning side). */
        private volatile boolean busy;
        /** The writer waits for work: it has time for the next buffer's page checksums. */
        private volatile boolean idle;
        /** Blocks queued and blocks free, for the spinning side (written under the lock). */
        private volatile int queued;
        private volatile int freeCount;
        private final java.util.function.BooleanSupplier workOrEnd = () -> this.queued > 0 || this.closed
                || this.phase != null;
        private final java.util.function.BooleanSupplier freeOrFailed =
                () -> this.freeCount > 0 || this.failure != null;
        private volatile boolean closed;
        /** The block the writer thread took and has not yet sealed (its pages maybe still to copy), or null. */
        private volatile Block unsealed;
        private boolean broken;
        private volatile Throwable failure;
        /** Made with the thread: a checkpoint that never starts it takes no part in the trials. */
        private Deferral deferral;
        /** The windows being filled by both threads ({@link #inParallel}), or null. */
        private volatile Phase phase;
        /** Phases begun ({@link #inParallel}; calling thread only). */
        private int phases;
        /** The writer thread could not read the host's pages: no more windows are shared (under the lock). */
        private volatile boolean hostMemoryConfined;
        /** Bytes written on the calling thread so far (before the thread starts). */
        private long writtenHere;
        private final long threadAfter;

        Threaded(WritableByteChannel channel, Duration stallTimeout) {
            super(channel, stallTimeout);
            buf = new Block(take());
            long forced = threadAfterForTests;
            threadAfter = forced >= 0 ? forced : THREAD_AFTER;
        }

        /** The writer thread and its buffers, once {@link #threadAfter} bytes are written. */
        private void start() {
            lock.lock();
            try {
                for (int i = 1; i < BUFFERS; i++) {
                    free.add(new Block(take()));
                }
                freeCount = free.size();
            } finally {
                lock.unlock();
            }
            deferral = new Deferral();
            Thread t = new Thread(this::run, "ckpt-writer");
            t.setDaemon(true);
            LIVE_THREADS.incrementAndGet();
            STARTS.incrementAndGet();
            try {
                t.start();
            } catch (Throwable e) {
                LIVE_THREADS.decrementAndGet();
                throw e;
            }
            thread = t;
        }

        /** Writes the current buffer on the calling thread (before the writer thread starts). */
        private void writeHere() throws IOException {
            lock.lock();
            try {
                if (broken) {
                    throw new IOException("the image channel failed earlier; nothing more is written");
                }
            } finally {
                lock.unlock();
            }
            writtenHere += buf.buf.position();
            try {
                send(buf);
            } catch (IOException | RuntimeException | Error e) {
                lock.lock();
                try {
                    broken = true;
                } finally {
                    lock.unlock();
                }
                throw e;
            } finally {
                buf.reset();
            }
        }

        @Override
        Block block() {
            return buf;
        }

        @Override
        void rotate() throws IOException {
            if (thread == null) {
                if (writtenHere + buf.buf.position() <= threadAfter) {
                    writeHere();
                    return;
                }
                if (broken()) {
                    throw new IOException("the image channel failed earlier; nothing more is written");
                }
                start();
            }
            Boolean forced = deferCrcForTests;
            boolean handOver = forced == null && deferral.next(buf.buf.position(), buf.deferCrc, buf.sources() > 0);
            boolean writerIdle;
            boolean nothingQueued;
            lock.lock();
            try {
                rethrow();
                writerIdle = idle;
                nothingQueued = queue.isEmpty();
                queue.add(buf);
                queued = queue.size();
                buf = null;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (freeCount == 0) {
                IoThreads.spin(freeOrFailed);
            }
            lock.lock();
            try {
                while (failure == null && free.isEmpty()) {
                    await();
                }
                rethrow();
                buf = free.poll().reset();
                freeCount = free.size();
                buf.deferCrc = forced != null ? forced : handOver && writerIdle;
                // Copying stable pages at sealing takes the copy and the checksum off the filling thread,
                // and the writer reads the host's memory, not what the other CPU just wrote: it measured
                // faster on the VM where handing over checksums alone costs (docs/PERFORMANCE.md). Also
                // while the writer writes the buffer before, if nothing else waits (many-small, paired in
                // one JVM: 0.66 of copying as appended, against 0.71-0.74 only when the writer is idle).
                buf.deferCopy = forced != null ? forced : nothingQueued && !deferral.timesNext();
            } finally {
                lock.unlock();
            }
        }

        @Override
        void sealed(Block b) {
            if (unsealed == b) {
                unsealed = null;
            }
        }

        /**
         * The blocks still queued are the calling thread's to copy into, under the lock (the writer
         * takes them only under it); the one the writer took it copies itself when it seals it, which
         * this waits for (a copy and a checksum of at most one buffer, not its write).
         */
        @Override
        void copyPending() {
            if (thread != null) {
                lock.lock();
                try {
                    for (Block b : queue) {
                        b.copySources();
                    }
                } finally {
                    lock.unlock();
                }
                while (unsealed != null && failure == null && thread.isAlive()) {
                    Thread.onSpinWait();
                }
            }
            super.copyPending();
        }

        @Override
        boolean parallel(long bytes) {
            if (broken() || failure != null || hostMemoryConfined || parallelForTests == Boolean.FALSE) {
                return false;
            }
            if (thread == null) {
                if (writtenHere + buf.buf.position() + bytes <= threadAfter) {
                    return false;
                }
                start();
            }
            return true;
        }

        /** One run's windows, taken in order by whichever thread is free, written in order. */
        private final class Phase {
            final int n;
            final WindowFiller filler;
            final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            /** The window written next (written under the lock). */
            volatile int turn;
            /** The first failure of either thread (written under the lock). */
            volatile Throwable failed;
            /** Whether the writer thread has come to help (under the lock). */
            boolean joined;
            /** The writer thread is reading the host's pages (a failed caller waits for that to end). */
            volatile boolean writerFilling;
            /** A window the writer thread could not fill, for the calling thread to fill and write; -1: none. */
            volatile int orphan = -1;
            /** Windows written before the phase ends: n, or fewer once the progress listener threw. */
            volatile int end;
            /**
             * Window 0 is the calling thread's, staged after bytes sent before the phase but maybe
             * still queued for the writer thread: it is written only once they are.
             */
            final boolean afterQueue;
            /** What the progress listener threw (on the calling thread), or null. */
            Throwable stopCause;

            Phase(int n, WindowFiller filler, boolean afterQueue) {
                this.n = n;
                this.end = n;
                this.filler = filler;
                this.afterQueue = afterQueue;
                if (afterQueue) {
                    next.set(1);
                }
            }

            /**
             * Takes windows until none is left, each filled into one of {@code blocks} (the thread's
             * own) and written when its turn comes: a filled window whose turn it is goes out first;
             * otherwise a free buffer takes the next window; otherwise the thread waits for the turn
             * of its earliest window. Windows are taken in order, so the earliest unwritten one is
             * always being filled or held by a thread that writes it as soon as it is free.
             */
            void work(Block[] blocks, int lane, WindowsWritten progress) throws IOException {
                int[] held = new int[blocks.length];
                Arrays.fill(held, -1);
                if (lane == 0 && afterQueue) {
                    held[0] = 0;  // filled by inParallel after the bytes staged before the phase
                }
                boolean taking = true;
                while (failed == null && failure == null) {
                    int t = turn;
                    int mine = indexOf(held, t);
                    if (mine >= 0 && t == 0 && afterQueue && !drained()) {
                        // Window 0 carries bytes staged after the queued buffers: it goes out after them.
                        if (taking && indexOf(held, -1) >= 0) {
                            mine = -1;  // fill another window meanwhile
                        } else {
                            awaitDrained();
                            continue;
                        }
                    }
                    if (mine >= 0) {
                        send(blocks[mine]);
                        held[mine] = -1;
                        passTurn(t + 1);
                        report(progress, t + 1);
                        continue;
                    }
                    int free = indexOf(held, -1);
                    if (taking && free >= 0) {
                        int w = next.getAndIncrement();
                        if (w >= n) {
                            taking = false;
                            continue;
                        }
                        if (!fill(w, blocks[free], lane)) {
                            taking = false;  // the calling thread fills this window and the rest
                            continue;
                        }
                        held[free] = w;
                        report(progress, turn);
                        continue;
                    }
                    int earliest = Integer.MAX_VALUE;
                    for (int h : held) {
                        if (h >= 0) {
                            earliest = Math.min(earliest, h);
                        }
                    }
                    if (earliest == Integer.MAX_VALUE) {
                        return;
                    }
                    if (lane == 0) {
                        awaitTurn(earliest);
                    } else {
                        int target = earliest;
                        if (turn != target) {
                            IoThreads.spin(() -> turn == target || failed != null);
                        }
                        lock.lock();
                        try {
                            while (turn != target && failed == null && failure == null) {
                                changed.awaitUninterruptibly();
                            }
                        } finally {
                            lock.unlock();
                        }
                    }
                }
            }

            /**
             * Tells the listener (calling thread only). If it throws, no window is taken from then
             * on and the phase ends cleanly after the windows already taken, so that the image
             * ends at a record and the error record can follow it, as outside a phase.
             */
            private void report(WindowsWritten progress, int windows) {
                if (progress == null || stopCause != null) {
                    return;
                }
                try {
                    progress.written(windows);
                } catch (IOException | RuntimeException | Error e) {
                    // An Error too (a host's assertion): the windows taken are whole, the error record can follow.
                    stopCause = e;
                    end = Math.min(n, next.getAndSet(Integer.MAX_VALUE / 2));
                }
            }

            private static int indexOf(int[] held, int w) {
                for (int i = 0; i < held.length; i++) {
                    if (held[i] == w) {
                        return i;
                    }
                }
                return -1;
            }

            /**
             * Fills window {@code w} into {@code b}; false if the writer thread cannot read the host's
             * pages, the window then left to the calling thread.
             */
            private boolean fill(int w, Block b, int lane) throws IOException {
                if (lane == 0) {
                    ChannelIo.checkInterrupt("checkpoint");
                } else {
                    writerFilling = true;
                    if (failed != null) {  // read after the flag is set: a failed caller waits for it
                        writerFilling = false;
                        return false;
                    }
                }
                try {
                    if (lane == 1 && hostMemoryConfinedForTests) {
                        throw new IllegalStateException("the host's memory is confined to its thread (test)");
                    }
                    filler.fill(w, w == 0 && afterQueue ? b : b.reset(), lane);
                    return true;
                } catch (RuntimeException e) {
                    if (lane == 0) {
                        throw e;
                    }
                    // The host's pages may be readable on its own thread only (memory confined to
                    // it): the calling thread fills this window and the rest, and later runs are
                    // not shared.
                    lock.lock();
                    try {
                        orphan = w;
                        hostMemoryConfined = true;
                        changed.signalAll();
                    } finally {
                        lock.unlock();
                    }
                    Log.RW.debug("the writer thread cannot read the host's pages ({}); the calling thread"
                            + " writes them", e.toString());
                    return false;
                } finally {
                    if (lane == 1) {
                        writerFilling = false;
                    }
                }
            }

            /**
             * The calling thread's wait for window {@code target}'s turn (n: all written): when the
             * turn is a window the writer thread could not fill, it fills and writes that one itself.
             */
            void awaitTurn(int target) throws IOException {
                if (turn != target) {
                    IoThreads.spin(() -> turn == target || failed != null || (orphan >= 0 && orphan == turn));
                }
                while (true) {
                    int o;
                    lock.lock();
                    try {
                        while (turn != target && failed == null && failure == null && !(orphan >= 0 && orphan == turn)) {
                            await();
                        }
                        if (turn == target || failed != null || failure != null) {
                            return;
                        }
                        o = orphan;
                        orphan = -1;
                    } finally {
                        lock.unlock();
                    }
                    writeOrphan(o);
                }
            }

            /** Fills and writes window {@code o}, whose turn it is, on the calling thread, in a free buffer. */
            private void writeOrphan(int o) throws IOException {
                Block b;
                lock.lock();
                try {
                    while (free.isEmpty() && failure == null) {
                        await();
                    }
                    rethrow();
                    b = free.poll().reset();
                    freeCount = free.size();
                } finally {
                    lock.unlock();
                }
                try {
                    ChannelIo.checkInterrupt("checkpoint");
                    filler.fill(o, b, 0);
                    send(b);
                } finally {
                    lock.lock();
                    try {
                        free.add(b.reset());
                        freeCount = free.size();
                    } finally {
                        lock.unlock();
                    }
                }
                passTurn(o + 1);
            }

            /** Window {@code next} is the next to be written (the one before is out), and the other thread hears it. */
            private void passTurn(int next) {
                lock.lock();
                try {
                    turn = next;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }

            /**
             * Records a failure of either thread and wakes the other; returns whether it was the first.
             * Nothing more is written after it (a window may have gone out in part).
             */
            boolean fail(Throwable t) {
                lock.lock();
                try {
                    broken = true;
                    if (failure == null) {
                        failure = t;
                    }
                    changed.signalAll();
                    if (failed == null) {
                        failed = t;
                        return true;
                    }
                    return false;
                } finally {
                    lock.unlock();
                }
            }
        }

        @Override
        void inParallel(int n, WindowFiller filler, WindowsWritten progress, int windowMax) throws IOException {
            // The bytes staged since the last buffer went to the writer (the area's record before
            // a run: tens of bytes) go out at the head of window 0, not in a write of their own that
            // the calling thread waits for before the phase: 34 such waits cost a mem-1g checkpoint
            // 1.8-13.5 ms (the writer thread woken, or off its CPU), and window 0 is filled meanwhile.
            // Not in the first phase: there the wait is for the new thread's first turn on a CPU
            // (~0.45 ms), after which the phase is sure to be shared, as a short one might not be.
            boolean afterQueue = phases > 0 && buf.sources() == 0 && windowMax <= buf.buf.remaining();
            phases++;
            if (!afterQueue) {
                flush();
            }
            Phase p = new Phase(n, filler, afterQueue);
            Block[] mine;
            lock.lock();
            try {
                Block[] extra = takeFree(PHASE_BUFFERS - 1);
                mine = new Block[1 + extra.length];
                mine[0] = buf;
                System.arraycopy(extra, 0, mine, 1, extra.length);
                phase = p;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            try {
                if (afterQueue) {
                    p.fill(0, mine[0], 0);
                }
                p.work(mine, 0, progress);
                p.awaitTurn(p.end);
            } catch (IOException | RuntimeException | Error e) {
                p.fail(e);
                // The host's pages are valid only until this returns: the writer thread finishes reading
                // the window it is filling (it then sees the failure and stops) before they may go.
                if (p.writerFilling && !IoThreads.spin(() -> !p.writerFilling)) {
                    while (p.writerFilling) {
                        Thread.yield();
                    }
                }
                throw e;
            } finally {
                lock.lock();
                try {
                    phase = null;
                    for (int i = 1; i < mine.length; i++) {
                        free.add(mine[i].reset());
                    }
                    freeCount = free.size();
                } finally {
                    lock.unlock();
                }
                buf.reset();
                if (deferral != null) {
                    deferral.resume(System.nanoTime());
                }
            }
            Throwable f = p.failed != null ? p.failed : failure;
            if (f == null && p.turn < p.end) {
                f = new IllegalStateException(p.turn + " of " + p.end + " windows written");
            }
            if (f == null) {
                f = p.stopCause;
            }
            if (f != null) {
                IoThreads.raise(f);
            }
        }

        @Override
        void flush() throws IOException {
            if (thread == null) {
                if (buf.buf.position() > 0) {
                    writeHere();
                }
                return;
            }
            if (buf.buf.position() > 0) {
                rotate();
            }
            awaitDrained();
        }

        /** Returns once every buffer sent has been written (or throws what failed). */
        private void awaitDrained() throws IOException {
            if (busy || queued > 0) {
                IoThreads.spin(() -> (!busy && queued == 0) || failure != null);
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

        /** Gives every queued buffer back to the free ones unwritten (under the lock). */
        private void dropQueued() {
            queue.forEach(b -> free.add(b.reset()));
            queue.clear();
            queued = 0;
        }

        /** Whether every buffer sent has been written without a failure. */
        private boolean drained() {
            lock.lock();
            try {
                return failure == null && !busy && queue.isEmpty();
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
            if (failure != null) {
                IoThreads.raise(failure);
            }
        }

        @Override
        public void close() {
            if (thread == null) {
                // No thread ever ran (or it failed to start, its buffers taken).
                if (buf != null) {
                    give(buf.buf);
                    buf = null;
                }
                free.forEach(b -> give(b.buf));
                free.clear();
                return;
            }
            lock.lock();
            try {
                closed = true;
                // Reset: a writer thread left behind in a stuck write keeps this object, not the host's memory.
                dropQueued();
                if (buf != null) {
                    buf.reset();
                }
                freeCount = free.size();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            // An idle writer ends at once; one blocked in a write is interrupted, which closes
            // an interruptible channel and ends the write (the checkpoint has failed anyway).
            if (!IoThreads.stop(thread, 1_000, "the image writer thread is stuck in a write to", channel)) {
                return;
            }
            lock.lock();
            try {
                if (buf != null) {
                    give(buf.buf);
                    buf = null;
                }
                free.forEach(b -> give(b.buf));
                free.clear();
            } finally {
                lock.unlock();
            }
        }

        /** Up to {@code max} free buffers, for a thread's part of a phase (under the lock). */
        private Block[] takeFree(int max) {
            Block[] taken = new Block[Math.min(max, free.size())];
            for (int i = 0; i < taken.length; i++) {
                taken[i] = free.poll();
            }
            freeCount = free.size();
            return taken;
        }

        /** The writer thread's part of a phase, with free buffers of its own (none: it leaves the windows to the caller). */
        private void helpWith(Phase p, Block[] blocks) {
            if (blocks.length == 0) {
                return;
            }
            try {
                p.work(blocks, 1, null);
            } catch (Throwable t) {
                p.fail(t);
            } finally {
                lock.lock();
                try {
                    for (Block b : blocks) {
                        free.add(b.reset());
                    }
                    freeCount = free.size();
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }

        private void run() {
            try {
                while (true) {
                    Block job;
                    if (queued == 0) {
                        idle = true;
                        IoThreads.spin(workOrEnd);
                    }
                    Phase help = null;
                    Block[] helpBlocks = null;
                    lock.lock();
                    try {
                        // phase is set and cleared under the lock: stable here.
                        while (queue.isEmpty() && !closed && (phase == null || phase.joined)) {
                            idle = true;
                            changed.awaitUninterruptibly();
                        }
                        idle = false;
                        if (closed) {
                            return;
                        }
                        if (failure != null && !queue.isEmpty()) {
                            // Failed, on either thread (a phase that failed on the calling thread while
                            // buffers were still queued ahead of its window 0): nothing more is written.
                            dropQueued();
                            freeCount = free.size();
                            changed.signalAll();
                            continue;
                        }
                        if (queue.isEmpty()) {
                            help = phase;
                            help.joined = true;
                            helpBlocks = takeFree(PHASE_BUFFERS);
                            job = null;
                        } else {
                            job = queue.poll();
                            queued = queue.size();
                            busy = true;
                            unsealed = job.sources() > 0 ? job : null;
                        }
                    } finally {
                        lock.unlock();
                    }
                    if (help != null) {
                        helpWith(help, helpBlocks);
                        continue;
                    }
                    Throwable failed = null;
                    try {
                        send(job);
                    } catch (Throwable t) {
                        failed = t;
                    }
                    unsealed = null;  // (also when the send failed before sealing)
                    lock.lock();
                    try {
                        busy = false;
                        free.add(job.reset());
                        if (failed != null && failure == null) {
                            failure = failed;
                            broken = true;
                            dropQueued();
                        }
                        freeCount = free.size();
                        changed.signalAll();
                    } finally {
                        lock.unlock();
                    }
                }
            } catch (Throwable t) {
                // Not a write's failure (those are reported above): the caller must not wait for a dead thread.
                lock.lock();
                try {
                    if (failure == null) {
                        failure = t;
                    }
                    broken = true;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                throw t;
            } finally {
                LIVE_THREADS.decrementAndGet();
            }
        }
    }
}
