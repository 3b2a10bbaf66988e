package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.ckpt.Checkpointer;
import org.ckpt.ParentImage;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.Task;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.Histories.History;
import org.ckpt.testkit.image.ImageChain;
import org.ckpt.testkit.image.ImageMap;
import org.ckpt.testkit.image.TestChannels;

/**
 * Incremental images over generated task histories: the restart of every image of a chain is
 * exactly the task set of its step, whether the host reported what changed or the digests
 * found it, whether each parent came from the checkpoint just taken or was read back from its
 * bytes; and merging a chain gives the bytes of merging a full image of the last step.
 */
class ChainProperties {
    static final Instant WHEN = Instant.ofEpochSecond(1_700_000_000);
    static final Uname HOST = new Uname("Linux", "h", "6.1", "#1", "x86_64");

    @Provide
    Arbitrary<History> histories() {
        Arbitrary<TestCpu> cpu = Arbitraries.longs().between(0, TestArch.USER_LIMIT - 1)
                .map(ip -> new TestCpu(ip, ip ^ 0x5555, ip * 3, ~ip, 7, 0, ip & TestArch.USER_FLAGS));
        return Histories.histories(GenConfig.DEFAULT.withCpus(Arbitraries.oneOf(cpu, Arbitraries.just(null))), 5);
    }

    static Checkpointer.Builder builder(String arch, boolean digests) {
        return Checkpointer.builder().architecture(arch).pageDigests(digests).created(WHEN).uname(HOST);
    }

    @Property(tries = 120)
    void restartOfEveryImageIsItsStep(@ForAll("histories") History h, @ForAll boolean tracked,
                                      @ForAll boolean childDigests) throws Exception {
        // The digest path needs digests in every parent; the host path works without them.
        boolean digests = childDigests || !tracked;
        ImageChain chain = ImageChain.write(tracked ? h.tracked() : h.steps(), () -> builder(TestArch.NAME, digests));
        Restarter r = Restarter.builder().parents(chain).build();
        for (int i = 0; i < chain.size(); i++) {
            RestartResult back = r.restart(chain.channel(i));
            CkptAssertions.assertThatTasks(back.tasks()).isEquivalentTo(h.steps().get(i));
            assertThat(back.info().checkpointId()).isEqualTo(chain.id(i));
            assertThat(back.bytesRead()).isEqualTo(sum(chain, i));
            if (i > 0) {
                // A child may carry PAGE_RUNS (docs/FORMAT.md §15.8): its head says 1.4.
                assertThat(back.info().formatMinor()).isEqualTo(4);
            }
        }
        if (tracked) {
            // pages the host reported unchanged are never written again
            for (int i = 1; i < chain.size(); i++) {
                assertThat(chain.result(i).pagesWritten() + chain.result(i).pagesFromParent()).isNotNegative();
            }
        }
    }

    private static long sum(ImageChain c, int upTo) {
        long n = 0;
        for (int i = 0; i <= upTo; i++) {
            n += c.result(i).bytesWritten();
        }
        return n;
    }

    @Property(tries = 60)
    void aParentReadFromItsBytesServesAsWellAsTheResult(@ForAll("histories") History h, @ForAll boolean tracked)
            throws Exception {
        Restarter r = Restarter.builder().build();
        List<List<Task>> steps = tracked ? h.tracked() : h.steps();
        ParentImage parent = null;
        java.util.Map<Long, byte[]> images = new java.util.HashMap<>();
        byte[] last = null;
        for (List<Task> step : steps) {
            TestChannels.Sink sink = TestChannels.sink();
            var res = builder(TestArch.NAME, true).parent(parent).build().checkpoint(step, sink);
            last = sink.toByteArray();
            images.put(res.checkpointId(), last);
            parent = r.parentImage(TestChannels.source(last));
            assertThat(parent.tail()).isEqualTo(res.tail());
            assertThat(parent.depth()).isEqualTo(res.asParent().depth());
            assertThat(parent.hasDigests()).isTrue();
        }
        RestartResult back = Restarter.builder().parents(l -> images.containsKey(l.checkpointId())
                ? TestChannels.source(images.get(l.checkpointId())) : null).build().restart(TestChannels.source(last));
        CkptAssertions.assertThatTasks(back.tasks()).isEquivalentTo(h.last());
    }

    @Property(tries = 60)
    void mergingAChainGivesTheBytesOfMergingAFullImageOfItsLastStep(@ForAll("histories") History h,
                                                                   @ForAll boolean tracked, @ForAll boolean digests)
            throws Exception {
        ImageChain chain = ImageChain.write(tracked ? h.tracked() : h.steps(), () -> builder(TestArch.NAME, true));
        int last = chain.size() - 1;
        Restarter r = Restarter.builder().parents(chain).build();
        Checkpointer merger = builder(TestArch.NAME, digests).build();
        TestChannels.Sink merged = TestChannels.sink();
        merger.merge(r, chain.channel(last), merged);

        TestChannels.Sink full = TestChannels.sink();
        builder(TestArch.NAME, false).checkpointId(chain.id(last)).build().checkpoint(h.last(), full);
        TestChannels.Sink mergedFull = TestChannels.sink();
        merger.merge(r, TestChannels.source(full.toByteArray()), mergedFull);
        assertThat(ImageMap.difference(mergedFull.toByteArray(), merged.toByteArray())).isEmpty();

        RestartResult back = r.restart(TestChannels.source(merged.toByteArray()));
        CkptAssertions.assertThatTasks(back.tasks()).isEquivalentTo(h.last());
        assertThat(back.info().formatMinor()).isLessThan(3);
    }

    /** An architecture with a provider and CPU-state generators, and a history of tasks with its states. */
    record ArchHistory(String arch, History history) {
    }

    @Provide
    Arbitrary<ArchHistory> archHistories() {
        return Arbitraries.of(Generators.cpuArchitectures().toArray(new String[0])).flatMap(arch -> Histories
                .histories(GenConfig.DEFAULT.withMaxTasks(2).withMaxSize(4).withCpus(Generators.cpuStates(arch)), 4)
                .map(h -> new ArchHistory(arch, h)));
    }

    @Property(tries = 60)
    void restartOfAChainIsTheLastStepOnEveryArchitecture(@ForAll("archHistories") ArchHistory ah,
                                                         @ForAll boolean tracked) throws Exception {
        History h = ah.history();
        ImageChain chain = ImageChain.write(tracked ? h.tracked() : h.steps(), () -> builder(ah.arch(), true));
        RestartResult back = Restarter.builder().parents(chain).build().restart(chain.channel(chain.size() - 1));
        assertThat(back.info().architecture()).isEqualTo(ah.arch());
        // The policy's check phase may rebuild registers (PowerPC's user MSR): compare with the
        // restart of a full image of the same tasks, which applies the same rules.
        TestChannels.Sink full = TestChannels.sink();
        builder(ah.arch(), false).build().checkpoint(h.last(), full);
        RestartResult expected = Restarter.builder().build().restart(TestChannels.source(full.toByteArray()));
        CkptAssertions.assertThatTasks(back.tasks()).isEquivalentTo(expected.tasks());
        // As the images hold them (no check phase), the chain's last image is exactly the last step.
        CkptAssertions.assertThatTasks(Restarter.builder().parents(chain).build().inspect(chain.channel(chain.size() - 1),
                null).imageTasks()).isEquivalentTo(h.last());
    }
}
