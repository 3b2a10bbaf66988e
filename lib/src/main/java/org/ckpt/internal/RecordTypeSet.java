package org.ckpt.internal;

import java.util.Set;
import org.ckpt.spi.RecordTypes;

/** The record types an architecture declared, looked up for every record without boxing. */
final class RecordTypeSet {
    static final RecordTypeSet NONE = new RecordTypeSet(Set.of());

    private final boolean[] arch = new boolean[RecordTypes.ARCH_LAST - RecordTypes.ARCH_FIRST + 1];
    /** Types outside the architecture range, if a provider declared any. */
    private final Set<Integer> others;

    RecordTypeSet(Set<Integer> types) {
        for (int t : types) {
            if (t >= RecordTypes.ARCH_FIRST && t <= RecordTypes.ARCH_LAST) {
                arch[t - RecordTypes.ARCH_FIRST] = true;
            }
        }
        others = Set.copyOf(types.stream()
                .filter(t -> t < RecordTypes.ARCH_FIRST || t > RecordTypes.ARCH_LAST).toList());
    }

    boolean contains(int type) {
        if (type >= RecordTypes.ARCH_FIRST && type <= RecordTypes.ARCH_LAST) {
            return arch[type - RecordTypes.ARCH_FIRST];
        }
        return !others.isEmpty() && others.contains(type);
    }
}
