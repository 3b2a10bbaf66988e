package org.ckpt.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ckpt.arch.powerpc.PowerPcCpuState;
import org.ckpt.arch.powerpc.PowerPcElfNotes;
import org.ckpt.arch.x86.DebugRegs;
import org.ckpt.arch.x86.ElfNotes;
import org.ckpt.arch.x86.FxSave;
import org.ckpt.arch.x86.I386Regs;
import org.ckpt.arch.x86.I386State;
import org.ckpt.arch.x86.UserDesc;
import org.ckpt.arch.x86.X86_64Regs;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.arch.x86.XSave;
import org.ckpt.arch.x86.XSaveLayout;
import org.ckpt.spi.CpuState;

/**
 * The one place where {@code ckpt} turns register notes into CPU state and back — ptrace
 * register sets ({@code PTRACE_GETREGSET} returns the same bytes as the core notes) and
 * the notes of ELF core files alike — by calling the architecture modules' ELF-note
 * converters. Everything arch-specific the command knows about registers is here, so a
 * change of those modules' API is a change of this file only.
 */
final class CpuNotes {
    private CpuNotes() {
    }

    /** One note of a core file: owner name, type, descriptor. */
    record Note(String name, int type, byte[] desc) {
    }

    /**
     * The CPU state of one thread from its notes keyed by {@code NT_*} type: a whole
     * {@code NT_PRSTATUS} descriptor (required) and, as present, the FP, XSAVE, TLS or
     * PowerPC vector notes ({@code NT_X86_XSAVE_LAYOUT} places the XSAVE components).
     *
     * @param debug DR0–DR3, DR6, DR7 as ptrace reads them, or {@code null} when unknown (cores)
     * @throws IllegalArgumentException if a note is malformed (the message names it)
     */
    static CpuState toCpu(String architecture, Map<Integer, byte[]> notes, long[] debug) {
        byte[] pr = notes.get(ElfArch.NT_PRSTATUS);
        if (pr == null) {
            throw new IllegalArgumentException("no NT_PRSTATUS note");
        }
        return switch (architecture) {
            case "x86_64" -> x86_64(pr, notes, debug);
            case "i386" -> i386(pr, notes, debug);
            case "ppc32", "ppc64" -> PowerPcElfNotes.toCpu(architecture, notes);
            default -> throw new IllegalArgumentException("no register notes for architecture " + architecture);
        };
    }

    private static XSaveLayout layout(Map<Integer, byte[]> notes) {
        byte[] l = notes.get(ElfArch.NT_X86_XSAVE_LAYOUT);
        return l != null ? XSaveLayout.fromNote(l) : XSaveLayout.standard();
    }

    private static DebugRegs debug(long[] d) {
        return d == null ? DebugRegs.NONE : new DebugRegs(d[0], d[1], d[2], d[3], d[4], d[5]);
    }

    private static X86_64State x86_64(byte[] pr, Map<Integer, byte[]> notes, long[] debug) {
        X86_64Regs regs = ElfNotes.fromPrStatusX86_64(pr);
        byte[] fx = notes.get(ElfArch.NT_PRFPREG);
        byte[] xs = notes.get(ElfArch.NT_X86_XSTATE);
        XSave xsave = null;
        FxSave fpu = fx != null ? ElfNotes.fromFxSave(fx) : null;
        if (xs != null) {
            ElfNotes.XState x = ElfNotes.fromXState(xs, layout(notes));
            xsave = x.xsave();
            fpu = fpu != null ? fpu : x.fpu();
        }
        return new X86_64State(regs, fpu != null ? fpu : FxSave.initial(), xsave, debug(debug));
    }

    private static I386State i386(byte[] pr, Map<Integer, byte[]> notes, long[] debug) {
        I386Regs regs = ElfNotes.fromPrStatusI386(pr);
        byte[] fsave = notes.get(ElfArch.NT_PRFPREG);
        byte[] fx = notes.get(ElfArch.NT_PRXFPREG);
        byte[] xs = notes.get(ElfArch.NT_X86_XSTATE);
        XSave xsave = null;
        FxSave fpu = fx != null ? ElfNotes.fromFxSave(fx) : null;
        if (xs != null) {
            ElfNotes.XState x = ElfNotes.fromXState(xs, layout(notes));
            xsave = x.xsave();
            fpu = fpu != null ? fpu : x.fpu();
        }
        if (fpu == null) {
            fpu = fsave != null ? ElfNotes.fromFSave(fsave, null, regs) : FxSave.initial();
        }
        byte[] tlsNote = notes.get(ElfArch.NT_386_TLS);
        List<UserDesc> tls;
        if (tlsNote != null) {
            tls = ElfNotes.fromTls(tlsNote);
        } else {
            int first = regs.cs() == 0x23 ? 12 : 6; // GDT_ENTRY_TLS_MIN under x86_64 / native i386
            tls = List.of(UserDesc.empty(first), UserDesc.empty(first + 1), UserDesc.empty(first + 2));
        }
        return new I386State(regs, fpu, xsave, debug(debug), tls);
    }

    /**
     * The register notes of one thread for a core file, in the order Linux writes them,
     * with {@code header} in {@code NT_PRSTATUS}. XSAVE state is written in Intel's standard
     * layout, which gdb assumes, with an {@code NT_X86_XSAVE_LAYOUT} note saying so.
     */
    static List<Note> toNotes(CpuState cpu, ElfArch.PrHeader h) {
        List<Note> out = new ArrayList<>();
        if (cpu instanceof X86_64State s) {
            out.add(new Note("CORE", ElfArch.NT_PRSTATUS, ElfNotes.toPrStatus(s.regs(), x86Info(h))));
            out.add(new Note("CORE", ElfArch.NT_PRFPREG, ElfNotes.toFxSave(s.fpu())));
            if (s.xsave() != null) {
                out.add(new Note("LINUX", ElfArch.NT_X86_XSTATE, ElfNotes.toXState(s.fpu(), s.xsave())));
            }
        } else if (cpu instanceof I386State s) {
            out.add(new Note("CORE", ElfArch.NT_PRSTATUS, ElfNotes.toPrStatus(s.regs(), x86Info(h))));
            out.add(new Note("CORE", ElfArch.NT_PRFPREG, ElfNotes.toFSave(s.fpu(), s.regs())));
            out.add(new Note("LINUX", ElfArch.NT_PRXFPREG, ElfNotes.toFxSave(s.fpu())));
            out.add(new Note("LINUX", ElfArch.NT_386_TLS, ElfNotes.toTls(s.tls())));
            if (s.xsave() != null) {
                out.add(new Note("LINUX", ElfArch.NT_X86_XSTATE, ElfNotes.toXState(s.fpu(), s.xsave())));
            }
        } else if (cpu instanceof PowerPcCpuState p) {
            PowerPcElfNotes.PrStatusInfo info = new PowerPcElfNotes.PrStatusInfo(h.signo(), h.code(), h.errno(),
                    h.cursig(), h.sigpend(), h.sighold(), h.pid(), h.ppid(), h.pgrp(), h.sid(),
                    h.utimeMicros() / 1_000_000, h.utimeMicros() % 1_000_000, h.stimeMicros() / 1_000_000,
                    h.stimeMicros() % 1_000_000, h.cutimeMicros() / 1_000_000, h.cutimeMicros() % 1_000_000,
                    h.cstimeMicros() / 1_000_000, h.cstimeMicros() % 1_000_000, p.fp() != null ? 1 : 0);
            for (Map.Entry<Integer, byte[]> e : PowerPcElfNotes.toNotes(p, info).entrySet()) {
                int type = e.getKey();
                out.add(new Note(type == ElfArch.NT_PRSTATUS || type == ElfArch.NT_PRFPREG ? "CORE" : "LINUX", type,
                        e.getValue()));
            }
        } else {
            throw new IllegalArgumentException("no core notes for CPU state " + cpu.getClass().getName()
                    + " (" + cpu.architecture() + ")");
        }
        return out;
    }

    /** The XSAVE layout note of the standard layout, written beside an exported NT_X86_XSTATE. */
    static byte[] standardLayoutNote() {
        return XSaveLayout.standard().toNote();
    }

    private static ElfNotes.PrStatusInfo x86Info(ElfArch.PrHeader h) {
        return new ElfNotes.PrStatusInfo(h.signo(), h.code(), h.errno(), h.cursig(), h.sigpend(), h.sighold(), h.pid(),
                h.ppid(), h.pgrp(), h.sid(), h.utimeMicros() / 1_000_000, h.utimeMicros() % 1_000_000,
                h.stimeMicros() / 1_000_000, h.stimeMicros() % 1_000_000, h.cutimeMicros() / 1_000_000,
                h.cutimeMicros() % 1_000_000, h.cstimeMicros() / 1_000_000, h.cstimeMicros() % 1_000_000,
                h.fpvalid());
    }

    /** The program counter and stack pointer of a CPU state, for summaries; {@code null} if unknown. */
    static long[] pcAndSp(CpuState cpu) {
        if (cpu instanceof X86_64State s) {
            return new long[] {s.regs().rip(), s.regs().rsp()};
        }
        if (cpu instanceof I386State s) {
            return new long[] {Integer.toUnsignedLong(s.regs().eip()), Integer.toUnsignedLong(s.regs().esp())};
        }
        if (cpu instanceof PowerPcCpuState p) {
            return new long[] {p.regs().nip(), p.regs().gpr(1)};
        }
        return null;
    }
}
