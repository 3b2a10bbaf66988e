package org.ckpt.arch.powerpc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Conversions between this provider's CPU state and the descriptors (payloads) of the
 * Linux ELF core notes of big-endian PowerPC: {@code NT_PRSTATUS} (ppc32 and ppc64),
 * {@code NT_PRFPREG}, {@code NT_PPC_VMX}, {@code NT_PPC_VSX} and {@code NT_PPC_SPE}.
 *
 * <p>Whole state: {@link #toCpu} builds a {@link PowerPcCpuState} from a thread's notes keyed
 * by note type, {@link #toNotes} writes them back in the order Linux and gdb write them. Per
 * note: {@code readX}/{@code writeX}; the non-register fields of {@code NT_PRSTATUS} are a
 * {@link PrStatusInfo} ({@link #prStatusInfo}).
 *
 * <p>Byte-exact both ways: every descriptor a reader accepts is written back by the
 * matching writer as the same bytes. Readers therefore reject what a writer could not
 * reproduce — a wrong length, or non-zero bytes where Linux writes padding — with an
 * {@link IllegalArgumentException} naming the note, the field, its offset and value.
 * Writers of 32-bit notes reject values that do not fit in 32 bits, naming the field: a
 * {@code ppc32} state accepted under {@link org.ckpt.spi.RestorePolicy#EXACT} always fits,
 * and so does one restarted under {@link org.ckpt.spi.RestorePolicy#LINUX_USER} (its MSR is
 * rebuilt as the 32-bit value, {@link PowerPc#MSR_USER_PPC32}) unless the host gave it GPRs
 * with upper halves.
 *
 * <p>{@code fpexc_mode} is not in {@code NT_PRFPREG}: Linux reports it as the FE0/FE1
 * bits of the {@code NT_PRSTATUS} MSR ({@code get_user_msr}), which is where
 * {@link #toCpu} takes it from; {@link #writeFpRegs} leaves it out. Linux writes no note
 * for DABR, so {@link #toNotes} leaves the DEBUG section out and {@link #toCpu} builds none.
 *
 * @since 0.2 (evolving; was {@code ElfNotes} in 0.1)
 */
public final class PowerPcElfNotes {
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

    /**
     * Process-wide notes of a core file that hold no thread registers ({@code NT_PRPSINFO},
     * {@code NT_TASKSTRUCT}, {@code NT_AUXV}, {@code NT_SIGINFO}, {@code NT_FILE}): {@link #toCpu}
     * skips them, so a host may pass every note of a core's first thread.
     */
    private static final Set<Integer> NOT_REGISTERS = Set.of(3, 4, 6, 0x5349_4749, 0x4649_4c45);

    private PowerPcElfNotes() {
    }

    /**
     * The non-register fields of an {@code NT_PRSTATUS} descriptor ({@code struct
     * elf_prstatus} without {@code pr_reg}). For ppc32 notes {@code sigpend}, {@code sighold}
     * and the timevals are 32-bit unsigned longs (read zero-extended; a writer refuses wider
     * values). Build one with {@link #builder()} (every field zero unless set) or take
     * {@link #NONE}.
     *
     * @param signo      {@code pr_info.si_signo}
     * @param code       {@code pr_info.si_code}
     * @param errno      {@code pr_info.si_errno}
     * @param cursig     {@code pr_cursig} (16-bit; read signed)
     * @param sigpend    {@code pr_sigpend}: pending signals
     * @param sighold    {@code pr_sighold}: blocked signals
     * @param pid        {@code pr_pid}
     * @param ppid       {@code pr_ppid}
     * @param pgrp       {@code pr_pgrp}
     * @param sid        {@code pr_sid}
     * @param utimeSec   {@code pr_utime.tv_sec}
     * @param utimeUsec  {@code pr_utime.tv_usec}
     * @param stimeSec   {@code pr_stime.tv_sec}
     * @param stimeUsec  {@code pr_stime.tv_usec}
     * @param cutimeSec  {@code pr_cutime.tv_sec}
     * @param cutimeUsec {@code pr_cutime.tv_usec}
     * @param cstimeSec  {@code pr_cstime.tv_sec}
     * @param cstimeUsec {@code pr_cstime.tv_usec}
     * @param fpvalid    {@code pr_fpvalid}
     * @since 0.2
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

        /** A builder with every field zero. */
        public static Builder builder() {
            return NONE.toBuilder();
        }

        /** A builder holding these values. */
        public Builder toBuilder() {
            return new Builder(this);
        }

        long[] times() {
            return new long[] {utimeSec, utimeUsec, stimeSec, stimeUsec, cutimeSec, cutimeUsec, cstimeSec, cstimeUsec};
        }

        /**
         * Builds a {@link PrStatusInfo}; every field is zero unless set.
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
            private final long[] times;
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
                times = i.times();
                fpvalid = i.fpvalid;
            }

            /** {@code si_signo}, {@code si_code} and {@code si_errno}. */
            public Builder siginfo(int signo, int code, int errno) {
                this.signo = signo;
                this.code = code;
                this.errno = errno;
                return this;
            }

            /** {@code pr_cursig}. */
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

            /** {@code pr_pid}, {@code pr_ppid}, {@code pr_pgrp} and {@code pr_sid}. */
            public Builder ids(int pid, int ppid, int pgrp, int sid) {
                this.pid = pid;
                this.ppid = ppid;
                this.pgrp = pgrp;
                this.sid = sid;
                return this;
            }

            /** {@code pr_utime}. */
            public Builder utime(long sec, long usec) {
                times[0] = sec;
                times[1] = usec;
                return this;
            }

            /** {@code pr_stime}. */
            public Builder stime(long sec, long usec) {
                times[2] = sec;
                times[3] = usec;
                return this;
            }

            /** {@code pr_cutime}. */
            public Builder cutime(long sec, long usec) {
                times[4] = sec;
                times[5] = usec;
                return this;
            }

            /** {@code pr_cstime}. */
            public Builder cstime(long sec, long usec) {
                times[6] = sec;
                times[7] = usec;
                return this;
            }

            /** {@code pr_fpvalid}. */
            public Builder fpvalid(int v) {
                fpvalid = v;
                return this;
            }

            /**
             * The info.
             *
             * @throws IllegalArgumentException if {@code cursig} does not fit 16 bits
             */
            public PrStatusInfo build() {
                return new PrStatusInfo(signo, code, errno, cursig, sigpend, sighold, pid, ppid, pgrp, sid,
                        times[0], times[1], times[2], times[3], times[4], times[5], times[6], times[7], fpvalid);
            }
        }
    }

    /** The {@code NT_PRSTATUS} descriptor size for {@code architecture}. */
    public static int prStatusSize(String architecture) {
        return is64(architecture) ? PRSTATUS64_SIZE : PRSTATUS32_SIZE;
    }

    // ---- whole state ----------------------------------------------------------------

    /**
     * Builds the CPU state of one thread of {@code architecture} from its note descriptors,
     * keyed by note type: {@link #NT_PRSTATUS} is required; {@link #NT_PRFPREG},
     * {@link #NT_PPC_VMX}, {@link #NT_PPC_VSX} and {@link #NT_PPC_SPE} are optional (the
     * section is then absent). {@code fpexcMode} is taken from the FE0/FE1 bits of the
     * {@code NT_PRSTATUS} MSR when an FP note is given, as Linux reports it. No DEBUG section:
     * Linux writes no core note for DABR. Process-wide notes without registers
     * ({@code NT_PRPSINFO}, {@code NT_TASKSTRUCT}, {@code NT_AUXV}, {@code NT_SIGINFO},
     * {@code NT_FILE}) are skipped; any other type is refused rather than dropped, since it may
     * hold registers this state has no home for.
     *
     * @throws IllegalArgumentException if {@code NT_PRSTATUS} is missing, a note type is not
     *                                  one of these, a descriptor is malformed, or the notes'
     *                                  sections cannot occur together (e.g. SPE with VMX)
     */
    public static PowerPcCpuState toCpu(String architecture, Map<Integer, byte[]> notes) {
        Objects.requireNonNull(notes, "notes");
        is64(architecture);
        for (Integer type : notes.keySet()) {
            if (type != NT_PRSTATUS && type != NT_PRFPREG && type != NT_PPC_VMX && type != NT_PPC_VSX
                    && type != NT_PPC_SPE && !NOT_REGISTERS.contains(type)) {
                throw new IllegalArgumentException("note type 0x" + Integer.toHexString(type) + " is not a "
                        + "PowerPC register note this version reads (NT_PRSTATUS, NT_PRFPREG, NT_PPC_VMX, "
                        + "NT_PPC_VSX, NT_PPC_SPE); it is refused rather than its registers dropped");
            }
        }
        byte[] prstatus = notes.get(NT_PRSTATUS);
        if (prstatus == null) {
            throw new IllegalArgumentException("no NT_PRSTATUS (type 1) among the notes: a thread's state needs its "
                    + "general registers");
        }
        GeneralRegs regs = readPrStatus(architecture, prstatus);
        byte[] prfpreg = notes.get(NT_PRFPREG);
        byte[] vmx = notes.get(NT_PPC_VMX);
        byte[] vsx = notes.get(NT_PPC_VSX);
        byte[] spe = notes.get(NT_PPC_SPE);
        FpRegs fp = prfpreg == null ? null : readFpRegs(prfpreg).withFpexcMode(regs.msr() & PowerPc.FPEXC_MASK);
        return new PowerPcCpuState(architecture, regs, fp, null, vmx == null ? null : readVmx(vmx),
                spe == null ? null : readSpe(spe), vsx == null ? null : readVsx(vsx));
    }

    /**
     * The note descriptors of {@code state}, keyed by note type in the order Linux and gdb
     * write them: {@code NT_PRSTATUS} (its non-register fields from {@code info}), then
     * {@code NT_PRFPREG}, {@code NT_PPC_VMX}, {@code NT_PPC_VSX} and {@code NT_PPC_SPE} for the
     * sections present. Left out, as no note holds them: the DEBUG section and
     * {@code fpexcMode} (Linux reports the latter as the MSR's FE0/FE1 bits, so
     * {@code toCpu(architecture, toNotes(state, info))} equals {@code state} when the state has
     * no DEBUG section and its {@code fpexcMode} equals {@code msr & FPEXC_MASK} — which every
     * state {@link #toCpu} built has).
     *
     * @throws IllegalArgumentException if a value does not fit its note field (a ppc32
     *                                  register wider than 32 bits)
     */
    public static Map<Integer, byte[]> toNotes(PowerPcCpuState state, PrStatusInfo info) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(info, "info");
        Map<Integer, byte[]> notes = new LinkedHashMap<>();
        notes.put(NT_PRSTATUS, writePrStatus(state.architecture(), state.regs(), info));
        if (state.fp() != null) {
            notes.put(NT_PRFPREG, writeFpRegs(state.fp()));
        }
        if (state.altivec() != null) {
            notes.put(NT_PPC_VMX, writeVmx(state.altivec()));
        }
        if (state.vsx() != null) {
            notes.put(NT_PPC_VSX, writeVsx(state.vsx()));
        }
        if (state.spe() != null) {
            notes.put(NT_PPC_SPE, writeSpe(state.spe()));
        }
        return notes;
    }

    // ---- NT_PRSTATUS ----------------------------------------------------------------

    /**
     * The registers ({@code pr_reg}) of an {@code NT_PRSTATUS} descriptor of
     * {@code architecture} ({@code ppc32} or {@code ppc64}); the whole descriptor is checked.
     */
    public static GeneralRegs readPrStatus(String architecture, byte[] desc) {
        return parsePrStatus(architecture, desc).regs();
    }

    /** The non-register fields of an {@code NT_PRSTATUS} descriptor; the whole descriptor is checked. */
    public static PrStatusInfo prStatusInfo(String architecture, byte[] desc) {
        return parsePrStatus(architecture, desc).info();
    }

    private record PrStatus(GeneralRegs regs, PrStatusInfo info) {
    }

    private static PrStatus parsePrStatus(String architecture, byte[] desc) {
        boolean w64 = is64(architecture);
        In in = new In("NT_PRSTATUS (" + architecture + ")", desc, prStatusSize(architecture));
        int signo = in.i32("si_signo");
        int code = in.i32("si_code");
        int errno = in.i32("si_errno");
        int cursig = in.i16("pr_cursig");
        in.zero("padding after pr_cursig", 2);
        long sigpend = in.word("pr_sigpend", w64);
        long sighold = in.word("pr_sighold", w64);
        int pid = in.i32("pr_pid");
        int ppid = in.i32("pr_ppid");
        int pgrp = in.i32("pr_pgrp");
        int sid = in.i32("pr_sid");
        long[] t = new long[8];
        for (int i = 0; i < t.length; i++) {
            t[i] = in.word(TIME_NAMES[i], w64);
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
        PrStatusInfo info = new PrStatusInfo(signo, code, errno, cursig, sigpend, sighold, pid, ppid, pgrp, sid,
                t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], fpvalid);
        return new PrStatus(GeneralRegs.fromWords(words), info);
    }

    private static final String[] TIME_NAMES = {"pr_utime.tv_sec", "pr_utime.tv_usec", "pr_stime.tv_sec",
        "pr_stime.tv_usec", "pr_cutime.tv_sec", "pr_cutime.tv_usec", "pr_cstime.tv_sec", "pr_cstime.tv_usec"};

    /**
     * Writes {@code regs} and {@code info} as an {@code NT_PRSTATUS} descriptor of
     * {@code architecture}.
     *
     * @throws IllegalArgumentException for a {@code ppc32} note, if a register or an unsigned
     *                                  long field does not fit 32 bits (naming it and its offset)
     */
    public static byte[] writePrStatus(String architecture, GeneralRegs regs, PrStatusInfo info) {
        Objects.requireNonNull(regs, "regs");
        Objects.requireNonNull(info, "info");
        boolean w64 = is64(architecture);
        Out out = new Out("NT_PRSTATUS (" + architecture + ")", prStatusSize(architecture));
        out.i32(info.signo()).i32(info.code()).i32(info.errno()).u16(info.cursig()).zero(2);
        out.word("pr_sigpend", info.sigpend(), w64).word("pr_sighold", info.sighold(), w64);
        out.i32(info.pid()).i32(info.ppid()).i32(info.pgrp()).i32(info.sid());
        long[] t = info.times();
        for (int i = 0; i < t.length; i++) {
            out.word(TIME_NAMES[i], t[i], w64);
        }
        long[] words = regs.toWords();
        for (int i = 0; i < words.length; i++) {
            out.word(GeneralRegs.wordName(i), words[i], w64);
        }
        out.zero((NGREG - GeneralRegs.WORDS) * (w64 ? 8 : 4));
        out.i32(info.fpvalid());
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

        int i16(String field) {
            return buf.getShort();
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
