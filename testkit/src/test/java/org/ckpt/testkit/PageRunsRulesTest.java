package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.PageRanges;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.InvalidReferenceException;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;
import org.ckpt.testkit.image.TestKeys;
import org.ckpt.testarch.TestArch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every rejection path of {@code PAGE_RUNS} (docs/FORMAT.md §15.8), each through both readers:
 * the streaming one ({@code restart}) and the whole-payload one ({@code inspect}, whose record
 * listener makes the reader take whole payloads). Each names the record and the offset the
 * format gives, and commits nothing.
 */
class PageRunsRulesTest {
    private static final int PS = 4096;
    private static final long BASE = 0x400000;
    private static final long OTHER = 0x800000;

    private final Map<Long, byte[]> images = new HashMap<>();

    private static Task task(byte[] a, byte[] b, PageRanges changedA, PageRanges changedB) {
        PageData pa = PageData.of(BASE, a.clone());
        PageData pb = PageData.of(OTHER, b.clone());
        return Task.builder().pid(1).tgid(1).comm("t").mm(AddressSpace.of(List.of(
                Vma.anonymous(BASE, BASE + a.length, changedA == null ? pa : pa.withChangedSinceParent(changedA)),
                Vma.anonymous(OTHER, OTHER + b.length, changedB == null ? pb : pb.withChangedSinceParent(changedB)))))
                .build();
    }

    private CheckpointResult write(Checkpointer.Builder b, Task t) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        CheckpointResult r = b.architecture(TestArch.NAME).build().checkpoint(t, sink);
        images.put(r.checkpointId(), sink.toByteArray());
        return r;
    }

    /** A parent of two 16-page areas (even pages non-zero) and a child that changed pages 3 and 10 of the first and every page of the second. */
    private byte[] child() throws IOException {
        byte[] a = new byte[16 * PS];
        byte[] b = new byte[4 * PS];
        for (int p = 0; p < 16; p += 2) {
            a[p * PS + 1] = (byte) (p + 1);
        }
        CheckpointResult r0 = write(Checkpointer.builder(), task(a, b, null, null));
        a[3 * PS] = 9;
        a[10 * PS] = 9;
        for (int p = 0; p < 4; p++) {
            b[p * PS + 2] = 5;
        }
        PageRanges changedA = PageRanges.builder().add(BASE + 3 * PS, BASE + 4 * PS)
                .add(BASE + 10 * PS, BASE + 11 * PS).build();
        PageRanges changedB = PageRanges.builder().add(OTHER, OTHER + 4 * PS).build();
        CheckpointResult r1 = write(Checkpointer.builder().parent(r0.asParent()), task(a, b, changedA, changedB));
        return images.get(r1.checkpointId());
    }

    private Restarter restarter() {
        return Restarter.builder().parents(link -> {
            byte[] b = images.get(link.checkpointId());
            return b == null ? null : TestChannels.source(b);
        }).build();
    }

    /** The exception of restarting {@code image}, streamed or through whole payloads; nothing committed. */
    private <T extends ImageException> T rejected(byte[] image, boolean whole, Class<T> type) {
        RejectionFixtures.RecordingTarget target = new RejectionFixtures.RecordingTarget();
        Throwable thrown = null;
        try {
            if (whole) {
                restarter().inspect(TestChannels.source(image), r -> { });
            } else {
                restarter().restart(TestChannels.source(image), target);
            }
        } catch (Throwable t) {
            thrown = t;
        }
        assertThat(thrown).as("rejected with %s", type.getSimpleName()).isInstanceOf(type);
        T e = type.cast(thrown);
        assertThat(e).as("rejected with %s", type.getSimpleName()).isNotNull();
        assertThat(target.committed).isFalse();
        return e;
    }

    private static int runsIndex(byte[] image, int nth) {
        return ImageMutator.indexOf(image, RecordTypes.PAGE_RUNS, nth);
    }

    private static long payloadAt(byte[] image, int index) {
        return ImageRecords.parse(image).get(index).offset() + ImageRecords.HEADER_SIZE;
    }

    private static byte[] edit(byte[] image, int nth, UnaryOperator<ByteBuffer> e) {
        return ImageMutator.editPayload(image, runsIndex(image, nth), p -> e.apply(p.order(ByteOrder.LITTLE_ENDIAN)));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theIntactChildRestartsAndHasTheLayoutOfTheFormat(boolean whole) throws Exception {
        byte[] image = child();
        // the first area: one record of five runs, two carried; the second: one carried run of 4 pages
        ByteBuffer p = ByteBuffer.wrap(ImageRecords.parse(image).get(runsIndex(image, 0)).payload())
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(p.getInt(8)).isEqualTo(5);
        assertThat(p.limit()).isEqualTo(16 + 5 * 16 + 2 * PS);
        ByteBuffer q = ByteBuffer.wrap(ImageRecords.parse(image).get(runsIndex(image, 1)).payload())
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(q.getLong(0)).as("no run of the parent: parent_mm 0").isZero();
        assertThat(q.getInt(8)).isEqualTo(1);
        if (whole) {
            assertThat(restarter().inspect(TestChannels.source(image), r -> { }).result().tasks()).hasSize(1);
        } else {
            assertThat(restarter().restart(TestChannels.source(image)).tasks()).hasSize(1);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anUnknownSourceIsInvalid(boolean whole) throws Exception {
        byte[] image = edit(child(), 0, p -> p.putInt(16 + 16 + 12, 2));
        InvalidImageException e = rejected(image, whole, InvalidImageException.class);
        assertThat(e.recordType()).isEqualTo("PAGE_RUNS");
        assertThat(e.offset()).isEqualTo(payloadAt(image, runsIndex(image, 0)) + 16 + 16 + 12);
        assertThat(e.reason()).contains("run 1: unknown source 2");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anUnalignedRunIsInvalid(boolean whole) throws Exception {
        byte[] image = edit(child(), 0, p -> p.putLong(16 + 32, BASE + 4 * PS + 8));
        InvalidImageException e = rejected(image, whole, InvalidImageException.class);
        assertThat(e.offset()).isEqualTo(payloadAt(image, runsIndex(image, 0)) + 16 + 32);
        assertThat(e.reason()).contains("run 2: address 0x404008 is not page aligned");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anEmptyOverlappingOrOutsideRunIsInvalid(boolean whole) throws Exception {
        byte[] child = child();
        List<byte[]> bad = new ArrayList<>();
        bad.add(edit(child, 0, p -> p.putInt(16 + 32 + 8, 0)));                   // empty
        bad.add(edit(child, 0, p -> p.putLong(16 + 32, BASE + 2 * PS)));         // before the end of run 1
        bad.add(edit(child, 0, p -> p.putInt(16 + 64 + 8, 6)));                  // past the area's end
        bad.add(edit(child, 0, p -> p.putLong(16 + 64, OTHER)));                 // in another area
        for (byte[] image : bad) {
            InvalidImageException e = rejected(image, whole, InvalidImageException.class);
            assertThat(e.recordType()).isEqualTo("PAGE_RUNS");
            assertThat(e.reason()).contains("is empty, outside the area [0x400000, 0x410000) or overlaps the previous run");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aRunCountOfZeroOrBeyondTheRecordIsInvalidBeforeTheTableIsRead(boolean whole) throws Exception {
        byte[] child = child();
        for (int count : new int[] {0, 6 + 2 * PS / 16, -1}) {
            byte[] image = edit(child, 0, p -> p.putInt(8, count));
            InvalidImageException e = rejected(image, whole, InvalidImageException.class);
            assertThat(e.offset()).isEqualTo(payloadAt(image, runsIndex(image, 0)) + 8);
            assertThat(e.reason()).contains("run_count " + Integer.toUnsignedString(count) + " needs");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aReservedFieldIsZero(boolean whole) throws Exception {
        byte[] image = edit(child(), 0, p -> p.putInt(12, 1));
        InvalidImageException e = rejected(image, whole, InvalidImageException.class);
        assertThat(e.offset()).isEqualTo(payloadAt(image, runsIndex(image, 0)) + 12);
        assertThat(e.reason()).contains("reserved field 'reserved' is 1");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theCarriedRunsMustHoldExactlyThePagesThatFollow(boolean whole) throws Exception {
        byte[] child = child();
        // run 2 (the parent's, 6 pages) made carried: more than the record holds; run 3 (carried) made the
        // parent's: fewer. (A carried run made longer overlaps the next run first: that rule is checked first.)
        List<byte[]> bad = List.of(edit(child, 0, p -> p.putInt(16 + 32 + 12, 0)),
                edit(child, 0, p -> p.putInt(16 + 48 + 12, 1)));
        for (byte[] image : bad) {
            InvalidImageException e = rejected(image, whole, InvalidImageException.class);
            assertThat(e.offset()).isEqualTo(payloadAt(image, runsIndex(image, 0)) + 8);
            assertThat(e.reason()).containsPattern("the carried runs hold (more than )?\\d+ bytes of pages; the record has "
                    + 2 * PS + " after its run table");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void parentMmIsTheParentsMmExactlyWhenARunIsTheParents(boolean whole) throws Exception {
        byte[] child = child();
        InvalidReferenceException none = rejected(edit(child, 0, p -> p.putLong(0, 0)), whole,
                InvalidReferenceException.class);
        assertThat(none.reason()).contains("parent_mm: objref 0 (none) where a run takes the parent's pages");
        InvalidReferenceException dangling = rejected(edit(child, 0, p -> p.putLong(0, 99)), whole,
                InvalidReferenceException.class);
        assertThat(dangling.reason()).contains("parent_mm: objref 99 is no object of the parent image");
        InvalidImageException stray = rejected(edit(child, 1, p -> p.putLong(0, 1)), whole,
                InvalidImageException.class);
        assertThat(stray.reason()).contains("parent_mm is objref 1 but no run takes the parent's pages");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aRunOfTheParentMustLieInOneAreaOfTheParent(boolean whole) throws Exception {
        // The parent had [0x400000, 0x410000); the child's area is grown to 0x411000 and its last run with it.
        byte[] child = child();
        int vma = ImageMutator.indexOf(child, RecordTypes.VMA);
        byte[] grown = ImageMutator.editPayload(child, vma, p -> p.order(ByteOrder.LITTLE_ENDIAN)
                .putLong(8, BASE + 17 * PS));
        byte[] image = edit(grown, 0, p -> p.putInt(16 + 64 + 8, 6));
        InvalidImageException e = rejected(image, whole, InvalidImageException.class);
        assertThat(e.offset()).isEqualTo(payloadAt(image, runsIndex(image, 0)) + 16 + 64);
        assertThat(e.reason()).contains("page run [0x40b000, 0x411000) does not lie within one area of the parent's");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void pageRunsNeedAParentAndAHeadOf14(boolean whole) throws Exception {
        byte[] child = child();
        byte[] minor3 = ImageMutator.editPayload(child, 0, p -> p.order(ByteOrder.LITTLE_ENDIAN).putShort(2, (short) 3));
        assertThat(rejected(minor3, whole, InvalidImageException.class).reason())
                .contains("PAGE_RUNS in a 1.3 image (it exists since 1.4)");

        // a full image with a PAGE_RUNS record of one carried page after its first VMA
        byte[] a = new byte[4 * PS];
        a[1] = 1;
        CheckpointResult full = write(Checkpointer.builder(), task(a, new byte[PS], null, null));
        byte[] image = images.get(full.checkpointId());
        image = ImageMutator.editPayload(image, 0, p -> p.order(ByteOrder.LITTLE_ENDIAN).putShort(2, (short) 4));
        int pages = ImageMutator.indexOf(image, RecordTypes.PAGES);
        ByteBuffer runs = ByteBuffer.allocate(32 + PS).order(ByteOrder.LITTLE_ENDIAN);
        runs.putLong(0).putInt(1).putInt(0).putLong(BASE + PS).putInt(1).putInt(0);
        image = ImageMutator.insert(image, pages + 1, RecordTypes.PAGE_RUNS, 0, runs.array());
        assertThat(rejected(image, whole, InvalidImageException.class).reason())
                .contains("PAGE_RUNS in an image without a PARENT record");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aDamagedRecordIsAChecksumFailureEvenWhereItsTableBreaksARule(boolean whole) throws Exception {
        byte[] child = child();
        long at = payloadAt(child, runsIndex(child, 0));
        // source of run 1 flipped to 3, and a page byte flipped: not repaired
        byte[] table = ImageMutator.flipBit(child, (at + 16 + 16 + 12) * 8 + 0);
        byte[] pages = ImageMutator.flipBit(child, (at + 16 + 5 * 16 + 100) * 8 + 3);
        for (byte[] image : List.of(table, pages)) {
            ChecksumException e = rejected(image, whole, ChecksumException.class);
            assertThat(e.recordType()).isEqualTo("PAGE_RUNS");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anImageEndingInsideTheRecordIsTruncated(boolean whole) throws Exception {
        byte[] child = child();
        long at = payloadAt(child, runsIndex(child, 0));
        for (long cut : new long[] {at + 8, at + 40, at + 16 + 5 * 16 + 10, at + 16 + 5 * 16 + 2 * PS - 1}) {
            TruncatedImageException e = rejected(ImageMutator.truncate(child, (int) cut), whole,
                    TruncatedImageException.class);
            assertThat(e.recordType()).isEqualTo("PAGE_RUNS");
        }
    }

    @org.junit.jupiter.api.Test
    void runsOfTwoParentAreasThatTouchStayTwoRuns() throws Exception {
        // The parent has two areas that touch (different protections); the child one area over both, unchanged.
        byte[] a = new byte[16 * PS];
        for (int p = 0; p < 16; p++) {
            a[p * PS] = (byte) (p + 1);
        }
        Task parent = Task.builder().pid(1).tgid(1).comm("t").mm(AddressSpace.of(List.of(
                new Vma(BASE, BASE + 8 * PS, Vma.PROT_READ, 0, 0, null, PageData.of(BASE, java.util.Arrays.copyOf(a, 8 * PS))),
                Vma.anonymous(BASE + 8 * PS, BASE + 16 * PS, PageData.of(BASE + 8 * PS,
                        java.util.Arrays.copyOfRange(a, 8 * PS, 16 * PS)))))).build();
        CheckpointResult r0 = write(Checkpointer.builder(), parent);
        Task child = Task.builder().pid(1).tgid(1).comm("t").mm(AddressSpace.of(List.of(Vma.anonymous(BASE,
                BASE + 16 * PS, PageData.of(BASE, a.clone()).withChangedSinceParent(PageRanges.none()))))).build();
        CheckpointResult r1 = write(Checkpointer.builder().parent(r0.asParent()), child);
        assertThat(r1.pagesFromParent()).isEqualTo(16);
        CkptAssertions.assertThatTasks(restarter().restart(TestChannels.source(images.get(r1.checkpointId()))).tasks())
                .isEquivalentTo(List.of(child));
    }

    @org.junit.jupiter.api.Test
    void anEncryptedChildKeepsItsRecordsWithinTheLimitWithTheirTags() throws Exception {
        // 8208 bytes hold 16 + 2 pages but not 16 + 2 pages + the 16-byte tag: a record carries one page then.
        org.ckpt.spi.Limits limits = org.ckpt.spi.Limits.DEFAULTS.withMaxRecordSize(8208);
        byte[] a = new byte[16 * PS];
        for (int p = 0; p < 16; p += 2) {
            a[p * PS + 1] = (byte) (p + 1);
        }
        byte[] b = new byte[PS];
        CheckpointResult r0 = write(Checkpointer.builder().limits(limits).encrypt("k", TestKeys.aes()),
                task(a, b, null, null));
        for (int p = 1; p < 16; p += 4) {
            a[p * PS] = 3;
        }
        PageRanges changed = PageRanges.builder().add(BASE, BASE + 16 * PS).build();
        Task t = task(a, b, changed, PageRanges.none());
        CheckpointResult r1 = write(Checkpointer.builder().limits(limits).encrypt("k", TestKeys.aes())
                .parent(r0.asParent()), t);
        Restarter r = Restarter.builder().limits(limits).decryptionKey("k", TestKeys.aes()).parents(link -> {
            byte[] bytes = images.get(link.checkpointId());
            return bytes == null ? null : TestChannels.source(bytes);
        }).build();
        CkptAssertions.assertThatTasks(r.restart(TestChannels.source(images.get(r1.checkpointId()))).tasks())
                .isEquivalentTo(List.of(t));
    }

    @org.junit.jupiter.api.Test
    void aHostDestinationIsAskedForEachCarriedRunAtItsAddress() throws Exception {
        byte[] image = child();
        List<String> asked = new ArrayList<>();
        RejectionFixtures.RecordingTarget target = new RejectionFixtures.RecordingTarget() {
            @Override
            public org.ckpt.PageDestination pages() {
                return run -> {
                    asked.add(Long.toHexString(run.address()) + "+" + run.length());
                    return ByteBuffer.allocateDirect(run.length());
                };
            }
        };
        restarter().restart(TestChannels.source(image), target);
        assertThat(target.committed).isTrue();
        // the parent's pages first (oldest image first), then the child's carried runs, one request each
        assertThat(asked.subList(asked.size() - 3, asked.size())).containsExactly("403000+4096", "40a000+4096",
                "800000+16384");
        byte[] got = new byte[16 * PS];
        target.result.tasks().get(0).mm().vmas().get(0).pages().read(BASE, ByteBuffer.wrap(got));
        assertThat(got[3 * PS]).isEqualTo((byte) 9);
        assertThat(got[10 * PS]).isEqualTo((byte) 9);
        assertThat(got[2 * PS + 1]).isEqualTo((byte) 3);
    }

    /** A child file cut inside its PAGE_RUNS record on disk: rejected, copied or mapped, with nothing committed. */
    @org.junit.jupiter.api.Test
    void aChildFileCutInsideItsRecordIsTruncatedWhetherCopiedOrMapped(@org.junit.jupiter.api.io.TempDir
                                                                     java.nio.file.Path dir) throws Exception {
        byte[] child = child();
        long at = payloadAt(child, runsIndex(child, 0));
        for (Map.Entry<Long, byte[]> e : images.entrySet()) {
            if (e.getValue() != child) {
                java.nio.file.Files.write(dir.resolve("parent.ckpt"), e.getValue());
            }
        }
        java.nio.file.Path file = dir.resolve("child.ckpt");
        java.nio.file.Files.write(file, java.util.Arrays.copyOf(child, (int) at + 16 + 5 * 16 + PS + 100));
        for (boolean mapped : new boolean[] {false, true}) {
            RejectionFixtures.RecordingTarget target = new RejectionFixtures.RecordingTarget();
            Throwable thrown = null;
            try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(file)) {
                Restarter.builder().mapImmutableFiles(mapped).parents(org.ckpt.ParentResolver.directory(dir)).build()
                        .restart(in, target);
            } catch (Throwable t) {
                thrown = t;
            }
            assertThat(thrown).as("mapped %s", mapped).isInstanceOf(TruncatedImageException.class);
            assertThat(((ImageException) thrown).recordType()).isEqualTo("PAGE_RUNS");
            assertThat(target.committed).isFalse();
        }
    }
}
