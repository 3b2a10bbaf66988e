package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.ckpt.Checkpointer;
import org.ckpt.PageDestination;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.ArchHead;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review probes of PageReads (the page bytes of large PAGES records read on a thread of their
 * own): changes to the file during the restart, interrupts, hosts' page destinations,
 * sealed / encrypted images, damage in every place, the switch to read-ahead.
 */
class PageReadsReviewTest {
    private static final long BASE = 0x4000_0000L;
    private static final SecretKey HMAC = new SecretKeySpec(new byte[32], "HmacSHA256");
    private static final SecretKey AES = new SecretKeySpec(new byte[32], "AES");

    @TempDir
    Path dir;

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    // ---- building images -------------------------------------------------------------------------

    /** {@link PageReadsTest#memory}: records of every size up to the largest. */
    private static byte[] memory(int mib, long seed) {
        return PageReadsTest.memory(mib, seed);
    }

    /** Every page non-zero: one long run, records of the largest size. */
    private static byte[] dense(int mib, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] mem = new byte[mib << 20];
        for (int i = 0; i < mem.length; i += 1 + rnd.nextInt(64)) {
            mem[i] = (byte) (1 + rnd.nextInt(255));
        }
        return mem;
    }

    private static Task task(byte[] mem) {
        Vma v = Vma.anonymous(BASE, BASE + mem.length, PageData.of(BASE, ByteBuffer.wrap(mem)));
        return Task.builder().pid(7).comm("big").mm(AddressSpace.of(List.of(v)))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    /** Records of one page each after a big area's large ones ({@link #bigThenSmall}). */
    private static final int SMALL_RECORDS = 3000;

    /**
     * A task of 17 MiB of dense pages (records of the largest size, {@code dense(17, seed)}),
     * then an area of {@link #SMALL_RECORDS} records of one page.
     */
    private static Task bigThenSmall(long seed) {
        byte[] big = dense(17, seed);
        List<Vma> vmas = new ArrayList<>();
        vmas.add(Vma.anonymous(BASE, BASE + big.length, PageData.of(BASE, ByteBuffer.wrap(big))));
        long start = 0x8000_0000L;
        byte[] pages = new byte[SMALL_RECORDS * 2 * 4096];
        for (int i = 0; i < SMALL_RECORDS; i++) {
            pages[2 * i * 4096 + 17] = (byte) (1 + i % 255);  // every other page zero: records of one page
        }
        vmas.add(Vma.anonymous(start, start + pages.length, PageData.of(start, ByteBuffer.wrap(pages))));
        return Task.builder().pid(7).comm("mix").mm(AddressSpace.of(vmas))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    private static Checkpointer.Builder checkpointer() {
        return Checkpointer.builder().architecture("test64").checkpointId(11).created(Instant.ofEpochSecond(1_000_000))
                .uname(new Uname("Linux", "h", "6", "#1", "x86_64"));
    }

    private Path image(Task t, Checkpointer.Builder b, String name) throws IOException {
        Path p = dir.resolve(name);
        b.build().checkpoint(t, p);
        return p;
    }

    private static byte[] contents(RestartResult r, int vma) throws IOException {
        return PageReadsTest.contents(r, vma);
    }

    private static int liveThreads() throws InterruptedException {
        return PageReadsTest.liveThreads();
    }

    private static void assertFailedCleanly(RecordingHost host) throws InterruptedException {
        if (host.allocations == 0) {
            assertThat(host.calls).as("a restart that failed before any allocate commits nothing").isEmpty();
        } else {
            assertThat(host.calls).as("a failed restart releases the page destination and commits nothing")
                    .containsExactly("release");
        }
        assertThat(host.committed).isNull();
        assertThat(liveThreads()).as("threads left").isZero();
    }

    private Throwable fromFile(byte[] bytes, Restarter r, RecordingHost host) throws Exception {
        Path p = dir.resolve("damaged");
        Files.write(p, bytes);
        Throwable t;
        try (FileChannel ch = FileChannel.open(p)) {
            t = catchThrowable(() -> r.restart(ch, host));
        }
        return t;
    }

    private static Throwable fromStream(byte[] bytes, Restarter r, RecordingHost host) {
        ReadableByteChannel ch = Channels.newChannel(new ByteArrayInputStream(bytes));
        return catchThrowable(() -> r.restart(ch, host));
    }

    private static void sameFailure(Throwable file, Throwable stream) {
        assertThat(stream).isInstanceOf(ImageException.class);
        assertThat(file).as("from the file: %s", file).isInstanceOf(stream.getClass());
        assertThat(file.getClass()).isEqualTo(stream.getClass());
        assertThat(((ImageException) file).recordType()).isEqualTo(((ImageException) stream).recordType());
        assertThat(((ImageException) file).offset()).isEqualTo(((ImageException) stream).offset());
        assertThat(file.getMessage()).isEqualTo(stream.getMessage());
    }

    /** Record offsets and lengths of the image, by walking its headers (magic 8 bytes, header 16 bytes). */
    static List<long[]> records(byte[] image) {
        List<long[]> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(image).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long at = 8;
        while (at + 16 <= image.length) {
            int type = b.getInt((int) at);
            long len = b.getInt((int) at + 8) & 0xFFFF_FFFFL;
            out.add(new long[] {at, type, len});
            at += 16 + len + Format.padding((int) len);
        }
        return out;
    }

    private static List<long[]> largePages(byte[] image) {
        List<long[]> out = new ArrayList<>();
        for (long[] r : records(image)) {
            if (r[1] == RecordTypes.PAGES && r[2] - 16 >= 512 << 10) {
                out.add(r);
            }
        }
        return out;
    }

    // ---- 1: the file changed while it is read ---------------------------------------------------------

    @Test
    void fileChangedDuringTheRestartFailsCleanly() throws Exception {
        byte[] mem = dense(12, 21);
        Path p = image(task(mem), checkpointer(), "changing");
        byte[] good = Files.readAllBytes(p);
        List<long[]> large = largePages(good);
        assertThat(large.size()).isGreaterThan(6);
        for (String change : List.of("overwrite-next", "overwrite-earlier", "cut", "cut-early", "grown")) {
            for (int when : new int[] {1, 3, 6}) {
                Files.write(p, good);
                RecordingHost host = new RecordingHost();
                host.during = n -> {
                    if (n != when) {
                        return;
                    }
                    try (FileChannel w = FileChannel.open(p, StandardOpenOption.WRITE)) {
                        switch (change) {
                            case "overwrite-next" -> {  // the page bytes of the record being allocated and the next
                                long at = large.get(Math.min(large.size() - 1, when)).clone()[0] + 1000;
                                w.write(ByteBuffer.wrap(new byte[] {0x55, 0x66, 0x77}), at);
                                w.write(ByteBuffer.wrap(new byte[] {0x55, 0x66, 0x77}), at + 700_000);
                            }
                            case "overwrite-earlier" -> {  // page bytes the thread may not have read yet
                                long at = large.get(when - 1)[0] + 900_000;
                                w.write(ByteBuffer.wrap(new byte[] {0x15, 0x16, 0x17}), at);
                            }
                            case "cut" -> w.truncate(good.length / 2);
                            case "cut-early" -> w.truncate(large.get(when - 1)[0] + 300_000);
                            case "grown" -> w.write(ByteBuffer.wrap(new byte[4096]), good.length);
                            default -> throw new AssertionError(change);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                };
                Throwable t;
                try (FileChannel ch = FileChannel.open(p)) {
                    t = catchThrowable(() -> Restarter.builder().build().restart(ch, host));
                }
                assertThat(t).as("%s at allocate %d", change, when).isInstanceOf(ImageException.class);
                assertFailedCleanly(host);
            }
        }
    }

    // ---- 2: the restarting thread interrupted ----------------------------------------------------------

    @Test
    void interruptedRestartEndsCleanlyAndWritesNoBufferAfterwards() throws Exception {
        byte[] mem = dense(12, 22);
        Path p = image(task(mem), checkpointer(), "interrupted");
        for (int when : new int[] {1, 2, 5, 9}) {
            RecordingHost host = new RecordingHost();
            host.during = n -> {
                if (n == when) {
                    Thread.currentThread().interrupt();
                }
            };
            Throwable t;
            List<byte[]> before;
            try (FileChannel ch = FileChannel.open(p)) {
                t = catchThrowable(() -> Restarter.builder().build().restart(ch, host));
                before = host.snapshot();
            }
            assertThat(Thread.interrupted()).as("interrupt status kept").isTrue();
            assertThat(t).as("interrupt at allocate %d", when)
                    .isInstanceOfAny(InterruptedIOException.class, ClosedByInterruptException.class);
            assertFailedCleanly(host);
            Thread.sleep(50);
            List<byte[]> after = host.snapshot();
            for (int i = 0; i < before.size(); i++) {
                assertThat(after.get(i)).as("buffer %d written after the restart threw", i).isEqualTo(before.get(i));
            }
        }
    }

    /** The stream (reference) behaviour for the same interrupt: an InterruptedIOException. */
    @Test
    void interruptedRestartThrowsWhatTheSequentialReadThrows() throws Exception {
        byte[] mem = dense(12, 23);
        Path p = image(task(mem), checkpointer(), "interrupted2");
        byte[] bytes = Files.readAllBytes(p);
        RecordingHost s = new RecordingHost();
        s.during = n -> {
            if (n == 2) {
                Thread.currentThread().interrupt();
            }
        };
        Throwable stream = fromStream(bytes, Restarter.builder().build(), s);
        assertThat(Thread.interrupted()).isTrue();
        RecordingHost f = new RecordingHost();
        f.during = s.during;
        Throwable file;
        boolean open;
        try (FileChannel ch = FileChannel.open(p)) {
            file = catchThrowable(() -> Restarter.builder().build().restart(ch, f));
            open = ch.isOpen();
        }
        assertThat(Thread.interrupted()).isTrue();
        assertFailedCleanly(f);
        assertThat(stream).isInstanceOf(InterruptedIOException.class);
        assertThat(file).as("from the file").isInstanceOf(stream.getClass());
        assertThat(open).as("the host's channel is left open, as a read in order leaves it").isTrue();
    }

    /** A damaged record handed to the thread, then an interrupt at a later allocate: the checksum failure came first. */
    @Test
    void aDamagedRecordBeforeAnInterruptIsReportedAsTheStreamReportsIt() throws Exception {
        byte[] mem = dense(12, 34);
        Path p = image(task(mem), checkpointer(), "damaged-then-interrupted");
        byte[] bad = Files.readAllBytes(p);
        List<long[]> large = largePages(bad);
        bad[(int) large.get(0)[0] + 16 + 16 + 300_000] ^= 0x40;
        java.util.function.IntConsumer interrupt = n -> {
            if (n == 3) {
                Thread.currentThread().interrupt();
            }
        };
        RecordingHost s = new RecordingHost();
        s.during = interrupt;
        Throwable stream = fromStream(bad, Restarter.builder().build(), s);
        Thread.interrupted();
        assertThat(stream).isInstanceOf(ChecksumException.class);
        RecordingHost h = new RecordingHost();
        h.during = interrupt;
        Throwable file = fromFile(bad, Restarter.builder().build(), h);
        Thread.interrupted();
        assertFailedCleanly(h);
        sameFailure(file, stream);
    }

    // ---- 3: page destinations -----------------------------------------------------------------------

    @Test
    void allocateThrowingAfterSomeRecordsFailsCleanly() throws Exception {
        byte[] mem = dense(12, 24);
        Path p = image(task(mem), checkpointer(), "throwing");
        for (int when : new int[] {1, 2, 4, 7, 11}) {
            RecordingHost host = new RecordingHost();
            IOException boom = new IOException("host out of memory at " + when);
            host.storage = run -> {
                if (host.allocations == when) {
                    throw new UncheckedIOException(boom);
                }
                return ByteBuffer.allocate(run.length());
            };
            Throwable t;
            try (FileChannel ch = FileChannel.open(p)) {
                t = catchThrowable(() -> Restarter.builder().build().restart(ch, host));
            }
            assertThat(t).isInstanceOf(UncheckedIOException.class);
            assertThat(t.getCause()).isSameAs(boom);
            assertFailedCleanly(host);
        }
    }

    /**
     * A damaged record handed to the thread, then the host's allocate failing at a later record:
     * read in order, the checksum failure comes first (the later allocate never happens).
     */
    @Test
    void aDamagedRecordBeforeAFailingAllocateIsReportedAsTheStreamReportsIt() throws Exception {
        byte[] mem = dense(12, 25);
        Path p = image(task(mem), checkpointer(), "damaged-then-throwing");
        byte[] bad = Files.readAllBytes(p);
        List<long[]> large = largePages(bad);
        bad[(int) large.get(0)[0] + 16 + 16 + 200_000] ^= 0x40;   // the first large record's pages
        java.util.function.Supplier<RecordingHost> host = () -> {
            RecordingHost h = new RecordingHost();
            h.storage = run -> {
                if (h.allocations == 3) {
                    throw new IllegalStateException("host refuses the third run");
                }
                return ByteBuffer.allocate(run.length());
            };
            return h;
        };
        Throwable stream = fromStream(bad, Restarter.builder().build(), host.get());
        assertThat(stream).isInstanceOf(ChecksumException.class);
        RecordingHost h = host.get();
        Throwable file = fromFile(bad, Restarter.builder().build(), h);
        assertFailedCleanly(h);
        sameFailure(file, stream);
    }

    @Test
    void directBuffersAndSlicesOfOneArrayArriveIntact() throws Exception {
        byte[] mem = memory(20, 26);
        Path p = image(task(mem), checkpointer(), "destinations");
        // direct buffers
        RecordingHost direct = new RecordingHost();
        direct.storage = run -> ByteBuffer.allocateDirect(run.length());
        long before = PageReads.RECORDS_READ.get();
        try (FileChannel ch = FileChannel.open(p)) {
            Restarter.builder().build().restart(ch, direct);
            assertThat(ch.position()).isEqualTo(ch.size());
        }
        assertThat(direct.calls).containsExactly("commit");
        assertThat(contents(direct.committed, 0)).isEqualTo(mem);
        // slices of one big array, each at a position that is not 0, the same ByteBuffer object repositioned
        byte[] big = new byte[mem.length + (64 << 20)];
        ByteBuffer whole = ByteBuffer.wrap(big);
        int[] next = {4096 + 8};
        RecordingHost sliced = new RecordingHost();
        sliced.storage = run -> {
            whole.limit(next[0] + run.length()).position(next[0]);
            next[0] += run.length() + 24;
            return whole;
        };
        try (FileChannel ch = FileChannel.open(p)) {
            Restarter.builder().build().restart(ch, sliced);
        }
        assertThat(sliced.calls).containsExactly("commit");
        assertThat(contents(sliced.committed, 0)).isEqualTo(mem);
        // arrayOffset != 0 slices
        RecordingHost offset = new RecordingHost();
        ByteBuffer arena = ByteBuffer.allocate(mem.length + (16 << 20));
        offset.storage = run -> {
            ByteBuffer s = arena.slice(arena.position() + 3, run.length());
            arena.position(arena.position() + run.length() + 3);
            return s;
        };
        try (FileChannel ch = FileChannel.open(p)) {
            Restarter.builder().build().restart(ch, offset);
        }
        assertThat(contents(offset.committed, 0)).isEqualTo(mem);
        assertThat(PageReads.RECORDS_READ.get() - before).isPositive();
        assertThat(liveThreads()).isZero();
    }

    // ---- 4: sealed and encrypted images, digests ---------------------------------------------------

    @Test
    void sealedEncryptedAndDigestImagesRestartAndFailAsTheStream() throws Exception {
        byte[] mem = dense(10, 27);
        record Case(String name, Checkpointer.Builder cp, Restarter r, boolean parallel) {
        }
        List<Case> cases = List.of(
                new Case("sealed", checkpointer().seal("k", HMAC), Restarter.builder().trust("k", HMAC).build(), false),
                new Case("sealed, read untrusted", checkpointer().seal("k", HMAC), Restarter.builder().build(), true),
                new Case("encrypted", checkpointer().encrypt("e", AES).seal("k", HMAC),
                        Restarter.builder().trust("k", HMAC).decryptionKey("e", AES).build(), false),
                new Case("digests", checkpointer().pageDigests(true), Restarter.builder().build(), true));
        for (Case c : cases) {
            Path p = image(task(mem), c.cp, c.name.replace(' ', '_').replace(',', '_'));
            long before = PageReads.RECORDS_READ.get();
            RecordingHost ok = new RecordingHost();
            try (FileChannel ch = FileChannel.open(p)) {
                c.r.restart(ch, ok);
                assertThat(ch.position()).isEqualTo(ch.size());
            }
            assertThat(contents(ok.committed, 0)).as(c.name).isEqualTo(mem);
            if (c.parallel) {
                assertThat(PageReads.RECORDS_READ.get() - before).as(c.name).isPositive();
            } else {
                assertThat(PageReads.RECORDS_READ.get() - before).as(c.name).isZero();
            }
            byte[] good = Files.readAllBytes(p);
            SplittableRandom rnd = new SplittableRandom(28);
            for (int i = 0; i < 4; i++) {
                byte[] bad = good.clone();
                bad[good.length / 8 + rnd.nextInt(good.length * 3 / 4)] ^= 0x21;
                RecordingHost h = new RecordingHost();
                Throwable file = fromFile(bad, c.r, h);
                assertFailedCleanly(h);
                sameFailure(file, fromStream(bad, c.r, new RecordingHost()));
            }
        }
    }

    // ---- 5: damage in every place ------------------------------------------------------------------

    @Test
    void damageInEveryPlaceAroundLargeRecordsFailsAsTheStream() throws Exception {
        byte[] mem = memory(12, 29);
        Path p = image(task(mem), checkpointer(), "places");
        byte[] good = Files.readAllBytes(p);
        List<long[]> recs = records(good);
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < recs.size(); i++) {
            long[] r = recs.get(i);
            if (r[1] != RecordTypes.PAGES || r[2] - 16 < 256 << 10) {
                continue;
            }
            int at = (int) r[0];
            // header: type, flags, length, crc; prefix: address, count, reserved; the first and last page byte
            for (int off : new int[] {0, 4, 9, 12, 16, 24, 28, 32, (int) (16 + r[2] - 1)}) {
                positions.add(at + off);
            }
            if (i + 1 < recs.size()) {
                long[] n = recs.get(i + 1);
                positions.add((int) n[0]);        // the next record's type
                positions.add((int) n[0] + 12);   // its crc
                positions.add((int) (n[0] + 16 + Math.min(n[2], 40) - 1));
            }
            if (positions.size() > 60) {
                break;
            }
        }
        positions.add(good.length - 1);  // the tail
        positions.add(good.length - 30);
        for (int pos : positions) {
            byte[] bad = good.clone();
            bad[pos] ^= 0x08;
            RecordingHost h = new RecordingHost();
            Throwable file = fromFile(bad, Restarter.builder().build(), h);
            assertFailedCleanly(h);
            Throwable stream = fromStream(bad, Restarter.builder().build(), new RecordingHost());
            assertThat(file).as("damage at %d", pos).isNotNull();
            sameFailure(file, stream);
        }
    }

    @Test
    void severalDamagesReportTheEarliestAsTheStream() throws Exception {
        byte[] mem = dense(14, 30);
        Path p = image(task(mem), checkpointer(), "several");
        byte[] good = Files.readAllBytes(p);
        List<long[]> large = largePages(good);
        SplittableRandom rnd = new SplittableRandom(31);
        for (int i = 0; i < 10; i++) {
            byte[] bad = good.clone();
            int k = 1 + rnd.nextInt(large.size() - 2);
            // damage record k's pages and the header of a later one and of an earlier one (sometimes)
            bad[(int) large.get(k)[0] + 40 + rnd.nextInt(500_000)] ^= 0x01;
            bad[(int) large.get(k + 1)[0] + 12] ^= 0x02;
            if (rnd.nextBoolean()) {
                bad[(int) large.get(k - 1)[0] + 100 + rnd.nextInt(500_000)] ^= 0x04;
            }
            if (rnd.nextBoolean()) {
                bad = Arrays.copyOf(bad, (int) large.get(k + 1)[0] + 5000);
            }
            RecordingHost h = new RecordingHost();
            Throwable file = fromFile(bad, Restarter.builder().build(), h);
            assertFailedCleanly(h);
            sameFailure(file, fromStream(bad, Restarter.builder().build(), new RecordingHost()));
        }
    }

    // ---- 6: the switch to read-ahead ----------------------------------------------------------------

    /** Areas of small records first, then large ones, then small again: decide() switches mid-way. */
    private static Task mixed(int smallMib, byte[] big, int smallAfterMib) {
        List<Vma> vmas = new ArrayList<>();
        long start = 0x1000_0000L;
        SplittableRandom rnd = new SplittableRandom(smallMib);
        for (int part = 0; part < 2; part++) {
            int mib = part == 0 ? smallMib : smallAfterMib;
            for (long n = 0; n < (long) mib << 20; n += 8 * 4096L) {
                byte[] mem = new byte[8 * 4096];
                for (int pg = 0; pg < 8; pg += 2) {
                    mem[pg * 4096 + rnd.nextInt(4096)] = (byte) (1 + rnd.nextInt(255));
                }
                vmas.add(Vma.anonymous(start, start + mem.length, PageData.of(start, ByteBuffer.wrap(mem))));
                start += mem.length + 4096;
            }
            if (part == 0) {
                start = Math.max(start, BASE);
                vmas.add(Vma.anonymous(start, start + big.length, PageData.of(start, ByteBuffer.wrap(big))));
                start += big.length + 4096;
            }
        }
        return Task.builder().pid(9).comm("mixed").mm(AddressSpace.of(vmas))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    @Test
    void switchingToReadAheadWithRecordsStillBeingReadKeepsCrcAndPosition() throws Exception {
        byte[] big = dense(7, 32);
        Task t = mixed(9, big, 12);
        Path p = image(t, checkpointer(), "mixed");
        long before = PageReads.RECORDS_READ.get();
        RecordingHost host = new RecordingHost();
        try (FileChannel ch = FileChannel.open(p)) {
            Restarter.builder().build().restart(ch, host);
            assertThat(ch.position()).isEqualTo(ch.size());
        }
        assertThat(PageReads.RECORDS_READ.get() - before).as("records on the page reader thread").isPositive();
        PageReadsTest.sameAreas(t, host.committed);
        // damage in the last large record (likely still being read at the switch), and after it
        byte[] good = Files.readAllBytes(p);
        List<long[]> large = largePages(good);
        long[] last = large.get(large.size() - 1);
        for (int off : new int[] {100, (int) last[2] - 1, (int) last[2] + 16 + 100}) {
            byte[] bad = good.clone();
            bad[(int) last[0] + 16 + off] ^= 0x10;
            RecordingHost h = new RecordingHost();
            Throwable file = fromFile(bad, Restarter.builder().build(), h);
            assertFailedCleanly(h);
            sameFailure(file, fromStream(bad, Restarter.builder().build(), new RecordingHost()));
        }
        assertThat(liveThreads()).isZero();
    }

    /** Many restarts of one image with a slow host: the thread's jobs finish out of step with the parse. */
    @Test
    void slowAndFastHostsReadTheSameBytes() throws Exception {
        byte[] mem = memory(16, 33);
        Path p = image(task(mem), checkpointer(), "steps");
        for (int round = 0; round < 4; round++) {
            RecordingHost h = new RecordingHost();
            int r = round;
            h.during = n -> {
                if ((n + r) % 3 == 0) {
                    LockSupport.parkNanos(200_000L * r);
                }
            };
            try (FileChannel ch = FileChannel.open(p)) {
                Restarter.builder().build().restart(ch, h);
                assertThat(ch.position()).isEqualTo(ch.size());
            }
            assertThat(contents(h.committed, 0)).isEqualTo(mem);
        }
        assertThat(liveThreads()).isZero();
    }

    // ---- 4b: record sizes, page sizes, limits -------------------------------------------------------

    @Test
    void otherRecordAndPageSizesRestartAndFailAsTheStream() throws Exception {
        byte[] mem = memory(12, 40);
        List<Checkpointer.Builder> builders = List.of(
                checkpointer().limits(org.ckpt.spi.Limits.DEFAULTS.withMaxRecordSize(80 << 10)),
                checkpointer().limits(org.ckpt.spi.Limits.DEFAULTS.withMaxRecordSize((64 << 10) + 16 + 4096)),
                checkpointer().limits(org.ckpt.spi.Limits.DEFAULTS.withMaxRecordSize(200 << 10)),
                checkpointer().pageSize(65536),
                checkpointer().pageSize(1 << 20).limits(org.ckpt.spi.Limits.DEFAULTS.withMaxRecordSize(4 << 20)));
        int i = 0;
        for (Checkpointer.Builder b : builders) {
            Path p = image(task(mem), b, "sizes-" + i++);
            long before = PageReads.RECORDS_READ.get();
            RecordingHost ok = new RecordingHost();
            try (FileChannel ch = FileChannel.open(p)) {
                Restarter.builder().build().restart(ch, ok);
                assertThat(ch.position()).isEqualTo(ch.size());
            }
            assertThat(contents(ok.committed, 0)).as("builder %d", i).isEqualTo(mem);
            assertThat(PageReads.RECORDS_READ.get() - before).as("builder %d", i).isPositive();
            byte[] good = Files.readAllBytes(p);
            SplittableRandom rnd = new SplittableRandom(41);
            for (int k = 0; k < 4; k++) {
                byte[] bad = good.clone();
                bad[good.length / 8 + rnd.nextInt(good.length * 3 / 4)] ^= 0x42;
                if (k == 3) {
                    bad = Arrays.copyOf(bad, good.length / 2 + rnd.nextInt(good.length / 3));
                }
                RecordingHost h = new RecordingHost();
                Throwable file = fromFile(bad, Restarter.builder().build(), h);
                assertFailedCleanly(h);
                sameFailure(file, fromStream(bad, Restarter.builder().build(), new RecordingHost()));
            }
            // a restarter whose maxRecordSize is below the image's records
            Restarter small = Restarter.builder().limits(org.ckpt.spi.Limits.DEFAULTS.withMaxRecordSize(70 << 10)).build();
            RecordingHost h = new RecordingHost();
            Throwable file = fromFile(good, small, h);
            Throwable stream = fromStream(good, small, new RecordingHost());
            if (stream == null) {
                assertThat(file).as("builder %d", i).isNull();
            } else {
                assertFailedCleanly(h);
                sameFailure(file, stream);
            }
        }
    }

    // ---- 5b: the trail of several tasks, shared and file-backed areas --------------------------------

    @Test
    void theTrailOfADamagedRecordIsTheStreamsInEveryTaskAndArea() throws Exception {
        org.ckpt.model.GenericFile lib = org.ckpt.model.GenericFile.open(org.ckpt.model.FileKind.REGULAR, "/lib.so",
                0, 0100644, 0);
        org.ckpt.model.GenericFile shm = org.ckpt.model.GenericFile.open(org.ckpt.model.FileKind.REGULAR, "/dev/shm/x",
                0, 0100644, 0);
        byte[] a = dense(3, 50);
        byte[] b = dense(3, 51);
        byte[] c = dense(3, 52);
        byte[] d = dense(3, 53);
        long s1 = 0x1000_0000L;
        long s2 = 0x2000_0000L;
        long s3 = 0x3000_0000L;
        long s4 = 0x5000_0000L;
        AddressSpace shared = AddressSpace.of(List.of(
                Vma.anonymous(s1, s1 + a.length, PageData.of(s1, ByteBuffer.wrap(a))),
                new Vma(s2, s2 + b.length, Vma.PROT_READ | Vma.PROT_WRITE, 0, 0, lib, PageData.of(s2, ByteBuffer.wrap(b)))));
        AddressSpace own = AddressSpace.of(List.of(
                new Vma(s3, s3 + c.length, Vma.PROT_READ | Vma.PROT_WRITE, Vma.SHARED, 0, shm,
                        PageData.of(s3, ByteBuffer.wrap(c))),
                Vma.anonymous(s4, s4 + d.length, PageData.of(s4, ByteBuffer.wrap(d)))));
        TestCpu cpu = new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF);
        List<Task> tasks = List.of(
                Task.builder().pid(10).tgid(10).comm("a").mm(shared).cpu(cpu).build(),
                Task.builder().pid(11).tgid(10).comm("a").mm(shared).cpu(cpu).build(),
                Task.builder().pid(12).tgid(12).comm("b").mm(own).cpu(cpu).build());
        Path p = dir.resolve("tasks");
        checkpointer().build().checkpoint(tasks, p);
        RecordingHost ok = new RecordingHost();
        try (FileChannel ch = FileChannel.open(p)) {
            Restarter.builder().build().restart(ch, ok);
        }
        assertThat(ok.committed.tasks()).hasSize(3);
        byte[] good = Files.readAllBytes(p);
        List<long[]> large = largePages(good);
        assertThat(large.size()).isGreaterThanOrEqualTo(8);
        for (long[] r : large) {
            byte[] bad = good.clone();
            bad[(int) (r[0] + 16 + 16 + 77_777)] ^= 0x01;
            RecordingHost h = new RecordingHost();
            Throwable file = fromFile(bad, Restarter.builder().build(), h);
            assertFailedCleanly(h);
            Throwable stream = fromStream(bad, Restarter.builder().build(), new RecordingHost());
            sameFailure(file, stream);
            assertThat(((ImageException) file).trail()).isEqualTo(((ImageException) stream).trail()).contains("vma");
        }
    }

    // ---- 6b: the image CRC's list of blocks after the last record handed to the thread -----------------

    /**
     * Large records first (the restart keeps handing them to the thread), then only records too
     * small for it: Crc32c.Running's list of blocks after a pending one is folded only when a
     * record is handed over, so after the last one every PAGES record adds an entry until the
     * tail. It should stay short.
     */
    @Test
    void theImageCrcKeepsNoListOfEverySmallRecordAfterTheLastLargeOne() throws Exception {
        Task t = bigThenSmall(60);
        Path p = image(t, checkpointer(), "crc-list");
        RestartSession[] session = new RestartSession[1];
        int[] most = new int[1];
        PageDestination heap = PageDestination.heap();
        int[] smallSeen = new int[1];
        PageDestination watching = run -> {
            if (run.length() == 4096 && smallSeen[0]++ == 0) {
                // the first small record: let the thread finish every large one it was given
                LockSupport.parkNanos(200_000_000L);
            }
            // at the last allocate: how many blocks the image CRC still holds
            most[0] = session[0].reader().crcBlocks();
            return heap.allocate(run);
        };
        long before = PageReads.RECORDS_READ.get();
        try (FileChannel ch = FileChannel.open(p)) {
            session[0] = new RestartSession(Registry.discovered(getClass().getClassLoader(), null),
                    org.ckpt.spi.Limits.DEFAULTS, "/", null, ch, null, null, watching,
                    new RestartSession.Options(java.time.Duration.ofSeconds(30), false));
            session[0].readImage();
        }
        assertThat(PageReads.RECORDS_READ.get() - before).isPositive();
        assertThat(most[0]).as("blocks the image CRC holds, waiting for a record long read").isLessThan(16);
    }

    /**
     * A large record the page reader thread found damaged, then thousands of small records: the
     * restart stops at the next record it parses once the failure is known, instead of reading
     * on to the tail while the image CRC keeps a block for every record after the damaged one
     * (a hostile image could make that list as long as it has records); it reports what a
     * sequential read of the same bytes reports.
     */
    @Test
    void aRecordTheThreadFoundDamagedStopsTheRestartAtTheNextRecord() throws Exception {
        Task t = bigThenSmall(61);
        Path p = image(t, checkpointer(), "damaged-then-small");
        // A byte of the page bytes of the last large record (the thread is given the last ones).
        byte[] bytes = Files.readAllBytes(p);
        bytes[(17 << 20) - (300 << 10)] ^= 0x40;
        Throwable sequential = fromStream(bytes, Restarter.builder().build(), new RecordingHost());
        int[] smallSeen = new int[1];
        PageDestination heap = PageDestination.heap();
        RecordingHost host = new RecordingHost();
        host.storage = run -> {
            if (run.length() == 4096 && smallSeen[0]++ == 0) {
                // the first small record: let the thread finish every large one it was given
                LockSupport.parkNanos(200_000_000L);
            }
            try {
                return heap.allocate(run);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        long before = PageReads.RECORDS_READ.get();
        Throwable parallel = fromFile(bytes, Restarter.builder().build(), host);
        assertThat(PageReads.RECORDS_READ.get() - before).isPositive();
        sameFailure(parallel, sequential);
        assertThat(smallSeen[0]).as("small records read after the damaged one").isLessThan(SMALL_RECORDS / 10);
        assertFailedCleanly(host);
        assertThat(liveThreads()).isZero();
    }

    /**
     * An arch provider that wraps the IOException of a record it reads (here the stop at its
     * second CPU record, the first record read after the page reader thread found the one
     * before the task damaged) does not change what the restart reports: the damaged record's
     * failure, as a sequential read reports it, with no trace of the stop.
     */
    @Test
    void aProviderThatWrapsTheStopStillGetsTheDamagedRecordReported() throws Exception {
        Path p = image(task(dense(17, 67)), checkpointer().register(new WrappingArch()), "damaged-then-cpu");
        byte[] bytes = Files.readAllBytes(p);
        List<long[]> large = largePages(bytes);
        long[] last = large.get(large.size() - 1);  // the mm's last record: the TASK and CPU records follow
        bytes[(int) (last[0] + 16 + 16 + (last[2] - 16) / 2)] ^= 0x40;  // a byte of its page bytes
        Throwable sequential = fromStream(bytes, Restarter.builder().register(new WrappingArch()).build(),
                new RecordingHost());
        // The provider meets the stop when the thread was given the damaged record, has not
        // finished it by the first CPU record (whose header the library reads after the TASK
        // record) but has by the second: the provider waits between the two, and the host
        // allocates slowly, so that the thread keeps up and is given the last record too (with
        // its queue full the restart's thread reads a record itself). A few tries all the same.
        boolean met = false;
        for (int attempt = 0; attempt < 10 && !met; attempt++) {
            WrappingArch arch = new WrappingArch();
            RecordingHost host = new RecordingHost();
            host.during = n -> LockSupport.parkNanos(2_000_000L);
            long before = PageReads.RECORDS_READ.get();
            Throwable parallel = fromFile(bytes, Restarter.builder().register(arch).build(), host);
            assertThat(PageReads.RECORDS_READ.get() - before).isPositive();
            sameFailure(parallel, sequential);
            assertThat(PhaseReviewTest.mentionsPageReadFailed(parallel, 0)).as("%s", parallel).isFalse();
            assertFailedCleanly(host);
            assertThat(liveThreads()).isZero();
            if (arch.wrapped != null) {
                assertThat(arch.wrapped.getClass().getSimpleName()).isEqualTo("PageReadFailed");
                met = true;
            }
        }
        assertThat(met).as("the CPU record's read met the stop inside the provider").isTrue();
    }

    /**
     * The test architecture with a second CPU record, read late and the read's IOException
     * wrapped, as some providers do.
     */
    private static final class WrappingArch implements ArchProvider {
        private static final int SECOND = TestArch.CPU_RECORD + 1;
        private final TestArch inner = new TestArch();
        volatile IOException wrapped;

        @Override
        public Set<String> architectures() {
            return inner.architectures();
        }

        @Override
        public Set<Integer> recordTypes() {
            return Set.of(TestArch.CPU_RECORD, SECOND);
        }

        @Override
        public long addressLimit(String architecture, RestorePolicy policy) {
            return inner.addressLimit(architecture, policy);
        }

        @Override
        public ArchHead archHead(String architecture) {
            return inner.archHead(architecture);
        }

        @Override
        public void writeArchHead(ArchHead head, PayloadWriter out) throws IOException {
            inner.writeArchHead(head, out);
        }

        @Override
        public ArchHead readArchHead(String architecture, PayloadReader in)
                throws IOException {
            return inner.readArchHead(architecture, in);
        }

        @Override
        public void checkpointCpu(CpuState state, CkptContext ctx) throws IOException {
            inner.checkpointCpu(state, ctx);
            ctx.output().begin(SECOND).u64(0x5EC0_0D);
        }

        @Override
        public CpuState restoreCpu(CkptContext ctx) throws IOException {
            CpuState first = inner.restoreCpu(ctx);
            // the page reader thread finishes the large records it was given
            LockSupport.parkNanos(200_000_000L);
            try {
                ctx.input().next(SECOND).u64("marker");
            } catch (IOException e) {
                wrapped = e;
                throw new UncheckedIOException("the second CPU record", e);
            }
            return first;
        }

        @Override
        public CpuState check(CpuState state, CkptContext ctx)
                throws ImageException {
            return inner.check(state, ctx);
        }
    }
}
