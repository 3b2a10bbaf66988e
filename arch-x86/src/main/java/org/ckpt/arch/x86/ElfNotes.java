package org.ckpt.arch.x86;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Conversions between this package's CPU state and the register notes of Linux ELF
 * core files (the note descriptors only: no note header, name or padding), byte
 * exact both ways for notes as Linux and gdb write them (reserved and padding bytes
 * zero). Every method checks the note's length and throws
 * {@link IllegalArgumentException} naming the note and the expected size.
 *
 * <table>
 * <caption>Notes handled</caption>
 * <tr><th>note</th><th>type</th><th>size</th><th>methods</th></tr>
 * <tr><td>NT_PRSTATUS x86_64</td><td>1</td><td>336, registers at 112</td><td>{@link #fromPrStatusX86_64}, {@link #toPrStatus(X86_64Regs, PrStatusInfo)}</td></tr>
 * <tr><td>NT_PRSTATUS i386</td><td>1</td><td>144, registers at 72</td><td>{@link #fromPrStatusI386}, {@link #toPrStatus(I386Regs, PrStatusInfo)}</td></tr>
 * <tr><td>NT_FPREGSET x86_64, NT_PRXFPREG i386</td><td>2, 0x46e62b7f</td><td>512 (FXSAVE)</td><td>{@link #fromFxSave}, {@link #toFxSave}</td></tr>
 * <tr><td>NT_FPREGSET i386</td><td>2</td><td>108 (FSAVE)</td><td>{@link #fromFSave}, {@link #toFSave}</td></tr>
 * <tr><td>NT_386_TLS</td><td>0x200</td><td>48 (3 × user_desc)</td><td>{@link #fromTls}, {@link #toTls}</td></tr>
 * <tr><td>NT_X86_XSTATE</td><td>0x202</td><td>depends on XCR0 and the CPU</td><td>{@link #fromXState}, {@link #toXState}</td></tr>
 * <tr><td>NT_X86_XSAVE_LAYOUT</td><td>0x205</td><td>16 per component</td><td>{@link XSaveLayout#fromNote}</td></tr>
 * </table>
 *
 * @since 0.1 (stable)
 */
public final class ElfNotes {
    public static final int NT_PRSTATUS = 1;
    public static final int NT_FPREGSET = 2;
    public static final int NT_386_TLS = 0x200;
    public static final int NT_X86_XSTATE = 0x202;
    public static final int NT_X86_XSAVE_LAYOUT = 0x205;
    public static final int NT_PRXFPREG = 0x46e62b7f;

    public static final int PRSTATUS_SIZE_X86_64 = 336;
    public static final int PRSTATUS_REGS_X86_64 = 112;
    public static final int PRSTATUS_SIZE_I386 = 144;
    public static final int PRSTATUS_REGS_I386 = 72;
    public static final int FXSAVE_SIZE = 512;
    public static final int FSAVE_SIZE = 108;
    public static final int TLS_SIZE = 48;
    /** Offset of XCR0 in the software-reserved bytes of an {@code NT_X86_XSTATE} note. */
    public static final int XSTATE_XCR0_OFFSET = 464;
    /** Offset of the XSAVE header (xstate_bv, xcomp_bv, 48 reserved bytes). */
    public static final int XSAVE_HEADER_OFFSET = 512;

    private ElfNotes() {
    }

    /**
     * The non-register part of an {@code NT_PRSTATUS} note ({@code struct elf_prstatus}).
     * For i386 notes {@code sigpend}, {@code sighold} and the timevals are 32-bit.
     *
     * @param signo   si_signo
     * @param code    si_code
     * @param errno   si_errno
     * @param cursig  pr_cursig (16-bit)
     * @param fpvalid pr_fpvalid
     * @since 0.1 (stable)
     */
    public record PrStatusInfo(int signo, int code, int errno, int cursig, long sigpend, long sighold, int pid,
                               int ppid, int pgrp, int sid, long utimeSec, long utimeUsec, long stimeSec,
                               long stimeUsec, long cutimeSec, long cutimeUsec, long cstimeSec, long cstimeUsec,
                               int fpvalid) {
        /** All zero, as for a thread that got no signal. */
        public static final PrStatusInfo NONE = new PrStatusInfo(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0);

        public PrStatusInfo {
            if (cursig < Short.MIN_VALUE || cursig > 0xFFFF) {
                throw new IllegalArgumentException("pr_cursig " + cursig + " does not fit 16 bits");
            }
        }

        long[] times() {
            return new long[] {utimeSec, utimeUsec, stimeSec, stimeUsec, cutimeSec, cutimeUsec, cstimeSec, cstimeUsec};
        }
    }

    private static ByteBuffer le(byte[] note, String what, int size) {
        Objects.requireNonNull(note, what);
        if (note.length != size) {
            throw new IllegalArgumentException(what + " must be " + size + " bytes, got " + note.length);
        }
        return ByteBuffer.wrap(note).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer allocate(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    // ---- NT_PRSTATUS --------------------------------------------------------------------------

    /** The registers of an x86_64 {@code NT_PRSTATUS} note (336 bytes). */
    public static X86_64Regs fromPrStatusX86_64(byte[] note) {
        ByteBuffer b = le(note, "x86_64 NT_PRSTATUS", PRSTATUS_SIZE_X86_64);
        long[] w = new long[X86_64Regs.WORDS];
        for (int i = 0; i < w.length; i++) {
            w[i] = b.getLong(PRSTATUS_REGS_X86_64 + 8 * i);
        }
        return X86_64Regs.fromArray(w);
    }

    /** The registers of an i386 {@code NT_PRSTATUS} note (144 bytes). */
    public static I386Regs fromPrStatusI386(byte[] note) {
        ByteBuffer b = le(note, "i386 NT_PRSTATUS", PRSTATUS_SIZE_I386);
        int[] w = new int[I386Regs.WORDS];
        for (int i = 0; i < w.length; i++) {
            w[i] = b.getInt(PRSTATUS_REGS_I386 + 4 * i);
        }
        return I386Regs.fromArray(w);
    }

    /** The non-register fields of an {@code NT_PRSTATUS} note of either size (336: x86_64, 144: i386). */
    public static PrStatusInfo prStatusInfo(byte[] note) {
        Objects.requireNonNull(note, "note");
        boolean is64 = note.length == PRSTATUS_SIZE_X86_64;
        ByteBuffer b = le(note, "NT_PRSTATUS", is64 ? PRSTATUS_SIZE_X86_64 : PRSTATUS_SIZE_I386);
        long sigpend;
        long sighold;
        int at;
        if (is64) {
            sigpend = b.getLong(16);
            sighold = b.getLong(24);
            at = 32;
        } else {
            sigpend = Integer.toUnsignedLong(b.getInt(16));
            sighold = Integer.toUnsignedLong(b.getInt(20));
            at = 24;
        }
        int pid = b.getInt(at);
        int ppid = b.getInt(at + 4);
        int pgrp = b.getInt(at + 8);
        int sid = b.getInt(at + 12);
        long[] t = new long[8];
        for (int i = 0; i < 8; i++) {
            t[i] = is64 ? b.getLong(at + 16 + 8 * i) : Integer.toUnsignedLong(b.getInt(at + 16 + 4 * i));
        }
        int fpvalid = b.getInt(is64 ? 328 : 140);
        return new PrStatusInfo(b.getInt(0), b.getInt(4), b.getInt(8), b.getShort(12), sigpend, sighold, pid, ppid,
                pgrp, sid, t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], fpvalid);
    }

    /** An x86_64 {@code NT_PRSTATUS} note (336 bytes). */
    public static byte[] toPrStatus(X86_64Regs regs, PrStatusInfo info) {
        ByteBuffer b = allocate(PRSTATUS_SIZE_X86_64);
        b.putInt(0, info.signo()).putInt(4, info.code()).putInt(8, info.errno()).putShort(12, (short) info.cursig());
        b.putLong(16, info.sigpend()).putLong(24, info.sighold());
        b.putInt(32, info.pid()).putInt(36, info.ppid()).putInt(40, info.pgrp()).putInt(44, info.sid());
        long[] t = info.times();
        for (int i = 0; i < 8; i++) {
            b.putLong(48 + 8 * i, t[i]);
        }
        long[] w = regs.toArray();
        for (int i = 0; i < w.length; i++) {
            b.putLong(PRSTATUS_REGS_X86_64 + 8 * i, w[i]);
        }
        b.putInt(328, info.fpvalid());
        return b.array();
    }

    /** An i386 {@code NT_PRSTATUS} note (144 bytes); 32-bit fields of {@code info} must fit. */
    public static byte[] toPrStatus(I386Regs regs, PrStatusInfo info) {
        ByteBuffer b = allocate(PRSTATUS_SIZE_I386);
        b.putInt(0, info.signo()).putInt(4, info.code()).putInt(8, info.errno()).putShort(12, (short) info.cursig());
        b.putInt(16, u32("pr_sigpend", info.sigpend())).putInt(20, u32("pr_sighold", info.sighold()));
        b.putInt(24, info.pid()).putInt(28, info.ppid()).putInt(32, info.pgrp()).putInt(36, info.sid());
        long[] t = info.times();
        for (int i = 0; i < 8; i++) {
            b.putInt(40 + 4 * i, u32("timeval", t[i]));
        }
        int[] w = regs.toArray();
        for (int i = 0; i < w.length; i++) {
            b.putInt(PRSTATUS_REGS_I386 + 4 * i, w[i]);
        }
        b.putInt(140, info.fpvalid());
        return b.array();
    }

    private static int u32(String field, long v) {
        if (v != (int) v && (v >>> 32) != 0) {
            throw new IllegalArgumentException(field + " 0x" + Long.toHexString(v) + " does not fit an i386 note");
        }
        return (int) v;
    }

    // ---- FXSAVE (NT_FPREGSET x86_64, NT_PRXFPREG i386) ---------------------------------------

    /** The FXSAVE image of an x86_64 {@code NT_FPREGSET} or i386 {@code NT_PRXFPREG} note (512 bytes). */
    public static FxSave fromFxSave(byte[] note) {
        return readFx(le(note, "FXSAVE note", FXSAVE_SIZE));
    }

    /** A 512-byte FXSAVE image with bytes 416–511 zero, as Linux writes NT_FPREGSET / NT_PRXFPREG. */
    public static byte[] toFxSave(FxSave fx) {
        ByteBuffer b = allocate(FXSAVE_SIZE);
        writeFx(b, fx);
        return b.array();
    }

    private static FxSave readFx(ByteBuffer b) {
        byte[] st = new byte[FxSave.ST_BYTES];
        for (int i = 0; i < 8; i++) {
            b.get(32 + 16 * i, st, 10 * i, 10);
        }
        byte[] xmm = new byte[FxSave.XMM_BYTES];
        b.get(160, xmm, 0, FxSave.XMM_BYTES);
        return new FxSave(Short.toUnsignedInt(b.getShort(0)), Short.toUnsignedInt(b.getShort(2)),
                Byte.toUnsignedInt(b.get(4)), Short.toUnsignedInt(b.getShort(6)), b.getLong(8), b.getLong(16),
                b.getInt(24), b.getInt(28), st, xmm);
    }

    private static void writeFx(ByteBuffer b, FxSave fx) {
        b.putShort(0, (short) fx.fcw()).putShort(2, (short) fx.fsw()).put(4, (byte) fx.ftw())
                .putShort(6, (short) fx.fop()).putLong(8, fx.fip()).putLong(16, fx.fdp()).putInt(24, fx.mxcsr())
                .putInt(28, fx.mxcsrMask());
        byte[] st = fx.st();
        for (int i = 0; i < 8; i++) {
            b.put(32 + 16 * i, st, 10 * i, 10);
        }
        b.put(160, fx.xmm());
    }

    // ---- FSAVE (NT_FPREGSET i386) ---------------------------------------------------------------

    /**
     * The x87 state of an i386 {@code NT_FPREGSET} note (108-byte FSAVE image), converted
     * as Linux's {@code convert_to_fxsr} does; MXCSR, its mask and the XMM registers, which
     * FSAVE lacks, come from {@code sse} ({@code null}: {@link FxSave#initial()}). Whether the
     * note came from an x86_64 kernel (compat task, user CS 0x23: 64-bit FXSAVE format,
     * selectors dropped) or a native one decides how fip/fdp are built, and is taken from
     * {@code regs.cs()}.
     */
    public static FxSave fromFSave(byte[] note, FxSave sse, I386Regs regs) {
        ByteBuffer b = le(note, "i386 NT_FPREGSET (FSAVE)", FSAVE_SIZE);
        FxSave s = sse != null ? sse : FxSave.initial();
        int cwd = b.getInt(0) & 0xFFFF;
        int swd = b.getInt(4) & 0xFFFF;
        int twd = b.getInt(8) & 0xFFFF;
        long fip = Integer.toUnsignedLong(b.getInt(12));
        int fcs = b.getInt(16);
        long foo = Integer.toUnsignedLong(b.getInt(20));
        int fos = b.getInt(24);
        int ftw = 0;
        for (int i = 0; i < 8; i++) {
            if (((twd >>> (2 * i)) & 3) != 3) {
                ftw |= 1 << i;
            }
        }
        byte[] st = new byte[FxSave.ST_BYTES];
        b.get(28, st, 0, FxSave.ST_BYTES);
        int fop = (fcs >>> 16) & 0xFFFF;
        if (!kernel64(regs)) {
            fip |= (long) (fcs & 0xFFFF) << 32;
            foo |= Integer.toUnsignedLong(fos) << 32;
        }
        return new FxSave(cwd, swd, ftw, fop, fip, foo, s.mxcsr(), s.mxcsrMask(), st, s.xmm());
    }

    /**
     * The i386 {@code NT_FPREGSET} note (108-byte FSAVE image) for {@code fx}, as Linux's
     * {@code convert_from_fxsr} builds it: upper halves of cwd/swd/twd set, the full tag word
     * rebuilt from the abridged one and the register contents. Under an x86_64 kernel
     * (user CS 0x23) fcs is the task's CS and fos its DS | 0xffff0000; under a native one
     * they come from the 32-bit FXSAVE format.
     */
    public static byte[] toFSave(FxSave fx, I386Regs regs) {
        ByteBuffer b = allocate(FSAVE_SIZE);
        b.putInt(0, fx.fcw() | 0xFFFF0000).putInt(4, fx.fsw() | 0xFFFF0000).putInt(8, fullTagWord(fx));
        b.putInt(12, (int) fx.fip()).putInt(20, (int) fx.fdp());
        if (kernel64(regs)) {
            b.putInt(16, regs.cs()).putInt(24, regs.ds() | 0xFFFF0000);
        } else {
            b.putInt(16, (int) ((fx.fip() >>> 32) & 0xFFFF) | (fx.fop() << 16));
            b.putInt(24, (int) (fx.fdp() >>> 32));
        }
        b.put(28, fx.st());
        return b.array();
    }

    private static boolean kernel64(I386Regs regs) {
        return regs.cs() == 0x23;
    }

    /** The x87 tag word (2 bits per physical register) from the abridged one, as {@code twd_fxsr_to_i387}. */
    static int fullTagWord(FxSave fx) {
        int tos = (fx.fsw() >>> 11) & 7;
        byte[] st = fx.st();
        int ret = 0xFFFF0000;
        for (int i = 0; i < 8; i++) {
            int tag;
            if ((fx.ftw() & (1 << i)) != 0) {
                int r = (i - tos) & 7;
                int exponent = (st[10 * r + 8] & 0xFF | (st[10 * r + 9] & 0xFF) << 8) & 0x7FFF;
                int sig3 = st[10 * r + 6] & 0xFF | (st[10 * r + 7] & 0xFF) << 8;
                if (exponent == 0x7FFF) {
                    tag = 2;
                } else if (exponent == 0) {
                    boolean zero = true;
                    for (int k = 0; k < 8; k++) {
                        zero &= st[10 * r + k] == 0;
                    }
                    tag = zero ? 1 : 2;
                } else {
                    tag = (sig3 & 0x8000) != 0 ? 0 : 2;
                }
            } else {
                tag = 3;
            }
            ret |= tag << (2 * i);
        }
        return ret;
    }

    // ---- NT_386_TLS -------------------------------------------------------------------------------

    /** The three descriptors of an {@code NT_386_TLS} note (48 bytes). */
    public static List<UserDesc> fromTls(byte[] note) {
        ByteBuffer b = le(note, "NT_386_TLS", TLS_SIZE);
        List<UserDesc> l = new ArrayList<>(3);
        for (int i = 0; i < 3; i++) {
            l.add(new UserDesc(b.getInt(16 * i), b.getInt(16 * i + 4), b.getInt(16 * i + 8), b.getInt(16 * i + 12)));
        }
        return List.copyOf(l);
    }

    /** The {@code NT_386_TLS} note (48 bytes) for three descriptors. */
    public static byte[] toTls(List<UserDesc> tls) {
        if (tls.size() != I386State.TLS_ENTRIES) {
            throw new IllegalArgumentException("NT_386_TLS holds 3 descriptors, got " + tls.size());
        }
        ByteBuffer b = allocate(TLS_SIZE);
        for (int i = 0; i < 3; i++) {
            UserDesc d = tls.get(i);
            b.putInt(16 * i, d.entryNumber()).putInt(16 * i + 4, d.baseAddr()).putInt(16 * i + 8, d.limit())
                    .putInt(16 * i + 12, d.flags());
        }
        return b.array();
    }

    // ---- NT_X86_XSTATE ----------------------------------------------------------------------------

    /**
     * What an {@code NT_X86_XSTATE} note holds: the legacy FXSAVE area and the extended state.
     *
     * @since 0.1 (stable)
     */
    public record XState(FxSave fpu, XSave xsave) {
    }

    /** {@link #fromXState(byte[], XSaveLayout)} with Intel's standard offsets ({@link XSaveLayout#standard()}). */
    public static XState fromXState(byte[] note) {
        return fromXState(note, XSaveLayout.standard());
    }

    /**
     * Parses an {@code NT_X86_XSTATE} note written by a CPU with {@code layout} (from the
     * same core's {@code NT_X86_XSAVE_LAYOUT} note, or {@link XSaveLayout#standard()}).
     * XCR0 is read from offset 464; the note must be in standard format (xcomp_bv 0) and
     * exactly as long as {@code layout} makes the features of XCR0.
     */
    public static XState fromXState(byte[] note, XSaveLayout layout) {
        Objects.requireNonNull(note, "note");
        if (note.length < 576) {
            throw new IllegalArgumentException("NT_X86_XSTATE must be at least 576 bytes, got " + note.length);
        }
        ByteBuffer b = ByteBuffer.wrap(note).order(ByteOrder.LITTLE_ENDIAN);
        FxSave fx = readFx(b);
        long xcr0 = b.getLong(XSTATE_XCR0_OFFSET);
        long xstateBv = b.getLong(XSAVE_HEADER_OFFSET);
        long xcompBv = b.getLong(XSAVE_HEADER_OFFSET + 8);
        if (xcompBv != 0) {
            throw new IllegalArgumentException("NT_X86_XSTATE xcomp_bv 0x" + Long.toHexString(xcompBv)
                    + ": the compacted format is not supported (Linux writes the standard one)");
        }
        String problem = XFeature.xcr0Problem(xcr0);
        if (problem != null) {
            throw new IllegalArgumentException("NT_X86_XSTATE: " + problem);
        }
        int size = layout.size(xcr0);
        if (note.length != size) {
            throw new IllegalArgumentException("NT_X86_XSTATE is " + note.length + " bytes, but XCR0 0x"
                    + Long.toHexString(xcr0) + " with this layout needs " + size);
        }
        List<XSave.Component> c = new ArrayList<>();
        for (XFeature f : XFeature.extended(xcr0)) {
            byte[] data = new byte[f.size()];
            b.get(layout.offset(f), data);
            c.add(new XSave.Component(f, data));
        }
        return new XState(fx, new XSave(xcr0, xstateBv, c));
    }

    /** {@link #toXState(FxSave, XSave, XSaveLayout)} with Intel's standard offsets. */
    public static byte[] toXState(FxSave fpu, XSave xsave) {
        return toXState(fpu, xsave, XSaveLayout.standard());
    }

    /**
     * An {@code NT_X86_XSTATE} note as Linux writes it for a CPU with {@code layout}:
     * FXSAVE area, XCR0 at 464, the XSAVE header (xstate_bv, xcomp_bv 0), each component
     * at its offset, every other byte zero.
     */
    public static byte[] toXState(FxSave fpu, XSave xsave, XSaveLayout layout) {
        Objects.requireNonNull(xsave, "xsave");
        ByteBuffer b = allocate(layout.size(xsave.xcr0()));
        writeFx(b, fpu);
        b.putLong(XSTATE_XCR0_OFFSET, xsave.xcr0());
        b.putLong(XSAVE_HEADER_OFFSET, xsave.xstateBv());
        for (XSave.Component c : xsave.components()) {
            b.put(layout.offset(c.feature()), c.data());
        }
        return b.array();
    }
}
