package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.ckpt.Checkpointer;
import org.ckpt.PageDestination;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.AbortedImageException;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Check-then-commit around the bytes: a restart never commits bytes it did not verify, and no
 * image, channel or host mistake crashes, hangs or exhausts the host. One nested class per
 * finding of the adversarial report (issue 14), each failing on the engine before it.
 */
class CheckThenCommitTest {
    private static final int PAGE = 4096;
    private static final Checkpointer CKPT = Checkpointer.builder().architecture(TestArch.NAME).build();
    private static final Restarter RSTR = Restarter.builder().build();

    /** A task with {@code mib} MiB of patterned pages: page p holds its number in its first bytes. */
    static Task bigTask(int mib) {
        byte[] mem = new byte[mib << 20];
        for (int p = 0; p < mem.length / PAGE; p++) {
            ByteBuffer.wrap(mem, p * PAGE, 8).putLong(p + 1L);
        }
        return Task.builder().pid(11).comm("big").mm(AddressSpace.of(List.of(Vma.anonymous(0x10000000L,
                0x10000000L + mem.length, PageData.of(0x10000000L, mem))))).build();
    }

    static Path write(Path dir, String name, Task task) throws IOException {
        Path f = dir.resolve(name);
        CKPT.checkpoint(task, f);
        return f;
    }

    static byte[] firstBytesOfEveryPage(RestartResult r) throws IOException {
        List<Byte> out = new ArrayList<>();
        r.tasks().get(0).mm().vmas().get(0).pages().forEachRun((a, b, c) -> {
            for (int i = b.position(); i < b.limit(); i += PAGE) {
                out.add(b.get(i + 7));
            }
        });
        byte[] bytes = new byte[out.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = out.get(i);
        }
        return bytes;
    }

    /** Finding 1: truncating the file during a restart from a FileChannel killed the JVM (SIGBUS). */
    @Nested
    class FileTruncatedDuringRestart {
        @Test
        void isATruncatedImageNotACrash(@TempDir Path dir) throws IOException {
            Path f = write(dir, "img", bigTask(24));
            AtomicBoolean cut = new AtomicBoolean();
            Restarter cutting = Restarter.builder().progressListener((done, total, bytes, pages) -> {
                if (bytes > (8 << 20) && cut.compareAndSet(false, true)) {
                    try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
                        w.truncate(12 << 20);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }).build();
            try (FileChannel in = FileChannel.open(f)) {
                assertThatThrownBy(() -> cutting.restart(in)).isInstanceOf(TruncatedImageException.class);
            }
            assertThat(cut).isTrue();
        }

        @Test
        void withTheMappedOptInTooTheFaultIsAnImageException(@TempDir Path dir) throws Exception {
            // In a child JVM: should the guard ever fail, the crash takes the child, not the build.
            Path f = write(dir, "img", bigTask(24));
            ChildJvm.Result r = ChildJvm.run(Children.TruncateMapped.class, "-Xmx256m", f.toString());
            assertThat(r.exitCode()).as("child output:%n%s", r.output()).isZero();
            assertThat(r.output()).contains("TruncatedImageException").contains("truncated or replaced");
        }

        @Test
        void aCheckpointToThePathDuringARestartFromItLeavesTheRestartItsImage(@TempDir Path dir) throws Exception {
            Task original = bigTask(16);
            Path f = write(dir, "img", original);
            CountDownLatch reading = new CountDownLatch(1);
            CountDownLatch replaced = new CountDownLatch(1);
            Restarter slow = Restarter.builder().progressListener((done, total, bytes, pages) -> {
                if (bytes > (4 << 20) && reading.getCount() > 0) {
                    reading.countDown();
                    await(replaced);
                }
            }).build();
            CompletableFuture<RestartResult> restart = CompletableFuture.supplyAsync(() -> {
                try (FileChannel in = FileChannel.open(f)) {
                    return slow.restart(in);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(reading.await(30, TimeUnit.SECONDS)).isTrue();
            Task other = Task.builder().pid(12).comm("other").build();
            CKPT.checkpoint(other, f);
            replaced.countDown();
            RestartResult r = restart.get(60, TimeUnit.SECONDS);
            CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(List.of(original));
            assertThat(RSTR.restart(f).tasks().get(0).comm()).isEqualTo("other");
        }
    }

    /** Finding 2: restart app.ckpt, checkpoint the result back to app.ckpt with TRUNCATE_EXISTING. */
    @Nested
    class CheckpointBackToTheSamePath {
        @Test
        void inPlaceRewriteLeavesTheRestoredPagesIntact(@TempDir Path dir) throws IOException {
            Task original = bigTask(8);
            Path f = write(dir, "app.ckpt", original);
            RestartResult r;
            try (FileChannel in = FileChannel.open(f)) {
                r = RSTR.restart(in);
            }
            try (FileChannel out = FileChannel.open(f, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                Checkpointer.builder().sameHeadAs(r.info()).build().checkpoint(r.tasks(), out);
            }
            CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(List.of(original));
            CkptAssertions.assertThatTasks(RSTR.restart(f).tasks()).isEquivalentTo(List.of(original));
        }

        @Test
        void aFailedAtomicCheckpointLeavesThePreviousImage(@TempDir Path dir) throws IOException {
            Task original = bigTask(4);
            Path f = write(dir, "app.ckpt", original);
            byte[] before = Files.readAllBytes(f);
            Task broken = Task.builder().pid(1).comm("x").mm(AddressSpace.of(List.of(Vma.anonymous(0x1000, 0x3000,
                    visitor -> {
                        visitor.run(0x1000, ByteBuffer.allocate(PAGE).put(0, (byte) 1), false);
                        throw new IOException("host failed while handing pages over");
                    })))).build();
            assertThatThrownBy(() -> CKPT.checkpoint(broken, f)).isInstanceOf(IOException.class)
                    .hasMessageContaining("host failed");
            assertThat(Files.readAllBytes(f)).isEqualTo(before);
            try (var files = Files.list(dir)) {
                assertThat(files).as("no temporary file left").containsExactly(f);
            }
        }
    }

    /** Finding 3: bytes rewritten in the file after their record verified were committed. */
    @Nested
    class BytesChangedAfterTheyWereVerified {
        @Test
        void theCommitHoldsTheVerifiedBytes(@TempDir Path dir) throws IOException {
            Task original = bigTask(4);
            Path f = write(dir, "img", original);
            long firstPageByte = findFirstPageByte(Files.readAllBytes(f));
            AtomicBoolean rewritten = new AtomicBoolean();
            // The destination's second allocation comes after the first run's record verified.
            PageDestination evil = new PageDestination() {
                int calls;

                @Override
                public ByteBuffer allocate(Run run) throws IOException {
                    if (++calls == 2) {
                        try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
                            w.write(ByteBuffer.wrap("EVIL".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                                    firstPageByte + 4);
                        }
                        rewritten.set(true);
                    }
                    return ByteBuffer.allocate(run.length());
                }
            };
            AtomicReference<RestartResult> committed = new AtomicReference<>();
            RestartTarget target = target(evil, committed);
            try (FileChannel in = FileChannel.open(f)) {
                RSTR.restart(in, target);
            }
            assertThat(rewritten).isTrue();
            CkptAssertions.assertThatTasks(committed.get().tasks()).isEquivalentTo(List.of(original));
        }

        private long findFirstPageByte(byte[] image) {
            int index = org.ckpt.testkit.image.ImageMutator.indexOf(image, org.ckpt.spi.RecordTypes.PAGES);
            return org.ckpt.testkit.image.ImageRecords.parse(image).get(index).offset() + 16 + 16;
        }
    }

    /** Finding 4: a million empty objects grew the heap to 240 MiB before the tail was reached. */
    @Nested
    class MemoryBudget {
        @Test
        void aMillionObjectsAreRejectedWithinASmallHeap(@TempDir Path dir) throws Exception {
            Path f = dir.resolve("objects.img");
            Files.write(f, Children.millionFileTables());
            ChildJvm.Result r = ChildJvm.run(Children.RestartFile.class, "-Xmx128m", f.toString());
            assertThat(r.exitCode()).as("child output:%n%s", r.output()).isZero();
            assertThat(r.output()).contains("ImageLimitException").contains("maxRestartHeap").contains("OBJECT");
        }

        @Test
        void theBudgetIsALimitNamingTheRecord() throws IOException {
            byte[] image = Children.fileTables(20_000);
            Restarter tight = Restarter.builder().limits(Limits.DEFAULTS.withMaxRestartHeap(1 << 20)).build();
            assertThatThrownBy(() -> tight.restart(TestChannels.source(image)))
                    .isInstanceOf(org.ckpt.spi.ImageLimitException.class)
                    .hasMessageContaining("maxRestartHeap").hasMessageContaining("record OBJECT");
            assertThat(RSTR.restart(TestChannels.source(image)).tasks()).hasSize(1);
        }
    }

    /** Finding 5: channels that make no progress made restart and checkpoint spin forever, deaf to interrupts. */
    @Nested
    class ChannelsThatMakeNoProgress {
        @Test
        @Timeout(30)
        void aReadReturningZeroForeverIsBounded() {
            Restarter r = Restarter.builder().stallTimeout(Duration.ofMillis(500)).build();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> r.restart(zeroReads())).isInstanceOf(IOException.class)
                    .hasMessageContaining("stall timeout");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        }

        @Test
        @Timeout(30)
        void anInterruptEndsARestartThatWaitsForBytes() throws Exception {
            assertThat(interrupted(() -> RSTR.restart(zeroReads()))).isInstanceOf(InterruptedIOException.class);
        }

        @Test
        @Timeout(60)
        void anInterruptEndsACheckpointIntoAPipeNobodyReadsInBothWriterModes() throws Exception {
            Task task = bigTask(WRITER_THREAD_AFTER_MIB + 16);
            for (boolean thread : new boolean[] {true, false}) {
                Pipe pipe = Pipe.open();
                Checkpointer c = Checkpointer.builder().architecture(TestArch.NAME).writerThread(thread).build();
                // The first bytes go through, so that the writer thread has started when the pipe blocks.
                WritableByteChannel ch = afterDiscarding(WRITER_THREAD_AFTER_MIB + 4, pipe.sink());
                assertThat(interrupted(() -> c.checkpoint(task, ch))).as("writer thread %s", thread)
                        .isInstanceOf(InterruptedIOException.class);
                pipe.source().close();
                pipe.sink().close();
                assertThat(writerThreads()).as("writer threads left").isZero();
            }
        }

        @Test
        @Timeout(60)
        void aWriteReturningZeroForeverIsBoundedInBothWriterModes() {
            for (boolean thread : new boolean[] {true, false}) {
                Checkpointer c = Checkpointer.builder().architecture(TestArch.NAME).writerThread(thread)
                        .stallTimeout(Duration.ofMillis(300)).build();
                assertThatThrownBy(() -> c.checkpoint(bigTask(WRITER_THREAD_AFTER_MIB + 16),
                        afterDiscarding(WRITER_THREAD_AFTER_MIB + 4, zeroWrites()))).as("writer thread %s", thread)
                        .isInstanceOf(IOException.class).hasMessageContaining("stall timeout");
                assertThat(writerThreads()).isZero();
            }
        }

        @Test
        void nonBlockingChannelsAreRefusedUpFront() throws IOException {
            Pipe pipe = Pipe.open();
            pipe.source().configureBlocking(false);
            pipe.sink().configureBlocking(false);
            assertThatThrownBy(() -> RSTR.restart(pipe.source())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("non-blocking");
            assertThatThrownBy(() -> CKPT.checkpoint(bigTask(1), pipe.sink()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-blocking");
        }
    }

    /** Finding 6: a configuration error leaked a writer thread and direct memory per call. */
    @Nested
    class NoLeaks {
        @Test
        @Timeout(240)
        void aThousandFailingCheckpointsOfEveryKindLeaveNoThreadAndNoDirectMemory(@TempDir Path dir)
                throws Exception {
            List<Failure> kinds = failures();
            for (Failure k : kinds) {
                k.run(true);
                k.run(false);
            }
            long before = directMemory();
            for (int i = 0; i < 1000; i++) {
                for (Failure k : kinds) {
                    k.run((i & 1) == 0);
                }
            }
            assertThat(writerThreads()).as("ckpt-writer threads alive").isZero();
            long grown = directMemory() - before;
            // One checkpoint at a time takes 8 buffers of 1.06 MiB from the pool (warm after the first
            // round) and gives them back; anything beyond would be a leak.
            assertThat(grown).as("direct memory grown by %d bytes; live threads: %s", grown, liveThreads())
                    .isLessThan(10L << 20);
        }

        private List<Failure> failures() {
            Task big = bigTask(2);
            List<Failure> out = new ArrayList<>();
            out.add(thread -> {
                Checkpointer c = Checkpointer.builder().architecture(TestArch.NAME).writerThread(thread)
                        .pageSize(8192).limits(Limits.DEFAULTS.withMaxRecordSize(4160)).build();
                assertThatThrownBy(() -> c.checkpoint(big, TestChannels.nullSink()))
                        .isInstanceOf(CheckpointException.class).hasMessageContaining("cannot hold one page");
            });
            out.add(thread -> assertThatThrownBy(() -> checkpointer(thread).checkpoint(big,
                    TestChannels.failingAfter(TestChannels.nullSink(), 100_000))).isInstanceOf(IOException.class));
            out.add(thread -> {
                Task host = Task.builder().pid(2).comm("h").mm(AddressSpace.of(List.of(Vma.anonymous(0x1000,
                        0x2000, v -> {
                            throw new IOException("host");
                        })))).build();
                assertThatThrownBy(() -> checkpointer(thread).checkpoint(host, TestChannels.nullSink()))
                        .hasMessageContaining("host");
            });
            out.add(thread -> {
                Task outside = Task.builder().pid(3).comm("o").files(FileTable.of(new FileTable.Entry(1,
                        GenericFile.open(FileKind.REGULAR, "/etc/passwd", 0, 0100644, 0), false))).build();
                assertThatThrownBy(() -> Checkpointer.builder().architecture(TestArch.NAME).writerThread(thread)
                        .root("/srv").build().checkpoint(outside, TestChannels.nullSink()))
                        .isInstanceOf(CheckpointException.class);
            });
            out.add(thread -> {
                Task kernel = Task.builder().pid(4).comm("k").cpu(new TestCpu(-1, 0, 0, 0, 0, 0, 0)).build();
                assertThatThrownBy(() -> checkpointer(thread).checkpoint(kernel, TestChannels.nullSink()))
                        .isInstanceOf(CheckpointException.class).hasMessageContaining("not a user address");
            });
            out.add(thread -> {
                Thread.currentThread().interrupt();
                try {
                    assertThatThrownBy(() -> checkpointer(thread).checkpoint(big, TestChannels.nullSink()))
                            .isInstanceOf(InterruptedIOException.class);
                } finally {
                    Thread.interrupted();
                }
            });
            return out;
        }
    }

    /** Finding 7: wrong errors for valid images from FIFOs, and an abort path that re-sent bytes. */
    @Nested
    class ChannelsOfEveryKind {
        @Test
        @Timeout(60)
        void aFifoOpenedAsAFileChannelRestartsThroughTheStream(@TempDir Path dir) throws Exception {
            Task original = bigTask(2);
            TestChannels.Sink sink = TestChannels.sink();
            CKPT.checkpoint(original, sink);
            byte[] image = sink.toByteArray();
            Path fifo = dir.resolve("fifo");
            assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    Files.write(fifo, image);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            RestartResult r;
            try (FileChannel in = FileChannel.open(fifo)) {
                r = RSTR.restart(in);
            }
            writer.get(30, TimeUnit.SECONDS);
            CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(List.of(original));
            try (FileChannel in = FileChannel.open(Path.of("/dev/null"))) {
                assertThatThrownBy(() -> RSTR.restart(in)).isInstanceOf(TruncatedImageException.class);
            }
        }

        @Test
        void aFailedWriteNeverResendsBytes() throws IOException {
            // Past the first 8 MiB, which the calling thread writes, the writer thread fails too.
            Task task = bigTask(WRITER_THREAD_AFTER_MIB + 8);
            for (boolean thread : new boolean[] {true, false}) {
                for (long limit : new long[] {50, 148, 4096, 1 << 20, (1 << 20) + 77,
                        ((long) WRITER_THREAD_AFTER_MIB + 2 << 20) + 77}) {
                    TestChannels.Sink got = TestChannels.sink();
                    assertThatThrownBy(() -> checkpointer(thread).checkpoint(task, TestChannels.failingAfter(got,
                            limit))).isInstanceOf(IOException.class);
                    byte[] prefix = got.toByteArray();
                    assertThat(prefix.length).as("bytes accepted before the failure").isEqualTo(limit);
                    assertThatThrownBy(() -> RSTR.restart(TestChannels.source(prefix)))
                            .as("the prefix of %d bytes", limit)
                            .isInstanceOfAny(TruncatedImageException.class, AbortedImageException.class);
                }
            }
        }
    }

    /** Finding 8: host mistakes — a null CPU, pages changed during a checkpoint, a deep object graph. */
    @Nested
    class HostMistakes {
        @Test
        void aTargetWithoutACpuIsRefusedNotTreatedAsEveryFeature() throws IOException {
            TestChannels.Sink sink = TestChannels.sink();
            CKPT.checkpoint(bigTask(1), sink);
            AtomicReference<RestartResult> committed = new AtomicReference<>();
            RestartTarget noCpu = new RestartTarget() {
                @Override
                public TargetCpu cpu() {
                    return null;
                }

                @Override
                public RestorePolicy policy() {
                    return RestorePolicy.LINUX_USER;
                }

                @Override
                public void commit(RestartResult image) {
                    committed.set(image);
                }
            };
            assertThatThrownBy(() -> RSTR.restart(TestChannels.source(sink.toByteArray()), noCpu))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpu() returned null");
            assertThat(committed.get()).isNull();
        }

        @Test
        @Timeout(120)
        void pagesChangedDuringACheckpointGiveATornButReadableImage() throws Exception {
            byte[] mem = new byte[8 << 20];
            Task task = Task.builder().pid(7).comm("racy").mm(AddressSpace.of(List.of(Vma.anonymous(0x400000,
                    0x400000 + mem.length, PageData.of(0x400000, mem))))).build();
            AtomicBoolean stop = new AtomicBoolean();
            Thread mutator = new Thread(() -> {
                long n = 0;
                while (!stop.get()) {
                    int at = (int) ((n * 7919) % mem.length);
                    mem[at]++;
                    n++;
                }
            });
            mutator.start();
            try {
                for (int i = 0; i < 60; i++) {
                    TestChannels.Sink sink = TestChannels.sink();
                    Checkpointer.builder().architecture(TestArch.NAME).writerThread((i & 1) == 0).build()
                            .checkpoint(task, sink);
                    RSTR.restart(TestChannels.source(sink.toByteArray()));
                }
            } finally {
                stop.set(true);
                mutator.join();
            }
        }

        @Test
        @Timeout(120)
        void aChainOfAHundredThousandObjectsNeedsNoDeepStack() throws IOException {
            ChainOps.Node head = null;
            for (int i = 0; i < 100_000; i++) {
                head = new ChainOps.Node(i, head);
            }
            Task task = Task.builder().pid(1).comm("chain").extensions(List.of(head)).build();
            TestChannels.Sink sink = TestChannels.sink();
            Checkpointer.builder().architecture(TestArch.NAME).register(new ChainOps()).build().checkpoint(task, sink);
            RestartResult r = Restarter.builder().register(new ChainOps()).build()
                    .restart(TestChannels.source(sink.toByteArray()));
            int length = 0;
            for (ChainOps.Node n = (ChainOps.Node) r.tasks().get(0).extensions().get(0); n != null; n = n.next()) {
                assertThat(n.value()).isEqualTo(100_000 - 1 - length);
                length++;
            }
            assertThat(length).isEqualTo(100_000);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    @FunctionalInterface
    interface Failure {
        void run(boolean writerThread) throws Exception;
    }

    interface Call {
        void run() throws Exception;
    }

    static Checkpointer checkpointer(boolean writerThread) {
        return Checkpointer.builder().architecture(TestArch.NAME).writerThread(writerThread).build();
    }

    static RestartTarget target(PageDestination pages, AtomicReference<RestartResult> committed) {
        return new RestartTarget() {
            @Override
            public TargetCpu cpu() {
                return TargetCpu.anyFeatures(TestArch.NAME);
            }

            @Override
            public RestorePolicy policy() {
                return RestorePolicy.LINUX_USER;
            }

            @Override
            public PageDestination pages() {
                return pages;
            }

            @Override
            public void commit(RestartResult image) {
                committed.set(image);
            }
        };
    }

    /** Runs {@code call} on a thread, interrupts it after 300 ms and returns what it threw (within 10 s). */
    static Throwable interrupted(Call call) throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                call.run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        Thread.sleep(300);
        long t0 = System.nanoTime();
        t.interrupt();
        t.join(10_000);
        assertThat(t.isAlive()).as("still running 10 s after the interrupt").isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        return thrown.get();
    }

    static ReadableByteChannel zeroReads() {
        return new ReadableByteChannel() {
            @Override
            public int read(ByteBuffer dst) {
                return 0;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    /**
     * A checkpoint writes this much on its calling thread before its writer thread starts; a test
     * of the writer thread's behaviour lets more than this through first.
     */
    static final int WRITER_THREAD_AFTER_MIB = 8;

    /** Takes (and drops) the first {@code mib} MiB written, then writes to {@code then}. */
    static WritableByteChannel afterDiscarding(int mib, WritableByteChannel then) {
        return new WritableByteChannel() {
            private long left = (long) mib << 20;

            @Override
            public int write(ByteBuffer src) throws IOException {
                if (left > 0) {
                    int n = (int) Math.min(left, src.remaining());
                    src.position(src.position() + n);
                    left -= n;
                    return n;
                }
                return then.write(src);
            }

            @Override
            public boolean isOpen() {
                return then.isOpen();
            }

            @Override
            public void close() throws IOException {
                then.close();
            }
        };
    }

    static WritableByteChannel zeroWrites() {
        return new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                return 0;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    static long writerThreads() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long n;
        do {
            n = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("ckpt-writer")).count();
        } while (n > 0 && System.nanoTime() < deadline && sleep());
        return n;
    }

    private static boolean sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Direct memory in use once unreachable buffers are gone: their memory is freed by the
     * Cleaner thread after a GC, which on a loaded machine takes a while, so collect until the
     * figure stops falling.
     */
    static long directMemory() throws InterruptedException {
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 40; i++) {
            System.gc();
            Thread.sleep(50);
            long now = directUsed();
            if (now >= last && i >= 3) {
                return now;
            }
            last = Math.min(last, now);
        }
        return last;
    }

    /** For a failure message: which threads could have allocated direct memory meanwhile. */
    private static String liveThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .map(t -> t.getName() + "(" + t.getState() + ")").sorted().toList().toString()
                + ", all " + Thread.activeCount();
    }

    private static long directUsed() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                return b.getMemoryUsed();
            }
        }
        throw new IllegalStateException("no direct buffer pool");
    }
}
