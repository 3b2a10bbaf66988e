package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.ckpt.testkit.RejectionFixtures.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.OpenFile;
import org.ckpt.model.Task;
import org.ckpt.model.TaskState;
import org.ckpt.spi.AbortedImageException;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.ImageLimitException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.InvalidReferenceException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.spi.UnsupportedImageException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every way an image must be refused: the specific {@link ImageException} subclass,
 * a message that locates the failure (record type and offset), and a target that
 * was never committed.
 */
class RejectionTest {
    private static byte[] valid;
    private static byte[] small;

    @BeforeAll
    static void images() throws Exception {
        valid = image(task());
        small = image(smallTask());
    }

    // ---- helpers ---------------------------------------------------------------

    /** Restarts {@code image} into a fresh recording target; asserts the failure type and that nothing was committed. */
    private static <E extends ImageException> E rejects(byte[] image, Class<E> type) {
        RecordingTarget target = new RecordingTarget();
        Throwable[] caught = new Throwable[1];
        assertThatThrownBy(() -> {
            try {
                Restarter.builder().build().restart(TestChannels.source(image), target);
            } catch (Throwable t) {
                caught[0] = t;
                throw t;
            }
        }).isInstanceOf(type);
        assertThat(target.committed).as("target committed").isFalse();
        return type.cast(caught[0]);
    }

    /** As {@link #rejects}, and the exception names {@code recordType} and an offset, in the fields and the message. */
    private static <E extends ImageException> E rejects(byte[] image, Class<E> type, String recordType) {
        E e = rejects(image, type);
        assertThat(e.recordType()).as("recordType of: " + e.getMessage()).isEqualTo(recordType);
        assertThat(e.offset()).as("offset of: " + e.getMessage()).isGreaterThanOrEqualTo(0);
        assertThat(e.getMessage()).contains("record " + recordType).contains("offset " + e.offset());
        return e;
    }

    /** For failures outside any record (magic, bytes after the tail, end of image): only an offset. */
    private static <E extends ImageException> E rejectsAt(byte[] image, Class<E> type, long offset) {
        E e = rejects(image, type);
        assertThat(e.offset()).as("offset of: " + e.getMessage()).isEqualTo(offset);
        assertThat(e.getMessage()).contains("offset " + offset);
        return e;
    }

    private static int index(byte[] image, int type) {
        int i = ImageMutator.indexOf(image, type);
        assertThat(i).as("record 0x%04x present", type).isGreaterThanOrEqualTo(0);
        return i;
    }

    private static long recordOffset(byte[] image, int index) {
        return record(image, index).offset();
    }

    /** Edits a u32/i32/u64/u16 inside the body of OBJECT {@code typeName}; checksums recomputed. */
    private static byte[] editObjectBody(byte[] image, String typeName, java.util.function.BiConsumer<ByteBuffer, Integer> edit) {
        int idx = objectIndex(image, typeName);
        return ImageMutator.editPayload(image, idx, p -> {
            edit.accept(p, bodyOffset(p.array()));
            return p;
        });
    }

    /** Replaces the path of the (only) "file" object by {@code path} of the same UTF-8 length. */
    private static byte[] withPath(byte[] image, byte[] path) {
        return editObjectBody(image, "file", (p, body) -> {
            int len = p.getInt(body + 32);
            assertThat(len).as("test needs a same-length path").isEqualTo(path.length);
            p.put(body + 36, path);
        });
    }

    // ---- sanity ----------------------------------------------------------------

    @Test
    void validImageRestartsAndCommits() throws Exception {
        RecordingTarget target = new RecordingTarget();
        Restarter.builder().build().restart(TestChannels.source(valid), target);
        assertThat(target.committed).isTrue();
        assertThat(target.result.tasks()).hasSize(1);
        assertThat(target.result.tasks().get(0).mm().vmas()).hasSize(2);
        RecordingTarget t2 = new RecordingTarget();
        Restarter.builder().build().restart(TestChannels.source(small), t2);
        assertThat(t2.committed).isTrue();
    }

    // ---- truncation ------------------------------------------------------------

    @Test
    void truncatedInMagic() {
        ImageException e = rejectsAt(ImageMutator.truncate(valid, 5), TruncatedImageException.class, 0);
        assertThat(e.getMessage()).contains("magic");
    }

    @Test
    void truncatedInHeader() {
        int task = index(valid, TASK);
        long at = recordOffset(valid, task);
        ImageException e = rejects(ImageMutator.truncate(valid, (int) at + 5), TruncatedImageException.class);
        assertThat(e.offset()).isEqualTo(at);
        assertThat(e.getMessage()).contains("header").contains("offset " + at);
    }

    @Test
    void truncatedInPayload() {
        int task = index(valid, TASK);
        long at = recordOffset(valid, task);
        ImageException e = rejects(ImageMutator.truncate(valid, (int) at + 16 + 40), TruncatedImageException.class,
                "TASK");
        assertThat(e.offset()).isEqualTo(at);
    }

    @Test
    void truncatedAtRecordBoundaryBeforeTail() {
        int tail = index(valid, TAIL);
        long at = recordOffset(valid, tail);
        ImageException e = rejectsAt(ImageMutator.truncate(valid, (int) at), TruncatedImageException.class, at);
        assertThat(e.getMessage()).contains("tail");
    }

    // ---- framing, version and checksums -----------------------------------------

    @Test
    void wrongMagic() {
        byte[] b = valid.clone();
        b[1] = 'X';
        ImageException e = rejectsAt(b, UnsupportedImageException.class, 0);
        assertThat(e.getMessage()).contains("magic");
    }

    @Test
    void unknownMajorVersion() {
        int head = index(valid, HEAD);
        byte[] b = ImageMutator.editPayload(valid, head, p -> p.putShort(0, (short) 2));
        ImageException e = rejects(b, UnsupportedImageException.class, "HEAD");
        assertThat(e.offset()).isEqualTo(payloadOffset(valid, head));
        assertThat(e.getMessage()).contains("version 2.");
    }

    @Test
    void recordChecksumMismatch() {
        int task = index(valid, TASK);
        long at = recordOffset(valid, task);
        byte[] b = ImageMutator.flipBit(valid, (at + 16 + 20) * 8 + 3);
        ImageException e = rejects(b, ChecksumException.class, "TASK");
        assertThat(e.offset()).isEqualTo(at);
        assertThat(e.getMessage()).contains("checksum");
    }

    @Test
    void tailCrcMismatchInTail() {
        int tail = index(valid, TAIL);
        int at = (int) recordOffset(valid, tail);
        byte[] b = valid.clone();
        b[at + 16 + 24] ^= 0x10;
        fixRecordCrc(b, at);
        ImageException e = rejects(b, ChecksumException.class, "TAIL");
        assertThat(e.offset()).isEqualTo(at + 16 + 24);
        assertThat(e.getMessage()).contains("CRC32C");
    }

    @Test
    void tailCrcMismatchFromEarlierRecord() {
        // the TASK's exit_signal changed and only the TASK header checksum recomputed: every record
        // verifies, but the running image CRC no longer matches the tail
        int task = index(valid, TASK);
        int at = (int) recordOffset(valid, task);
        byte[] b = valid.clone();
        b[at + 16 + 20] ^= 0x01;
        fixRecordCrc(b, at);
        ImageException e = rejects(b, ChecksumException.class, "TAIL");
        assertThat(e.getMessage()).contains("image CRC32C mismatch");
    }

    @Test
    void recordLengthBeyondMaxRecordSize() {
        int task = index(valid, TASK);
        byte[] b = ImageMutator.setLength(valid, task, 0xFFFF_FFF0L);
        ImageException e = rejects(b, ImageLimitException.class, "TASK");
        assertThat(e.offset()).isEqualTo(recordOffset(valid, task));
        assertThat(e.getMessage()).contains("maxRecordSize");
        byte[] c = ImageMutator.setLength(valid, task, Limits.DEFAULTS.maxRecordSize() + 1L);
        rejects(c, ImageLimitException.class, "TASK");
    }

    @Test
    void vmaCountBeyondLimit() {
        byte[] b = editObjectBody(valid, "mm", (p, body) -> p.putInt(body + 96, -1));
        ImageException e = rejects(b, ImageLimitException.class, "OBJECT");
        assertThat(e.getMessage()).contains("vma_count").contains("maxVmas");
        byte[] c = editObjectBody(valid, "mm", (p, body) -> p.putInt(body + 96, Limits.DEFAULTS.maxVmas() + 1));
        rejects(c, ImageLimitException.class, "OBJECT");
    }

    @Test
    void descriptorCountBeyondLimit() {
        byte[] b = editObjectBody(valid, "files", (p, body) -> p.putInt(body, -1));
        ImageException e = rejects(b, ImageLimitException.class, "OBJECT");
        assertThat(e.getMessage()).contains("count").contains("maxDescriptors");
        byte[] c = editObjectBody(valid, "files", (p, body) -> p.putInt(body, Limits.DEFAULTS.maxDescriptors() + 1));
        rejects(c, ImageLimitException.class, "OBJECT");
    }

    @Test
    void unknownMandatoryRecordType() {
        int task = index(valid, TASK);
        byte[] b = ImageMutator.insert(valid, task, 0x0077, 0, new byte[] {1, 2, 3, 4, 5});
        ImageException e = rejects(b, UnsupportedImageException.class, "0x0077");
        assertThat(e.offset()).isEqualTo(recordOffset(valid, task));
    }

    @Test
    void unknownOptionalRecordTypeIsSkipped() throws Exception {
        int task = index(valid, TASK);
        byte[] b = ImageMutator.insert(valid, task, 0x0077, 1, "skip me, please".getBytes(StandardCharsets.UTF_8));
        RecordingTarget target = new RecordingTarget();
        Restarter.builder().build().restart(TestChannels.source(b), target);
        assertThat(target.committed).isTrue();
        assertThat(target.result.tasks()).hasSize(1);
        assertThat(target.result.tasks().get(0).comm()).isEqualTo("cat");
    }

    // ---- references --------------------------------------------------------------

    @Test
    void danglingObjref() {
        int task = index(valid, TASK);
        byte[] b = ImageMutator.editPayload(valid, task, p -> p.putLong(128, 99));
        ImageException e = rejects(b, InvalidReferenceException.class);
        assertThat(e.offset()).isEqualTo(recordOffset(valid, task));
        assertThat(e.getMessage()).contains("dangling objref 99").contains("mm_objref").contains("offset");
    }

    @Test
    void danglingObjrefNamesTheRecordType() {
        int task = index(valid, TASK);
        byte[] b = ImageMutator.editPayload(valid, task, p -> p.putLong(128, 99));
        rejects(b, InvalidReferenceException.class, "TASK");
    }

    @Test
    void duplicatedObjref() {
        int file = objectIndex(valid, "file");
        byte[] b = ImageMutator.duplicate(valid, file);
        ImageException e = rejects(b, InvalidReferenceException.class, "OBJECT");
        // the second copy, objref field at its payload start
        assertThat(e.offset()).isEqualTo(payloadOffset(b, file + 1));
        assertThat(e.getMessage()).contains("duplicate objref 1");
    }

    @Test
    void wrongTypeObjref() {
        int task = index(valid, TASK);
        long mmRef = ByteBuffer.wrap(record(valid, objectIndex(valid, "mm")).payload())
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] b = ImageMutator.editPayload(valid, task, p -> p.putLong(136, mmRef));
        ImageException e = rejects(b, InvalidReferenceException.class);
        assertThat(e.offset()).isEqualTo(recordOffset(valid, task));
        assertThat(e.getMessage()).contains("files_objref").contains("'mm'").contains("FileTable").contains("offset");
    }

    // ---- descriptors -------------------------------------------------------------

    @Test
    void duplicateDescriptor() {
        // entries: {fd 0 @ body+8}, {fd 3 @ body+24}
        byte[] b = editObjectBody(valid, "files", (p, body) -> p.putInt(body + 24, 0));
        int files = objectIndex(valid, "files");
        ImageException e = rejects(b, InvalidImageException.class, "OBJECT");
        assertThat(e.offset()).isEqualTo(payloadOffset(valid, files) + bodyOffset(record(valid, files).payload()) + 24);
        assertThat(e.getMessage()).contains("duplicate descriptor 0");
    }

    @Test
    void negativeDescriptor() {
        byte[] b = editObjectBody(valid, "files", (p, body) -> p.putInt(body + 8, -5));
        ImageException e = rejects(b, InvalidImageException.class, "OBJECT");
        assertThat(e.getMessage()).contains("negative descriptor -5");
    }

    // ---- memory areas ------------------------------------------------------------

    private static byte[] editVma(int nth, java.util.function.Consumer<ByteBuffer> edit) {
        int vma = ImageMutator.indexOf(valid, VMA, nth);
        assertThat(vma).isGreaterThanOrEqualTo(0);
        return ImageMutator.editPayload(valid, vma, p -> {
            edit.accept(p);
            return p;
        });
    }

    @Test
    void vmaNotPageAligned() {
        byte[] b = editVma(0, p -> p.putLong(0, VMA1_START + 1));
        ImageException e = rejects(b, InvalidImageException.class, "VMA");
        assertThat(e.offset()).isEqualTo(payloadOffset(valid, ImageMutator.indexOf(valid, VMA)));
        assertThat(e.getMessage()).contains("not aligned");
    }

    @Test
    void vmaEmpty() {
        byte[] b = editVma(0, p -> p.putLong(8, VMA1_START));
        ImageException e = rejects(b, InvalidImageException.class, "VMA");
        assertThat(e.getMessage()).contains("empty");
    }

    @Test
    void vmaOverlapsPrevious() {
        byte[] b = editVma(1, p -> p.putLong(0, VMA1_END - 0x1000));
        ImageException e = rejects(b, InvalidImageException.class, "VMA");
        assertThat(e.offset()).isEqualTo(payloadOffset(valid, ImageMutator.indexOf(valid, VMA, 1)));
        assertThat(e.getMessage()).contains("overlaps");
    }

    @Test
    void vmaAboveUserLimit() {
        byte[] b = editVma(1, p -> p.putLong(8, TestArch.USER_LIMIT + 0x1000));
        ImageException e = rejects(b, InvalidImageException.class, "VMA");
        assertThat(e.getMessage()).contains("user address limit");
        byte[] c = editVma(1, p -> p.putLong(0, TestArch.USER_LIMIT).putLong(8, TestArch.USER_LIMIT + 0x2000));
        rejects(c, InvalidImageException.class, "VMA");
    }

    @Test
    void pagesOutsideTheirVma() {
        int pages = index(valid, PAGES);
        byte[] b = ImageMutator.editPayload(valid, pages, p -> p.putLong(0, VMA1_END));
        ImageException e = rejects(b, InvalidImageException.class, "PAGES");
        assertThat(e.offset()).isEqualTo(payloadOffset(valid, pages));
        assertThat(e.getMessage()).contains("outside the area");
    }

    // ---- strings and paths ---------------------------------------------------------

    @Test
    void commTooLong() throws Exception {
        Task t = task().toBuilder().comm("twenty-byte-comm-xyz").build();
        assertThat(t.comm().getBytes(StandardCharsets.UTF_8)).hasSize(20);
        byte[] img = image(checkpointer().limits(Limits.DEFAULTS.withMaxCommLength(32)).build(), t);
        int task = index(img, TASK);
        ImageException e = rejects(img, ImageLimitException.class, "TASK");
        assertThat(e.offset()).isEqualTo(payloadOffset(img, task) + 152);
        assertThat(e.getMessage()).contains("comm").contains("20 bytes");
    }

    @Test
    void absolutePath() {
        byte[] b = withPath(valid, "/etc/host".getBytes(StandardCharsets.UTF_8));
        ImageException e = rejects(b, InvalidImageException.class, "OBJECT");
        assertThat(e.getMessage()).contains("absolute");
    }

    @Test
    void pathEscapingTheRoot() {
        byte[] b = withPath(valid, "../hosts1".getBytes(StandardCharsets.UTF_8));
        ImageException e = rejects(b, InvalidImageException.class, "OBJECT");
        assertThat(e.getMessage()).contains("..");
    }

    @Test
    void pathWithNul() {
        byte[] b = withPath(valid, "etc\0hosts".getBytes(StandardCharsets.UTF_8));
        ImageException e = rejects(b, InvalidImageException.class, "OBJECT");
        assertThat(e.getMessage()).contains("NUL");
    }

    // ---- end of image ---------------------------------------------------------------

    @Test
    void bytesAfterTheTail() {
        byte[] b = Arrays.copyOf(valid, valid.length + 8);
        ImageException e = rejectsAt(b, InvalidImageException.class, valid.length);
        assertThat(e.getMessage()).contains("after the tail");
        byte[] c = Arrays.copyOf(valid, valid.length + 1);
        c[valid.length] = 0x42;
        rejectsAt(c, InvalidImageException.class, valid.length);
    }

    @Test
    void abortedCheckpointImage() throws Exception {
        Task t = Task.builder().pid(42).tgid(42).comm("cat")
                .files(FileTable.of(new FileTable.Entry(3, hosts(), false))).build();
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer c = checkpointer().root("/srv/box").build();
        CheckpointException ce = null;
        try {
            c.checkpoint(t, sink);
            fail("checkpoint of a file outside the root succeeded");
        } catch (CheckpointException x) {
            ce = x;
        }
        byte[] partial = sink.toByteArray();
        ImageException e = rejects(partial, AbortedImageException.class, "ERROR");
        assertThat(e.offset()).isEqualTo(recordOffset(partial, index(partial, ERROR)));
        assertThat(e.getMessage()).contains(ce.getMessage());
    }

    // ---- further hostile images ------------------------------------------------------

    private static byte[] appendToPayload(byte[] image, int index, byte[] extra) {
        return ImageMutator.editPayload(image, index, p -> {
            ByteBuffer q = ByteBuffer.allocate(p.limit() + extra.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            q.put(p.duplicate().position(0)).put(extra);
            return q.flip();
        });
    }

    private static byte[] u64(long v) {
        return ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    @Test
    void unknownRecordFlagBits() {
        int task = index(valid, TASK);
        int at = (int) recordOffset(valid, task);
        byte[] b = valid.clone();
        b[at + 4] |= 0x02;
        fixRecordCrc(b, at);
        ImageException e = rejects(b, InvalidImageException.class, "TASK");
        assertThat(e.offset()).isEqualTo(at);
        assertThat(e.getMessage()).contains("flags");
        // Bit 1 is ENCRYPTED since 1.3 (rejected above in an unencrypted image); bit 2 is unknown.
        byte[] c = valid.clone();
        c[at + 4] |= 0x04;
        fixRecordCrc(c, at);
        ImageException u = rejects(c, InvalidImageException.class, "TASK");
        assertThat(u.offset()).isEqualTo(at);
        assertThat(u.getMessage()).contains("flags 0x4 have unknown bits");
    }

    @Test
    void nonZeroPadding() {
        int task = index(valid, TASK);
        ImageRecords.Record r = record(valid, task);
        assertThat(r.payload().length % 8).as("TASK payload needs padding").isNotZero();
        long padAt = r.offset() + 16 + r.payload().length;
        byte[] b = valid.clone();
        b[(int) padAt] = 1;
        ImageException e = rejects(b, InvalidImageException.class, "TASK");
        assertThat(e.offset()).isEqualTo(padAt);
        assertThat(e.getMessage()).contains("padding");
    }

    @Test
    void unreadBytesAtTheEndOfARecord() {
        int task = index(valid, TASK);
        byte[] b = appendToPayload(valid, task, new byte[] {1, 2, 3});
        ImageException e = rejects(b, InvalidImageException.class, "TASK");
        assertThat(e.offset()).isEqualTo(payloadOffset(b, task) + record(valid, task).payload().length);
        assertThat(e.getMessage()).contains("unread bytes");
    }

    @Test
    void unreadBytesAtTheEndOfTheTail() {
        int tail = index(valid, TAIL);
        byte[] b = appendToPayload(valid, tail, new byte[8]);
        rejects(b, InvalidImageException.class, "TAIL");
    }

    @Test
    void headAnnouncesMoreTasksThanTheImageHolds() {
        int head = index(valid, HEAD);
        byte[] b = ImageMutator.editPayload(valid, head, p -> p.putInt(32, 2));
        ImageException e = rejects(b, InvalidImageException.class, "TAIL");
        assertThat(e.offset()).isEqualTo(recordOffset(valid, index(valid, TAIL)));
        assertThat(e.getMessage()).contains("announces 2 tasks");
    }

    @Test
    void headAnnouncesFewerTasksThanTheImageHolds() {
        int head = index(valid, HEAD);
        byte[] b = ImageMutator.editPayload(valid, head, p -> p.putInt(32, 0));
        ImageException e = rejects(b, InvalidImageException.class, "TASK");
        assertThat(e.offset()).isEqualTo(recordOffset(valid, index(valid, TASK)));
    }

    @Test
    void headTimeOutOfRange() {
        int head = index(valid, HEAD);
        rejects(ImageMutator.editPayload(valid, head, p -> p.putLong(16, Long.MAX_VALUE)),
                InvalidImageException.class, "HEAD");
        rejects(ImageMutator.editPayload(valid, head, p -> p.putLong(16, Long.MIN_VALUE)),
                InvalidImageException.class, "HEAD");
        rejects(ImageMutator.editPayload(valid, head, p -> p.putInt(24, 1_000_000_000)),
                InvalidImageException.class, "HEAD");
    }

    @Test
    void missingArchHead() {
        byte[] b = ImageMutator.drop(valid, index(valid, 0x0002));
        ImageException e = rejects(b, InvalidImageException.class, "OBJECT");
        assertThat(e.getMessage()).contains("expected ARCH_HEAD");
    }

    @Test
    void unknownObjectType() {
        int file = objectIndex(valid, "file");
        byte[] b = ImageMutator.editPayload(valid, file, p -> p.put(10, (byte) 'F'));
        ImageException e = rejects(b, UnsupportedImageException.class, "OBJECT");
        assertThat(e.offset()).isEqualTo(recordOffset(valid, file));
        assertThat(e.getMessage()).contains("'File'");
    }

    @Test
    void objrefZeroIsReserved() {
        int file = objectIndex(valid, "file");
        byte[] b = ImageMutator.editPayload(valid, file, p -> p.putLong(0, 0));
        rejects(b, InvalidReferenceException.class, "OBJECT");
    }

    @Test
    void deletedFileContentLengthBeyondLimit() {
        int file = objectIndex(valid, "file");
        byte[] flagged = editObjectBody(valid, "file", (p, body) -> p.putInt(body + 12, 1));
        byte[] b = appendToPayload(flagged, file, u64(-1));
        ImageException e = rejects(b, ImageLimitException.class, "OBJECT");
        assertThat(e.getMessage()).contains("maxDeletedFileSize");
    }

    @Test
    void deletedFileContentMissing() {
        int file = objectIndex(valid, "file");
        byte[] flagged = editObjectBody(valid, "file", (p, body) -> p.putInt(body + 12, 1));
        byte[] b = appendToPayload(flagged, file, u64(10));
        ImageException e = rejects(b, InvalidImageException.class, "OBJECT");
        assertThat(e.getMessage()).contains("expected OBJECT_DATA");
    }

    @Test
    void commNotUtf8() {
        int task = index(valid, TASK);
        byte[] b = ImageMutator.editPayload(valid, task, p -> p.put(154, (byte) 0xC3).put(155, (byte) 0x28));
        ImageException e = rejects(b, InvalidImageException.class, "TASK");
        assertThat(e.offset()).isEqualTo(payloadOffset(valid, task) + 152);
    }

    @Test
    void unknownTaskState() {
        int task = index(valid, TASK);
        rejects(ImageMutator.editPayload(valid, task, p -> p.putInt(8, 3)), InvalidImageException.class, "TASK");
        ImageException dead = rejects(ImageMutator.editPayload(valid, task, p -> p.putInt(8, 64)),
                InvalidImageException.class, "TASK");
        assertThat(dead.offset()).isEqualTo(payloadOffset(valid, task) + 8);
        assertThat(dead.getMessage()).contains("DEAD");
    }

    @Test
    void pagesCountDoesNotMatchBytes() {
        int pages = index(valid, PAGES);
        byte[] b = ImageMutator.editPayload(valid, pages, p -> p.putInt(8, 2));
        ImageException e = rejects(b, InvalidImageException.class, "PAGES");
        assertThat(e.offset()).isEqualTo(payloadOffset(valid, pages) + 8);
    }

    @Test
    void pagesRunWrappingAroundTheAddressSpace() {
        int pages = index(valid, PAGES);
        byte[] b = ImageMutator.editPayload(valid, pages, p -> p.putLong(0, -4096L));
        rejects(b, InvalidImageException.class, "PAGES");
    }

    @Test
    void cpuRegisterAboveUserLimitFailsTheCheckPhase() {
        int cpu = index(valid, TestArch.CPU_RECORD);
        byte[] b = ImageMutator.editPayload(valid, cpu, p -> p.putLong(0, TestArch.USER_LIMIT));
        ImageException e = rejects(b, InvalidImageException.class);
        assertThat(e.getMessage()).contains("register ip").contains("task 0");
    }

    @Test
    void targetOfAnotherArchitectureIsNeverCommitted() {
        RecordingTarget target = new RecordingTarget() {
            @Override
            public org.ckpt.spi.TargetCpu cpu() {
                return org.ckpt.spi.TargetCpu.anyFeatures("x86_64");
            }
        };
        assertThatThrownBy(() -> Restarter.builder().build().restart(TestChannels.source(valid), target))
                .isInstanceOf(UnsupportedImageException.class)
                .hasMessageContaining("x86_64")
                .hasMessageContaining("record HEAD");
        assertThat(target.committed).isFalse();
    }

    @Test
    void shortReadsGiveTheSameRejections() throws Exception {
        for (int len = 0; len < small.length; len += 3) {
            byte[] cut = ImageMutator.truncate(small, len);
            ImageException whole = null;
            try {
                SHARED.restart(TestChannels.source(cut), new RecordingTarget());
            } catch (ImageException e) {
                whole = e;
            }
            assertThat(whole).as("truncated to %d", len).isNotNull();
            RecordingTarget target = new RecordingTarget();
            final ImageException expected = whole;
            final int n = len;
            assertThatThrownBy(() -> SHARED.restart(TestChannels.shortReads(cut, 7, n), target))
                    .as("short reads, truncated to %d", len)
                    .isInstanceOf(expected.getClass())
                    .hasMessage(expected.getMessage());
            assertThat(target.committed).isFalse();
        }
    }

    // ---- checkpoint side -------------------------------------------------------------

    @Test
    void checkpointRefusesDeadTask() {
        Task t = task().toBuilder().state(TaskState.DEAD).build();
        assertThatThrownBy(() -> checkpointer().build().checkpoint(t, TestChannels.sink()))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("dead");
    }

    /** An open file type nobody registered ObjectOps for. */
    record UnregisteredFile(String name) implements OpenFile {
    }

    @Test
    void checkpointRefusesOpenFileWithoutOps() {
        Task t = Task.builder().pid(1).tgid(1).comm("x")
                .files(FileTable.of(new FileTable.Entry(4, new UnregisteredFile("pipe"), false))).build();
        assertThatThrownBy(() -> checkpointer().build().checkpoint(t, TestChannels.sink()))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(UnregisteredFile.class.getName())
                .hasMessageContaining("fd 4");
    }

    @Test
    void checkpointRefusesFileOutsideRoot() {
        GenericFile f = GenericFile.open(FileKind.REGULAR, "/etc/passwd", 0, 0100644, 0);
        Task t = Task.builder().pid(1).tgid(1).comm("x")
                .files(FileTable.of(new FileTable.Entry(7, f, false))).build();
        assertThatThrownBy(() -> checkpointer().root("/srv/box").build().checkpoint(t, TestChannels.sink()))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("fd 7")
                .hasMessageContaining("/etc/passwd");
    }

    // ---- property: every truncation and every bit flip ------------------------------

    @Test
    void everyTruncationAndEveryBitFlipIsRejected() {
        long started = System.nanoTime();
        int rejected = 0;
        for (int len = 0; len < small.length; len++) {
            expectImageException(ImageMutator.truncate(small, len), "truncated to " + len);
            rejected++;
        }
        for (long bit = 0; bit < small.length * 8L; bit++) {
            expectImageException(ImageMutator.flipBit(small, bit), "bit " + bit + " flipped");
            rejected++;
        }
        assertThat(rejected).isEqualTo(small.length * 9);
        assertThat(System.nanoTime() - started).as("runtime ns").isLessThan(10_000_000_000L);
    }

    @Test
    void everyHeaderBitFlipAndCutNearEveryRecordBoundaryOfTheLargerImageIsRejected() {
        for (ImageRecords.Record r : ImageRecords.parse(valid)) {
            int at = (int) r.offset();
            for (int i = -1; i <= 17; i++) {
                if (at + i >= 0 && at + i < valid.length) {
                    expectImageException(ImageMutator.truncate(valid, at + i), "truncated to " + (at + i));
                }
            }
            for (long bit = at * 8L; bit < (at + 16) * 8L; bit++) {
                expectImageException(ImageMutator.flipBit(valid, bit), "header bit " + bit + " flipped");
            }
        }
    }

    /** One Restarter for the loops (immutable and thread-safe; building one per image reloads providers). */
    private static final Restarter SHARED = Restarter.builder().build();

    private static void expectImageException(byte[] image, String what) {
        RecordingTarget target = new RecordingTarget();
        try {
            SHARED.restart(TestChannels.source(image), target);
            fail(what + ": accepted");
        } catch (ImageException e) {
            assertThat(e.getMessage()).as(what).isNotBlank();
        } catch (Throwable t) {
            throw new AssertionError(what + ": expected an ImageException, got " + t, t);
        }
        assertThat(target.committed).as(what + ": committed").isFalse();
    }

}
