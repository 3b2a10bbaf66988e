package org.ckpt.arch.powerpc;

import java.util.Arrays;
import java.util.Objects;

/**
 * The VSX section: doubleword 1 (bits 64–127) of vs0–vs31, the halves that do not
 * overlap the FP registers (doubleword 0 of vsN is frN, in {@link FpRegs}; vs32–vs63 are
 * vr0–vr31, in {@link AltivecRegs}). Linux keeps them at
 * {@code fp_state.fpr[n][TS_VSRLOWOFFSET]} and dumps them as {@code NT_PPC_VSX}. Build one
 * with {@link #builder()} (every doubleword zero unless set).
 *
 * @param vsrLow doubleword 1 of vs0–vs31 (32 values; copied in and out)
 * @since 0.1 (evolving)
 */
public record VsxRegs(long[] vsrLow) {
    /** Number of doublewords. */
    public static final int COUNT = 32;

    public VsxRegs {
        Objects.requireNonNull(vsrLow, "vsrLow");
        if (vsrLow.length != COUNT) {
            throw new IllegalArgumentException("vsrLow must hold 32 doublewords, not " + vsrLow.length);
        }
        vsrLow = vsrLow.clone();
    }

    /**
     * A builder with every doubleword zero.
     *
     * @since 0.2
     */
    public static Builder builder() {
        return new Builder(new long[COUNT]);
    }

    /**
     * A builder holding these values.
     *
     * @since 0.2
     */
    public Builder toBuilder() {
        return new Builder(vsrLow.clone());
    }

    /** A copy of the 32 doublewords. */
    @Override
    public long[] vsrLow() {
        return vsrLow.clone();
    }

    /** Doubleword 1 of vs{@code n}. */
    public long vsrLow(int n) {
        return vsrLow[n];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VsxRegs v && Arrays.equals(vsrLow, v.vsrLow);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(vsrLow);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("VsxRegs[");
        for (int i = 0; i < COUNT; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format("%016x", vsrLow[i]));
        }
        return sb.append(']').toString();
    }

    /**
     * Builds {@link VsxRegs}; every doubleword is zero unless set.
     *
     * @since 0.2
     */
    public static final class Builder {
        private final long[] vsrLow;

        private Builder(long[] vsrLow) {
            this.vsrLow = vsrLow;
        }

        /** Doubleword 1 of vs{@code n} (0–31). */
        public Builder vsrLow(int n, long value) {
            vsrLow[Objects.checkIndex(n, COUNT)] = value;
            return this;
        }

        public VsxRegs build() {
            return new VsxRegs(vsrLow);
        }
    }
}
