package org.ckpt.arch.powerpc;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The DEBUG section: the data address breakpoint register and a counted list of
 * further debug registers, so that e.g. BookE IAC/DAC/DBCR registers can be added
 * without a format change. This version knows no further register ids: under either
 * policy a checkpoint refuses entries and a restart rejects them as unsupported.
 *
 * @param dabr  DABR as {@code PTRACE_SET_DEBUGREG} takes it: address in the upper bits,
 *              flags in bits 0–2 (read, write, {@link PowerPc#DABR_TRANSLATION}); zero
 *              means no breakpoint. Under {@link org.ckpt.spi.RestorePolicy#LINUX_USER} a
 *              non-zero DABR must be translated and point below the user limit; under
 *              {@link org.ckpt.spi.RestorePolicy#EXACT} any value comes back as saved
 * @param extra further debug registers, at most {@link #MAX_EXTRA} (copied)
 * @since 0.2 (evolving; was {@code DebugRegs} in 0.1)
 */
public record PowerPcDebugRegs(long dabr, List<Entry> extra) {
    /** Most further debug registers one section may hold. */
    public static final int MAX_EXTRA = 64;

    public PowerPcDebugRegs {
        extra = List.copyOf(extra);
        if (extra.size() > MAX_EXTRA) {
            throw new IllegalArgumentException("at most " + MAX_EXTRA + " further debug registers, not "
                    + extra.size());
        }
    }

    /** Only a DABR. */
    public static PowerPcDebugRegs of(long dabr) {
        return new PowerPcDebugRegs(dabr, List.of());
    }

    /**
     * A builder with DABR zero and no further registers.
     *
     * @since 0.2
     */
    public static Builder builder() {
        return new Builder(0, new ArrayList<>());
    }

    /**
     * A builder holding these values.
     *
     * @since 0.2
     */
    public Builder toBuilder() {
        return new Builder(dabr, new ArrayList<>(extra));
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

    /**
     * Builds {@link PowerPcDebugRegs}; DABR is zero and the list empty unless set.
     *
     * @since 0.2
     */
    public static final class Builder {
        private long dabr;
        private final List<Entry> extra;

        private Builder(long dabr, List<Entry> extra) {
            this.dabr = dabr;
            this.extra = extra;
        }

        /** DABR. */
        public Builder dabr(long value) {
            dabr = value;
            return this;
        }

        /** Appends a further debug register. */
        public Builder addExtra(int id, long value) {
            extra.add(new Entry(id, value));
            return this;
        }

        /** Replaces the further debug registers. */
        public Builder extra(List<Entry> entries) {
            extra.clear();
            extra.addAll(Objects.requireNonNull(entries, "entries"));
            return this;
        }

        public PowerPcDebugRegs build() {
            return new PowerPcDebugRegs(dabr, extra);
        }
    }
}
