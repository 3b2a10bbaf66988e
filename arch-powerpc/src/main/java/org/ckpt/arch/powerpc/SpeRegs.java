package org.ckpt.arch.powerpc;

import java.util.Arrays;
import java.util.Objects;

/**
 * The SPE section of e500 cores (32-bit only). Build one with {@link #builder()}
 * (everything zero unless set).
 *
 * @param evr     the upper 32 bits of r0–r31 (32 values; copied in and out)
 * @param acc     the 64-bit SPE accumulator
 * @param spefscr the SPE floating-point status and control register
 * @since 0.1 (evolving)
 */
public record SpeRegs(int[] evr, long acc, int spefscr) {
    /** Number of upper-half registers. */
    public static final int EVR_COUNT = 32;

    public SpeRegs {
        Objects.requireNonNull(evr, "evr");
        if (evr.length != EVR_COUNT) {
            throw new IllegalArgumentException("evr must hold 32 registers, not " + evr.length);
        }
        evr = evr.clone();
    }

    /**
     * A builder with every register zero.
     *
     * @since 0.2
     */
    public static Builder builder() {
        return new Builder(new int[EVR_COUNT], 0, 0);
    }

    /**
     * A builder holding these values.
     *
     * @since 0.2
     */
    public Builder toBuilder() {
        return new Builder(evr.clone(), acc, spefscr);
    }

    /** A copy of evr0–evr31. */
    @Override
    public int[] evr() {
        return evr.clone();
    }

    /** The upper half of r{@code n}. */
    public int evr(int n) {
        return evr[n];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpeRegs s && Arrays.equals(evr, s.evr) && acc == s.acc && spefscr == s.spefscr;
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(evr) * 31 + Long.hashCode(acc)) * 31 + spefscr;
    }

    @Override
    public String toString() {
        return "SpeRegs[evr=" + Arrays.toString(evr) + ", acc=0x" + Long.toHexString(acc) + ", spefscr=0x"
                + Integer.toHexString(spefscr) + "]";
    }

    /**
     * Builds {@link SpeRegs}; everything is zero unless set.
     *
     * @since 0.2
     */
    public static final class Builder {
        private final int[] evr;
        private long acc;
        private int spefscr;

        private Builder(int[] evr, long acc, int spefscr) {
            this.evr = evr;
            this.acc = acc;
            this.spefscr = spefscr;
        }

        /** The upper half of r{@code n} (0–31). */
        public Builder evr(int n, int value) {
            evr[Objects.checkIndex(n, EVR_COUNT)] = value;
            return this;
        }

        /** The accumulator. */
        public Builder acc(long value) {
            acc = value;
            return this;
        }

        /** SPEFSCR. */
        public Builder spefscr(int value) {
            spefscr = value;
            return this;
        }

        public SpeRegs build() {
            return new SpeRegs(evr, acc, spefscr);
        }
    }
}
