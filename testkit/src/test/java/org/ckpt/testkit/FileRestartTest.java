package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restart from a file copies page records into memory it owns (checksumming the copy),
 * or with the immutable-file opt-in maps them; records of 64 KiB and more have their CRC
 * computed once and combined. Every path must accept exactly what the plain stream path
 * accepts, and reject exactly what it rejects.
 */
class FileRestartTest {
    private static final int PAGE = 4096;
    private static Task task;
    private static byte[] image;
    private final Restarter restarter = Restarter.builder().build();
    private final Restarter mapping = Restarter.builder().mapImmutableFiles(true).build();
    private final List<Restarter> both = List.of(restarter, mapping);

    @BeforeAll
    static void writeImage() throws IOException {
        SplittableRandom rnd = new SplittableRandom(7);
        // Above the size from which the library reads an image file ahead on a thread (8 MiB).
        byte[] big = new byte[2400 * PAGE];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) rnd.nextInt();
        }
        for (int p = 40; p < 45; p++) {
            java.util.Arrays.fill(big, p * PAGE, (p + 1) * PAGE, (byte) 0);
        }
        byte[] small = new byte[2 * PAGE];
        small[100] = 1;
        List<Vma> vmas = List.of(
                Vma.anonymous(0x100000, 0x100000 + big.length, PageData.of(0x100000, big)),
                Vma.anonymous(0x2000000, 0x2000000 + small.length, PageData.of(0x2000000, small)));
        task = Task.builder().pid(9).comm("big").mm(AddressSpace.of(vmas)).build();
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(TestArch.NAME).build().checkpoint(task, sink);
        image = sink.toByteArray();
    }

    @Test
    void checksumsAreThoseOfThePlainAlgorithm() {
        assertThat(ImageMutator.fixChecksums(image)).isEqualTo(image);
        assertThat(ImageRecords.parse(image).stream().filter(r -> r.type() == RecordTypes.PAGES)
                .mapToInt(r -> r.payload().length).max().getAsInt()).isGreaterThan(64 << 10);
    }

    @Test
    void fromAFileAtAnOffsetThePagesAreCopiesTheRestartOwns(@TempDir Path dir) throws IOException {
        Path f = afterPrefix(dir, 1000);
        RestartResult r;
        try (FileChannel in = FileChannel.open(f)) {
            in.position(1000);
            r = restarter.restart(in);
        }
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(List.of(task));
        assertThat(r.bytesRead()).isEqualTo(image.length);
        assertThat(runs(r)).isNotEmpty().noneMatch(b -> b.isDirect() || b.isReadOnly());
    }

    @Test
    void withTheImmutableFileOptInThePagesAreViewsOfTheMapping(@TempDir Path dir) throws IOException {
        Path f = afterPrefix(dir, 1000);
        RestartResult r;
        try (FileChannel in = FileChannel.open(f)) {
            in.position(1000);
            r = mapping.restart(in);
        }
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(List.of(task));
        assertThat(r.bytesRead()).isEqualTo(image.length);
        assertThat(runs(r)).isNotEmpty().allMatch(b -> b.isDirect() && b.isReadOnly());
    }

    @Test
    void theChannelIsLeftAfterTheImageAsAReadWouldLeaveIt(@TempDir Path dir) throws IOException {
        Path f = afterPrefix(dir, 24);
        for (Restarter each : both) {
            try (FileChannel in = FileChannel.open(f)) {
                in.position(24);
                each.restart(in);
                assertThat(in.position()).isEqualTo(24 + image.length);
            }
        }
    }

    /** A file holding {@code prefix} bytes of something else, then the image. */
    private static Path afterPrefix(Path dir, int prefix) throws IOException {
        Path f = dir.resolve("at-" + prefix);
        byte[] prefixed = new byte[prefix + image.length];
        System.arraycopy(image, 0, prefixed, prefix, image.length);
        Files.write(f, prefixed);
        return f;
    }

    /** 80 MiB of pages: records and headers cross the boundaries of the 64 MiB mapping windows. */
    @Test
    void imagesLargerThanAMappingWindow(@TempDir Path dir) throws IOException {
        byte[] mem = new byte[80 << 20];
        for (int p = 0; p < mem.length / PAGE; p++) {
            java.util.Arrays.fill(mem, p * PAGE, p * PAGE + 64, (byte) (p | 1));
        }
        Task huge = Task.builder().pid(3).comm("huge")
                .mm(AddressSpace.of(List.of(Vma.anonymous(0x10000000L, 0x10000000L + mem.length,
                        PageData.of(0x10000000L, mem))))).build();
        Path f = dir.resolve("huge");
        try (FileChannel out = FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            Checkpointer.builder().architecture(TestArch.NAME).build().checkpoint(huge, out);
        }
        for (Restarter each : both) {
            try (FileChannel in = FileChannel.open(f)) {
                RestartResult r = each.restart(in);
                CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(List.of(huge));
                assertThat(r.bytesRead()).isEqualTo(Files.size(f)).isGreaterThan(64L << 20);
            }
        }
    }

    @Test
    void fromAStreamThePagesAreHeapCopies() throws IOException {
        RestartResult r = restarter.restart(Channels.newChannel(new java.io.ByteArrayInputStream(image)));
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(List.of(task));
        assertThat(runs(r)).isNotEmpty().noneMatch(ByteBuffer::isDirect);
    }

    @Test
    void bitFlipsInMappedAndCombinedPayloadsAreRejected(@TempDir Path dir) throws IOException {
        int pages = ImageMutator.indexOf(image, RecordTypes.PAGES);
        ImageRecords.Record big = ImageRecords.parse(image).get(pages);
        long first = (big.offset() + 16 + 16) * 8L; // the first page byte, after the header and the run's fields
        long last = (big.offset() + 16 + big.payload().length) * 8L - 1;
        long[] bits = {first, first + 8L * PAGE + 3, (first + last) / 2, last};
        for (long bit : bits) {
            byte[] bad = ImageMutator.flipBit(image, bit);
            Path f = dir.resolve("bad-" + bit);
            Files.write(f, bad);
            for (Restarter each : both) {
                try (FileChannel in = FileChannel.open(f)) {
                    assertThatThrownBy(() -> each.restart(in)).isInstanceOf(ChecksumException.class)
                            .hasMessageContaining("PAGES");
                }
            }
            assertThatThrownBy(() -> restarter.restart(TestChannels.source(bad)))
                    .isInstanceOf(ChecksumException.class);
            // With the record checksum repaired, the whole-image checksum in the tail still catches it.
            byte[] repaired = repairRecordOnly(bad, pages);
            Files.write(f, repaired);
            for (Restarter each : both) {
                try (FileChannel in = FileChannel.open(f)) {
                    assertThatThrownBy(() -> each.restart(in)).isInstanceOf(ChecksumException.class)
                            .hasMessageContaining("TAIL");
                }
            }
        }
    }

    @Test
    void truncatedFilesAreRejected(@TempDir Path dir) throws IOException {
        ImageRecords.Record big = ImageRecords.parse(image).get(ImageMutator.indexOf(image, RecordTypes.PAGES));
        int[] cuts = {(int) big.offset() + 20, (int) big.offset() + 16 + big.payload().length - 1, image.length - 1};
        for (int cut : cuts) {
            Path f = dir.resolve("cut-" + cut);
            Files.write(f, ImageMutator.truncate(image, cut));
            for (Restarter each : both) {
                try (FileChannel in = FileChannel.open(f)) {
                    assertThatThrownBy(() -> each.restart(in)).isInstanceOf(TruncatedImageException.class);
                }
            }
        }
    }

    @Test
    void bytesAfterTheTailOfAFileAreRejected(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("long");
        byte[] longer = java.util.Arrays.copyOf(image, image.length + 8);
        Files.write(f, longer);
        for (Restarter each : both) {
            try (FileChannel in = FileChannel.open(f)) {
                assertThatThrownBy(() -> each.restart(in)).isInstanceOf(InvalidImageException.class)
                        .hasMessageContaining("after the tail");
            }
        }
    }

    /** Files of 1 MiB and more are read ahead on a thread of the restart's own, which ends with it. */
    @Test
    void theReaderThreadEndsWithTheRestartWhateverItsOutcome(@TempDir Path dir) throws Exception {
        assertThat(image.length).isGreaterThan(8 << 20);
        Path good = dir.resolve("good");
        Files.write(good, image);
        Path bad = dir.resolve("bad");
        int pages = ImageMutator.indexOf(image, RecordTypes.PAGES);
        Files.write(bad, ImageMutator.flipBit(image, (ImageRecords.parse(image).get(pages).offset() + 40) * 8L));
        for (int i = 0; i < 20; i++) {
            try (FileChannel in = FileChannel.open(good)) {
                CkptAssertions.assertThatTasks(restarter.restart(in).tasks()).isEquivalentTo(List.of(task));
            }
            try (FileChannel in = FileChannel.open(bad)) {
                assertThatThrownBy(() -> restarter.restart(in)).isInstanceOf(ChecksumException.class);
                assertThat(in.isOpen()).isTrue();
            }
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        long readers;
        do {
            readers = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("ckpt-reader"))
                    .count();
        } while (readers > 0 && System.nanoTime() < deadline && sleep());
        assertThat(readers).isZero();
    }

    private static boolean sleep() {
        try {
            Thread.sleep(10);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Recomputes one record's checksum, leaving the tail's whole-image checksum as it was. */
    private static byte[] repairRecordOnly(byte[] bad, int index) {
        byte[] fixed = ImageMutator.fixChecksums(bad);
        ImageRecords.Record r = ImageRecords.parse(fixed).get(index);
        byte[] out = bad.clone();
        System.arraycopy(fixed, (int) r.offset() + 12, out, (int) r.offset() + 12, 4);
        return out;
    }

    private static List<ByteBuffer> runs(RestartResult r) throws IOException {
        List<ByteBuffer> out = new ArrayList<>();
        for (Vma v : r.tasks().get(0).mm().vmas()) {
            v.pages().forEachRun((address, bytes, clean) -> out.add(bytes));
        }
        return out;
    }
}
