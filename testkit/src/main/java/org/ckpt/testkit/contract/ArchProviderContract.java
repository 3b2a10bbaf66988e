package org.ckpt.testkit.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.ckpt.RestartResult;
import org.ckpt.model.Task;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TargetCpu;
import org.ckpt.spi.UnsupportedImageException;
import org.ckpt.testkit.HostDifference;
import org.ckpt.testkit.image.Corruption;
import org.ckpt.testkit.image.ImageMap;
import org.ckpt.testkit.image.RecordingTarget;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;

/**
 * The guarantees every {@link ArchProvider} must give, as a jqwik contract: implement
 * it in a test class, supply the provider and valid CPU states per architecture, and
 * every property below runs through full images ({@code Checkpointer} →
 * {@code Restarter} into a recording {@code RestartTarget}).
 *
 * <p>Checked: round trip through short reads and writes, bit for bit or as
 * {@link #afterRestart} predicts, and stable on a second round trip; bitness (a
 * 64-bit image never restarts on a 32-bit target; a 32-bit one does on a 64-bit target
 * exactly when {@link #supportsCompat()}); target features (a target declaring
 * {@link #featuresUsed} commits, one lacking any of them is refused with
 * {@code UnsupportedImageException}; a target declaring nothing commits or refuses
 * likewise); unknown feature bits in the fields {@link #featureFields} names rejected;
 * every truncation and bit flip rejected; semantic damage to the arch head and CPU
 * records with checksums repaired rejected or consistent; unknown optional records
 * skipped; discoverable through ServiceLoader. A restart that fails never commits.
 *
 * <p>Feature flags: the defaults of {@link #architecture32()}, {@link #architecture64()},
 * {@link #featuresUsed} and {@link #featureFields} switch the corresponding checks off.
 *
 * @since 0.1 (evolving)
 */
public interface ArchProviderContract {
    /**
     * A feature mask in a record that a reader must police: the u64 at {@code offset} of
     * the payload of the first record of {@code recordType}, of which only
     * {@code knownBits} may be set.
     */
    record FeatureField(int recordType, int offset, long knownBits) {
    }

    /**
     * The provider under test. Every property checkpoints and restarts with this instance
     * registered ({@code register(provider())}); {@link #isDiscoverableThroughServiceLoader}
     * also checks that its class is registered for {@link ServiceLoader}.
     */
    ArchProvider provider();

    /** Valid CPU states of {@code architecture} (one of {@code provider().architectures()}). */
    Arbitrary<? extends CpuState> states(String architecture);

    /**
     * What a restart onto {@code target} commits for {@code state}: the state itself by
     * default (the check phase changes nothing), or as the check phase rebuilds it;
     * {@code null} when it is not predicted (then only acceptance is checked).
     */
    default CpuState afterRestart(CpuState state, TargetCpu target) {
        return state;
    }

    /** The 32-bit architecture of the family, or {@code null} (no bitness checks). */
    default String architecture32() {
        return null;
    }

    /** The 64-bit architecture of the family, or {@code null} (no bitness checks). */
    default String architecture64() {
        return null;
    }

    /** Whether a 32-bit image restarts on a 64-bit target (compat mode). Default: when both are named. */
    default boolean supportsCompat() {
        return architecture32() != null && architecture64() != null;
    }

    /** The target feature names {@code state} needs, or {@code null} if not specified (check off). */
    default Set<String> featuresUsed(CpuState state) {
        return null;
    }

    /**
     * The architecture of the target that declares exactly {@link #featuresUsed} for
     * {@code state}: by default the state's own. (An x86 provider names the kernel the
     * state came from: a compat-mode i386 state may use what only an x86_64 kernel offers.)
     */
    default String featureTargetArchitecture(CpuState state) {
        return state.architecture();
    }

    /** Feature masks in images of {@code architecture} whose unknown bits must be rejected. Default none. */
    default List<FeatureField> featureFields(String architecture) {
        return List.of();
    }

    /**
     * CPU states of {@code architecture} drawn from the <em>full</em> range of every field —
     * every bit pattern of every register, every optional part present or absent — valid or
     * not under any policy; {@code null} (the default) switches the policy-agreement property
     * off. Generate them so that each field is random over its whole width (not only
     * plausible values), with the boundaries of the policies' rules among the edge cases.
     *
     * @since 0.2
     */
    default Arbitrary<? extends CpuState> anyStates(String architecture) {
        return null;
    }

    /** Most truncations, bit flips and semantic mutations tried per image. */
    default int positionsPerImage() {
        return 1500;
    }

    // ---- properties -------------------------------------------------------------------------

    @Provide
    default Arbitrary<CpuState> contractStates() {
        List<Arbitrary<CpuState>> each = new ArrayList<>();
        for (String a : new java.util.TreeSet<>(provider().architectures())) {
            each.add(states(a).map(s -> (CpuState) s));
        }
        // Edge cases of big combined register-file arbitraries cost seconds to enumerate, and
        // the generators already aim at the boundaries the check phase draws.
        return Arbitraries.oneOf(each).withoutEdgeCases();
    }

    @Property(tries = 60)
    default void roundTripsThroughAFullImage(@ForAll("contractStates") CpuState state,
                                             @ForAll @IntRange(min = 1, max = 16) int chunk,
                                             @ForAll long seed) throws IOException {
        String arch = state.architecture();
        List<Task> tasks = List.of(task(state));
        Images images = images(arch);
        byte[] image = images.checkpoint(tasks);
        TestChannels.Sink sink = TestChannels.sink();
        images.checkpointer().checkpoint(tasks, TestChannels.shortWrites(sink, chunk, seed));
        assertThat(sink.toByteArray()).as("bytes written through short writes").isEqualTo(image);
        TargetCpu target = TargetCpu.anyFeatures(arch);
        RestartResult r = images.restarter().restart(TestChannels.shortReads(image, chunk, ~seed),
                new RecordingTarget(target));
        assertThat(r.bytesRead()).isEqualTo(image.length);
        CpuState back = r.tasks().get(0).cpu();
        CpuState expected = afterRestart(state, target);
        if (expected != null) {
            assertThat(back).isEqualTo(expected);
        }
        // What a restart commits is a fixed point: it checkpoints and restarts to itself.
        RestartResult again = images.accept(images.checkpoint(List.of(task(back))), target);
        assertThat(again.tasks().get(0).cpu()).isEqualTo(back);
    }

    @Provide
    default Arbitrary<CpuState> contractAnyStates() {
        List<Arbitrary<CpuState>> each = new ArrayList<>();
        for (String a : new java.util.TreeSet<>(provider().architectures())) {
            Arbitrary<? extends CpuState> any = anyStates(a);
            if (any != null) {
                each.add(any.map(s -> (CpuState) s));
            }
        }
        return each.isEmpty() ? Arbitraries.just(null) : Arbitraries.oneOf(each);
    }

    /**
     * One rule set per policy, used by both directions: for states from the full range of
     * every field ({@link #anyStates}), a checkpoint under a policy succeeds exactly when a
     * restart of that state under the same policy accepts it (a refusing checkpoint and the
     * restart of the bytes it would have written fail with the same reason); and under
     * {@link org.ckpt.spi.RestorePolicy#EXACT} every accepted state comes back bit for bit.
     */
    @Property(tries = 300)
    default void aCheckpointSucceedsExactlyWhenItsRestartAccepts(@ForAll("contractAnyStates") CpuState state,
                                                                 @ForAll org.ckpt.spi.RestorePolicy policy)
            throws IOException {
        if (state == null) {
            return;
        }
        String arch = state.architecture();
        List<Task> tasks = List.of(task(state));
        org.ckpt.spi.CheckpointException refused = null;
        byte[] image;
        try {
            image = Images.checkpoint(provider(), arch, policy, tasks, false);
        } catch (org.ckpt.spi.CheckpointException e) {
            refused = e;
            try {
                image = Images.checkpoint(provider(), arch, policy, tasks, true);
            } catch (org.ckpt.spi.CheckpointException unrepresentable) {
                // Not even writable (a value the format cannot hold): nothing to restart.
                return;
            }
        }
        TargetCpu target = TargetCpu.anyFeatures(arch);
        RecordingTarget r;
        try {
            r = Images.restart(provider(), image, target, policy);
        } catch (org.ckpt.spi.ImageException e) {
            assertThat(refused).as("%s restart refused a state its checkpoint wrote: %s; state %s", policy,
                    e.getMessage(), state).isNotNull();
            assertThat(refused.getMessage()).as("%s: checkpoint and restart refuse with the same reason", policy)
                    .contains(e.reason());
            return;
        }
        assertThat(refused).as("%s restart accepted a state its checkpoint refused (%s); state %s", policy,
                refused == null ? "" : refused.getMessage(), state).isNull();
        assertThat(r.commits()).isEqualTo(1);
        if (policy == org.ckpt.spi.RestorePolicy.EXACT) {
            assertThat(r.committed().tasks().get(0).cpu()).as("EXACT restart of %s", state).isEqualTo(state);
        }
    }

    @Property(tries = 30)
    default void bitnessRules(@ForAll("contractStates") CpuState state) throws IOException {
        String a32 = architecture32();
        String a64 = architecture64();
        if (a32 == null || a64 == null) {
            return;
        }
        Images images = images(state.architecture());
        byte[] image = images.checkpoint(List.of(task(state)));
        if (state.architecture().equals(a64)) {
            // Declare the features the state needs where known: only its bitness may be refused.
            Set<String> used = featuresUsed(state);
            TargetCpu narrow = used != null ? TargetCpu.of(a32, used) : TargetCpu.anyFeatures(a32);
            assertThat(images.reject(image, narrow, "a 64-bit image on a 32-bit target"))
                    .isInstanceOf(UnsupportedImageException.class);
        } else if (state.architecture().equals(a32)) {
            TargetCpu wide = TargetCpu.anyFeatures(a64);
            if (supportsCompat()) {
                CpuState back = images.accept(image, wide).tasks().get(0).cpu();
                CpuState expected = afterRestart(state, wide);
                if (expected != null) {
                    assertThat(back).isEqualTo(expected);
                }
            } else {
                assertThat(images.reject(image, wide, "a 32-bit image on a 64-bit target without compat"))
                        .isInstanceOf(UnsupportedImageException.class);
            }
        }
    }

    @Property(tries = 40)
    default void targetFeaturesAreEnforced(@ForAll("contractStates") CpuState state) throws IOException {
        String arch = state.architecture();
        Images images = images(arch);
        byte[] image = images.checkpoint(List.of(task(state)));
        images.accept(image, TargetCpu.anyFeatures(arch));
        String targetArch = featureTargetArchitecture(state);
        RecordingTarget bare = new RecordingTarget(TargetCpu.of(targetArch, Set.of()));
        try {
            images.restarter().restart(TestChannels.source(image), bare);
            assertThat(bare.committed()).isNotNull();
        } catch (UnsupportedImageException e) {
            assertThat(bare.committed()).as("committed after " + e.getMessage()).isNull();
        }
        Set<String> used = featuresUsed(state);
        if (used == null) {
            return;
        }
        images.accept(image, TargetCpu.of(targetArch, used));
        for (String f : used) {
            Set<String> less = new HashSet<>(used);
            less.remove(f);
            assertThat(images.reject(image, TargetCpu.of(targetArch, less), "target without '" + f + "'"))
                    .isInstanceOf(UnsupportedImageException.class).hasMessageContaining(f);
        }
    }

    @Property(tries = 5)
    default void unknownFeatureBitsAreRejected(@ForAll("contractStates") CpuState state) throws IOException {
        String arch = state.architecture();
        Images images = images(arch);
        byte[] image = images.checkpoint(List.of(task(state)));
        for (FeatureField f : featureFields(arch)) {
            int index = ImageMutator.indexOf(image, f.recordType());
            assertThat(index).as("record 0x%04x in the image", f.recordType()).isGreaterThanOrEqualTo(0);
            for (int bit = 0; bit < 64; bit++) {
                long b = 1L << bit;
                if ((f.knownBits() & b) != 0) {
                    continue;
                }
                byte[] bad = ImageMutator.editPayload(image, index,
                        p -> p.putLong(f.offset(), p.getLong(f.offset()) | b));
                images.reject(bad, TargetCpu.anyFeatures(arch), "unknown feature bit " + bit + " in record "
                        + RecordTypes.name(f.recordType()) + " offset " + f.offset());
            }
        }
    }

    @Property(tries = 5)
    default void everyTruncationIsRejected(@ForAll("contractStates") CpuState state, @ForAll long seed)
            throws IOException {
        Images images = images(state.architecture());
        byte[] image = images.checkpoint(List.of(task(state)));
        for (int len : Corruption.truncationLengths(image, positionsPerImage(), seed)) {
            images.reject(ImageMutator.truncate(image, len), TargetCpu.anyFeatures(state.architecture()),
                    "image truncated to " + len + " bytes");
        }
    }

    @Property(tries = 5)
    default void everySingleBitFlipIsRejected(@ForAll("contractStates") CpuState state, @ForAll long seed)
            throws IOException {
        Images images = images(state.architecture());
        byte[] image = images.checkpoint(List.of(task(state)));
        for (long bit : Corruption.bitPositions(image, positionsPerImage(), seed, archRecords(image))) {
            images.reject(ImageMutator.flipBit(image, bit), TargetCpu.anyFeatures(state.architecture()),
                    "bit " + bit + " flipped");
        }
    }

    @Property(tries = 10)
    default void damageWithRepairedChecksumsIsRejectedOrConsistent(@ForAll("contractStates") CpuState state,
                                                                 @ForAll long seed) throws IOException {
        String arch = state.architecture();
        Images images = images(arch);
        byte[] image = images.checkpoint(List.of(task(state)));
        ImageMap map = ImageMap.of(image);
        for (Corruption.Damaged d : Corruption.damage(map, archRecords(image), positionsPerImage() / 20, seed)) {
            images.rejectOrConsistent(d.image(), TargetCpu.anyFeatures(arch), HostDifference.equalsMethod(),
                    d.description());
        }
    }

    @Property(tries = 5)
    default void unknownOptionalRecordsAreSkipped(@ForAll("contractStates") CpuState state) throws IOException {
        String arch = state.architecture();
        Images images = images(arch);
        byte[] image = images.checkpoint(List.of(task(state)));
        TargetCpu target = TargetCpu.anyFeatures(arch);
        CpuState expected = images.accept(image, target).tasks().get(0).cpu();
        int records = ImageRecords.parse(image).size();
        byte[] payload = "from a newer version".getBytes(StandardCharsets.UTF_8);
        for (int at = 0; at < records; at++) {
            byte[] bigger = ImageMutator.insert(image, at, Images.UNKNOWN_TYPE, RecordOutput.FLAG_OPTIONAL, payload);
            assertThat(images.accept(bigger, target).tasks().get(0).cpu()).isEqualTo(expected);
        }
    }

    @Example
    default void isDiscoverableThroughServiceLoader() {
        ArchProvider p = provider();
        assertThat(p.architectures()).isNotEmpty();
        for (int type : p.recordTypes()) {
            assertThat(type).as("record type 0x%04x in the architecture range", type)
                    .isBetween(RecordTypes.ARCH_FIRST, RecordTypes.ARCH_LAST);
        }
        boolean found = false;
        List<String> clash = new ArrayList<>();
        for (ArchProvider o : ServiceLoader.load(ArchProvider.class, Thread.currentThread().getContextClassLoader())) {
            if (o.getClass() == p.getClass()) {
                found = true;
            } else if (o.architectures().stream().anyMatch(p.architectures()::contains)) {
                clash.add(o.getClass().getName());
            }
        }
        assertThat(found).as("%s registered in META-INF/services/%s", p.getClass().getName(),
                ArchProvider.class.getName()).isTrue();
        assertThat(clash).as("other providers claiming %s", p.architectures()).isEmpty();
        for (String a : p.architectures()) {
            long user = p.addressLimit(a, org.ckpt.spi.RestorePolicy.LINUX_USER);
            long exact = p.addressLimit(a, org.ckpt.spi.RestorePolicy.EXACT);
            assertThat(user).as("LINUX_USER address limit of %s", a).isPositive();
            assertThat(Long.compareUnsigned(exact, user)).as("EXACT address limit of %s (0x%x) is at least"
                    + " the LINUX_USER one (0x%x)", a, exact, user).isGreaterThanOrEqualTo(0);
            assertThat(p.archHead(a)).as("arch head of %s", a).isNotNull();
            assertThat(states(a).sample().architecture()).isEqualTo(a);
        }
    }

    /** The provider {@link ServiceLoader} finds for {@code architecture} on the context class path. */
    static ArchProvider discovered(String architecture) {
        for (ArchProvider p : ServiceLoader.load(ArchProvider.class, Thread.currentThread().getContextClassLoader())) {
            if (p.architectures().contains(architecture)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no ArchProvider for '" + architecture + "' on the class path");
    }

    // ---- helpers (not part of the contract) --------------------------------------------------

    /** Images of {@code architecture} with {@link #provider()} registered by instance. */
    private Images images(String architecture) {
        return Images.of(architecture, List.of(), provider());
    }

    private static Task task(CpuState state) {
        return Task.builder().pid(1).tgid(1).comm("arch").cpu(state).build();
    }

    /** ARCH_HEAD and every record of the provider's types. */
    private List<Integer> archRecords(byte[] image) {
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < rs.size(); i++) {
            int t = rs.get(i).type();
            if (t == RecordTypes.ARCH_HEAD || provider().recordTypes().contains(t)) {
                out.add(i);
            }
        }
        return out;
    }
}
