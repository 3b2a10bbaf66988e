package org.ckpt.testkit.contract;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import org.ckpt.model.Task;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.HostDifference;
import org.ckpt.testkit.image.Corruption;
import org.ckpt.testkit.image.ImageMap;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.OpsProbe;
import org.ckpt.testkit.image.RestartChecks;

/**
 * Whole images of a host's task sets, damaged every way a restart must survive, as a jqwik
 * contract: supply the task sets, the architecture, and the host's own ops, and every
 * property below checkpoints a generated set and restarts damaged copies of the image.
 *
 * <pre>{@code
 * class EmulatorImagesCorruptionTest implements CorruptionContract {
 *     public Arbitrary<List<Task>> taskSets() {
 *         return Generators.taskSets(GenConfig.DEFAULT.withExtensions(devices(), 3));
 *     }
 *     public String architecture() { return "x86_64"; }
 *     public List<ObjectOps<?>> ops() { return List.of(new UartOps()); }
 * }
 * }</pre>
 *
 * <p>Checked: every truncation (every length, up to {@link #truncationsPerImage()}) and every
 * single-bit flip (every bit of the first {@link #exhaustiveBytes()} bytes, then
 * {@link #bitFlipsPerImage()} more) is rejected with an {@code ImageException} and commits
 * nothing; semantic damage to every record with every checksum repaired (see
 * {@link Corruption#damage}) is rejected or restarts to a state that checkpoints and comes back
 * equivalent, and no restore of the host's ops allocates more than its payload justifies
 * ({@link OpsProbe}); a wrong image checksum, the last thing a restart checks, is rejected
 * with nothing committed. Failures name the damage in words ({@link ImageMap}).
 *
 * @since 0.2 (evolving)
 */
public interface CorruptionContract {
    /** The task sets to checkpoint. */
    Arbitrary<List<Task>> taskSets();

    /** The architecture of the images (its provider on the class path, or {@link #archProvider()}). */
    String architecture();

    /** The host's own ops, registered by instance on the checkpointer and the restarter. Default none. */
    default List<ObjectOps<?>> ops() {
        return List.of();
    }

    /** An architecture provider to register by instance, or {@code null} (the default) for the discovered one. */
    default ArchProvider archProvider() {
        return null;
    }

    /** The target restarts commit into. Default: the architecture with every feature. */
    default TargetCpu target() {
        return TargetCpu.anyFeatures(architecture());
    }

    /** How restored host objects are compared when damage is accepted. Default field by field. */
    default HostDifference hostDifference() {
        return HostDifference.fieldByField();
    }

    /** Every truncation length is tried for images up to this size; past it record edges and a sample. Default 4096. */
    default int truncationsPerImage() {
        return 4096;
    }

    /** Every bit of this many first bytes (head, architecture head, first objects) is flipped. Default 512. */
    default int exhaustiveBytes() {
        return 512;
    }

    /** Random bits flipped past {@link #exhaustiveBytes()}. Default 1000. */
    default int bitFlipsPerImage() {
        return 1000;
    }

    /** Semantic mutations per record kind and image (see {@link Corruption#damage}). Default 100. */
    default int damagePerImage() {
        return 100;
    }

    // ---- properties -------------------------------------------------------------------------

    @Provide
    default Arbitrary<List<Task>> corruptionTaskSets() {
        return taskSets();
    }

    @Property(tries = 12)
    default void everyTruncationIsRejected(@ForAll("corruptionTaskSets") List<Task> tasks, @ForAll long seed)
            throws IOException {
        Images images = images(List.of());
        byte[] image = images.checkpoint(tasks);
        ImageMap map = ImageMap.of(image);
        for (int len : Corruption.truncationLengths(image, truncationsPerImage(), seed)) {
            images.reject(ImageMutator.truncate(image, len), target(), "image cut to " + len + " of "
                    + image.length + " bytes, inside " + map.describe(Math.max(0, len - 1)));
        }
    }

    @Property(tries = 12)
    default void everySingleBitFlipIsRejected(@ForAll("corruptionTaskSets") List<Task> tasks, @ForAll long seed)
            throws IOException {
        Images images = images(List.of());
        byte[] image = images.checkpoint(tasks);
        ImageMap map = ImageMap.of(image);
        long bits = image.length * 8L;
        long exhaustive = Math.min(bits, exhaustiveBytes() * 8L);
        List<Long> flips = new ArrayList<>();
        for (long bit = 0; bit < exhaustive; bit++) {
            flips.add(bit);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < bitFlipsPerImage() && bits > exhaustive; i++) {
            flips.add(rnd.nextLong(exhaustive, bits));
        }
        for (long bit : flips) {
            images.reject(ImageMutator.flipBit(image, bit), target(), "bit " + (bit & 7) + " flipped in "
                    + map.describe(bit >>> 3));
        }
    }

    @Property(tries = 12)
    @StatisticsReport(onFailureOnly = true)
    default void damageWithRepairedChecksumsIsRejectedOrConsistent(@ForAll("corruptionTaskSets") List<Task> tasks,
                                                                 @ForAll long seed) throws IOException {
        List<OpsProbe<?>> probes = new ArrayList<>();
        for (ObjectOps<?> o : ops()) {
            probes.add(OpsProbe.of(o));
        }
        Images images = images(probes);
        byte[] image = images.checkpoint(tasks);
        images.accept(image, target());
        List<OpsProbe.FieldRead> fields = new ArrayList<>();
        probes.forEach(p -> fields.addAll(p.fieldsRead()));
        ImageMap map = ImageMap.of(image, fields);
        List<Integer> all = new ArrayList<>();
        for (int i = 1; i < map.records().size() - 1; i++) {
            all.add(i);
        }
        int accepted = 0;
        int rejected = 0;
        for (Corruption.Damaged d : Corruption.damage(map, all, damagePerImage(), seed)) {
            RestartChecks.Outcome o;
            try {
                o = images.rejectOrConsistent(d.image(), target(), hostDifference(), d.description());
            } catch (AssertionError e) {
                throw new AssertionError("after " + (accepted + rejected) + " damaged images (" + rejected
                        + " rejected, " + accepted + " accepted as consistent): " + e.getMessage(), e);
            }
            if (o.isAccepted()) {
                accepted++;
            } else {
                rejected++;
            }
            Statistics.label("damaged images").collect(o.isAccepted() ? "accepted (consistent)" : "rejected");
        }
    }

    @Property(tries = 5)
    default void failedRestartNeverCommits(@ForAll("corruptionTaskSets") List<Task> tasks) throws IOException {
        Images images = images(List.of());
        byte[] image = images.checkpoint(tasks);
        images.reject(Corruption.withWrongImageChecksum(image), target(), "image CRC32C in the tail wrong");
    }

    // ---- helpers (not part of the contract) --------------------------------------------------

    private Images images(List<? extends ObjectOps<?>> probes) {
        return Images.of(architecture(), probes.isEmpty() ? ops() : probes, archProvider());
    }
}
