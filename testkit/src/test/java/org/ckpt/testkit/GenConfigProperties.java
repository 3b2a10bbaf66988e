package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Shrinkable;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.CpuState;
import org.ckpt.testkit.example.EmulatorDevice;
import org.ckpt.testkit.example.HostPipe;
import org.ckpt.testkit.image.TestChannels;

/** Each knob of {@link GenConfig} does what it says, and failing sets shrink to small ones. */
class GenConfigProperties {
    private static final Arbitrary<EmulatorDevice> DEVICES = Combinators.combine(
            Arbitraries.strings().alpha().ofMaxLength(8), Arbitraries.longs().array(long[].class).ofMaxSize(4),
            Arbitraries.bytes().array(byte[].class).ofMaxSize(16)).as(EmulatorDevice::new);

    private static final Arbitrary<HostPipe> PIPES = Combinators.combine(Arbitraries.strings().alpha().ofMaxLength(8),
            Arbitraries.integers().between(0, 1 << 16), Arbitraries.bytes().array(byte[].class).ofMaxSize(16))
            .as(HostPipe::new);

    /** Every object reachable from the set, with how often it is referenced. */
    private static Map<Object, Integer> references(List<Task> tasks) {
        Map<Object, Integer> refs = new IdentityHashMap<>();
        for (Task t : tasks) {
            List<Object> objs = new ArrayList<>(t.extensions());
            objs.add(t.mm());
            objs.add(t.files());
            for (Object o : objs) {
                if (o != null && refs.merge(o, 1, Integer::sum) == 1) {
                    if (o == t.mm()) {
                        t.mm().vmas().stream().filter(Vma::isFileBacked).forEach(v -> refs.merge(v.file(), 1, Integer::sum));
                    } else if (o == t.files()) {
                        t.files().entries().forEach(e -> refs.merge(e.file(), 1, Integer::sum));
                    }
                }
            }
        }
        return refs;
    }

    @Provide
    Arbitrary<List<Task>> unshared() {
        return Generators.taskSets(GenConfig.DEFAULT.withSharing(false).withExtensions(DEVICES, 4));
    }

    @Property(tries = 60)
    void withoutSharingEveryObjectIsReferencedOnce(@ForAll("unshared") List<Task> tasks) throws Exception {
        assertThat(references(tasks).values()).allMatch(n -> n == 1);
        roundTrip(tasks);
    }

    @Provide
    Arbitrary<List<Task>> shared() {
        return Generators.taskSets(GenConfig.DEFAULT.withExtensions(DEVICES, 4).withCpus(
                Generators.cpuStates("x86_64")));
    }

    @Property(tries = 60)
    void extensionsAndCpusFromTheConfigRoundTrip(@ForAll("shared") List<Task> tasks) throws Exception {
        assertThat(tasks).allMatch(t -> t.cpu() != null && t.cpu().architecture().equals("x86_64"));
        roundTrip(tasks, "x86_64");
    }

    @Example
    void sharingIsOnByDefault() {
        long shared = Generators.taskSets(GenConfig.DEFAULT.withExtensions(DEVICES, 4)).sampleStream().limit(200)
                .filter(ts -> references(ts).values().stream().anyMatch(n -> n > 1)).count();
        assertThat(shared).isGreaterThan(50);
    }

    @Provide
    Arbitrary<List<Task>> bounded() {
        return Generators.taskSets(GenConfig.DEFAULT.withMaxTasks(2).withMaxVmas(1).withMaxPagesPerArea(2)
                .withDeletedFiles(false).withPagePatterns(Set.of(Generators.PagePattern.ZERO,
                        Generators.PagePattern.ABSENT)));
    }

    @Property(tries = 60)
    void boundsAndFeatureSwitchesHold(@ForAll("bounded") List<Task> tasks) throws Exception {
        assertThat(tasks).hasSizeBetween(1, 2);
        for (Task t : tasks) {
            if (t.mm() != null) {
                assertThat(t.mm().vmas()).hasSizeLessThanOrEqualTo(1);
                for (Vma v : t.mm().vmas()) {
                    assertThat(v.size()).isLessThanOrEqualTo(2 * Generators.PAGE);
                    ByteBuffer all = ByteBuffer.allocate((int) v.size());
                    v.pages().read(v.start(), all);
                    assertThat(all.clear().equals(ByteBuffer.allocate((int) v.size()))).as("zero pages only").isTrue();
                }
            }
        }
        assertThat(references(tasks).keySet()).noneMatch(o -> o instanceof GenericFile f && f.isDeleted());
        roundTrip(tasks);
    }

    @Property(tries = 30)
    void withoutFilesThereAreNone(@ForAll("noFiles") List<Task> tasks) {
        assertThat(references(tasks).keySet()).noneMatch(o -> o instanceof GenericFile);
        assertThat(tasks).allMatch(t -> t.files() == null || t.files().entries().isEmpty());
    }

    @Provide
    Arbitrary<List<Task>> noFiles() {
        return Generators.taskSets(GenConfig.DEFAULT.withFiles(false));
    }

    @Provide
    Arbitrary<List<Task>> hostObjects() {
        return Generators.taskSets(GenConfig.DEFAULT.withExtensions(DEVICES, 4).withOpenFiles(PIPES));
    }

    /** A host's own objects (extensions, open-file types) round-trip with its ops registered by instance. */
    @Property(tries = 60)
    void hostObjectsRoundTripWithTheirOpsRegistered(@ForAll("hostObjects") List<Task> tasks) throws Exception {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture("x86_64").register(new HostPipe.Ops()).build().checkpoint(tasks, sink);
        CkptAssertions.assertThatTasks(Restarter.builder().register(new HostPipe.Ops()).build()
                .restart(TestChannels.source(sink.toByteArray())).tasks()).isEquivalentTo(tasks);
    }

    @Example
    void hostOpenFilesAppearBehindDescriptorsAndAreas() {
        List<List<Task>> sets = hostObjects().sampleStream().limit(200).toList();
        long behindFd = sets.stream().filter(ts -> ts.stream().anyMatch(t -> t.files() != null
                && t.files().entries().stream().anyMatch(e -> e.file() instanceof HostPipe))).count();
        long behindArea = sets.stream().filter(ts -> ts.stream().anyMatch(t -> t.mm() != null
                && t.mm().vmas().stream().anyMatch(v -> v.file() instanceof HostPipe))).count();
        long generic = sets.stream().filter(ts -> references(ts).keySet().stream()
                .anyMatch(o -> o instanceof GenericFile)).count();
        assertThat(behindFd).isGreaterThan(20);
        assertThat(behindArea).isGreaterThan(10);
        assertThat(generic).isGreaterThan(50);
    }

    @Example
    void cpuStatesForEveryArchitectureOnTheClassPath() {
        assertThat(Generators.cpuArchitectures()).containsExactlyInAnyOrder("i386", "x86_64", "ppc32", "ppc64");
        for (String a : Generators.cpuArchitectures()) {
            CpuState s = Generators.cpuStates(a).sample();
            assertThat(s.architecture()).isEqualTo(a);
        }
    }

    /**
     * "No task has a non-zero byte in memory" fails for most generated sets; jqwik's own
     * shrink candidates, taken greedily while the set still fails, lead to one task with
     * one small area.
     */
    @Example
    void aFailingSetShrinksToASmallCounterexample() {
        Predicate<List<Task>> fails = ts -> ts.stream().anyMatch(GenConfigProperties::hasNonZeroByte);
        Random random = new Random(42);
        Shrinkable<List<Task>> current = null;
        for (int i = 0; i < 1000 && current == null; i++) {
            Shrinkable<List<Task>> s = Generators.taskSets().generator(1000).next(random);
            if (fails.test(s.value()) && s.value().size() >= 3 && vmaCount(s.value()) >= 4) {
                current = s;
            }
        }
        assertThat(current).as("a big failing set").isNotNull();
        for (int step = 0; step < 2000; step++) {
            Optional<Shrinkable<List<Task>>> smaller = current.shrink().filter(c -> fails.test(c.value()))
                    .findFirst();
            if (smaller.isEmpty()) {
                break;
            }
            current = smaller.get();
        }
        List<Task> shrunk = current.value();
        assertThat(fails.test(shrunk)).isTrue();
        assertThat(shrunk).hasSize(1);
        assertThat(vmaCount(shrunk)).isEqualTo(1);
        assertThat(shrunk.get(0).mm().vmas().get(0).size()).isLessThanOrEqualTo(4L * Generators.PAGE);
        assertThat(references(shrunk).keySet().stream().filter(o -> o instanceof GenericFile).count())
                .isLessThanOrEqualTo(1);
        FileTable ft = shrunk.get(0).files();
        assertThat(ft == null ? 0 : ft.entries().size()).isLessThanOrEqualTo(5);
    }

    private static int vmaCount(List<Task> ts) {
        return ts.stream().mapToInt(t -> t.mm() == null ? 0 : t.mm().vmas().size()).sum();
    }

    private static boolean hasNonZeroByte(Task t) {
        if (t.mm() == null) {
            return false;
        }
        for (Vma v : t.mm().vmas()) {
            ByteBuffer all = ByteBuffer.allocate((int) v.size());
            try {
                v.pages().read(v.start(), all);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            if (all.clear().mismatch(ByteBuffer.allocate((int) v.size())) >= 0) {
                return true;
            }
        }
        return false;
    }

    private static void roundTrip(List<Task> tasks) throws Exception {
        roundTrip(tasks, "x86_64");
    }

    private static void roundTrip(List<Task> tasks, String arch) throws Exception {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(arch).build().checkpoint(tasks, sink);
        CkptAssertions.assertThatTasks(Restarter.builder().build().restart(TestChannels.source(sink.toByteArray()))
                .tasks()).isEquivalentTo(tasks);
    }
}
