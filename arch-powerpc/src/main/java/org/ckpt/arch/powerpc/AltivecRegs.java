package org.ckpt.arch.powerpc;

import java.util.List;

/**
 * The ALTIVEC (VMX) section.
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

    /** Register vr{@code n}. */
    public Vector128 vr(int n) {
        return vr.get(n);
    }
}
