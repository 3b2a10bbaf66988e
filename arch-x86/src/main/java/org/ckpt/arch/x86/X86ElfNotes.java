package org.ckpt.arch.x86;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Conversions between this package's CPU state and the register notes of Linux ELF
 * core files (the note descriptors only: no note header, name or padding), byte
 * exact both ways for notes as Linux and gdb write them (reserved and padding bytes
 * zero). Every method checks the note's length and throws
 * {@link IllegalArgumentException} naming the note and the expected size.
 *
 * <p>Whole states: {@link #toCpu} reads a thread's notes keyed by note type,
 * {@link #toNotes} writes them in the order Linux writes them. Per note:
 *
 * <table>
 * <caption>Notes handled</caption>
 * <tr><th>note</th><th>type</th><th>size</th><th>methods</th></tr>
 * <tr><td>NT_PRSTATUS x86_64</td><td>1</td><td>336, registers at 112</td><td rowspan="2">{@link #readPrStatus}, {@link #writePrStatus}, {@link #prStatusInfo}</td></tr>
 * <tr><td>NT_PRSTATUS i386</td><td>1</td><td>144, registers at 72</td></tr>
 * <tr><td>NT_FPREGSET x86_64, NT_PRXFPREG i386</td><td>2, 0x46e62b7f</td><td>512 (FXSAVE)</td><td>{@link #readFpRegs}, {@link #writeFpRegs}</td></tr>
 * <tr><td>NT_FPREGSET i386</td><td>2</td><td>108 (FSAVE)</td><td>{@link #readFSave}, {@link #writeFSave}</td></tr>
 * <tr><td>NT_386_TLS</td><td>0x200</td><td>48 (3 × user_desc)</td><td>{@link #readTls}, {@link #writeTls}</td></tr>
 * <tr><td>NT_X86_XSTATE</td><td>0x202</td><td>depends on XCR0 and the CPU</td><td>{@link #readXState}, {@link #writeXState}</td></tr>
 * <tr><td>NT_X86_XSAVE_LAYOUT</td><td>0x205</td><td>16 per component</td><td>{@link XSaveLayout#fromNote}, {@link XSaveLayout#toNote}</td></tr>
 * </table>
 *
 * <p>What notes cannot carry: debug registers (no core has them), and the x87 FCS/FDS
 * selectors of a 64-bit-format state ({@link FxSave#fcs()}, {@link FxSave#fds()}: the
 * FXSAVE64 image has no room for them, so the 512-byte notes drop them as the CPU does;
 * an i386 FSAVE note carries them). The full tag word travels only in the i386 FSAVE note.
 *
 * @since 0.2 (stable; was {@code ElfNotes} in 0.1)
 */
public final class X86ElfNotes {
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

    private X86ElfNotes() {
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
        /** All zero, as for a thread that got no signal; {@code builder().build()}. */
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

        /** A builder with every field 0 ({@link #NONE}). @since 0.2 */
        public static Builder builder() {
            return new Builder(NONE);
        }

        /** A builder holding these fields. @since 0.2 */
        public Builder toBuilder() {
            return new Builder(this);
        }

        /**
         * Collects the fields by name; every field not set is 0.
         *
         * @since 0.2
         */
        public static final class Builder {
            private int signo;
            private int code;
            private int errno;
            private int cursig;
            private long sigpend;
            private long sighold;
            private int pid;
            private int ppid;
            private int pgrp;
            private int sid;
            private final long[] t;
            private int fpvalid;

            private Builder(PrStatusInfo i) {
                signo = i.signo;
                code = i.code;
                errno = i.errno;
                cursig = i.cursig;
                sigpend = i.sigpend;
                sighold = i.sighold;
                pid = i.pid;
                ppid = i.ppid;
                pgrp = i.pgrp;
                sid = i.sid;
                t = i.times();
                fpvalid = i.fpvalid;
            }

            /** {@code si_signo}, {@code si_code} and {@code si_errno}. */
            public Builder siginfo(int signo, int code, int errno) {
                this.signo = signo;
                this.code = code;
                this.errno = errno;
                return this;
            }

            public Builder cursig(int v) {
                cursig = v;
                return this;
            }

            /** {@code pr_sigpend} and {@code pr_sighold}. */
            public Builder signals(long pending, long held) {
                sigpend = pending;
                sighold = held;
                return this;
            }

            /** pr_pid, pr_ppid, pr_pgrp, pr_sid. */
            public Builder ids(int pid, int ppid, int pgrp, int sid) {
                this.pid = pid;
                this.ppid = ppid;
                this.pgrp = pgrp;
                this.sid = sid;
                return this;
            }

            public Builder utime(long sec, long usec) {
                t[0] = sec;
                t[1] = usec;
                return this;
            }

            public Builder stime(long sec, long usec) {
                t[2] = sec;
                t[3] = usec;
                return this;
            }

            public Builder cutime(long sec, long usec) {
                t[4] = sec;
                t[5] = usec;
                return this;
            }

            public Builder cstime(long sec, long usec) {
                t[6] = sec;
                t[7] = usec;
                return this;
            }

            public Builder fpvalid(int v) {
                fpvalid = v;
                return this;
            }

            public PrStatusInfo build() {
                return new PrStatusInfo(signo, code, errno, cursig, sigpend, sighold, pid, ppid, pgrp, sid, t[0], t[1],
                        t[2], t[3], t[4], t[5], t[6], t[7], fpvalid);
            }
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

    private static boolean is64(String architecture) {
        Objects.requireNonNull(architecture, "architecture");
        return switch (architecture) {
            case X86_64State.ARCH -> true;
            case I386State.ARCH -> false;
            default -> throw new IllegalArgumentException("not an x86 architecture: '" + architecture
                    + "' (x86_64 or i386)");
        };
    }

    // ---- whole states -------------------------------------------------------------------------

    /**
     * The CPU state of one thread of {@code architecture} ({@code "x86_64"} or {@code "i386"})
     * from its notes' descriptors keyed by note type, as a core file lists them per thread.
     *
     * <ul>
     * <li>{@code NT_PRSTATUS}: required, the general registers.
     * <li>x87/SSE state, from the first present of: {@code NT_X86_XSTATE} (with the
     *     layout of {@code NT_X86_XSAVE_LAYOUT} if present, else {@link XSaveLayout#standard()},
     *     which is what gdb writes; it also gives the XSAVE state), {@code NT_FPREGSET}
     *     (x86_64) or {@code NT_PRXFPREG} (i386), the i386 FSAVE {@code NT_FPREGSET}; with none
     *     of them (the task never used the FPU: {@code pr_fpvalid} 0) the FNINIT state,
     *     {@link FxSave#initial()}.
     * <li>{@code NT_386_TLS} (i386): the TLS descriptors; absent (gdb writes none) ⇒ TLS
     *     unknown ({@code null}).
     * <li>Debug registers are unknown ({@code null}): no core carries them.
     * </ul>
     * Other note types are ignored.
     *
     * @throws IllegalArgumentException if {@code NT_PRSTATUS} is missing or a note is malformed
     * @since 0.2
     */
    public static X86CpuState toCpu(String architecture, Map<Integer, byte[]> notes) {
        boolean is64 = is64(architecture);
        byte[] pr = notes.get(NT_PRSTATUS);
        if (pr == null) {
            throw new IllegalArgumentException("the notes of an " + architecture + " thread have no NT_PRSTATUS");
        }
        X86Regs regs = readPrStatus(architecture, pr);
        byte[] layoutNote = notes.get(NT_X86_XSAVE_LAYOUT);
        XSaveLayout layout = layoutNote != null ? XSaveLayout.fromNote(layoutNote) : XSaveLayout.standard();
        FxSave fpu;
        XSave xsave = null;
        byte[] xstate = notes.get(NT_X86_XSTATE);
        byte[] fxsave = notes.get(is64 ? NT_FPREGSET : NT_PRXFPREG);
        byte[] fsave = is64 ? null : notes.get(NT_FPREGSET);
        if (xstate != null) {
            XState xs = readXState(xstate, layout);
            fpu = xs.fpu();
            xsave = xs.xsave();
        } else if (fxsave != null) {
            fpu = readFpRegs(fxsave);
        } else if (fsave != null) {
            fpu = readFSave(fsave, null, (I386Regs) regs);
        } else {
            fpu = FxSave.initial();
        }
        if (is64) {
            return new X86_64State((X86_64Regs) regs, fpu, xsave, null);
        }
        byte[] tls = notes.get(NT_386_TLS);
        return new I386State((I386Regs) regs, fpu, xsave, null, tls != null ? readTls(tls) : null);
    }

    /**
     * The notes of one thread for {@code state}, ordered as Linux writes them
     * ({@code fill_thread_core_info}: the regsets in the kernel's order): x86_64
     * {@code NT_PRSTATUS}, {@code NT_FPREGSET} (FXSAVE), {@code NT_X86_XSTATE} if the state
     * has XSAVE state; i386 {@code NT_PRSTATUS}, {@code NT_FPREGSET} (FSAVE),
     * {@code NT_PRXFPREG} (FXSAVE), {@code NT_X86_XSTATE}, {@code NT_386_TLS} if the TLS
     * descriptors are known. {@code NT_X86_XSTATE} uses {@link XSaveLayout#standard()}, as
     * gdb does; write it with {@link #writeXState(FxSave, XSave, XSaveLayout)} for another
     * CPU's layout. Debug registers, and FCS/FDS of a 64-bit-format state, have no note
     * (see the class comment), so {@code toCpu(toNotes(s))} is {@code s} without them.
     *
     * @param info the non-register fields of {@code NT_PRSTATUS}
     * @since 0.2
     */
    public static Map<Integer, byte[]> toNotes(X86CpuState state, PrStatusInfo info) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(info, "info");
        Map<Integer, byte[]> m = new LinkedHashMap<>();
        m.put(NT_PRSTATUS, writePrStatus(state.regs(), info));
        if (state instanceof I386State s) {
            m.put(NT_FPREGSET, writeFSave(s.fpu(), s.regs()));
            m.put(NT_PRXFPREG, writeFpRegs(s.fpu()));
        } else {
            m.put(NT_FPREGSET, writeFpRegs(state.fpu()));
        }
        if (state.xsave() != null) {
            m.put(NT_X86_XSTATE, writeXState(state.fpu(), state.xsave()));
        }
        if (state instanceof I386State s && s.tls() != null) {
            m.put(NT_386_TLS, writeTls(s.tls()));
        }
        return m;
    }

    // ---- NT_PRSTATUS --------------------------------------------------------------------------

    /**
     * The registers of an {@code NT_PRSTATUS} note of {@code architecture}: an
     * {@link X86_64Regs} from 336 bytes ({@code "x86_64"}) or an {@link I386Regs} from 144
     * ({@code "i386"}).
     *
     * @since 0.2
     */
    public static X86Regs readPrStatus(String architecture, byte[] note) {
        if (is64(architecture)) {
            ByteBuffer b = le(note, "x86_64 NT_PRSTATUS", PRSTATUS_SIZE_X86_64);
            long[] w = new long[X86_64Regs.WORDS];
            for (int i = 0; i < w.length; i++) {
                w[i] = b.getLong(PRSTATUS_REGS_X86_64 + 8 * i);
            }
            return X86_64Regs.fromArray(w);
        }
        ByteBuffer b = le(note, "i386 NT_PRSTATUS", PRSTATUS_SIZE_I386);
        int[] w = new int[I386Regs.WORDS];
        for (int i = 0; i < w.length; i++) {
            w[i] = b.getInt(PRSTATUS_REGS_I386 + 4 * i);
        }
        return I386Regs.fromArray(w);
    }

    /** The non-register fields of an {@code NT_PRSTATUS} note of {@code architecture}. @since 0.2 */
    public static PrStatusInfo prStatusInfo(String architecture, byte[] prstatus) {
        boolean is64 = is64(architecture);
        ByteBuffer b = le(prstatus, architecture + " NT_PRSTATUS", is64 ? PRSTATUS_SIZE_X86_64 : PRSTATUS_SIZE_I386);
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

    /**
     * An {@code NT_PRSTATUS} note for {@code regs}: 336 bytes for {@link X86_64Regs}, 144 for
     * {@link I386Regs} (whose 32-bit fields of {@code info} must fit).
     *
     * @since 0.2
     */
    public static byte[] writePrStatus(X86Regs regs, PrStatusInfo info) {
        Objects.requireNonNull(regs, "regs");
        Objects.requireNonNull(info, "info");
        return regs instanceof X86_64Regs r ? writePrStatus64(r, info) : writePrStatus32((I386Regs) regs, info);
    }

    private static byte[] writePrStatus64(X86_64Regs regs, PrStatusInfo info) {
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

    private static byte[] writePrStatus32(I386Regs regs, PrStatusInfo info) {
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

    /**
     * The FXSAVE image of an x86_64 {@code NT_FPREGSET} or i386 {@code NT_PRXFPREG} note (512
     * bytes): {@code fcs}/{@code fds} 0 and the full tag word derived, as for any FXSAVE image.
     *
     * @since 0.2
     */
    public static FxSave readFpRegs(byte[] note) {
        return readFx(le(note, "FXSAVE note", FXSAVE_SIZE));
    }

    /**
     * A 512-byte FXSAVE image with bytes 416–511 zero, as Linux writes NT_FPREGSET / NT_PRXFPREG.
     * {@link FxSave#fcs()}, {@link FxSave#fds()} and a full tag word other than the derived
     * one have no place in it and are left out.
     *
     * @since 0.2
     */
    public static byte[] writeFpRegs(FxSave fx) {
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
     * as Linux's {@code convert_to_fxsr} does, keeping the note's full tag word
     * ({@link FxSave#tagWord()}); MXCSR, its mask and the XMM registers, which FSAVE lacks,
     * come from {@code sse} ({@code null}: {@link FxSave#initial()}). Whether the note came
     * from an x86_64 kernel (compat task, user CS 0x23: 64-bit FXSAVE format, the note's
     * fcs/fos are the task's CS and DS, not the FPU's) or a native one (32-bit format: FCS and
     * FDS go into bits 32–47 of fip/fdp) is taken from {@code regs.cs()}.
     *
     * @since 0.2
     */
    public static FxSave readFSave(byte[] note, FxSave sse, I386Regs regs) {
        ByteBuffer b = le(note, "i386 NT_FPREGSET (FSAVE)", FSAVE_SIZE);
        FxSave s = sse != null ? sse : FxSave.initial();
        int cwd = b.getInt(0) & 0xFFFF;
        int swd = b.getInt(4) & 0xFFFF;
        int twd = b.getInt(8) & 0xFFFF;
        long fip = Integer.toUnsignedLong(b.getInt(12));
        int fcs = b.getInt(16);
        long foo = Integer.toUnsignedLong(b.getInt(20));
        int fos = b.getInt(24);
        byte[] st = new byte[FxSave.ST_BYTES];
        b.get(28, st, 0, FxSave.ST_BYTES);
        int fop = (fcs >>> 16) & 0xFFFF;
        if (!kernel64(regs)) {
            fip |= (long) (fcs & 0xFFFF) << 32;
            foo |= Integer.toUnsignedLong(fos) << 32;
        }
        return new FxSave(cwd, swd, FxSave.abridgedTagWord(twd), fop, fip, foo, s.mxcsr(), s.mxcsrMask(), st,
                s.xmm(), 0, 0, twd);
    }

    /**
     * The i386 {@code NT_FPREGSET} note (108-byte FSAVE image) for {@code fx}, as Linux's
     * {@code convert_from_fxsr} builds it: upper halves of cwd/swd/twd set, the full tag word
     * {@link FxSave#tagWord()}. Under an x86_64 kernel (user CS 0x23) fcs is the task's CS and
     * fos its DS | 0xffff0000; under a native one FCS/FDS come from {@link FxSave#fcs()}/{@link
     * FxSave#fds()} where set, else from bits 32–47/32–63 of fip/fdp (the 32-bit format).
     *
     * @since 0.2
     */
    public static byte[] writeFSave(FxSave fx, I386Regs regs) {
        ByteBuffer b = allocate(FSAVE_SIZE);
        b.putInt(0, fx.fcw() | 0xFFFF0000).putInt(4, fx.fsw() | 0xFFFF0000).putInt(8, fx.tagWord() | 0xFFFF0000);
        b.putInt(12, (int) fx.fip()).putInt(20, (int) fx.fdp());
        if (kernel64(regs)) {
            b.putInt(16, regs.cs()).putInt(24, regs.ds() | 0xFFFF0000);
        } else {
            int fcs = fx.fcs() != 0 ? fx.fcs() : (int) ((fx.fip() >>> 32) & 0xFFFF);
            int fos = fx.fds() != 0 ? fx.fds() : (int) (fx.fdp() >>> 32);
            b.putInt(16, fcs | (fx.fop() << 16));
            b.putInt(24, fos);
        }
        b.put(28, fx.st());
        return b.array();
    }

    private static boolean kernel64(I386Regs regs) {
        return regs.cs() == I386Regs.USER_CS_COMPAT;
    }

    // ---- NT_386_TLS -------------------------------------------------------------------------------

    /** The three descriptors of an {@code NT_386_TLS} note (48 bytes). @since 0.2 */
    public static List<UserDesc> readTls(byte[] note) {
        ByteBuffer b = le(note, "NT_386_TLS", TLS_SIZE);
        List<UserDesc> l = new ArrayList<>(3);
        for (int i = 0; i < 3; i++) {
            l.add(new UserDesc(b.getInt(16 * i), b.getInt(16 * i + 4), b.getInt(16 * i + 8), b.getInt(16 * i + 12)));
        }
        return List.copyOf(l);
    }

    /** The {@code NT_386_TLS} note (48 bytes) for three descriptors. @since 0.2 */
    public static byte[] writeTls(List<UserDesc> tls) {
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

    /** {@link #readXState(byte[], XSaveLayout)} with Intel's standard offsets ({@link XSaveLayout#standard()}). @since 0.2 */
    public static XState readXState(byte[] note) {
        return readXState(note, XSaveLayout.standard());
    }

    /**
     * Parses an {@code NT_X86_XSTATE} note written by a CPU with {@code layout} (from the
     * same core's {@code NT_X86_XSAVE_LAYOUT} note, or {@link XSaveLayout#standard()}).
     * XCR0 is read from offset 464; the note must be in standard format (xcomp_bv 0) and
     * exactly as long as {@code layout} makes the features of XCR0.
     *
     * @since 0.2
     */
    public static XState readXState(byte[] note, XSaveLayout layout) {
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

    /** {@link #writeXState(FxSave, XSave, XSaveLayout)} with Intel's standard offsets. @since 0.2 */
    public static byte[] writeXState(FxSave fpu, XSave xsave) {
        return writeXState(fpu, xsave, XSaveLayout.standard());
    }

    /**
     * An {@code NT_X86_XSTATE} note as Linux writes it for a CPU with {@code layout}:
     * FXSAVE area, XCR0 at 464, the XSAVE header (xstate_bv, xcomp_bv 0), each component
     * at its offset, every other byte zero.
     *
     * @since 0.2
     */
    public static byte[] writeXState(FxSave fpu, XSave xsave, XSaveLayout layout) {
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
