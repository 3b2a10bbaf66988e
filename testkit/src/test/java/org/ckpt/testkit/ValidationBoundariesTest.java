package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.Task;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.ImageLimitException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RecordTypes;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.RejectionFixtures.RecordingTarget;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;

/**
 * Exact boundaries of the reader's rules — the last value accepted next to the first
 * rejected — and the places PIT showed no test pinned (see README "Mutation testing").
 */
class ValidationBoundariesTest {
    private static RestartResult accepts(byte[] image, Restarter r) throws Exception {
        RecordingTarget target = new RecordingTarget();
        RestartResult result = r.restart(TestChannels.source(image), target);
        assertThat(target.committed).isTrue();
        return result;
    }

    private static RestartResult accepts(byte[] image) throws Exception {
        return accepts(image, Restarter.builder().build());
    }

    private static <E extends ImageException> E rejects(byte[] image, Class<E> type, Restarter r) {
        RecordingTarget target = new RecordingTarget();
        Throwable t = catchThrowable(() -> r.restart(TestChannels.source(image), target));
        assertThat(t).isInstanceOf(type);
        assertThat(target.committed).isFalse();
        return type.cast(t);
    }

    private static <E extends ImageException> E rejects(byte[] image, Class<E> type) {
        return rejects(image, type, Restarter.builder().build());
    }

    private static byte[] image(List<Task> tasks) throws Exception {
        TestChannels.Sink sink = TestChannels.sink();
        RejectionFixtures.checkpointer().build().checkpoint(tasks, sink);
        return sink.toByteArray();
    }

    private static Task bare(int pid) {
        return Task.builder().pid(pid).tgid(pid).comm("bare").build();
    }

    @Test
    void pageSizeOfOneMebibyteIsTheLargestAccepted() throws Exception {
        byte[] image = image(List.of(bare(1)));
        assertThat(accepts(ImageMutator.editPayload(image, 0, p -> p.putInt(28, 1 << 20))).info().pageSize())
                .isEqualTo(1 << 20);
        rejects(ImageMutator.editPayload(image, 0, p -> p.putInt(28, 1 << 21)), InvalidImageException.class);
    }

    @Test
    void headTimeOutOfInstantRangeNamesTheTimeField() throws Exception {
        byte[] image = image(List.of(bare(1)));
        InvalidImageException e = rejects(ImageMutator.editPayload(image, 0, p -> p.putLong(16, Long.MAX_VALUE)),
                InvalidImageException.class);
        assertThat(e.offset()).isEqualTo(RejectionFixtures.payloadOffset(image, 0) + 16);
        assertThat(e.getMessage()).contains("time_sec");
    }

    @Test
    void taskNanosecondsUpToOneBelowASecond() throws Exception {
        byte[] image = image(List.of(bare(1)));
        int task = ImageMutator.indexOf(image, RecordTypes.TASK);
        assertThat(accepts(ImageMutator.editPayload(image, task, p -> p.putInt(88, 999_999_999))).tasks().get(0)
                .startTime().getNano()).isEqualTo(999_999_999);
        rejects(ImageMutator.editPayload(image, task, p -> p.putInt(88, 1_000_000_000)), InvalidImageException.class);
    }

    @Test
    void maxObjectsIsInclusive() throws Exception {
        byte[] image = RejectionFixtures.image(RejectionFixtures.smallTask());
        accepts(image, Restarter.builder().limits(Limits.DEFAULTS.withMaxObjects(3)).build());
        rejects(image, ImageLimitException.class, Restarter.builder().limits(Limits.DEFAULTS.withMaxObjects(2)).build());
    }

    @Test
    void layoutAddressesMayEqualTheUserLimitButNotExceedIt() throws Exception {
        byte[] image = RejectionFixtures.image(RejectionFixtures.smallTask());
        int mm = RejectionFixtures.objectIndex(image, "mm");
        long limit = TestArch.USER_LIMIT;
        byte[] atLimit = ImageMutator.editPayload(image, mm, p -> p.putLong(12, limit).putLong(20, limit));
        assertThat(accepts(atLimit).tasks().get(0).mm().startCode()).isEqualTo(limit);
        byte[] above = ImageMutator.editPayload(image, mm, p -> p.putLong(12, limit + 1).putLong(20, limit + 1));
        assertThat(rejects(above, InvalidImageException.class).getMessage())
                .contains("start_code 0x800000000001 is above the user address limit");
    }

    @Test
    void aKnownArchitectureRecordFlaggedOptionalIsStillRead() throws Exception {
        byte[] image = RejectionFixtures.image(RejectionFixtures.smallTask());
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        int cpu = ImageMutator.indexOf(image, TestArch.CPU_RECORD);
        ImageRecords.Record r = rs.get(cpu);
        rs.set(cpu, new ImageRecords.Record(r.offset(), r.type(), RecordOutput.FLAG_OPTIONAL, 0, r.payload()));
        assertThat(accepts(ImageRecords.assemble(image, rs)).tasks().get(0).cpu()).isNotNull();
    }

    @Test
    void aCpuRecordWithoutItsTaskFlagIsUnexpectedNotUnknown() throws Exception {
        byte[] image = RejectionFixtures.image(RejectionFixtures.smallTask());
        int task = ImageMutator.indexOf(image, RecordTypes.TASK);
        InvalidImageException e = rejects(ImageMutator.editPayload(image, task, p -> p.putInt(144, 0)),
                InvalidImageException.class);
        assertThat(e.getMessage()).contains("unexpected record 0x01f0");
    }

    @Test
    void bytesAfterTheTailAreLocatedAtTheFirstExtraByte() throws Exception {
        byte[] image = image(List.of(bare(1)));
        byte[] longer = java.util.Arrays.copyOf(image, image.length + 3);
        assertThat(rejects(longer, InvalidImageException.class).offset()).isEqualTo(image.length);
    }

    @Test
    void aFailureInTheSecondTaskNamesIt() throws Exception {
        byte[] image = image(List.of(bare(1), bare(2)));
        int second = ImageMutator.indexOf(image, RecordTypes.TASK, 1);
        InvalidImageException e = rejects(ImageMutator.editPayload(image, second, p -> p.putInt(8, 64)),
                InvalidImageException.class);
        assertThat(e.getMessage()).startsWith("task 1");
    }

    /** A deleted file's contents split over two OBJECT_DATA records: they must add up exactly. */
    @Test
    void deletedFileContentsMayComeInSeveralChunksThatMustFitExactly() throws Exception {
        byte[] content = new byte[100];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i + 1);
        }
        GenericFile f = new GenericFile(FileKind.REGULAR, "/tmp/gone", 2, 0100600, 0, 0, ByteBuffer.wrap(content));
        Task t = Task.builder().pid(3).tgid(3).comm("del").files(FileTable.of(new FileTable.Entry(0, f, false)))
                .build();
        byte[] image = image(List.of(t));
        int data = ImageMutator.indexOf(image, RecordTypes.OBJECT_DATA);
        assertThat(data).isPositive();
        byte[] split = split(image, data, java.util.Arrays.copyOfRange(content, 0, 60),
                java.util.Arrays.copyOfRange(content, 60, 100));
        GenericFile back = (GenericFile) accepts(split).tasks().get(0).files().get(0).file();
        assertThat(back).isEqualTo(f);
        byte[] tooMuch = split(image, data, java.util.Arrays.copyOfRange(content, 0, 60),
                java.util.Arrays.copyOfRange(content, 0, 60));
        InvalidImageException e = rejects(tooMuch, InvalidImageException.class);
        assertThat(e.recordType()).isEqualTo("OBJECT_DATA");
        assertThat(e.getMessage()).contains("chunk of 60 bytes after 60");
    }

    private static byte[] split(byte[] image, int index, byte[] first, byte[] second) {
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        rs.set(index, new ImageRecords.Record(0, RecordTypes.OBJECT_DATA, 0, 0, first));
        rs.add(index + 1, new ImageRecords.Record(0, RecordTypes.OBJECT_DATA, 0, 0, second));
        return ImageRecords.assemble(image, rs);
    }
}
