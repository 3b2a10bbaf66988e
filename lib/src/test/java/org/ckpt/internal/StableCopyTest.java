package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.testarch.TestCpu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pages of the library's own page data (host arrays, a restart's buffers) are copied into
 * staging when their buffer is sealed, on the writer thread when it was idle: the same image
 * as when they are copied as appended, every failure leaving an exact prefix and no thread.
 * Short runs of many small areas are what this is for (long runs go through windows), so the
 * windows are off here.
 */
class StableCopyTest {
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
            int pages = 1 + rnd.nextInt(48);
            byte[] mem = new byte[pages * 4096];
            for (int p = 0; p < pages; ) {
                int cluster = Math.min(pages - p, 1 + rnd.nextInt(8));
                if (rnd.nextInt(10) >= 3) {
                    for (int i = p * 4096; i < (p + cluster) * 4096; i += 1 + rnd.nextInt(32)) {
                        mem[i] = (byte) rnd.nextInt();
                    }
                }
                p += cluster;
            }
            ByteBuffer bytes = memory.apply(mem);
            long at = start;
            PageData pd = ownVisitor ? visitor -> visitor.run(at, bytes.duplicate(), false) : PageData.of(at, bytes);
            vmas.add(Vma.anonymous(start, start + mem.length, pd));
            start += mem.length + 4096L * (1 + rnd.nextInt(4));
        }
        return Task.builder().pid(9).comm("small").mm(AddressSpace.of(vmas))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    private static Task heapTask(long seed) {
        return task(seed, ByteBuffer::wrap, false);
    }

    private static Checkpointer checkpointer(boolean writerThread) {
        return Checkpointer.builder().architecture("test64").writerThread(writerThread).checkpointId(5)
                .created(Instant.ofEpochSecond(1_000_000)).uname(new Uname("Linux", "h", "6", "#1", "x86_64")).build();
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
}
