package org.ckpt.model;

import java.util.List;

/**
 * An address space (Linux's {@code mm_struct}): layout fields and the memory areas,
 * in ascending address order. Shared by identity: two tasks holding the same
 * instance are written once and come back holding one instance.
 *
 * @param flags opaque host flags (Linux's {@code mm->flags}), carried as is
 * @param vmas  the areas, ascending and non-overlapping
 * @since 0.1 (stable)
 */
public record AddressSpace(
        long startCode,
        long endCode,
        long startData,
        long endData,
        long startBrk,
        long brk,
        long startStack,
        long argStart,
        long argEnd,
        long envStart,
        long envEnd,
        long flags,
        List<Vma> vmas) {

    public AddressSpace {
        vmas = List.copyOf(vmas);
    }

    /** An address space with zero layout fields and these areas. */
    public static AddressSpace of(List<Vma> vmas) {
        return new AddressSpace(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, vmas);
    }

    /** The same layout with other areas. */
    public AddressSpace withVmas(List<Vma> newVmas) {
        return new AddressSpace(startCode, endCode, startData, endData, startBrk, brk, startStack, argStart, argEnd,
                envStart, envEnd, flags, newVmas);
    }
}
