package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The writer thread starts only once a checkpoint has written a threshold of bytes on its calling
 * thread (8 MiB; here set otherwise); which thread writes never changes a byte.
 */
class WriterStartTest {
    @AfterEach
    void engineDefaults() {
        Staging.threadAfterForTests = -1;
    }

    private static Task task(int mib) {
        byte[] mem = new byte[mib << 20];
        new SplittableRandom(mib).nextBytes(mem);
        long start = 0x4000_0000L;
        return Task.builder().pid(3).comm("start").mm(AddressSpace.of(List.of(Vma.anonymous(start,
                start + mem.length, PageData.of(start, mem))))).build();
    }

    /** {@code areas} areas of {@code kib} KiB of random pages each: runs too short for windows on both threads. */
    private static Task areas(int areas, int kib) {
        SplittableRandom rnd = new SplittableRandom(areas);
        List<Vma> vmas = new ArrayList<>();
        for (int a = 0; a < areas; a++) {
            byte[] mem = new byte[kib << 10];
            rnd.nextBytes(mem);
            long start = 0x4000_0000L + (long) a * (2L << 20);
            vmas.add(Vma.anonymous(start, start + mem.length, PageData.of(start, mem)));
        }
        return Task.builder().pid(4).comm("areas").mm(AddressSpace.of(vmas)).build();
    }

    private static Checkpointer checkpointer(boolean writerThread) {
        return Checkpointer.builder().architecture("test64").writerThread(writerThread).checkpointId(9)
                .created(Instant.ofEpochSecond(1_000_000)).uname(new Uname("Linux", "h", "6", "#1", "x86_64")).build();
    }

    @Test
    void aSmallCheckpointStartsNoThreadAndWritesOnTheCallingThread() throws Exception {
        int before = Staging.LIVE_THREADS.get();
        int started = Staging.STARTS.get();
        RecordingChannel ch = new RecordingChannel();
        checkpointer(true).checkpoint(task(3), ch);
        assertThat(ch.threads).isNotEmpty().allMatch(n -> n.equals(Thread.currentThread().getName()));
        assertThat(Staging.STARTS.get()).as("writer threads started").isEqualTo(started);
        assertThat(Staging.LIVE_THREADS.get()).isEqualTo(before);
        assertThat(Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(
                ch.bytes.toByteArray()))).pagesRead()).isEqualTo(3 * 256);
    }

    @Test
    void theThreadTakesOverOnceTheThresholdIsWrittenAndTheBytesAreTheSame() throws Exception {
        long after = 4L << 20;
        Staging.threadAfterForTests = after;
        Task t = areas(96, 128);
        RecordingChannel threaded = new RecordingChannel();
        checkpointer(true).checkpoint(t, threaded);
        RecordingChannel inline = new RecordingChannel();
        checkpointer(false).checkpoint(t, inline);
        assertThat(threaded.bytes.toByteArray()).isEqualTo(inline.bytes.toByteArray());
        String caller = Thread.currentThread().getName();
        int first = threaded.threads.indexOf("ckpt-writer");
        assertThat(first).as("a write on the writer thread").isPositive();
        assertThat(threaded.threads.subList(0, first)).allMatch(n -> n.equals(caller));
        assertThat(threaded.threads.subList(first, threaded.threads.size())).allMatch(n -> n.equals("ckpt-writer"));
        // The calling thread wrote up to the threshold and no more than one buffer beyond.
        assertThat(threaded.offsets.get(first)).isBetween(after - Staging.SIZE, after);
        assertThat(Staging.LIVE_THREADS.get()).isZero();
    }

    /**
     * A run of pages that takes the checkpoint past the threshold starts the thread at once: its
     * windows are filled and written by both threads (the same bytes); one that does not, none.
     */
    @Test
    void aLargeRunStartsTheThreadAndIsWrittenFromBothThreads() throws Exception {
        Task t = task(12);
        RecordingChannel inline = new RecordingChannel();
        checkpointer(false).checkpoint(t, inline);
        String caller = Thread.currentThread().getName();

        Staging.threadAfterForTests = 64L << 20;
        int started = Staging.STARTS.get();
        RecordingChannel below = new RecordingChannel();
        checkpointer(true).checkpoint(t, below);
        assertThat(below.threads).allMatch(n -> n.equals(caller));
        assertThat(Staging.STARTS.get()).isEqualTo(started);
        assertThat(below.bytes.toByteArray()).isEqualTo(inline.bytes.toByteArray());

        Staging.threadAfterForTests = 4L << 20;
        RecordingChannel past = new RecordingChannel();
        checkpointer(true).checkpoint(t, past);
        assertThat(past.threads).contains(caller, "ckpt-writer");
        assertThat(past.bytes.toByteArray()).isEqualTo(inline.bytes.toByteArray());
        assertThat(Staging.LIVE_THREADS.get()).isZero();
    }

    /** Progress comes while both threads write a long run, not only after it. */
    @Test
    void aLongRunWrittenByBothThreadsReportsProgressAsItGoes() throws Exception {
        Staging.threadAfterForTests = 0;
        List<Long> pages = new ArrayList<>();
        Checkpointer c = Checkpointer.builder().architecture("test64").checkpointId(9)
                .progressListener((done, total, bytes, p) -> pages.add(p)).build();
        RecordingChannel ch = new RecordingChannel();
        c.checkpoint(task(48), ch);
        assertThat(ch.threads).contains("ckpt-writer", Thread.currentThread().getName());
        // 48 MiB of pages: reports from inside the run (one every 8 MiB of image when the calling thread
        // gets the CPU; ParallelWindowsTest checks what they count), each a little further.
        assertThat(pages.stream().filter(p -> p > 0 && p < 48 * 256).count()).as("pages reported: %s", pages)
                .isPositive();
        assertThat(pages).isSorted();
    }

    /**
     * A small maxRecordSize makes small records, and windows of one record each: a run is then
     * written by the calling thread's buffers as before, not a write and a hand-over per record.
     */
    @Test
    void smallRecordsAreNotWrittenAWindowAtATime() throws Exception {
        Staging.threadAfterForTests = 0;
        Checkpointer c = Checkpointer.builder().architecture("test64").checkpointId(9)
                .limits(org.ckpt.spi.Limits.DEFAULTS.withMaxRecordSize(8192)).build();
        RecordingChannel ch = new RecordingChannel();
        c.checkpoint(task(16), ch);
        assertThat(ch.threads.size()).as("writes of a 16 MiB image").isLessThan(40);
        assertThat(Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(
                ch.bytes.toByteArray()))).pagesRead()).isEqualTo(16 * 256);
    }

    @Test
    void aChannelFailingBeforeTheThreadStartsEndsTheCheckpointWithNoThreadAndNoMoreWrites() {
        Staging.threadAfterForTests = 64L << 20;
        int started = Staging.STARTS.get();
        RecordingChannel ch = new RecordingChannel(3L << 20);
        assertThatThrownBy(() -> checkpointer(true).checkpoint(task(8), ch)).isInstanceOf(IOException.class)
                .hasMessageContaining("disk full");
        assertThat(ch.bytes.size()).isLessThanOrEqualTo(3 << 20);
        assertThat(Staging.STARTS.get()).as("writer threads started").isEqualTo(started);
    }

    /**
     * The channel fails at the writer thread's first write: once behind the queue (areas too short
     * for windows on both threads), once inside a phase (one large area, the writer thread
     * joining the calling thread's windows). The checkpoint ends with that failure, nothing is
     * written after it, and no thread is left.
     */
    @Test
    void aChannelFailingAfterTheThreadStartedEndsItToo() {
        Staging.threadAfterForTests = 2L << 20;
        for (Task t : List.of(areas(96, 128), task(48))) {
            RecordingChannel rec = new RecordingChannel();
            AtomicInteger writesBeforeFailure = new AtomicInteger(-1);
            WritableByteChannel ch = new WritableByteChannel() {
                @Override
                public int write(ByteBuffer src) throws IOException {
                    if (Thread.currentThread().getName().equals("ckpt-writer")) {
                        synchronized (rec) {
                            writesBeforeFailure.compareAndSet(-1, rec.sizes.size());
                        }
                        throw new IOException("disk full (test)");
                    }
                    return rec.write(src);
                }

                @Override
                public boolean isOpen() {
                    return true;
                }

                @Override
                public void close() {
                }
            };
            assertThatThrownBy(() -> checkpointer(true).checkpoint(t, ch)).isInstanceOf(IOException.class)
                    .hasMessageContaining("disk full (test)");
            assertThat(writesBeforeFailure.get()).as("the writer thread's first write failed").isNotNegative();
            assertThat(rec.sizes).as("writes after the failure").hasSize(writesBeforeFailure.get());
            assertThat(Staging.LIVE_THREADS.get()).isZero();
        }
    }
}
