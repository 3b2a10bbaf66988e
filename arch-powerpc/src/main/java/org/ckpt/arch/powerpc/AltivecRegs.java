package org.ckpt.arch.powerpc;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The ALTIVEC (VMX) section. Build one with {@link #builder()} (every vector and both
 * registers zero unless set).
 *
 * @param vr     vr0–vr31 (32 vectors; copied)
 * @param vscr   the 32-bit vector status and control register
 * @param vrsave the 32-bit VRSAVE register
 * @since 0.1 (evolving)
 */
public record AltivecRegs(List<Vector128> vr, int vscr, int vrsave) {
    /** Number of vector registers. */
    public static final int VR_COUNT = 32;

    public AltivecRegs {
        vr = List.copyOf(vr);
        if (vr.size() != VR_COUNT) {
            throw new IllegalArgumentException("vr must hold 32 registers, not " + vr.size());
        }
    }

    /**
     * A builder with every vector, VSCR and VRSAVE zero.
     *
     * @since 0.2
     */
    public static Builder builder() {
        return new Builder(new ArrayList<>(Collections.nCopies(VR_COUNT, Vector128.ZERO)), 0, 0);
    }

    /**
     * A builder holding these values.
     *
     * @since 0.2
     */
    public Builder toBuilder() {
        return new Builder(new ArrayList<>(vr), vscr, vrsave);
    }

    /** Register vr{@code n}. */
    public Vector128 vr(int n) {
        return vr.get(n);
    }

    /**
     * Builds {@link AltivecRegs}; everything is zero unless set.
     *
     * @since 0.2
     */
    public static final class Builder {
        private final List<Vector128> vr;
        private int vscr;
        private int vrsave;

        private Builder(List<Vector128> vr, int vscr, int vrsave) {
            this.vr = vr;
            this.vscr = vscr;
            this.vrsave = vrsave;
        }

        /** Register vr{@code n} (0–31). */
        public Builder vr(int n, Vector128 value) {
            vr.set(Objects.checkIndex(n, VR_COUNT), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** VSCR. */
        public Builder vscr(int value) {
            vscr = value;
            return this;
        }

        /** VRSAVE. */
        public Builder vrsave(int value) {
            vrsave = value;
            return this;
        }

        public AltivecRegs build() {
            return new AltivecRegs(vr, vscr, vrsave);
        }
    }
}
