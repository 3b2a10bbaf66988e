package org.ckpt.arch.powerpc;

import java.util.List;

/**
 * The DEBUG section: the data address breakpoint register and a counted list of
 * further debug registers, so that e.g. BookE IAC/DAC/DBCR registers can be added
 * without a format change. This version knows no further register ids: a checkpoint
 * refuses entries and a restart rejects them as unsupported.
 *
 * @param dabr  DABR as {@code PTRACE_SET_DEBUGREG} takes it: address in the upper bits,
 *              flags in bits 0–2 (read, write, {@link PowerPc#DABR_TRANSLATION}); zero
 *              means no breakpoint
 * @param extra further debug registers, at most {@link #MAX_EXTRA} (copied)
 * @since 0.1 (evolving)
 */
public record DebugRegs(long dabr, List<Entry> extra) {
    /** Most further debug registers one section may hold. */
    public static final int MAX_EXTRA = 64;

    public DebugRegs {
        extra = List.copyOf(extra);
        if (extra.size() > MAX_EXTRA) {
            throw new IllegalArgumentException("at most " + MAX_EXTRA + " further debug registers, not " + extra.size());
        }
    }

    /** Only a DABR. */
    public static DebugRegs of(long dabr) {
        return new DebugRegs(dabr, List.of());
    }

    /**
     * One further debug register.
     *
     * @param id    which register (ids are assigned by later versions of this format)
     * @param value its 64-bit value
     * @since 0.1 (evolving)
     */
    public record Entry(int id, long value) {
    }
}
