package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileKind;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.PageRanges;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.Limits;
import org.ckpt.testarch.TestCpu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pages of the library's own page data (host arrays, a restart's buffers) are copied into
 * staging when their buffer is sealed, on the writer thread when it was idle: the same image
 * as when they are copied as appended, every failure leaving an exact prefix and no thread.
 * Short runs of many small areas are what this is for (long runs go through windows), so the
 * windows are off here. And what a host may rely on besides: the same image for every kind of
 * area, record size and seal; a task reported done is no longer read; a writer thread left
 * behind in a stuck write does not keep the host's memory; the trials of handing over checksums
 * still reach a verdict; a failing host area gives the same ERROR image (these from the review
 * of the change).
 */
class StableCopyTest {
    private static final SecretKey HMAC = new SecretKeySpec(new byte[32], "HmacSHA256");
    private static final GenericFile LIB = GenericFile.open(FileKind.REGULAR, "/lib.so", 0, 0100644, 0);

    @BeforeEach
    void writerFromTheFirstBufferAndNoWindows() {
        Staging.threadAfterForTests = 0;
        Staging.parallelForTests = false;
    }

    @AfterEach
    void defaults() {
        Staging.threadAfterForTests = -1;
        Staging.parallelForTests = null;
        Staging.deferCrcForTests = null;
    }

    /** Many small areas (1 to 48 pages, clusters of zero and non-zero pages), as a many-task host has. */
    private static Task task(long seed, Function<byte[], ByteBuffer> memory, boolean ownVisitor) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Vma> vmas = new ArrayList<>();
        long start = 0x1000_0000L;
        for (int a = 0; a < 160; a++) {
            byte[] mem = clusters(rnd, 1 + rnd.nextInt(48), 8, 32);
            ByteBuffer bytes = memory.apply(mem);
            long at = start;
            PageData pd = ownVisitor ? visitor -> visitor.run(at, bytes.duplicate(), false) : PageData.of(at, bytes);
            vmas.add(Vma.anonymous(start, start + mem.length, pd));
            start += mem.length + 4096L * (1 + rnd.nextInt(4));
        }
        return Task.builder().pid(9).comm("small").mm(AddressSpace.of(vmas))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    /**
     * {@code pages} pages in clusters of 1 to {@code maxCluster}: 3 in 10 zero, the others with a
     * random byte every 1 to {@code maxStep} bytes.
     */
    private static byte[] clusters(SplittableRandom rnd, int pages, int maxCluster, int maxStep) {
        byte[] mem = new byte[pages * 4096];
        for (int p = 0; p < pages; ) {
            int cluster = Math.min(pages - p, 1 + rnd.nextInt(maxCluster));
            if (rnd.nextInt(10) >= 3) {
                for (int i = p * 4096; i < (p + cluster) * 4096; i += 1 + rnd.nextInt(maxStep)) {
                    mem[i] = (byte) rnd.nextInt();
                }
            }
            p += cluster;
        }
        return mem;
    }

    private static Task heapTask(long seed) {
        return task(seed, ByteBuffer::wrap, false);
    }

    private static Checkpointer checkpointer(boolean writerThread) {
        return cp(writerThread).build();
    }

    private static RecordingChannel image(Task t, boolean writerThread) throws IOException {
        RecordingChannel r = new RecordingChannel();
        checkpointer(writerThread).checkpoint(t, r);
        return r;
    }

    @Test
    void pagesCopiedAtSealingGiveTheImageOfPagesCopiedAsAppended() throws Exception {
        Task t = heapTask(3);
        byte[] inline = image(t, false).bytes.toByteArray();
        assertThat(inline.length).isGreaterThan(4 << 20);
        for (Boolean mode : new Boolean[] {true, null}) {
            Staging.deferCrcForTests = mode;
            long before = Staging.COPIED_AT_SEALING.get();
            RecordingChannel r = image(t, true);
            assertThat(r.bytes.toByteArray()).as("mode %s", mode).isEqualTo(inline);
            assertThat(r.threads).as("mode %s", mode).contains("ckpt-writer");
            if (mode == Boolean.TRUE) {
                // Every page record (~270 here) copies at sealing, on the writer thread.
                assertThat(Staging.COPIED_AT_SEALING.get() - before).isGreaterThan(200);
            }
        }
        Staging.deferCrcForTests = false;
        long before = Staging.COPIED_AT_SEALING.get();
        assertThat(image(t, true).bytes.toByteArray()).isEqualTo(inline);
        assertThat(Staging.COPIED_AT_SEALING.get()).isEqualTo(before);
        RestartResult r = Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(inline)));
        assertThat(r.pagesRead()).isPositive();
    }

    /** A host's own visitor may reuse its buffer once the call returns, and a direct buffer may be confined to its thread. */
    @Test
    void aHostsOwnRunsAndDirectBuffersAreCopiedAsAppended() throws Exception {
        byte[] inline = image(heapTask(4), false).bytes.toByteArray();
        Staging.deferCrcForTests = true;
        for (Task t : List.of(task(4, ByteBuffer::wrap, true), task(4, m -> ByteBuffer.allocateDirect(m.length).put(m)
                .flip(), false))) {
            long before = Staging.COPIED_AT_SEALING.get();
            assertThat(image(t, true).bytes.toByteArray()).isEqualTo(inline);
            assertThat(Staging.COPIED_AT_SEALING.get()).isEqualTo(before);
        }
    }

    /** A restart's page data is the library's own too: a restored task checkpoints again the same either way. */
    @Test
    void aRestoredTaskIsCopiedAtSealingToo() throws Exception {
        byte[] first = image(heapTask(5), false).bytes.toByteArray();
        Task restored = Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(first)))
                .tasks().get(0);
        byte[] inline = image(restored, false).bytes.toByteArray();
        Staging.deferCrcForTests = true;
        long before = Staging.COPIED_AT_SEALING.get();
        assertThat(image(restored, true).bytes.toByteArray()).isEqualTo(inline);
        assertThat(Staging.COPIED_AT_SEALING.get() - before).isGreaterThan(200);
    }

    /**
     * The library's page data with a host's answer of what changed since the parent
     * ({@code withChangedSinceParent}) is still the library's own; a host's own is not.
     */
    @Test
    void changedSinceParentKeepsPagesCopiedAtSealing() throws Exception {
        Task t = heapTask(7);
        byte[] inline = image(t, false).bytes.toByteArray();
        Staging.deferCrcForTests = true;
        long before = Staging.COPIED_AT_SEALING.get();
        assertThat(image(withChanged(t), true).bytes.toByteArray()).isEqualTo(inline);
        assertThat(Staging.COPIED_AT_SEALING.get() - before).isGreaterThan(200);
        Task own = task(7, ByteBuffer::wrap, true);
        before = Staging.COPIED_AT_SEALING.get();
        assertThat(image(withChanged(own), true).bytes.toByteArray()).isEqualTo(inline);
        assertThat(Staging.COPIED_AT_SEALING.get()).isEqualTo(before);
    }

    /** {@code t} with each area's pages told changed since the parent from its first page on. */
    private static Task withChanged(Task t) {
        List<Vma> vmas = new ArrayList<>();
        for (Vma v : t.mm().vmas()) {
            vmas.add(Vma.anonymous(v.start(), v.end(),
                    v.pages().withChangedSinceParent(PageRanges.of(v.start(), v.end()))));
        }
        return t.toBuilder().mm(AddressSpace.of(vmas)).build();
    }

    @Test
    void failuresAndInterruptsLeaveAPrefixAndNoThread() throws Exception {
        Task t = heapTask(6);
        byte[] good = image(t, false).bytes.toByteArray();
        SplittableRandom rnd = new SplittableRandom(13);
        for (int i = 0; i < 150; i++) {
            long failAt = 1 + rnd.nextLong(good.length - 1);
            int mode = i % 3;
            Staging.deferCrcForTests = (i & 4) == 0 ? Boolean.TRUE : null;
            Thread caller = Thread.currentThread();
            Runnable atFail = mode == 0 ? null : mode == 1 ? caller::interrupt : () -> {
                throw new IllegalStateException("channel bug (test)");
            };
            RecordingChannel r = new RecordingChannel(failAt, atFail);
            Throwable thrown = null;
            try {
                checkpointer(true).checkpoint(t, r);
            } catch (Throwable e) {
                thrown = e;
            }
            boolean interrupted = Thread.interrupted();
            byte[] got = r.bytes.toByteArray();
            assertThat(Arrays.equals(got, 0, got.length, good, 0, got.length)).as("prefix, case %d", i).isTrue();
            if (mode == 0) {
                assertThat(thrown).as("case %d", i).isInstanceOf(IOException.class);
            } else if (mode == 1 && thrown != null) {
                assertThat(thrown).as("case %d", i).isInstanceOf(InterruptedIOException.class);
                assertThat(interrupted).isTrue();
            } else if (mode == 2) {
                assertThat(thrown).as("case %d", i).isNotNull();
            }
            assertThat(Staging.LIVE_THREADS.get()).as("case %d", i).isZero();
        }
    }

    private static Checkpointer.Builder cp(boolean writerThread) {
        return Checkpointer.builder().architecture("test64").writerThread(writerThread).checkpointId(5)
                .created(Instant.ofEpochSecond(1_000_000)).uname(new Uname("Linux", "h", "6", "#1", "x86_64"));
    }

    private static byte[] image(Task t, Checkpointer.Builder b) throws IOException {
        RecordingChannel r = new RecordingChannel();
        b.build().checkpoint(t, r);
        return r.bytes.toByteArray();
    }

    /** Areas of many kinds: heap, heap slices, read-only heap, direct, private file-backed with clean runs, long runs. */
    private static Task mixed(long seed, List<byte[]> keep) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Vma> vmas = new ArrayList<>();
        long start = 0x1000_0000L;
        for (int a = 0; a < 120; a++) {
            int pages = rnd.nextInt(5) == 0 ? 100 + rnd.nextInt(400) : 1 + rnd.nextInt(40);
            byte[] mem = clusters(rnd, pages, 20, 64);
            keep.add(mem);
            int kind = rnd.nextInt(5);
            PageData pd;
            Vma v;
            long at = start;
            switch (kind) {
                case 0 -> pd = PageData.of(at, mem);
                case 1 -> {
                    byte[] big = new byte[mem.length + 3 * 4096 + 17];
                    System.arraycopy(mem, 0, big, 4096 + 17, mem.length);
                    keep.add(big);
                    pd = PageData.builder().run(at, ByteBuffer.wrap(big), 4096 + 17, mem.length).build();
                }
                case 2 -> pd = PageData.of(at, ByteBuffer.wrap(mem).asReadOnlyBuffer());
                case 3 -> pd = PageData.of(at, ByteBuffer.allocateDirect(mem.length).put(mem).flip());
                default -> {
                    PageData.Builder b = PageData.builder();
                    int half = pages / 2;
                    if (half > 0) {
                        b.run(at, ByteBuffer.wrap(mem, 0, half * 4096));
                    }
                    b.cleanRun(at + half * 4096L, ByteBuffer.wrap(mem, half * 4096, (pages - half) * 4096));
                    pd = b.build();
                }
            }
            if (kind == 4) {
                v = new Vma(start, start + mem.length, Vma.PROT_READ, 0, 0, LIB, pd);
            } else {
                v = Vma.anonymous(start, start + mem.length, pd);
            }
            vmas.add(v);
            start += mem.length + 4096L * (1 + rnd.nextInt(4));
        }
        return Task.builder().pid(9).comm("mixed").mm(AddressSpace.of(vmas))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    @Test
    void mixedAreasSameImageInEveryMode() throws Exception {
        List<byte[]> keep = new ArrayList<>();
        for (long seed = 1; seed <= 3; seed++) {
            Task t = mixed(seed, keep);
            for (Limits l : List.of(Limits.DEFAULTS, Limits.DEFAULTS.withMaxRecordSize(4096 + 64),
                    Limits.DEFAULTS.withMaxRecordSize(3 * 4096 + 100))) {
                for (boolean sealed : new boolean[] {false, true}) {
                    Checkpointer.Builder inlineB = cp(false).limits(l);
                    if (sealed) {
                        inlineB.seal("k", HMAC);
                    }
                    byte[] inline = image(t, inlineB);
                    for (Boolean mode : new Boolean[] {true, null, false}) {
                        Staging.deferCrcForTests = mode;
                        Checkpointer.Builder b = cp(true).limits(l);
                        if (sealed) {
                            b.seal("k", HMAC);
                        }
                        assertThat(image(t, b)).as("seed %d limits %d sealed %s mode %s", seed, l.maxRecordSize(),
                                sealed, mode).isEqualTo(inline);
                    }
                    Staging.deferCrcForTests = null;
                }
            }
            // A restored task (Slices), checkpointed again.
            byte[] first = image(t, cp(false));
            Task restored = Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(first)))
                    .tasks().get(0);
            byte[] inline = image(restored, cp(false));
            Staging.deferCrcForTests = true;
            assertThat(image(restored, cp(true))).isEqualTo(inline);
            Staging.deferCrcForTests = null;
        }
    }

    private static Task small(int pid, long seed, List<byte[]> arrays) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Vma> vmas = new ArrayList<>();
        long start = 0x1000_0000L;
        for (int a = 0; a < 40; a++) {
            int pages = 1 + rnd.nextInt(16);
            byte[] mem = new byte[pages * 4096];
            for (int i = 0; i < mem.length; i += 1 + rnd.nextInt(32)) {
                mem[i] = (byte) (1 + rnd.nextInt(200));
            }
            arrays.add(mem);
            vmas.add(Vma.anonymous(start, start + mem.length, PageData.of(start, mem)));
            start += mem.length + 4096;
        }
        return Task.builder().pid(pid).comm("t" + pid).mm(AddressSpace.of(vmas))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    /**
     * ProgressListener's tasksDone counts "tasks completely written": a host may resume (write to)
     * a task once it is reported done, so none of its pages may still wait to be copied at sealing.
     */
    @Test
    void aTaskReportedDoneIsNotReadAfterwards() throws Exception {
        check(true);
    }

    /** The same the engine's own way (no forced mode): the writer is usually idle at a buffer's start. */
    @Test
    void aTaskReportedDoneIsNotReadAfterwardsTheEnginesWay() throws Exception {
        check(null);
    }

    private void check(Boolean only) throws Exception {
        for (Boolean mode : new Boolean[] {only}) {
            byte[][] images = new byte[2][];
            for (int w = 0; w < 2; w++) {
                boolean writer = w == 1;
                Staging.deferCrcForTests = writer ? mode : null;
                List<byte[]> a0 = new ArrayList<>();
                List<byte[]> a1 = new ArrayList<>();
                List<Task> tasks = List.of(small(1, 1, a0), small(2, 2, a1));
                AtomicInteger resumed = new AtomicInteger();
                Checkpointer c = cp(writer).progressListener((done, total, bytes, pages) -> {
                    if (done == 1 && resumed.getAndIncrement() == 0) {
                        for (byte[] m : a0) {
                            Arrays.fill(m, (byte) 0x55);  // task 0 resumes and runs
                        }
                    }
                }).build();
                RecordingChannel r = new RecordingChannel();
                c.checkpoint(tasks, r);
                images[w] = r.bytes.toByteArray();
            }
            int diff = Arrays.mismatch(images[0], images[1]);
            Task back = Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(images[1])))
                    .tasks().get(0);
            ByteBuffer page = ByteBuffer.allocate(4096);
            back.mm().vmas().get(0).pages().read(back.mm().vmas().get(0).start(), page);
            assertThat(diff).as("mode %s: first difference at %d; task 0's first page restarts as 0x%02x...", mode,
                    diff, page.get(0)).isEqualTo(-1);
        }
    }

    /** Takes every byte and keeps none (PhaseReviewTest slows it down). */
    static class Discard implements WritableByteChannel {
        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
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

    /** A channel whose second write blocks, ignoring interrupts, until released. */
    private static final class StuckChannel extends Discard {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch stuck = new CountDownLatch(1);
        int writes;

        @Override
        public int write(ByteBuffer src) {
            if (++writes == 2) {
                stuck.countDown();
                boolean done = false;
                while (!done) {
                    try {
                        release.await();
                        done = true;
                    } catch (InterruptedException e) {
                        // ignored: a blocking write that no interrupt ends
                    }
                }
            }
            return super.write(src);
        }
    }

    /**
     * A writer thread left behind in a stuck write keeps the staging blocks; they must not keep
     * the host's page arrays reachable after the checkpoint returned.
     */
    @Test
    void aWriterLeftBehindKeepsTheHostsMemory() throws Exception {
        Staging.deferCrcForTests = true;
        List<WeakReference<byte[]>> refs = new ArrayList<>();
        StuckChannel ch = new StuckChannel();
        Thread caller = Thread.currentThread();
        Thread interrupter = new Thread(() -> {
            try {
                ch.stuck.await();
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
            caller.interrupt();
        });
        interrupter.start();
        Throwable thrown = null;
        try {
            List<byte[]> arrays = new ArrayList<>();
            Task t = small(1, 7, arrays);
            List<Task> many = new ArrayList<>();
            many.add(t);
            for (int i = 2; i < 12; i++) {
                many.add(small(i, 7 + i, arrays));
            }
            for (byte[] m : arrays) {
                refs.add(new WeakReference<>(m));
            }
            cp(true).stallTimeout(Duration.ofSeconds(60)).build().checkpoint(many, ch);
        } catch (Throwable e) {
            thrown = e;
        }
        Thread.interrupted();
        interrupter.join();
        assertThat(thrown).isNotNull();
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
        }
        long alive = refs.stream().filter(r -> r.get() != null).count();
        ch.release.countDown();
        assertThat(alive).as("host arrays still reachable after the checkpoint returned (of %d)", refs.size())
                .isZero();
    }

    /** 800 areas of 16 random pages; every second one heap (StableRuns) when {@code mixed}, else all direct. */
    private static Task many(boolean mixed) {
        SplittableRandom rnd = new SplittableRandom(42);
        List<Vma> vmas = new ArrayList<>();
        long start = 0x1000_0000L;
        for (int a = 0; a < 800; a++) {
            byte[] mem = new byte[16 * 4096];
            rnd.nextBytes(mem);
            PageData pd = mixed && a % 2 == 0 ? PageData.of(start, mem)
                    : PageData.of(start, ByteBuffer.allocateDirect(mem.length).put(mem).flip());
            vmas.add(Vma.anonymous(start, start + mem.length, pd));
            start += mem.length + 4096;
        }
        return Task.builder().pid(3).comm("many").mm(AddressSpace.of(vmas)).build();
    }

    private static int checkpointsToVerdict(boolean mixed) throws IOException {
        Staging.Deferral.forget();
        Task t = many(mixed);
        Checkpointer c = cp(true).build();
        for (int i = 1; i <= 12; i++) {
            c.checkpoint(t, new Discard());
            if (Staging.Deferral.verdict() != null) {
                return i;
            }
        }
        return -1;
    }

    /** A buffer with pages copied at sealing says nothing about checksums; trials must still end in a verdict. */
    @Test
    void deferralTrialsReachAVerdict() throws Exception {
        Staging.threadAfterForTests = -1;
        int direct = checkpointsToVerdict(false);
        int mixed = checkpointsToVerdict(true);
        Staging.Deferral.forget();
        assertThat(new int[] {direct, mixed}).as("checkpoints to a verdict: all direct %d, half heap %d", direct, mixed)
                .doesNotContain(-1);
    }

    /** A host area that fails after stable areas: the ERROR record image is the same either way. */
    @Test
    void aFailingHostAreaAfterStableAreasGivesTheSameErrorImage() throws Exception {
        for (int failAfter : new int[] {1, 17, 39}) {
            byte[][] images = new byte[2][];
            for (int w = 0; w < 2; w++) {
                Staging.deferCrcForTests = w == 1 ? Boolean.TRUE : null;
                List<byte[]> arrays = new ArrayList<>();
                Task t = small(1, 5, arrays);
                List<Vma> vmas = new ArrayList<>(t.mm().vmas());
                Vma last = vmas.get(vmas.size() - 1);
                long at = last.end() + 4096;
                byte[] m = new byte[8 * 4096];
                Arrays.fill(m, (byte) 3);
                int[] n = {0};
                vmas.add(Vma.anonymous(at, at + m.length, visitor -> {
                    for (int p = 0; p < 8; p++) {
                        if (n[0]++ == failAfter % 8) {
                            throw new IllegalStateException("host failure (test)");
                        }
                        visitor.run(at + p * 4096L, ByteBuffer.wrap(m, p * 4096, 4096), false);
                    }
                }));
                Task t2 = t.toBuilder().mm(AddressSpace.of(vmas)).build();
                RecordingChannel r = new RecordingChannel();
                try {
                    cp(w == 1).build().checkpoint(List.of(t2, small(2, 6, arrays)), r);
                } catch (Exception e) {
                    // expected
                }
                images[w] = r.bytes.toByteArray();
            }
            assertThat(Arrays.mismatch(images[0], images[1])).as("failAfter %d", failAfter).isEqualTo(-1);
        }
    }
}
