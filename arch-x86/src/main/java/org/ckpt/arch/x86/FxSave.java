package org.ckpt.arch.x86;

import java.util.Arrays;
import java.util.Objects;

/**
 * The x87/SSE state as the 512-byte FXSAVE image holds it (Linux's
 * {@code struct user_fpregs_struct} / {@code user_fxsr_struct}, the
 * {@code NT_FPREGSET} note of x86_64 and {@code NT_PRXFPREG} of i386, the first
 * 512 bytes of {@code NT_X86_XSTATE}), minus the reserved and software-defined
 * bytes 416–511.
 *
 * <p>{@code fip} and {@code fdp} are the 64-bit words at FXSAVE offsets 8 and 16 as
 * written: in the 64-bit format (every task under an x86_64 kernel) the full
 * instruction and data pointers; in the 32-bit format of a native i386 kernel the
 * 32-bit offset in bits 0–31 and FCS/FDS in bits 32–47.
 *
 * @param fcw       x87 control word
 * @param fsw       x87 status word
 * @param ftw       abridged tag word (one bit per register: 1 = valid)
 * @param fop       last x87 opcode (11 bits used)
 * @param fip       last x87 instruction pointer word (see above)
 * @param fdp       last x87 data pointer word (see above)
 * @param mxcsr     SSE control/status
 * @param mxcsrMask bits of {@code mxcsr} the producing CPU supports; 0 means not
 *                  recorded (gdb's gcore writes 0), read as {@value #UNRECORDED_MXCSR_MASK}
 * @param st        st0–st7 (or mm0–mm7), 10 bytes each, 80 bytes, little-endian as stored
 * @param xmm       xmm0–xmm15, 16 bytes each, 256 bytes (32-bit tasks use xmm0–xmm7)
 * @since 0.1 (stable)
 */
public record FxSave(int fcw, int fsw, int ftw, int fop, long fip, long fdp, int mxcsr, int mxcsrMask, byte[] st,
                     byte[] xmm) {
    /** Bytes of st0–st7 together. */
    public static final int ST_BYTES = 80;
    /** Bytes of xmm0–xmm15 together. */
    public static final int XMM_BYTES = 256;
    /**
     * The MXCSR mask assumed when the state reports 0: bits 0–15. The SDM's default for a
     * zero mask, 0xffbf (no DAZ), describes only the earliest SSE CPUs; every SSE2 CPU able
     * to run x86_64 code has DAZ, and gdb writes 0 even on CPUs whose real mask is 0x2ffff.
     */
    public static final int UNRECORDED_MXCSR_MASK = 0xFFFF;
    /** MXCSR after FNINIT/power-on: every exception masked, round to nearest. */
    public static final int DEFAULT_MXCSR = 0x1F80;

    public FxSave {
        Hex.u16("fcw", fcw);
        Hex.u16("fsw", fsw);
        Hex.u8("ftw", ftw);
        Hex.u16("fop", fop);
        st = Hex.length("st", st, ST_BYTES);
        xmm = Hex.length("xmm", xmm, XMM_BYTES);
    }

    /** The state after {@code FNINIT} with SSE at its reset values and every register zero. */
    public static FxSave initial() {
        return new FxSave(0x037F, 0, 0, 0, 0, 0, DEFAULT_MXCSR, 0xFFFF, new byte[ST_BYTES], new byte[XMM_BYTES]);
    }

    /** The MXCSR mask a restore honours: {@link #mxcsrMask}, or {@link #UNRECORDED_MXCSR_MASK} when it is 0. */
    public int effectiveMxcsrMask() {
        return mxcsrMask != 0 ? mxcsrMask : UNRECORDED_MXCSR_MASK;
    }

    @Override
    public byte[] st() {
        return st.clone();
    }

    @Override
    public byte[] xmm() {
        return xmm.clone();
    }

    /** The 10 bytes of st{@code i}. */
    public byte[] st(int i) {
        Objects.checkIndex(i, 8);
        return Arrays.copyOfRange(st, 10 * i, 10 * i + 10);
    }

    /** The 16 bytes of xmm{@code i}. */
    public byte[] xmm(int i) {
        Objects.checkIndex(i, 16);
        return Arrays.copyOfRange(xmm, 16 * i, 16 * i + 16);
    }

    /** A copy with other MXCSR and mask. */
    public FxSave withMxcsr(int mxcsr, int mxcsrMask) {
        return new FxSave(fcw, fsw, ftw, fop, fip, fdp, mxcsr, mxcsrMask, st, xmm);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FxSave f && fcw == f.fcw && fsw == f.fsw && ftw == f.ftw && fop == f.fop && fip == f.fip
                && fdp == f.fdp && mxcsr == f.mxcsr && mxcsrMask == f.mxcsrMask && Arrays.equals(st, f.st)
                && Arrays.equals(xmm, f.xmm);
    }

    @Override
    public int hashCode() {
        return Objects.hash(fcw, fsw, ftw, fop, fip, fdp, mxcsr, mxcsrMask, Arrays.hashCode(st), Arrays.hashCode(xmm));
    }

    @Override
    public String toString() {
        return "FxSave[fcw=" + Hex.u32(fcw) + ", fsw=" + Hex.u32(fsw) + ", ftw=" + Hex.u32(ftw) + ", fop="
                + Hex.u32(fop) + ", fip=" + Hex.of(fip) + ", fdp=" + Hex.of(fdp) + ", mxcsr=" + Hex.u32(mxcsr)
                + ", mxcsrMask=" + Hex.u32(mxcsrMask) + ", st=" + Hex.bytes(st) + ", xmm=" + Hex.bytes(xmm) + "]";
    }
}
