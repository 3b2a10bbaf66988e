package org.ckpt.arch.powerpc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Conversions between this provider's CPU state and the descriptors (payloads) of the
 * Linux ELF core notes of big-endian PowerPC: {@code NT_PRSTATUS} (ppc32 and ppc64),
 * {@code NT_PRFPREG}, {@code NT_PPC_VMX}, {@code NT_PPC_VSX} and {@code NT_PPC_SPE}.
 *
 * <p>Byte-exact both ways: every descriptor a reader accepts is written back by the
 * matching writer as the same bytes. Readers therefore reject what a writer could not
 * reproduce — a wrong length, or non-zero bytes where Linux writes padding — with an
 * {@link IllegalArgumentException} naming the note, the field, its offset and value.
 * Writers of 32-bit notes reject values that do not fit in 32 bits.
 *
 * <p>{@code fpexc_mode} is not in {@code NT_PRFPREG}: Linux reports it as the FE0/FE1
 * bits of the {@code NT_PRSTATUS} MSR ({@code get_user_msr}), which is where
 * {@link #toCpu} takes it from; {@link #writeFpRegs} leaves it out.
 *
 * @since 0.1 (evolving)
 */
public final class ElfNotes {
    /** Note type of {@code struct elf_prstatus} (note name {@code CORE}). */
    public static final int NT_PRSTATUS = 1;
    /** Note type of the FP registers (note name {@code CORE}). */
    public static final int NT_PRFPREG = 2;
    /** Note type of the AltiVec registers (note name {@code LINUX}). */
    public static final int NT_PPC_VMX = 0x100;
    /** Note type of the SPE registers (note name {@code LINUX}). */
    public static final int NT_PPC_SPE = 0x101;
    /** Note type of the VSX doublewords (note name {@code LINUX}). */
    public static final int NT_PPC_VSX = 0x102;

    /** Descriptor size of a ppc64 {@code NT_PRSTATUS}. */
    public static final int PRSTATUS64_SIZE = 504;
    /** Descriptor size of a ppc32 {@code NT_PRSTATUS}. */
    public static final int PRSTATUS32_SIZE = 268;
    /** Descriptor size of {@code NT_PRFPREG}: fpr[32] and fpscr, 8 bytes each. */
    public static final int PRFPREG_SIZE = 264;
    /** Descriptor size of {@code NT_PPC_VMX}: vr[32], the vscr slot and the vrsave slot, 16 bytes each. */
    public static final int VMX_SIZE = 544;
    /** Descriptor size of {@code NT_PPC_VSX}: 32 doublewords. */
    public static final int VSX_SIZE = 256;
    /** Descriptor size of {@code NT_PPC_SPE}: evr[32] (u32), acc (u64), spefscr (u32). */
    public static final int SPE_SIZE = 140;

    /** Number of words in {@code pr_reg} ({@code ELF_NGREG}); words 44–47 are zero. */
    static final int NGREG = 48;

    private ElfNotes() {
    }

    /** The {@code NT_PRSTATUS} descriptor size for {@code architecture}. */
    public static int prStatusSize(String architecture) {
        return is64(architecture) ? PRSTATUS64_SIZE : PRSTATUS32_SIZE;
    }

    // ---- NT_PRSTATUS ----------------------------------------------------------------

    /** Reads an {@code NT_PRSTATUS} descriptor of {@code architecture} ({@code ppc32} or {@code ppc64}). */
    public static PrStatus readPrStatus(String architecture, byte[] desc) {
        boolean w64 = is64(architecture);
        In in = new In("NT_PRSTATUS (" + architecture + ")", desc, prStatusSize(architecture));
        int signo = in.i32("si_signo");
        int code = in.i32("si_code");
        int errno = in.i32("si_errno");
        short cursig = (short) in.u16("pr_cursig");
        in.zero("padding after pr_cursig", 2);
        long sigpend = in.word("pr_sigpend", w64);
        long sighold = in.word("pr_sighold", w64);
        int pid = in.i32("pr_pid");
        int ppid = in.i32("pr_ppid");
        int pgrp = in.i32("pr_pgrp");
        int sid = in.i32("pr_sid");
        PrStatus.Timeval[] times = new PrStatus.Timeval[4];
        String[] names = {"pr_utime", "pr_stime", "pr_cutime", "pr_cstime"};
        for (int i = 0; i < 4; i++) {
            times[i] = new PrStatus.Timeval(in.word(names[i] + ".tv_sec", w64), in.word(names[i] + ".tv_usec", w64));
        }
        long[] words = new long[GeneralRegs.WORDS];
        for (int i = 0; i < words.length; i++) {
            words[i] = in.word("pr_reg[" + i + "] (" + GeneralRegs.wordName(i) + ")", w64);
        }
        in.zero("pr_reg[44..47]", (NGREG - GeneralRegs.WORDS) * (w64 ? 8 : 4));
        int fpvalid = in.i32("pr_fpvalid");
        if (w64) {
            in.zero("padding after pr_fpvalid", 4);
        }
        in.end();
        return new PrStatus(signo, code, errno, cursig, sigpend, sighold, pid, ppid, pgrp, sid, times[0], times[1],
                times[2], times[3], GeneralRegs.fromWords(words), fpvalid);
    }

    /** Writes {@code s} as an {@code NT_PRSTATUS} descriptor of {@code architecture}. */
    public static byte[] writePrStatus(String architecture, PrStatus s) {
        boolean w64 = is64(architecture);
        Out out = new Out("NT_PRSTATUS (" + architecture + ")", prStatusSize(architecture));
        out.i32(s.siSigno()).i32(s.siCode()).i32(s.siErrno()).u16(s.cursig()).zero(2);
        out.word("pr_sigpend", s.sigpend(), w64).word("pr_sighold", s.sighold(), w64);
        out.i32(s.pid()).i32(s.ppid()).i32(s.pgrp()).i32(s.sid());
        PrStatus.Timeval[] times = {s.utime(), s.stime(), s.cutime(), s.cstime()};
        String[] names = {"pr_utime", "pr_stime", "pr_cutime", "pr_cstime"};
        for (int i = 0; i < 4; i++) {
            out.word(names[i] + ".tv_sec", times[i].sec(), w64).word(names[i] + ".tv_usec", times[i].usec(), w64);
        }
        long[] words = s.regs().toWords();
        for (int i = 0; i < words.length; i++) {
            out.word(GeneralRegs.wordName(i), words[i], w64);
        }
        out.zero((NGREG - GeneralRegs.WORDS) * (w64 ? 8 : 4));
        out.i32(s.fpvalid());
        if (w64) {
            out.zero(4);
        }
        return out.done();
    }

    // ---- NT_PRFPREG -----------------------------------------------------------------

    /** Reads an {@code NT_PRFPREG} descriptor; {@code fpexcMode} comes back 0 (it is not in the note). */
    public static FpRegs readFpRegs(byte[] desc) {
        In in = new In("NT_PRFPREG", desc, PRFPREG_SIZE);
        long[] fpr = new long[FpRegs.FPR_COUNT];
        for (int i = 0; i < fpr.length; i++) {
            fpr[i] = in.u64("fpr" + i);
        }
        long fpscr = in.u64("fpscr");
        in.end();
        return new FpRegs(fpr, fpscr, 0);
    }

    /** Writes fr0–fr31 and fpscr as an {@code NT_PRFPREG} descriptor (not {@code fpexcMode}). */
    public static byte[] writeFpRegs(FpRegs fp) {
        Out out = new Out("NT_PRFPREG", PRFPREG_SIZE);
        for (long f : fp.fpr()) {
            out.u64(f);
        }
        return out.u64(fp.fpscr()).done();
    }

    // ---- NT_PPC_VMX -----------------------------------------------------------------

    /**
     * Reads an {@code NT_PPC_VMX} descriptor: vr0–vr31, then a 16-byte slot whose last
     * word is VSCR, then a 16-byte slot whose first word is VRSAVE; the rest is zero.
     */
    public static AltivecRegs readVmx(byte[] desc) {
        In in = new In("NT_PPC_VMX", desc, VMX_SIZE);
        List<Vector128> vr = new ArrayList<>(AltivecRegs.VR_COUNT);
        for (int i = 0; i < AltivecRegs.VR_COUNT; i++) {
            long high = in.u64("vr" + i + " bytes 0-7");
            long low = in.u64("vr" + i + " bytes 8-15");
            vr.add(new Vector128(high, low));
        }
        in.zero("vscr slot bytes 0-11", 12);
        int vscr = in.i32("vscr");
        int vrsave = in.i32("vrsave");
        in.zero("vrsave slot bytes 4-15", 12);
        in.end();
        return new AltivecRegs(vr, vscr, vrsave);
    }

    /** Writes {@code a} as an {@code NT_PPC_VMX} descriptor. */
    public static byte[] writeVmx(AltivecRegs a) {
        Out out = new Out("NT_PPC_VMX", VMX_SIZE);
        for (Vector128 v : a.vr()) {
            out.u64(v.high()).u64(v.low());
        }
        return out.zero(12).i32(a.vscr()).i32(a.vrsave()).zero(12).done();
    }

    // ---- NT_PPC_VSX -----------------------------------------------------------------

    /** Reads an {@code NT_PPC_VSX} descriptor: doubleword 1 of vs0–vs31. */
    public static VsxRegs readVsx(byte[] desc) {
        In in = new In("NT_PPC_VSX", desc, VSX_SIZE);
        long[] d = new long[VsxRegs.COUNT];
        for (int i = 0; i < d.length; i++) {
            d[i] = in.u64("vs" + i + " doubleword 1");
        }
        in.end();
        return new VsxRegs(d);
    }

    /** Writes {@code v} as an {@code NT_PPC_VSX} descriptor. */
    public static byte[] writeVsx(VsxRegs v) {
        Out out = new Out("NT_PPC_VSX", VSX_SIZE);
        for (long d : v.vsrLow()) {
            out.u64(d);
        }
        return out.done();
    }

    // ---- NT_PPC_SPE -----------------------------------------------------------------

    /** Reads an {@code NT_PPC_SPE} descriptor: u32 evr[32], u64 acc, u32 spefscr. */
    public static SpeRegs readSpe(byte[] desc) {
        In in = new In("NT_PPC_SPE", desc, SPE_SIZE);
        int[] evr = new int[SpeRegs.EVR_COUNT];
        for (int i = 0; i < evr.length; i++) {
            evr[i] = in.i32("evr" + i);
        }
        long acc = in.u64("acc");
        int spefscr = in.i32("spefscr");
        in.end();
        return new SpeRegs(evr, acc, spefscr);
    }

    /** Writes {@code s} as an {@code NT_PPC_SPE} descriptor. */
    public static byte[] writeSpe(SpeRegs s) {
        Out out = new Out("NT_PPC_SPE", SPE_SIZE);
        for (int e : s.evr()) {
            out.i32(e);
        }
        return out.u64(s.acc()).i32(s.spefscr()).done();
    }

    // ---- whole state ----------------------------------------------------------------

    /**
     * Builds the CPU state of one thread from its note descriptors; every argument but
     * {@code prstatus} may be {@code null} (the section is then absent). {@code fpexcMode}
     * is taken from the FE0/FE1 bits of the {@code NT_PRSTATUS} MSR when an FP note is given.
     * No DEBUG section: Linux writes no core note for DABR.
     */
    public static PowerPcCpu toCpu(String architecture, byte[] prstatus, byte[] prfpreg, byte[] vmx, byte[] vsx,
                                   byte[] spe) {
        GeneralRegs regs = readPrStatus(architecture, Objects.requireNonNull(prstatus, "prstatus")).regs();
        FpRegs fp = prfpreg == null ? null : readFpRegs(prfpreg).withFpexcMode(regs.msr() & PowerPc.FPEXC_MASK);
        return new PowerPcCpu(architecture, regs, fp, null, vmx == null ? null : readVmx(vmx),
                spe == null ? null : readSpe(spe), vsx == null ? null : readVsx(vsx));
    }

    private static boolean is64(String architecture) {
        if (PowerPc.PPC64.equals(architecture)) {
            return true;
        }
        if (PowerPc.PPC32.equals(architecture)) {
            return false;
        }
        throw new IllegalArgumentException("not a PowerPC architecture: " + architecture);
    }

    /** Big-endian reader of one descriptor with messages naming note, field, offset and value. */
    private static final class In {
        private final String note;
        private final ByteBuffer buf;

        In(String note, byte[] desc, int size) {
            Objects.requireNonNull(desc, "desc");
            if (desc.length != size) {
                throw new IllegalArgumentException(note + ": descriptor is " + desc.length + " bytes, expected " + size);
            }
            this.note = note;
            this.buf = ByteBuffer.wrap(desc).order(ByteOrder.BIG_ENDIAN);
        }

        int i32(String field) {
            return buf.getInt();
        }

        int u16(String field) {
            return buf.getShort() & 0xFFFF;
        }

        long u64(String field) {
            return buf.getLong();
        }

        long word(String field, boolean w64) {
            return w64 ? buf.getLong() : buf.getInt() & 0xFFFF_FFFFL;
        }

        void zero(String field, int length) {
            int at = buf.position();
            for (int i = 0; i < length; i++) {
                byte b = buf.get();
                if (b != 0) {
                    throw new IllegalArgumentException(String.format(
                            "%s: %s at offset %d must be zero, byte %d is 0x%02x", note, field, at, at + i, b & 0xFF));
                }
            }
        }

        void end() {
            if (buf.hasRemaining()) {
                throw new IllegalStateException(note + ": " + buf.remaining() + " bytes not read");
            }
        }
    }

    /** Big-endian writer of one descriptor. */
    private static final class Out {
        private final String note;
        private final ByteBuffer buf;

        Out(String note, int size) {
            this.note = note;
            this.buf = ByteBuffer.allocate(size).order(ByteOrder.BIG_ENDIAN);
        }

        Out i32(int v) {
            buf.putInt(v);
            return this;
        }

        Out u16(int v) {
            buf.putShort((short) v);
            return this;
        }

        Out u64(long v) {
            buf.putLong(v);
            return this;
        }

        Out word(String field, long v, boolean w64) {
            if (w64) {
                buf.putLong(v);
            } else {
                if ((v >>> 32) != 0) {
                    throw new IllegalArgumentException(String.format(
                            "%s: %s = 0x%x does not fit the 32-bit field at offset %d", note, field, v, buf.position()));
                }
                buf.putInt((int) v);
            }
            return this;
        }

        Out zero(int length) {
            buf.put(new byte[length]);
            return this;
        }

        byte[] done() {
            if (buf.hasRemaining()) {
                throw new IllegalStateException(note + ": " + buf.remaining() + " bytes not written");
            }
            return buf.array();
        }
    }
}
