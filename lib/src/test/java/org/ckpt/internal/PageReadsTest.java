package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.testarch.TestCpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page bytes of large PAGES records of an image file, read on a thread of their own where
 * they lie in the file: the same pages as a restart from a stream, the same failure (class,
 * record, offset, message) for every damage, the earliest one in file order when there are
 * several, nothing committed and no thread left after a failure.
 */
class PageReadsTest {
    private static final long BASE = 0x4000_0000L;

    @TempDir
    Path dir;

    /** {@code mib} MiB of pages in clusters of 1 to 300 pages, one cluster in five zero: records of every size up to the largest. */
    static byte[] memory(int mib, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] mem = new byte[mib << 20];
        int pages = mem.length / 4096;
        for (int p = 0; p < pages; ) {
            int cluster = Math.min(pages - p, 1 + rnd.nextInt(300));
            if (rnd.nextInt(5) != 0) {
                for (int i = p * 4096; i < (p + cluster) * 4096; i += 1 + rnd.nextInt(16)) {
                    mem[i] = (byte) (1 + rnd.nextInt(255));
                }
            }
            p += cluster;
        }
        return mem;
    }

    private static Task task(byte[] mem) {
        Vma v = Vma.anonymous(BASE, BASE + mem.length, PageData.of(BASE, ByteBuffer.wrap(mem)));
        return Task.builder().pid(7).comm("big").mm(AddressSpace.of(List.of(v)))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    private Path image(byte[] mem) throws IOException {
        Path p = dir.resolve("image");
        Checkpointer.builder().architecture("test64").checkpointId(11).created(Instant.ofEpochSecond(1_000_000))
                .uname(new Uname("Linux", "h", "6", "#1", "x86_64")).build().checkpoint(task(mem), p);
        return p;
    }

    private static byte[] contents(RestartResult r) throws IOException {
        return contents(r, 0);
    }

    /** The restored contents of area {@code vma} of the first task. */
    static byte[] contents(RestartResult r, int vma) throws IOException {
        Vma v = r.tasks().get(0).mm().vmas().get(vma);
        ByteBuffer got = ByteBuffer.allocate((int) v.size());
        v.pages().read(v.start(), got);
        return got.array();
    }


    /** The restored first task's areas hold what {@code want}'s do, area by area. */
    static void sameAreas(Task want, RestartResult r) throws IOException {
        List<Vma> got = r.tasks().get(0).mm().vmas();
        List<Vma> areas = want.mm().vmas();
        assertThat(got).hasSameSizeAs(areas);
        for (int i = 0; i < areas.size(); i++) {
            Vma v = areas.get(i);
            ByteBuffer a = ByteBuffer.allocate((int) v.size());
            ByteBuffer b = ByteBuffer.allocate((int) v.size());
            v.pages().read(v.start(), a);
            got.get(i).pages().read(v.start(), b);
            assertThat(b.array()).as("area %d", i).isEqualTo(a.array());
        }
    }

    /** The library's I/O threads still alive, after waiting up to 5 s for them to end. */
    static int liveThreads() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (Staging.LIVE_THREADS.get() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return Staging.LIVE_THREADS.get();
    }

    /** What a restart of {@code bytes} from a file throws, with a host target that must then hold nothing. */
    private Throwable fromFile(byte[] bytes) throws Exception {
        Path p = dir.resolve("damaged");
        Files.write(p, bytes);
        RecordingHost host = new RecordingHost();
        Throwable t;
        try (FileChannel ch = FileChannel.open(p)) {
            t = catchThrowable(() -> Restarter.builder().build().restart(ch, host));
        }
        assertThat(host.calls).as("a failed restart releases the page destination and commits nothing")
                .containsExactly("release");
        assertThat(liveThreads()).isZero();
        return t;
    }

    /** The same bytes as a stream: read strictly in order on the calling thread. */
    private static Throwable fromStream(byte[] bytes) {
        return catchThrowable(() -> Restarter.builder().build()
                .restart(Channels.newChannel(new ByteArrayInputStream(bytes))));
    }

    private static void sameFailure(Throwable file, Throwable stream) {
        assertThat(file).isInstanceOf(ImageException.class);
        assertThat(file.getClass()).isEqualTo(stream.getClass());
        assertThat(((ImageException) file).recordType()).isEqualTo(((ImageException) stream).recordType());
        assertThat(((ImageException) file).offset()).isEqualTo(((ImageException) stream).offset());
        assertThat(file.getMessage()).isEqualTo(stream.getMessage());
    }

    @Test
    void largeRecordsAreReadOnTheirOwnThreadAndArriveIntact() throws Exception {
        byte[] mem = memory(24, 1);
        Path p = image(mem);
        long before = PageReads.RECORDS_READ.get();
        assertThat(contents(Restarter.builder().build().restart(p))).isEqualTo(mem);
        // How many depends on how fast each thread is (the restart reads a record itself when
        // the thread has four); the first large record always goes there.
        assertThat(PageReads.RECORDS_READ.get() - before).as("records read on the page reader thread")
                .isPositive();
        RecordingHost host = new RecordingHost();
        try (FileChannel ch = FileChannel.open(p)) {
            Restarter.builder().build().restart(ch, host);
            assertThat(ch.position()).as("the channel is left after the image, as a read leaves it")
                    .isEqualTo(ch.size());
        }
        assertThat(host.calls).containsExactly("commit");
        assertThat(contents(host.committed)).isEqualTo(mem);
        assertThat(liveThreads()).isZero();
    }

    @Test
    void anImageAfterOtherBytesInTheFileIsReadFromWhereTheChannelIs() throws Exception {
        byte[] mem = memory(12, 2);
        byte[] image = Files.readAllBytes(image(mem));
        Path p = dir.resolve("after");
        byte[] junk = new byte[12_345];
        new SplittableRandom(3).nextBytes(junk);
        Files.write(p, junk);
        Files.write(p, image, java.nio.file.StandardOpenOption.APPEND);
        long before = PageReads.RECORDS_READ.get();
        try (FileChannel ch = FileChannel.open(p)) {
            ch.position(junk.length);
            assertThat(contents(Restarter.builder().build().restart(ch))).isEqualTo(mem);
        }
        assertThat(PageReads.RECORDS_READ.get() - before).isPositive();
    }

    @Test
    void aDamagedPageFailsAsItsRecordWouldReadInOrder() throws Exception {
        byte[] good = Files.readAllBytes(image(memory(16, 4)));
        SplittableRandom rnd = new SplittableRandom(5);
        long before = PageReads.RECORDS_READ.get();
        for (int i = 0; i < 12; i++) {
            byte[] bad = good.clone();
            int at = good.length / 8 + rnd.nextInt(good.length * 3 / 4);
            bad[at] ^= (byte) (1 + rnd.nextInt(255));
            Throwable file = fromFile(bad);
            sameFailure(file, fromStream(bad));
        }
        assertThat(PageReads.RECORDS_READ.get() - before).isPositive();
    }

    @Test
    void aFileCutInsideARecordIsTruncatedThere() throws Exception {
        byte[] good = Files.readAllBytes(image(memory(16, 6)));
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 8; i++) {
            int cut = good.length / 4 + rnd.nextInt(good.length / 2);
            byte[] bad = java.util.Arrays.copyOf(good, cut);
            Throwable file = fromFile(bad);
            assertThat(file).isInstanceOf(TruncatedImageException.class);
            sameFailure(file, fromStream(bad));
        }
    }

    @Test
    void ofSeveralFailuresTheEarliestInFileOrderIsReported() throws Exception {
        byte[] good = Files.readAllBytes(image(memory(16, 8)));
        byte[] bad = good.clone();
        bad[good.length / 3] ^= 0x11;
        bad[good.length * 2 / 3] ^= 0x22;
        bad[good.length - 20] ^= 0x33;  // inside the tail
        Throwable file = fromFile(bad);
        assertThat(file).isInstanceOf(ChecksumException.class);
        assertThat(((ImageException) file).offset()).isLessThan(good.length / 3);
        sameFailure(file, fromStream(bad));

        // a later record's header broken: what the restart meets after the damaged page bytes
        byte[] cut = java.util.Arrays.copyOf(bad, good.length * 2 / 3);
        sameFailure(fromFile(cut), fromStream(cut));
    }

    /** Areas of {@code pages} pages each, {@code mib} MiB in all, every other page zero: records of one page. */
    private static Task smallRecords(int mib, int pages, byte[] big) {
        List<Vma> vmas = new ArrayList<>();
        long start = 0x1000_0000L;
        SplittableRandom rnd = new SplittableRandom(mib);
        for (long n = 0; n < (long) mib << 20; n += pages * 4096L) {
            byte[] mem = new byte[pages * 4096];
            for (int p = 0; p < pages; p += 2) {
                mem[p * 4096 + rnd.nextInt(4096)] = (byte) (1 + rnd.nextInt(255));
            }
            vmas.add(Vma.anonymous(start, start + mem.length, PageData.of(start, ByteBuffer.wrap(mem))));
            start += mem.length + 4096;
        }
        if (big != null) {
            vmas.add(Vma.anonymous(BASE, BASE + big.length, PageData.of(BASE, ByteBuffer.wrap(big))));
        }
        return Task.builder().pid(8).comm("small").mm(AddressSpace.of(vmas))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    /**
     * An image that begins with small records (as a host of many small areas writes) is read
     * ahead from the first 16 MiB on, also where large records come later: the restart then
     * hands no record to the page reader thread, and reads the same task.
     */
    @Test
    void smallRecordsFirstAreReadAheadAsBefore() throws Exception {
        byte[] big = memory(8, 9);
        Task t = smallRecords(40, 8, big);
        Path p = dir.resolve("small");
        Checkpointer.builder().architecture("test64").build().checkpoint(t, p);
        assertThat(Files.size(p)).isGreaterThan(20L << 20);
        long before = PageReads.RECORDS_READ.get();
        RestartResult r = Restarter.builder().build().restart(p);
        assertThat(PageReads.RECORDS_READ.get() - before).as("records read on the page reader thread").isZero();
        sameAreas(t, r);
        assertThat(liveThreads()).isZero();
    }

    /**
     * A page destination whose memory only the restart's thread may write (as a confined memory
     * segment): the thread hands back what it was given, the restart reads those records and
     * every later one itself, the pages arrive intact, and a damaged one still fails as in order.
     */
    @Test
    void aDestinationConfinedToTheRestartsThreadIsReadThere() throws Exception {
        byte[] mem = memory(16, 10);
        Path p = image(mem);
        byte[] good = Files.readAllBytes(p);
        PageReads.destinationConfinedForTests = true;
        try {
            long before = PageReads.RECORDS_READ.get();
            RecordingHost host = new RecordingHost();
            try (FileChannel ch = FileChannel.open(p)) {
                Restarter.builder().build().restart(ch, host);
            }
            assertThat(host.calls).containsExactly("commit");
            assertThat(contents(host.committed)).isEqualTo(mem);
            assertThat(PageReads.RECORDS_READ.get() - before).as("records the thread read").isZero();
            // damage early (in the first record handed over, read again at the tail) and later
            for (int percent : new int[] {1, 2, 3, 4, 6, 8, 50}) {
                byte[] bad = good.clone();
                bad[(int) ((long) good.length * percent / 100)] ^= 0x7f;
                sameFailure(fromFile(bad), fromStream(bad));
            }
        } finally {
            PageReads.destinationConfinedForTests = false;
        }
        assertThat(liveThreads()).isZero();
    }
}
