package org.ckpt.spi;

import java.util.Objects;
import java.util.Set;

/**
 * What the machine a restart commits to can run: its architecture and the CPU
 * features it declares (names defined by each {@link ArchProvider}, e.g.
 * {@code "altivec"}, {@code "avx"}). {@link #anyFeatures(String)} declares every
 * feature, which is what a restart into the in-memory model assumes.
 *
 * @param architecture the target's architecture name
 * @param features     the declared features; ignored when {@code allFeatures}
 * @param allFeatures  whether every feature counts as supported
 * @since 0.1 (stable)
 */
public record TargetCpu(String architecture, Set<String> features, boolean allFeatures) {
    public TargetCpu {
        Objects.requireNonNull(architecture, "architecture");
        features = Set.copyOf(features);
    }

    /** A target of this architecture that declares exactly these features. */
    public static TargetCpu of(String architecture, Set<String> features) {
        return new TargetCpu(architecture, features, false);
    }

    /** A target of this architecture that accepts every feature. */
    public static TargetCpu anyFeatures(String architecture) {
        return new TargetCpu(architecture, Set.of(), true);
    }

    public boolean supports(String feature) {
        return allFeatures || features.contains(feature);
    }
}
