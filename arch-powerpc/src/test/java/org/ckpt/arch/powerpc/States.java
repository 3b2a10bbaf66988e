package org.ckpt.arch.powerpc;

import java.util.ArrayList;
import java.util.List;

/** Hand-made CPU states with distinct values in every register. */
final class States {
    private States() {
    }

    static GeneralRegs regs(boolean is64) {
        long[] w = new long[GeneralRegs.WORDS];
        for (int i = 0; i < w.length; i++) {
            w[i] = is64 ? 0x0101_0101_0101_0101L * (i + 1) : 0x0101_0101L * (i + 1);
        }
        w[32] = is64 ? 0x1000_0e28L : 0x1000_08b0L;
        w[33] = is64 ? 0x9000_0001_0280_6900L : 0x0200_6940L;
        return GeneralRegs.fromWords(w);
    }

    static FpRegs fp(long fpexc) {
        long[] f = new long[32];
        for (int i = 0; i < 32; i++) {
            f[i] = Double.doubleToRawLongBits(i + 0.5);
        }
        return new FpRegs(f, 0x4001, fpexc);
    }

    static AltivecRegs altivec() {
        List<Vector128> vr = new ArrayList<>();
        for (int n = 0; n < 32; n++) {
            int b = n * 0x0101_0100;
            vr.add(Vector128.ofWords(b, b + 1, b + 2, b + 3));
        }
        return new AltivecRegs(vr, 0x0001_0001, 0x89ab_cdef);
    }

    static VsxRegs vsx() {
        long[] d = new long[32];
        for (int i = 0; i < 32; i++) {
            d[i] = Double.doubleToRawLongBits(-(i + 0.25));
        }
        return new VsxRegs(d);
    }

    static SpeRegs spe() {
        int[] evr = new int[32];
        for (int i = 0; i < 32; i++) {
            evr[i] = 0x1000_0000 + i;
        }
        return new SpeRegs(evr, 0x0123_4567_89ab_cdefL, 0x0000_0003);
    }

    /** ppc64 with FP, DEBUG, ALTIVEC and VSX. */
    static PowerPcCpuState ppc64All() {
        return new PowerPcCpuState(PowerPc.PPC64, regs(true), fp(PowerPc.MSR_FE0 | PowerPc.MSR_FE1),
                PowerPcDebugRegs.of(0x1002_0000L | 0x4 | 0x2), altivec(), null, vsx());
    }

    /** ppc32 with FP, DEBUG and ALTIVEC. */
    static PowerPcCpuState ppc32Altivec() {
        return new PowerPcCpuState(PowerPc.PPC32, regs(false), fp(PowerPc.MSR_FE1),
                PowerPcDebugRegs.of(0x1002_0000L | 0x4 | 0x1), altivec(), null, null);
    }

    /** ppc32 with SPE (an e500 task). */
    static PowerPcCpuState ppc32Spe() {
        return new PowerPcCpuState(PowerPc.PPC32, regs(false), null, null, null, spe(), null);
    }
}
