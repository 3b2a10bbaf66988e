package org.ckpt.arch.x86;

import java.util.Arrays;
import java.util.Objects;

/**
 * The x87/SSE state: what the 512-byte FXSAVE image holds (Linux's
 * {@code struct user_fpregs_struct} / {@code user_fxsr_struct}, the {@code NT_FPREGSET}
 * note of x86_64 and {@code NT_PRXFPREG} of i386, the first 512 bytes of
 * {@code NT_X86_XSTATE}) minus its reserved and software-defined bytes 416–511, plus
 * the three x87 registers no FXSAVE format holds in every mode: the FPU CS and DS
 * selectors beside a 64-bit FIP/FDP, and the full tag word.
 *
 * <p><b>FIP, FDP, FCS, FDS.</b> {@code fip} and {@code fdp} are the 64-bit words at
 * FXSAVE offsets 8 and 16 as written. In the 64-bit format (FXSAVE64: every task under an
 * x86_64 kernel, and an emulator's 64-bit FIP/FDP) they are the full instruction and data
 * pointers, and the selectors — which FXSAVE64 drops — go in {@code fcs} and {@code fds}.
 * In the 32-bit format of a native i386 kernel the word holds the 32-bit offset in bits
 * 0–31 and FCS/FDS in bits 32–47 as the CPU wrote them; {@code fcs}/{@code fds} are then 0
 * (the builder's {@link Builder#pointers32} fills the words). {@code fop} is the 16-bit
 * field at offset 6 (the CPU uses 11 bits).
 *
 * <p><b>Tags.</b> {@code ftw} is the abridged tag word FXSAVE writes (bit <i>i</i> = physical
 * register <i>i</i> not empty); {@code tagWord} is the full x87 tag word FSTENV writes
 * (two bits per physical register: 00 valid, 01 zero, 10 special, 11 empty), which an
 * emulator may hold with any tags FLDENV/FRSTOR loaded. The two always agree on which
 * registers are empty ({@link #abridgedTagWord}); constructors that take only {@code ftw}
 * derive {@code tagWord} from the register contents as a CPU does
 * ({@link #fullTagWord(int, int, byte[])}). The {@code st} array is in stack order
 * (ST(0) first), the tag words in physical order: {@link #top()} links the two
 * ({@link #physical}, {@link #stToPhysical}, {@link #physicalToSt}).
 *
 * @param fcw       x87 control word
 * @param fsw       x87 status word (TOP in bits 11–13)
 * @param ftw       abridged tag word (one bit per physical register: 1 = not empty)
 * @param fop       last x87 opcode field (16 bits as stored; the CPU uses 11)
 * @param fip       last x87 instruction pointer word (see above)
 * @param fdp       last x87 data pointer word (see above)
 * @param mxcsr     SSE control/status, all 32 bits as they are
 * @param mxcsrMask bits of {@code mxcsr} the producing CPU supports; 0 means not
 *                  recorded (gdb's gcore writes 0), read as {@value #UNRECORDED_MXCSR_MASK}
 * @param st        ST(0)–ST(7) (or mm0–mm7), 10 bytes each, 80 bytes, little-endian as stored
 * @param xmm       xmm0–xmm15, 16 bytes each, 256 bytes (32-bit tasks use xmm0–xmm7)
 * @param fcs       x87 last instruction CS selector when FIP is a 64-bit word (16 bits; see above)
 * @param fds       x87 last operand DS selector when FDP is a 64-bit word (16 bits; see above)
 * @param tagWord   the full x87 tag word, 16 bits; {@code abridgedTagWord(tagWord) == ftw}
 * @since 0.1 (stable; fcs, fds and tagWord since 0.2)
 */
public record FxSave(int fcw, int fsw, int ftw, int fop, long fip, long fdp, int mxcsr, int mxcsrMask, byte[] st,
                     byte[] xmm, int fcs, int fds, int tagWord) {
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
    /** The x87 control word after FNINIT. @since 0.2 */
    public static final int DEFAULT_FCW = 0x037F;
    /** The full tag word after FNINIT: every register empty. @since 0.2 */
    public static final int EMPTY_TAG_WORD = 0xFFFF;

    public FxSave {
        Hex.u16("fcw", fcw);
        Hex.u16("fsw", fsw);
        Hex.u8("ftw", ftw);
        Hex.u16("fop", fop);
        Hex.u16("fcs", fcs);
        Hex.u16("fds", fds);
        Hex.u16("tagWord", tagWord);
        st = Hex.length("st", st, ST_BYTES);
        xmm = Hex.length("xmm", xmm, XMM_BYTES);
        if (abridgedTagWord(tagWord) != ftw) {
            throw new IllegalArgumentException("tagWord " + Hex.u32(tagWord) + " marks empty registers other than ftw "
                    + Hex.u32(ftw) + " (abridged: " + Hex.u32(abridgedTagWord(tagWord)) + ")");
        }
    }

    /**
     * The FXSAVE image alone: {@code fcs} and {@code fds} 0, the full tag word derived from
     * {@code ftw} and the register contents ({@link #fullTagWord(int, int, byte[])}), as a CPU
     * derives it.
     */
    public FxSave(int fcw, int fsw, int ftw, int fop, long fip, long fdp, int mxcsr, int mxcsrMask, byte[] st,
                  byte[] xmm) {
        this(fcw, fsw, ftw, fop, fip, fdp, mxcsr, mxcsrMask, st, xmm, 0, 0, fullTagWord(ftw, fsw, st));
    }

    /** The state after {@code FNINIT} with SSE at its reset values and every register zero; {@code builder().build()}. */
    public static FxSave initial() {
        return new FxSave(DEFAULT_FCW, 0, 0, 0, 0, 0, DEFAULT_MXCSR, 0xFFFF, new byte[ST_BYTES], new byte[XMM_BYTES]);
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

    /** The 10 bytes of ST({@code i}). */
    public byte[] st(int i) {
        Objects.checkIndex(i, 8);
        return Arrays.copyOfRange(st, 10 * i, 10 * i + 10);
    }

    /** The 16 bytes of xmm{@code i}. */
    public byte[] xmm(int i) {
        Objects.checkIndex(i, 16);
        return Arrays.copyOfRange(xmm, 16 * i, 16 * i + 16);
    }

    /** TOP, bits 11–13 of {@code fsw}: the physical register that is ST(0). @since 0.2 */
    public int top() {
        return (fsw >>> 11) & 7;
    }

    /** The 10 bytes of physical register R{@code r} (ST((r − TOP) mod 8)). @since 0.2 */
    public byte[] physical(int r) {
        Objects.checkIndex(r, 8);
        return st((r - top()) & 7);
    }

    /** The two-bit tag of physical register R{@code r} in {@link #tagWord}: 0 valid, 1 zero, 2 special, 3 empty. @since 0.2 */
    public int tag(int r) {
        Objects.checkIndex(r, 8);
        return (tagWord >>> (2 * r)) & 3;
    }

    /** Whether {@link #tagWord} is what a CPU would derive from {@code ftw} and the contents. @since 0.2 */
    public boolean hasDerivedTagWord() {
        return tagWord == fullTagWord(ftw, fsw, st);
    }

    /** A copy with other MXCSR and mask. */
    public FxSave withMxcsr(int mxcsr, int mxcsrMask) {
        return new FxSave(fcw, fsw, ftw, fop, fip, fdp, mxcsr, mxcsrMask, st, xmm, fcs, fds, tagWord);
    }

    /** A copy with another full tag word, and the abridged one that follows from it. @since 0.2 */
    public FxSave withTagWord(int tagWord) {
        return new FxSave(fcw, fsw, abridgedTagWord(tagWord), fop, fip, fdp, mxcsr, mxcsrMask, st, xmm, fcs, fds,
                tagWord);
    }

    /** A copy with other FPU CS and DS selectors ({@code fcs}, {@code fds}). @since 0.2 */
    public FxSave withSelectors(int fcs, int fds) {
        return new FxSave(fcw, fsw, ftw, fop, fip, fdp, mxcsr, mxcsrMask, st, xmm, fcs, fds, tagWord);
    }

    // ---- helpers -----------------------------------------------------------------------------

    /**
     * The abridged tag word of {@code tagWord}, as FXSAVE writes it: bit <i>i</i> set unless
     * physical register <i>i</i> is tagged empty (11).
     *
     * @since 0.2
     */
    public static int abridgedTagWord(int tagWord) {
        int ftw = 0;
        for (int i = 0; i < 8; i++) {
            if (((tagWord >>> (2 * i)) & 3) != 3) {
                ftw |= 1 << i;
            }
        }
        return ftw;
    }

    /**
     * The full tag word a CPU reports for abridged tag word {@code ftw}, status word
     * {@code fsw} (for TOP) and registers {@code st} (80 bytes, stack order) — Linux's
     * {@code twd_fxsr_to_i387}: empty (11) where {@code ftw}'s bit is clear, otherwise from
     * the register's contents: special (10) for exponent 0x7fff, zero (01) for exponent 0
     * and a zero significand, special for other denormals and unnormals (J bit clear), valid
     * (00) otherwise.
     *
     * @since 0.2
     */
    public static int fullTagWord(int ftw, int fsw, byte[] st) {
        Objects.requireNonNull(st, "st");
        if (st.length != ST_BYTES) {
            throw new IllegalArgumentException("st must be " + ST_BYTES + " bytes, got " + st.length);
        }
        int top = (fsw >>> 11) & 7;
        int ret = 0;
        for (int i = 0; i < 8; i++) {
            int tag;
            if ((ftw & (1 << i)) != 0) {
                int r = 10 * ((i - top) & 7);
                int exponent = (st[r + 8] & 0xFF | (st[r + 9] & 0xFF) << 8) & 0x7FFF;
                if (exponent == 0x7FFF) {
                    tag = 2;
                } else if (exponent == 0) {
                    boolean zero = true;
                    for (int k = 0; k < 8; k++) {
                        zero &= st[r + k] == 0;
                    }
                    tag = zero ? 1 : 2;
                } else {
                    tag = (st[r + 7] & 0x80) != 0 ? 0 : 2;
                }
            } else {
                tag = 3;
            }
            ret |= tag << (2 * i);
        }
        return ret;
    }

    /**
     * Registers in stack order (ST(0)…ST(7), 10 bytes each) from registers in physical order
     * (R0…R7) for {@code top}: ST(i) = R((top + i) mod 8).
     *
     * @since 0.2
     */
    public static byte[] physicalToSt(byte[] physical, int top) {
        return rotate(physical, top, "physical");
    }

    /**
     * Registers in physical order (R0…R7, 10 bytes each) from registers in stack order for
     * {@code top}: R(r) = ST((r − top) mod 8).
     *
     * @since 0.2
     */
    public static byte[] stToPhysical(byte[] st, int top) {
        return rotate(st, -top, "st");
    }

    private static byte[] rotate(byte[] from, int by, String what) {
        byte[] in = Hex.length(what, from, ST_BYTES);
        byte[] out = new byte[ST_BYTES];
        for (int i = 0; i < 8; i++) {
            System.arraycopy(in, 10 * ((i + by) & 7), out, 10 * i, 10);
        }
        return out;
    }

    /** A builder with the {@link #initial()} values. @since 0.2 */
    public static Builder builder() {
        return new Builder(initial());
    }

    /** A builder holding this state. @since 0.2 */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Collects the x87/SSE state by name. Defaults, those of {@link FxSave#initial()} (the
     * state after FNINIT): fcw 0x037f, fsw 0, every register empty (tag word 0xffff, ftw 0),
     * fop, fip, fdp, fcs, fds 0, mxcsr 0x1f80, mxcsr_mask 0xffff, ST and XMM registers zero.
     *
     * <p>Tags: {@link #tagWord(int)} sets the full tag word (and with it the abridged one);
     * {@link #ftw(int)} sets the abridged one, and the full one is then derived from the
     * contents at {@link #build()} as a CPU does. The last of the two calls wins. A builder
     * from {@link FxSave#toBuilder()} keeps the full tag word only if it is not the derived
     * one, so changing registers re-derives the tags of an ordinary state.
     *
     * @since 0.2
     */
    public static final class Builder {
        private int fcw;
        private int fsw;
        private int ftw;
        private int fop;
        private long fip;
        private long fdp;
        private int mxcsr;
        private int mxcsrMask;
        private final byte[] st;
        private final byte[] xmm;
        private int fcs;
        private int fds;
        private int tagWord = -1;

        private Builder(FxSave f) {
            fcw = f.fcw;
            fsw = f.fsw;
            ftw = f.ftw;
            fop = f.fop;
            fip = f.fip;
            fdp = f.fdp;
            mxcsr = f.mxcsr;
            mxcsrMask = f.mxcsrMask;
            st = f.st.clone();
            xmm = f.xmm.clone();
            fcs = f.fcs;
            fds = f.fds;
            if (!f.hasDerivedTagWord()) {
                tagWord = f.tagWord;
            }
        }

        public Builder fcw(int v) {
            fcw = v;
            return this;
        }

        /** The status word, TOP included. */
        public Builder fsw(int v) {
            fsw = v;
            return this;
        }

        /** The abridged tag word; the full one is derived at {@link #build()}. */
        public Builder ftw(int v) {
            ftw = v;
            tagWord = -1;
            return this;
        }

        /** The full tag word (16 bits); the abridged one follows from it. */
        public Builder tagWord(int v) {
            Hex.u16("tagWord", v);
            tagWord = v;
            return this;
        }

        public Builder fop(int v) {
            fop = v;
            return this;
        }

        /** The 64-bit FIP word (the pointer itself in the 64-bit format). */
        public Builder fip(long v) {
            fip = v;
            return this;
        }

        /** The 64-bit FDP word (the pointer itself in the 64-bit format). */
        public Builder fdp(long v) {
            fdp = v;
            return this;
        }

        /** The FPU CS selector beside a 64-bit FIP. */
        public Builder fcs(int v) {
            fcs = v;
            return this;
        }

        /** The FPU DS selector beside a 64-bit FDP. */
        public Builder fds(int v) {
            fds = v;
            return this;
        }

        /**
         * The pointers as the 32-bit FXSAVE format holds them: fip = {@code fcs} &lt;&lt; 32 |
         * {@code fip32}, fdp = {@code fds} &lt;&lt; 32 | {@code fdp32}; the separate selectors 0.
         */
        public Builder pointers32(int fip32, int fcs, int fdp32, int fds) {
            Hex.u16("fcs", fcs);
            Hex.u16("fds", fds);
            this.fip = (long) fcs << 32 | Integer.toUnsignedLong(fip32);
            this.fdp = (long) fds << 32 | Integer.toUnsignedLong(fdp32);
            this.fcs = 0;
            this.fds = 0;
            return this;
        }

        public Builder mxcsr(int v) {
            mxcsr = v;
            return this;
        }

        /** The MXCSR mask the CPU reports; 0 = not recorded. */
        public Builder mxcsrMask(int v) {
            mxcsrMask = v;
            return this;
        }

        /** ST(0)–ST(7), 80 bytes in stack order. */
        public Builder st(byte[] v) {
            System.arraycopy(Hex.length("st", v, ST_BYTES), 0, st, 0, ST_BYTES);
            return this;
        }

        /** ST({@code i}), 10 bytes. */
        public Builder st(int i, byte[] v) {
            Objects.checkIndex(i, 8);
            System.arraycopy(Hex.length("st(" + i + ")", v, 10), 0, st, 10 * i, 10);
            return this;
        }

        /** R0–R7, 80 bytes in physical order, stored in stack order for the TOP of the current {@code fsw}. */
        public Builder physical(byte[] v) {
            return st(physicalToSt(v, (fsw >>> 11) & 7));
        }

        /** xmm0–xmm15, 256 bytes. */
        public Builder xmm(byte[] v) {
            System.arraycopy(Hex.length("xmm", v, XMM_BYTES), 0, xmm, 0, XMM_BYTES);
            return this;
        }

        /** xmm{@code i}, 16 bytes. */
        public Builder xmm(int i, byte[] v) {
            Objects.checkIndex(i, 16);
            System.arraycopy(Hex.length("xmm" + i, v, 16), 0, xmm, 16 * i, 16);
            return this;
        }

        public FxSave build() {
            if (tagWord >= 0) {
                return new FxSave(fcw, fsw, abridgedTagWord(tagWord), fop, fip, fdp, mxcsr, mxcsrMask, st, xmm, fcs,
                        fds, tagWord);
            }
            Hex.u8("ftw", ftw);
            Hex.u16("fsw", fsw);
            return new FxSave(fcw, fsw, ftw, fop, fip, fdp, mxcsr, mxcsrMask, st, xmm, fcs, fds,
                    fullTagWord(ftw, fsw, st));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FxSave f && fcw == f.fcw && fsw == f.fsw && ftw == f.ftw && fop == f.fop && fip == f.fip
                && fdp == f.fdp && mxcsr == f.mxcsr && mxcsrMask == f.mxcsrMask && Arrays.equals(st, f.st)
                && Arrays.equals(xmm, f.xmm) && fcs == f.fcs && fds == f.fds && tagWord == f.tagWord;
    }

    @Override
    public int hashCode() {
        return Objects.hash(fcw, fsw, ftw, fop, fip, fdp, mxcsr, mxcsrMask, Arrays.hashCode(st), Arrays.hashCode(xmm),
                fcs, fds, tagWord);
    }

    @Override
    public String toString() {
        return "FxSave[fcw=" + Hex.u32(fcw) + ", fsw=" + Hex.u32(fsw) + ", ftw=" + Hex.u32(ftw) + ", fop="
                + Hex.u32(fop) + ", fip=" + Hex.of(fip) + ", fdp=" + Hex.of(fdp) + ", mxcsr=" + Hex.u32(mxcsr)
                + ", mxcsrMask=" + Hex.u32(mxcsrMask) + ", st=" + Hex.bytes(st) + ", xmm=" + Hex.bytes(xmm)
                + ", fcs=" + Hex.u32(fcs) + ", fds=" + Hex.u32(fds) + ", tagWord=" + Hex.u32(tagWord) + "]";
    }
}
