package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.ImageInfo;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.RecordTypes;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;

/** Tasks without CPU state need no architecture provider: an empty arch head, limits by name. */
class NoArchitectureTest {
    /** A class loader that sees no service registrations at all: no provider of any architecture. */
    private static final ClassLoader NOTHING = new URLClassLoader(new URL[0], null);

    private static Task task(long end) {
        byte[] page = new byte[4096];
        page[7] = 7;
        return Task.builder().pid(3).comm("guest").mm(AddressSpace.of(List.of(
                Vma.anonymous(end - 4096, end, PageData.of(end - 4096, page))))).build();
    }

    private static byte[] image(String arch, Task t) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(arch).classLoader(NOTHING).build().checkpoint(t, sink);
        return sink.toByteArray();
    }

    @Test
    void anyArchitectureNameWorksWithoutAProvider() throws IOException {
        Task t = task(0xFFFF_FFFF_FFFF_F000L);
        byte[] image = image("riscv64", t);
        RestartResult r = Restarter.builder().classLoader(NOTHING).build().restart(TestChannels.source(image));
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(List.of(t));
        assertThat(r.info().flags()).isEqualTo(ImageInfo.FLAG_NO_ARCH);
        assertThat(r.info().formatMinor()).isEqualTo(2);
        assertThat(r.info().archHead()).isNull();
        ImageRecords.Record ah = ImageRecords.parse(image).get(1);
        assertThat(ah.type()).isEqualTo(RecordTypes.ARCH_HEAD);
        assertThat(ah.payload()).isEmpty();
        // A reader that has providers reads it the same way.
        CkptAssertions.assertThatTasks(Restarter.builder().build().restart(TestChannels.source(image)).tasks())
                .isEquivalentTo(List.of(t));
    }

    @Test
    void aKnownArchitectureKeepsItsAddressLimitsWithoutItsJar() throws IOException {
        image("x86_64", task(0x7FFF_FFFF_F000L));
        assertThatThrownBy(() -> image("x86_64", task(0x8000_0000_0000L))).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("above the user address limit 0x7ffffffff000");
    }

    @Test
    void aTaskWithCpuStateNeedsTheProvider() {
        Task t = Task.builder().pid(1).comm("c").cpu(new TestCpu(0, 0, 0, 0, 0, 0, 0)).build();
        assertThatThrownBy(() -> image("test64", t)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("needs it");
    }

    @Test
    void anArchHeadOrACpuRecordInSuchAnImageIsRejected() throws IOException {
        byte[] image = image("riscv64", task(0x10000));
        byte[] withHead = ImageMutator.editPayload(image, 1, p -> java.nio.ByteBuffer.allocate(8));
        assertThatThrownBy(() -> Restarter.builder().build().restart(TestChannels.source(withHead)))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("must be empty");
        int task = ImageMutator.indexOf(image, RecordTypes.TASK);
        byte[] withCpu = ImageMutator.editPayload(image, task, p -> p.putInt(144, 1));
        assertThatThrownBy(() -> Restarter.builder().build().restart(TestChannels.source(withCpu)))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("HAS_CPU");
    }
}
