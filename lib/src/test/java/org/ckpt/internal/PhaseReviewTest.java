package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.ckpt.model.Task;
import org.ckpt.spi.Limits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Staging.Threaded's phases of windows under random timing (from the review of the change that
 * gave each thread two buffers and let a progress listener stop a phase): windows reach the
 * channel whole and in order, a failure or an interrupt at any point leaves a prefix, a stopping
 * listener (an exception or an Error) leaves whole windows and the error record, orphan windows
 * of a writer thread that cannot read the host's memory are written by the caller, the host's
 * buffer is not read after the phase returns, no thread is left; and a restart whose page reader
 * thread finds damaged records reports what a sequential read reports.
 */
class PhaseReviewTest {
    @AfterEach
    void defaults() {
        Staging.threadAfterForTests = -1;
        Staging.parallelForTests = null;
        Staging.hostMemoryConfinedForTests = false;
        Thread.interrupted();
    }

    // ---- a channel that records writes and fails / interrupts at a chosen write ----------------------

    static final class Chan implements WritableByteChannel {
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        final int failAtWrite;
        final int mode;  // 0 IOException, 1 interrupt the caller, 2 RuntimeException, 3 partial writes only
        final Thread caller;
        final SplittableRandom rnd;
        int writes;

        Chan(int failAtWrite, int mode, Thread caller, long seed) {
            this.failAtWrite = failAtWrite;
            this.mode = mode;
            this.caller = caller;
            this.rnd = new SplittableRandom(seed);
        }

        @Override
        public synchronized int write(ByteBuffer src) throws IOException {
            if (writes++ == failAtWrite) {
                switch (mode) {
                    case 0 -> throw new IOException("disk full (probe)");
                    case 1 -> caller.interrupt();
                    case 2 -> throw new IllegalStateException("channel bug (probe)");
                    default -> { }
                }
            }
            int n = src.remaining();
            if (n > 1 && rnd.nextInt(4) == 0) {
                n = 1 + rnd.nextInt(n);  // a short write
            }
            byte[] b = new byte[n];
            src.get(b);
            bytes.write(b, 0, n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    static final int CUT = Integer.MIN_VALUE;
    static final int CORRUPT = Integer.MIN_VALUE + 1;

    /** A window's bytes: tag, length, then length bytes derived from the tag. */
    static int lengthOf(int tag) {
        return 1 + Math.floorMod(tag * 7919, 5000);
    }

    static void put(ByteBuffer b, int tag) {
        int len = lengthOf(tag);
        b.putInt(tag).putInt(len);
        for (int i = 0; i < len; i++) {
            b.put((byte) (tag * 31 + i));
        }
    }

    /** The tags of the complete records in {@code got}; -1 CUT appended if the bytes end inside one; CORRUPT if corrupt. */
    static List<Integer> parse(byte[] got) {
        List<Integer> tags = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (b.remaining() < 8) {
                tags.add(CUT);
                return tags;
            }
            int tag = b.getInt();
            int len = b.getInt();
            if (len != lengthOf(tag)) {
                tags.add(CORRUPT);
                return tags;
            }
            for (int i = 0; i < len; i++) {
                if (!b.hasRemaining()) {
                    tags.add(CUT);
                    return tags;
                }
                if (b.get() != (byte) (tag * 31 + i)) {
                    tags.add(CORRUPT);
                    return tags;
                }
            }
            tags.add(tag);
        }
        return tags;
    }

    static void jitter(SplittableRandom rnd) {
        int k = rnd.nextInt(10);
        if (k == 0) {
            LockSupport.parkNanos(rnd.nextInt(300_000));
        } else if (k == 1) {
            Thread.yield();
        } else if (k == 2) {
            long until = System.nanoTime() + rnd.nextInt(100_000);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * Staging.inParallel driven directly, several phases and rotated buffers per Staging, with
     * random timing on both threads, the writer thread's host reads failing at random (confined
     * memory), a listener that throws at a random report, a host exception on the calling thread
     * at a random window, and a channel that fails / interrupts / throws at a random write. The
     * channel must get exactly the expected records in order (a cut last one only after a channel
     * failure or interrupt), the filler must never run after inParallel returned, no thread left.
     */
    @Test
    void randomStopsFailuresAndConfinedReadsKeepOrderAndPrefix() throws Exception {
        SplittableRandom seeds = new SplittableRandom(2026);
        int iterations = 4000;
        for (int it = 0; it < iterations; it++) {
            long seed = seeds.nextLong();
            String err = oneRun(seed);
            assertThat(err).as("iteration %d seed %d", it, seed).isNull();
            assertThat(Staging.LIVE_THREADS.get()).as("threads, iteration %d seed %d", it, seed).isZero();
        }
        // Every path taken often (about 16,000 windows on the writer thread, 680 orphans, 1,000 stops).
        assertThat(LANE1.get()).as("windows filled on the writer thread").isGreaterThan(500);
        assertThat(ORPHANS.get()).as("orphan windows").isGreaterThan(100);
        assertThat(STOPS.get()).as("listener stops").isGreaterThan(200);
    }

    /**
     * The bytes staged before a phase go out at the head of its window 0, after whatever was
     * still queued for the writer thread, not in a write of their own; in the first phase (the
     * writer thread new), or where they would not leave room for a window, they are written
     * first, as before.
     */
    @Test
    void bytesStagedBeforeAPhaseGoOutWithItsFirstWindow() throws Exception {
        Staging.threadAfterForTests = 0;
        int windowMax = 8 + 5000;  // the most put() stages
        for (boolean room : new boolean[] {true, false}) {
            RecordingChannel ch = new RecordingChannel();
            List<Integer> expected = new ArrayList<>();
            try (Staging s = Staging.open(ch, true, Duration.ofSeconds(30))) {
                for (int ph = 0; ph < 3; ph++) {
                    for (int r = 0; r < ph; r++) {  // buffers still queued when the phase begins
                        put(s.current(), -(100 * ph + r + 1));
                        expected.add(-(100 * ph + r + 1));
                        s.rotate();
                    }
                    put(s.current(), -(100 * ph));
                    expected.add(-(100 * ph));
                    assertThat(s.parallel(1L << 30)).isTrue();
                    int base = 1000 * (ph + 1);
                    s.inParallel(4, (w, into, lane) -> put(into.buf, base + w), null,
                            room ? windowMax : Staging.SIZE);
                    for (int w = 0; w < 4; w++) {
                        expected.add(base + w);
                    }
                }
                s.flush();
            }
            assertThat(parse(ch.bytes.toByteArray())).as("room %s", room).isEqualTo(expected);
            // 3 phases of 4 windows, 0 + 1 + 2 buffers rotated before them and the first phase's
            // staged bytes; without room, the other two phases' too.
            assertThat(ch.sizes).as("writes, room %s", room).hasSize(room ? 16 : 18);
        }
        assertThat(Staging.LIVE_THREADS.get()).isZero();
    }

    /**
     * A phase that fails on the calling thread while buffers are still queued ahead of its
     * window 0 (a slow channel): none of them is written once the phase has thrown.
     */
    @Test
    void nothingQueuedIsWrittenAfterAPhaseFailed() throws Exception {
        Staging.threadAfterForTests = 0;
        AtomicInteger writes = new AtomicInteger();
        WritableByteChannel slow = new StableCopyTest.Discard() {
            @Override
            public int write(ByteBuffer src) {
                writes.incrementAndGet();
                LockSupport.parkNanos(20_000_000);
                return super.write(src);
            }
        };
        int windowMax = 8 + 5000;
        try (Staging s = Staging.open(slow, true, Duration.ofSeconds(30))) {
            put(s.current(), -1);
            assertThat(s.parallel(1L << 30)).isTrue();
            s.inParallel(2, (w, into, lane) -> put(into.buf, w), null, windowMax);  // the first phase
            for (int r = 0; r < 4; r++) {
                put(s.current(), -(r + 2));
                s.rotate();
            }
            put(s.current(), -9);
            assertThat(s.parallel(1L << 30)).isTrue();
            Throwable thrown = null;
            try {
                s.inParallel(4, (w, into, lane) -> {
                    if (lane == 0) {
                        throw new IllegalArgumentException("host exception (test)");
                    }
                    put(into.buf, w);
                }, null, windowMax);
            } catch (IllegalArgumentException e) {
                thrown = e;
            }
            assertThat(thrown).hasMessage("host exception (test)");
            int atThrow = writes.get();
            LockSupport.parkNanos(150_000_000);  // long enough for the queued buffers' writes
            assertThat(writes.get()).as("writes begun after the phase threw").isEqualTo(atThrow);
            assertThat(atThrow).as("the queue was not written before").isLessThan(3 + 4);
        }
        assertThat(Staging.LIVE_THREADS.get()).isZero();
    }

    static final AtomicInteger LANE1 = new AtomicInteger();
    static final AtomicInteger ORPHANS = new AtomicInteger();
    static final AtomicInteger STOPS = new AtomicInteger();

    private String oneRun(long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        Staging.threadAfterForTests = 0;
        Staging.parallelForTests = null;
        boolean confined = rnd.nextInt(3) == 0;
        Staging.hostMemoryConfinedForTests = confined;
        int channelMode = rnd.nextInt(5);  // 4: no channel failure
        int failAtWrite = channelMode == 4 ? -1 : rnd.nextInt(60);
        boolean listenerStops = rnd.nextInt(3) == 0;
        boolean hostThrows = rnd.nextInt(6) == 0;
        boolean listenerInterrupts = !listenerStops && rnd.nextInt(8) == 0;
        Thread caller = Thread.currentThread();
        Chan ch = new Chan(failAtWrite, channelMode, caller, seed);
        Staging s = Staging.open(ch, true, Duration.ofSeconds(30));
        List<Integer> expected = new ArrayList<>();
        AtomicBoolean returned = new AtomicBoolean();
        AtomicInteger late = new AtomicInteger();
        Throwable thrown = null;
        String stopMessage = "host cancels (probe)";
        int stopAtReport = -1;
        int phaseOfStop = -1;
        int[] lastReport = {-1};
        boolean[] reportsMonotonic = {true};
        long t0 = System.nanoTime();
        int phases = 1 + rnd.nextInt(3);
        int currentPhase = -1;
        int[] nOf = new int[phases];
        try {
            for (int ph = 0; ph < phases; ph++) {
                // some bytes through the queue first
                int rotations = rnd.nextInt(3);
                for (int r = 0; r < rotations; r++) {
                    int tag = -(1000 * ph + r + 1);
                    put(s.current(), tag);
                    expected.add(tag);
                    s.rotate();
                }
                int tag0 = -(1000 * ph + 999);
                put(s.current(), tag0);
                expected.add(tag0);
                if (!s.parallel(1L << 30)) {
                    s.flush();
                    continue;
                }
                currentPhase = ph;
                int n = 1 + rnd.nextInt(24);
                nOf[ph] = n;
                int base = 10_000 * (ph + 1);
                SplittableRandom r0 = new SplittableRandom(rnd.nextLong());
                SplittableRandom r1 = new SplittableRandom(rnd.nextLong());
                int writerFailFrom = rnd.nextInt(3) == 0 ? rnd.nextInt(n + 1) : Integer.MAX_VALUE;
                int hostFailAt = hostThrows ? rnd.nextInt(n) : -1;
                int stopAt = listenerStops ? rnd.nextInt(n + 1) : -1;
                int interruptAt = listenerInterrupts ? rnd.nextInt(n + 1) : -1;
                if (listenerStops) {
                    stopAtReport = stopAt;
                    phaseOfStop = ph;
                }
                lastReport[0] = -1;
                returned.set(false);
                Staging.WindowFiller filler = (w, into, lane) -> {
                    if (returned.get()) {
                        late.incrementAndGet();
                    }
                    jitter(lane == 0 ? r0 : r1);
                    if (lane == 1) {
                        LANE1.incrementAndGet();
                        if (w >= writerFailFrom) {
                            into.buf.putInt(12345);  // a partial fill, then the read fails (confined memory)
                            ORPHANS.incrementAndGet();
                            throw new IllegalStateException("confined (probe)");
                        }
                    }
                    if (lane == 0 && w == hostFailAt) {
                        throw new IllegalArgumentException("host exception (probe)");
                    }
                    put(into.buf, base + w);
                    jitter(lane == 0 ? r0 : r1);
                    if (returned.get()) {
                        late.incrementAndGet();
                    }
                };
                Staging.WindowsWritten progress = windows -> {
                    if (Thread.currentThread() != caller) {
                        throw new AssertionError("report on " + Thread.currentThread().getName());
                    }
                    if (windows < lastReport[0]) {
                        reportsMonotonic[0] = false;
                    }
                    lastReport[0] = windows;
                    jitter(r0);
                    if (windows >= stopAt && stopAt >= 0) {
                        STOPS.incrementAndGet();
                        throw new IllegalStateException(stopMessage);
                    }
                    if (windows >= interruptAt && interruptAt >= 0) {
                        caller.interrupt();
                    }
                };
                try {
                    // Small: the bytes staged before the phase go out at the head of window 0; large: before it.
                    s.inParallel(n, filler, progress, rnd.nextBoolean() ? 64 : Integer.MAX_VALUE);
                } finally {
                    returned.set(true);
                }
                for (int w = 0; w < n; w++) {
                    expected.add(base + w);
                }
            }
            int tagEnd = -999_999;
            put(s.current(), tagEnd);
            expected.add(tagEnd);
            s.flush();
        } catch (Throwable e) {
            thrown = e;
        } finally {
            returned.set(true);
            s.close();
        }
        boolean interrupted = Thread.interrupted();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // give a late filler a chance to show itself
        LockSupport.parkNanos(2_000_000);
        if (late.get() > 0) {
            return "the filler ran after inParallel returned (" + late.get() + ")";
        }
        if (!reportsMonotonic[0]) {
            return "reports went backwards";
        }
        if (ms > 5000) {
            return "took " + ms + " ms";
        }
        List<Integer> got = parse(ch.bytes.toByteArray());
        if (got.contains(CORRUPT)) {
            return "corrupt or out-of-order bytes: " + got;
        }
        boolean cut = !got.isEmpty() && got.get(got.size() - 1) == CUT;
        List<Integer> whole = cut ? got.subList(0, got.size() - 1) : got;
        // whole records must be a prefix of expected, but a phase that failed/stopped may end early:
        // compare element by element, allowing the failed phase's windows to stop anywhere.
        int i = 0;
        for (; i < whole.size(); i++) {
            if (i < expected.size() && whole.get(i).intValue() == expected.get(i).intValue()) {
                continue;
            }
            // beyond what the loop added: windows of the phase in progress, consecutive from 0
            int ph = currentPhase;
            int base = 10_000 * (ph + 1);
            int k = 0;
            for (int j = i; j < whole.size(); j++, k++) {
                if (whole.get(j) != base + k) {
                    return "unexpected record " + whole.get(j) + " at " + j + ": " + whole + " expected " + expected;
                }
            }
            if (k > nOf[ph]) {
                return "too many windows";
            }
            if (thrown == null) {
                return "windows beyond the expected ones without a failure";
            }
            break;
        }
        if (thrown == null) {
            if (cut || whole.size() != expected.size()) {
                return "no failure, but " + whole.size() + " of " + expected.size() + " records" + (cut ? " (cut)" : "");
            }
            return null;
        }
        boolean mayCut = channelMode <= 2 || listenerInterrupts || interrupted
                || thrown instanceof InterruptedIOException;
        if (cut && !mayCut) {
            return "cut record after " + thrown;
        }
        if (stopMessage.equals(thrown.getMessage()) && thrown instanceof IllegalStateException) {
            // a clean stop: whole windows only, at least the windows reported before the stop
            if (cut) {
                return "a stop cut a window";
            }
            if (s.broken()) {
                return "a stop left the staging broken";
            }
            int base = 10_000 * (phaseOfStop + 1);
            int windows = 0;
            for (int t : whole) {
                if (t >= base && t < base + 10_000) {
                    windows++;
                }
            }
            if (windows < stopAtReport) {
                return "stopped at report " + stopAtReport + " but only " + windows + " windows written";
            }
        }
        return null;
    }

    /**
     * The same at the session level: a long run, a listener that throws at a random byte, the
     * writer thread's host reads failing (confined memory) or not, the channel failing at a random
     * byte or not. The image is a prefix of the single thread's, then (when only the listener
     * threw) the error record; no thread left; bounded time.
     */
    @Test
    void sessionListenerStopsWithConfinedMemoryAndChannelFailures() throws Exception {
        Task t = ParallelWindowsTest.task(4096, new long[][] {{0x4000_0000L, 14L << 20}}, false, 77);
        byte[] good = ParallelWindowsTest.run(t, 4096, Limits.DEFAULTS, false).bytes.toByteArray();
        SplittableRandom rnd = new SplittableRandom(99);
        for (int i = 0; i < 120; i++) {
            Staging.threadAfterForTests = 0;
            Staging.parallelForTests = null;
            boolean confined = rnd.nextBoolean();
            Staging.hostMemoryConfinedForTests = confined;
            long stopAt = rnd.nextLong(good.length);
            long failAt = rnd.nextInt(3) == 0 ? rnd.nextLong(good.length) : -1;
            RecordingChannel r = new RecordingChannel(failAt);
            Throwable thrown = null;
            long t0 = System.nanoTime();
            try {
                ParallelWindowsTest.cp(4096, Limits.DEFAULTS).progressListener((done, total, bytes, pages) -> {
                    if (bytes >= stopAt) {
                        throw new IllegalStateException("host cancels (probe)");
                    }
                }).build().checkpoint(t, r);
            } catch (Throwable e) {
                thrown = e;
            }
            Thread.interrupted();
            assertThat((System.nanoTime() - t0) / 1_000_000).as("ms, case %d", i).isLessThan(5000);
            assertThat(thrown).as("case %d", i).isNotNull();
            byte[] got = r.bytes.toByteArray();
            int same = Arrays.mismatch(got, good);
            if (thrown.getMessage().equals("host cancels (probe)")) {
                assertThat(same).as("case %d", i).isGreaterThanOrEqualTo(0);
                byte[] image = got;
                Throwable restart = org.assertj.core.api.Assertions.catchThrowable(() -> org.ckpt.Restarter.builder()
                        .build().restart(java.nio.channels.Channels.newChannel(new java.io.ByteArrayInputStream(image))));
                assertThat(restart).as("case %d confined %s stopAt %d", i, confined, stopAt)
                        .isInstanceOf(org.ckpt.spi.AbortedImageException.class)
                        .hasMessageContaining("host cancels (probe)");
            } else {
                assertThat(thrown).as("case %d", i).isInstanceOf(IOException.class);
                assertThat(same == -1 ? got.length : same).as("prefix, case %d", i).isEqualTo(got.length);
            }
            assertThat(Staging.LIVE_THREADS.get()).as("case %d", i).isZero();
        }
    }

    /**
     * A listener that throws an Error (an AssertionError of the host's, a StackOverflowError)
     * outside a run and inside one: outside, the image ends with the error record (abort()); inside
     * a run, does it too?
     */
    @Test
    void aListenerErrorInsideARunEndsWithTheErrorRecordAsOutside() throws Exception {
        Task t = ParallelWindowsTest.task(4096, new long[][] {{0x4000_0000L, 40L << 20}}, false, 32);
        byte[] good = ParallelWindowsTest.run(t, 4096, Limits.DEFAULTS, false).bytes.toByteArray();
        for (boolean parallel : new boolean[] {false, true}) {
            Staging.threadAfterForTests = 0;
            Staging.parallelForTests = parallel ? null : Boolean.FALSE;
            RecordingChannel r = new RecordingChannel();
            long stopAt = good.length / 2;
            Throwable thrown = null;
            try {
                ParallelWindowsTest.cp(4096, Limits.DEFAULTS).progressListener((done, total, bytes, pages) -> {
                    if (bytes >= stopAt) {
                        throw new AssertionError("host assertion (probe)");
                    }
                }).build().checkpoint(t, r);
            } catch (Throwable e) {
                thrown = e;
            }
            assertThat(thrown).isInstanceOf(AssertionError.class);
            byte[] got = r.bytes.toByteArray();
            Throwable restart = org.assertj.core.api.Assertions.catchThrowable(() -> org.ckpt.Restarter.builder()
                    .build().restart(java.nio.channels.Channels.newChannel(new java.io.ByteArrayInputStream(got))));
            assertThat(restart).as("parallel %s", parallel).isInstanceOf(org.ckpt.spi.AbortedImageException.class)
                    .hasMessageContaining("host assertion (probe)");
            assertThat(Staging.LIVE_THREADS.get()).isZero();
        }
    }

    // ---- restart side: PageReadFailed (b4b4524) ------------------------------------------------------

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

    private static final long BASE = 0x4000_0000L;

    private static Task bigTask(long seed) {
        byte[] mem = PageReadsTest.memory(24, seed);
        org.ckpt.model.Vma v = org.ckpt.model.Vma.anonymous(BASE, BASE + mem.length,
                org.ckpt.model.PageData.of(BASE, ByteBuffer.wrap(mem)));
        return Task.builder().pid(7).comm("big").mm(org.ckpt.model.AddressSpace.of(List.of(v)))
                .cpu(new org.ckpt.testarch.TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    private static List<long[]> records(byte[] image) {
        return PageReadsReviewTest.records(image);
    }

    static boolean mentionsPageReadFailed(Throwable t, int depth) {
        if (t == null || depth > 8) {
            return false;
        }
        if (t.getClass().getName().contains("PageReadFailed")
                || String.valueOf(t.getMessage()).contains("page reader thread failed")) {
            return true;
        }
        for (Throwable s : t.getSuppressed()) {
            if (mentionsPageReadFailed(s, depth + 1)) {
                return true;
            }
        }
        return mentionsPageReadFailed(t.getCause(), depth + 1);
    }

    /**
     * Damage in one or two random large PAGES records (page bytes or header CRC), a host that
     * pauses at random allocates (so that the thread's verdict arrives at any record), the
     * destination confined at random, and sometimes an allocate that throws at a random record:
     * the restart from a file reports what the stream reports (class, record type, offset,
     * message), PageReadFailed never shows, no thread is left.
     */
    @Test
    void damagedRecordsWithRandomHostTimingReportAsTheStream() throws Exception {
        Task t = bigTask(5);
        java.nio.file.Path p = dir.resolve("img");
        org.ckpt.Checkpointer.builder().architecture("test64").checkpointId(11)
                .created(java.time.Instant.ofEpochSecond(1_000_000))
                .uname(new org.ckpt.Uname("Linux", "h", "6", "#1", "x86_64")).build().checkpoint(t, p);
        byte[] good = java.nio.file.Files.readAllBytes(p);
        List<long[]> large = new ArrayList<>();
        for (long[] r : records(good)) {
            if (r[1] == org.ckpt.spi.RecordTypes.PAGES && r[2] - 16 >= 128 << 10) {
                large.add(r);
            }
        }
        assertThat(large.size()).isGreaterThan(4);
        SplittableRandom rnd = new SplittableRandom(31);
        long readBefore = PageReads.RECORDS_READ.get();
        for (int i = 0; i < 40; i++) {
            byte[] bytes = good.clone();
            int damages = 1 + rnd.nextInt(2);
            for (int d = 0; d < damages; d++) {
                long[] r = large.get(rnd.nextInt(large.size()));
                int at = rnd.nextInt(4) == 0 ? (int) r[0] + 12 : (int) (r[0] + 32 + rnd.nextLong(r[2] - 16));
                bytes[at] ^= (byte) (1 << rnd.nextInt(8));
            }
            int throwAt = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(60) : -1;
            boolean confined = rnd.nextInt(4) == 0;
            long pauseSeed = rnd.nextLong();
            RecordingHost seqHost = new RecordingHost();
            seqHost.during = n -> {
                if (n == throwAt) {
                    throw new IllegalStateException("host fails at allocate " + n + " (probe)");
                }
            };
            Throwable sequential = org.assertj.core.api.Assertions.catchThrowable(() -> org.ckpt.Restarter.builder()
                    .build().restart(java.nio.channels.Channels.newChannel(new java.io.ByteArrayInputStream(bytes)),
                            seqHost));
            java.nio.file.Path f = dir.resolve("damaged");
            java.nio.file.Files.write(f, bytes);
            RecordingHost host = new RecordingHost();
            SplittableRandom pauses = new SplittableRandom(pauseSeed);
            host.during = n -> {
                if (pauses.nextInt(4) == 0) {
                    LockSupport.parkNanos(pauses.nextInt(3_000_000));
                }
                if (n == throwAt) {
                    throw new IllegalStateException("host fails at allocate " + n + " (probe)");
                }
            };
            PageReads.destinationConfinedForTests = confined;
            Throwable parallel;
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
                parallel = org.assertj.core.api.Assertions.catchThrowable(() -> org.ckpt.Restarter.builder().build()
                        .restart(ch, host));
            } finally {
                PageReads.destinationConfinedForTests = false;
            }
            Thread.interrupted();
            assertThat(sequential).as("case %d", i).isNotNull();
            assertThat(parallel).as("case %d", i).isNotNull();
            assertThat(mentionsPageReadFailed(parallel, 0)).as("case %d: %s", i, parallel).isFalse();
            assertThat(parallel.getClass()).as("case %d: %s vs %s", i, parallel, sequential)
                    .isEqualTo(sequential.getClass());
            assertThat(parallel.getMessage()).as("case %d", i).isEqualTo(sequential.getMessage());
            if (sequential instanceof org.ckpt.spi.ImageException se) {
                org.ckpt.spi.ImageException pe = (org.ckpt.spi.ImageException) parallel;
                assertThat(pe.recordType()).as("case %d", i).isEqualTo(se.recordType());
                assertThat(pe.offset()).as("case %d", i).isEqualTo(se.offset());
            }
            assertThat(host.committed).isNull();
            assertThat(PageReadsTest.liveThreads()).as("case %d", i).isZero();
        }
        assertThat(PageReads.RECORDS_READ.get() - readBefore).as("records read on the page reader thread").isPositive();
    }
}
