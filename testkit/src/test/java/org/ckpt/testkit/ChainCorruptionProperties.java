package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.ckpt.Checkpointer;
import org.ckpt.PageDestination;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.ImageLimitException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;
import org.ckpt.spi.UnsupportedImageException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.Histories.History;
import org.ckpt.testkit.image.ImageChain;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.TestChannels;

/**
 * Broken chains — a parent dropped, swapped for another image, truncated, bit-flipped, re-ordered,
 * rewritten under the same id, of another page size or policy, a chain deeper than allowed — are
 * refused before anything is committed, every page buffer handed out is released, and the
 * message names the link.
 */
class ChainCorruptionProperties {
    @Provide
    Arbitrary<History> histories() {
        return Histories.histories(GenConfig.DEFAULT.withMaxTasks(2).withMaxSize(3)
                .withCpus(net.jqwik.api.Arbitraries.just(new TestCpu(0x1000, 0x2000, 1, 2, 3, 4, 5))), 4)
                .filter(h -> h.steps().size() >= 3);
    }

    static ImageChain chain(History h) throws IOException {
        return ImageChain.write(h.tracked(), () -> ChainProperties.builder(TestArch.NAME, true));
    }

    /** A target whose page destination counts what it hands out and what it is told to release. */
    static final class Target implements RestartTarget {
        int allocations;
        int releases;
        int commits;

        @Override
        public TargetCpu cpu() {
            return TargetCpu.anyFeatures(TestArch.NAME);
        }

        @Override
        public RestorePolicy policy() {
            return RestorePolicy.LINUX_USER;
        }

        @Override
        public PageDestination pages() {
            return new PageDestination() {
                @Override
                public ByteBuffer allocate(Run run) {
                    allocations++;
                    return ByteBuffer.allocate(run.length());
                }

                @Override
                public void release(Throwable failure) {
                    releases++;
                }
            };
        }

        @Override
        public void commit(RestartResult image) {
            commits++;
        }
    }

    /** Restarts the newest image of {@code c}; returns the failure after checking nothing was committed. */
    static ImageException rejected(ImageChain c, Restarter.Builder b) {
        Target t = new Target();
        Restarter r = b.parents(c).build();
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> r.restart(c.channel(c.size() - 1), t));
        assertThat(thrown).isInstanceOf(ImageException.class);
        assertThat(t.commits).isZero();
        assertThat(t.releases).isEqualTo(t.allocations > 0 ? 1 : 0);
        return (ImageException) thrown;
    }

    static ImageException rejected(ImageChain c) {
        return rejected(c, Restarter.builder());
    }

    @Property(tries = 25)
    void theIntactChainRestarts(@ForAll("histories") History h) throws Exception {
        ImageChain c = chain(h);
        Target t = new Target();
        Restarter.builder().parents(c).build().restart(c.channel(c.size() - 1), t);
        assertThat(t.commits).isEqualTo(1);
        assertThat(t.releases).isZero();
    }

    @Property(tries = 25)
    void aDroppedParentIsNamed(@ForAll("histories") History h, @ForAll long pick) throws Exception {
        ImageChain c = chain(h);
        int k = (int) Math.floorMod(pick, (long) c.size() - 1);
        ImageException e = rejected(c.remove(c.id(k)));
        assertThat(e).isInstanceOf(UnsupportedImageException.class);
        assertThat(e.getMessage()).contains("chain link " + (k + 1)).contains(Long.toHexString(c.id(k)))
                .contains("not found");
    }

    @Property(tries = 25)
    void aSwappedOrReorderedParentIsRefused(@ForAll("histories") History h, @ForAll long pick) throws Exception {
        ImageChain c = chain(h);
        int k = (int) Math.floorMod(pick, (long) c.size() - 1);
        int j = (k + 1 + (int) Math.floorMod(pick >>> 8, (long) c.size() - 1)) % c.size();
        // the resolver hands out image j where image k is asked for; and both swapped
        ImageException e = rejected(c.replace(c.id(k), c.image(j)));
        assertThat(e.getMessage()).contains("chain link");
        if (j < c.size() - 1) {
            rejected(c.replace(c.id(k), c.image(j)).replace(c.id(j), c.image(k)));
        }
    }

    @Property(tries = 8)
    void everyTruncationOfAParentIsRefused(@ForAll("histories") History h, @ForAll long pick) throws Exception {
        ImageChain c = chain(h);
        int k = (int) Math.floorMod(pick, (long) c.size() - 1);
        byte[] img = c.image(k);
        SplittableRandom rnd = new SplittableRandom(pick);
        for (int i = 0; i < 60; i++) {
            int len = i < 20 ? img.length - 1 - i : rnd.nextInt(img.length);
            if (len < 0) {
                continue;
            }
            rejected(c.replace(c.id(k), ImageMutator.truncate(img, len)));
        }
    }

    @Property(tries = 8)
    void bitFlipsAnywhereInTheChainAreRefused(@ForAll("histories") History h, @ForAll long pick) throws Exception {
        ImageChain c = chain(h);
        SplittableRandom rnd = new SplittableRandom(pick);
        for (int i = 0; i < 80; i++) {
            int k = rnd.nextInt(c.size());
            byte[] img = c.image(k);
            byte[] bad = ImageMutator.flipBit(img, rnd.nextLong(img.length * 8L));
            ImageChain broken = c.replace(c.id(k), bad);
            if (k == c.size() - 1) {
                Target t = new Target();
                Restarter r = Restarter.builder().parents(broken).build();
                assertThatThrownBy(() -> r.restart(TestChannels.source(bad), t)).isInstanceOf(ImageException.class);
                assertThat(t.commits).isZero();
                assertThat(t.releases).isEqualTo(t.allocations > 0 ? 1 : 0);
            } else {
                rejected(broken);
            }
        }
    }

    @Property(tries = 20)
    void aParentRewrittenUnderTheSameIdFailsThePin(@ForAll("histories") History h, @ForAll long pick)
            throws Exception {
        ImageChain c = chain(h);
        int k = (int) Math.floorMod(pick, (long) c.size() - 1);
        // the same tasks written again with the same id: another image (its time differs), same id
        TestChannels.Sink other = TestChannels.sink();
        Checkpointer.Builder b = ChainProperties.builder(TestArch.NAME, true).checkpointId(c.id(k))
                .created(ChainProperties.WHEN.plusSeconds(1));
        if (k > 0) {
            b.parent(c.result(k - 1).asParent());
        }
        b.build().checkpoint(h.tracked().get(k), other);
        ImageException e = rejected(c.replace(c.id(k), other.toByteArray()));
        assertThat(e).isInstanceOf(ChecksumException.class);
        assertThat(e.getMessage()).contains("chain link " + (k + 1)).contains("pins");
    }

    @Property(tries = 15)
    void aParentOfAnotherPageSizeOrPolicyIsRefused(@ForAll("histories") History h, @ForAll boolean pageSize)
            throws Exception {
        ImageChain c = chain(h);
        int k = c.size() - 2;
        List<Task> tasks = h.steps().get(k);
        TestChannels.Sink other = TestChannels.sink();
        Checkpointer.Builder b = ChainProperties.builder(TestArch.NAME, true).checkpointId(c.id(k));
        if (pageSize) {
            b.pageSize(8192);
            tasks = List.of(Task.builder().pid(1).tgid(1).comm("x").build());
        } else {
            b.policy(RestorePolicy.EXACT);
        }
        b.build().checkpoint(tasks, other);
        ImageException e = rejected(c.replace(c.id(k), other.toByteArray()));
        assertThat(e).isInstanceOf(InvalidImageException.class);
        assertThat(e.getMessage()).contains("chain link " + (k + 1)).contains(pageSize ? "page size" : "policy",
                pageSize ? "8192" : "EXACT");
    }

    @Property(tries = 10)
    void aChainDeeperThanTheLimitIsRefusedBeforeAnyParentIsOpened(@ForAll("histories") History h) throws Exception {
        ImageChain c = chain(h);
        int depth = c.size() - 1;
        int[] opened = {0};
        Target t = new Target();
        Restarter r = Restarter.builder().limits(org.ckpt.spi.Limits.DEFAULTS.withMaxChainDepth(depth - 1))
                .parents(link -> {
                    opened[0]++;
                    return c.open(link);
                }).build();
        assertThatThrownBy(() -> r.restart(c.channel(depth), t)).isInstanceOf(ImageLimitException.class)
                .hasMessageContaining("maxChainDepth");
        assertThat(opened[0]).isZero();
        assertThat(t.commits).isZero();
        // and a checkpoint refuses to make one
        assertThatThrownBy(() -> ChainProperties.builder(TestArch.NAME, true)
                .limits(org.ckpt.spi.Limits.DEFAULTS.withMaxChainDepth(depth)).parent(c.result(depth).asParent())
                .build().checkpoint(h.last(), TestChannels.sink()))
                .isInstanceOf(org.ckpt.spi.CheckpointException.class).hasMessageContaining("maxChainDepth");
    }

    @Property(tries = 10)
    void aLinkBackToADescendantIsRefused(@ForAll("histories") History h) throws Exception {
        ImageChain c = chain(h);
        // image 0's id, rewritten as a child of image 1: the chain 2 -> 1 -> 0' -> 1 -> ... would cycle
        TestChannels.Sink loop = TestChannels.sink();
        ChainProperties.builder(TestArch.NAME, true).checkpointId(c.id(0)).parent(c.result(1).asParent()).build()
                .checkpoint(h.tracked().get(0), loop);
        ImageException e = rejected(c.replace(c.id(0), loop.toByteArray()));
        assertThat(e).isInstanceOf(InvalidImageException.class);
        assertThat(e.getMessage()).contains("chain link 1").contains("depth");
    }
}
