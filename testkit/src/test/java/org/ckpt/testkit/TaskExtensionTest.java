package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.Task;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.ImageLimitException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.InvalidReferenceException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.RejectionFixtures.RecordingTarget;
import org.ckpt.testkit.example.EmulatorDevice;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;

/** Task extension objects: format 1.1 only when used, shared by identity, and every TASK_EXT reader rule. */
class TaskExtensionTest {
    private static final EmulatorDevice UART = new EmulatorDevice("uart0", new long[] {1, 2, 3}, new byte[] {'h', 'i'});
    private static final EmulatorDevice RTC = new EmulatorDevice("rtc", new long[] {0x7FFF}, new byte[0]);

    private static List<Task> tasks() {
        Task a = RejectionFixtures.smallTask().toBuilder().extensions(List.of(UART, RTC, UART)).build();
        Task b = Task.builder().pid(8).tgid(7).comm("thread").mm(a.mm()).extensions(List.of(RTC)).build();
        return List.of(a, b);
    }

    private static byte[] image(List<Task> tasks) throws Exception {
        TestChannels.Sink sink = TestChannels.sink();
        RejectionFixtures.checkpointer().build().checkpoint(tasks, sink);
        return sink.toByteArray();
    }

    private static <E extends ImageException> E rejects(byte[] image, Class<E> type, String record) {
        RecordingTarget target = new RecordingTarget();
        E e = type.cast(org.assertj.core.api.Assertions.catchThrowable(
                () -> Restarter.builder().build().restart(TestChannels.source(image), target)));
        assertThat(e).isInstanceOf(type);
        assertThat(target.committed).isFalse();
        assertThat(e.recordType()).as(e.getMessage()).isEqualTo(record);
        assertThat(e.offset()).isNotNegative();
        return e;
    }

    /** Replaces the payload of the first TASK_EXT. */
    private static byte[] withTaskExt(byte[] image, java.util.function.Consumer<java.nio.ByteBuffer> edit) {
        return ImageMutator.editPayload(image, ImageMutator.indexOf(image, RecordTypes.TASK_EXT), p -> {
            edit.accept(p);
            return p;
        });
    }

    @Test
    void extensionsRoundTripSharedByIdentityInAFormat11Image() throws Exception {
        List<Task> tasks = tasks();
        byte[] image = image(tasks);
        RestartResult r = Restarter.builder().build().restart(TestChannels.source(image));
        assertThat(r.info().formatMinor()).isEqualTo(1);
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(tasks);
        List<Object> a = r.tasks().get(0).extensions();
        assertThat(a).containsExactly(UART, RTC, UART);
        assertThat(a.get(0)).isSameAs(a.get(2));
        assertThat(r.tasks().get(1).extensions().get(0)).isSameAs(a.get(1));
        // Two device objects, written once each, before the first TASK.
        assertThat(ImageMutator.indexOf(image, RecordTypes.OBJECT, 4)).isLessThan(
                ImageMutator.indexOf(image, RecordTypes.TASK));
        assertThat(ImageMutator.indexOf(image, RecordTypes.TASK_EXT))
                .isEqualTo(ImageMutator.indexOf(image, RecordTypes.TASK) + 1);
    }

    @Test
    void withoutExtensionsTheImageStaysFormat10() throws Exception {
        byte[] image = image(List.of(RejectionFixtures.smallTask()));
        assertThat(Restarter.builder().build().restart(TestChannels.source(image)).info().formatMinor()).isZero();
        assertThat(ImageMutator.indexOf(image, RecordTypes.TASK_EXT)).isEqualTo(-1);
    }

    @Test
    void taskExtInA10ImageIsInvalid() throws Exception {
        byte[] image = ImageMutator.editPayload(image(tasks()), 0, p -> p.putShort(2, (short) 0));
        assertThat(rejects(image, InvalidImageException.class, "TASK_EXT").getMessage()).contains("1.0 image");
    }

    @Test
    void danglingZeroAndMisTypedObjrefsAreReferenceErrors() throws Exception {
        byte[] image = image(tasks());
        assertThat(rejects(withTaskExt(image, p -> p.putLong(8, 99)), InvalidReferenceException.class, "TASK_EXT")
                .getMessage()).contains("extension 0").contains("dangling objref 99");
        assertThat(rejects(withTaskExt(image, p -> p.putLong(16, 0)), InvalidReferenceException.class, "TASK_EXT")
                .getMessage()).contains("extension 1").contains("objref 0");
        // objref 2 is the mm (file = 1, mm = 2, files = 3, then the devices).
        assertThat(rejects(withTaskExt(image, p -> p.putLong(8, 2)), InvalidReferenceException.class, "TASK_EXT")
                .getMessage()).contains("'mm' object");
        assertThat(rejects(withTaskExt(image, p -> p.putLong(8, 3)), InvalidReferenceException.class, "TASK_EXT")
                .getMessage()).contains("'files' object");
    }

    @Test
    void countIsBoundedAndMustMatchThePayload() throws Exception {
        byte[] image = image(tasks());
        rejects(withTaskExt(image, p -> p.putInt(0, -1)), ImageLimitException.class, "TASK_EXT");
        rejects(withTaskExt(image, p -> p.putInt(0, 4)), TruncatedImageException.class, "TASK_EXT");
        rejects(withTaskExt(image, p -> p.putInt(0, 2)), InvalidImageException.class, "TASK_EXT");
        rejects(withTaskExt(image, p -> p.putInt(4, 1)), InvalidImageException.class, "TASK_EXT");
        RecordingTarget target = new RecordingTarget();
        assertThatThrownBy(() -> Restarter.builder().limits(Limits.DEFAULTS.withMaxObjects(2)).build()
                .restart(TestChannels.source(image(List.of(Task.builder().extensions(List.of(UART, UART, UART))
                        .build()))), target))
                .isInstanceOf(ImageLimitException.class).hasMessageContaining("maxObjects");
        assertThat(target.committed).isFalse();
    }

    @Test
    void taskExtOnlyRightAfterItsTask() throws Exception {
        byte[] image = image(tasks());
        int ext = ImageMutator.indexOf(image, RecordTypes.TASK_EXT);
        rejects(ImageMutator.duplicate(image, ext), InvalidImageException.class, "TASK_EXT");
        byte[] moved = ImageMutator.drop(ImageMutator.insert(image, ext - 1, RecordTypes.TASK_EXT, 0,
                RejectionFixtures.record(image, ext).payload()), ext + 1);
        rejects(moved, InvalidImageException.class, "TASK_EXT");
    }

    @Test
    void checkpointRefusesSlotsAsExtensionsAndUnknownClasses() {
        Checkpointer c = Checkpointer.builder().architecture(TestArch.NAME).build();
        Task mmAsExt = Task.builder().extensions(List.of(AddressSpace.of(List.of()))).build();
        assertThatThrownBy(() -> c.checkpoint(mmAsExt, TestChannels.sink())).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("extension 0").hasMessageContaining("not an extension");
        Task unknown = Task.builder().extensions(List.of(new StringBuilder("no ops"))).build();
        assertThatThrownBy(() -> c.checkpoint(unknown, TestChannels.sink())).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("extension 0").hasMessageContaining(StringBuilder.class.getName());
    }
}
