package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.RecordingTarget;
import org.ckpt.testkit.image.TestChannels;

/** Every truncation and single-bit flip of a valid image is an ImageException, and nothing is committed. */
class CorruptionProperties {
    private static final Restarter RSTR = Restarter.builder().build();

    private static byte[] image(long seed, int tasks) throws Exception {
        List<Task> set = Generators.build(seed, tasks, 1,
                List.of(new TestCpu(0x1000, 0x2000, 1, 2, 3, 4, 5)));
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(TestArch.NAME).build().checkpoint(set, sink);
        return sink.toByteArray();
    }

    private static void assertRejected(byte[] bad) {
        RecordingTarget target = new RecordingTarget(TargetCpu.anyFeatures(TestArch.NAME));
        assertThatThrownBy(() -> RSTR.restart(TestChannels.source(bad), target)).isInstanceOf(ImageException.class);
        assertThat(target.commits()).isZero();
    }

    @Property(tries = 12)
    void everyTruncationIsRejected(@ForAll long seed, @ForAll @IntRange(min = 1, max = 3) int tasks) throws Exception {
        byte[] img = image(seed, tasks);
        for (int len = 0; len < img.length; len++) {
            assertRejected(ImageMutator.truncate(img, len));
        }
    }

    @Property(tries = 12)
    void singleBitFlipsAreRejected(@ForAll long seed, @ForAll @IntRange(min = 1, max = 3) int tasks)
            throws Exception {
        byte[] img = image(seed, tasks);
        SplittableRandom rnd = new SplittableRandom(seed);
        long bits = img.length * 8L;
        // All bits of the first 2 KiB (magic, head, arch head, first objects), then a sample of the rest.
        for (long bit = 0; bit < Math.min(bits, 2048 * 8); bit++) {
            assertRejected(ImageMutator.flipBit(img, bit));
        }
        for (int i = 0; i < 2000 && bits > 2048 * 8; i++) {
            assertRejected(ImageMutator.flipBit(img, rnd.nextLong(2048 * 8, bits)));
        }
    }
}
