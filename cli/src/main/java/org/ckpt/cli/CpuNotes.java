package org.ckpt.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ckpt.arch.powerpc.PowerPcCpuState;
import org.ckpt.arch.powerpc.PowerPcElfNotes;
import org.ckpt.arch.x86.I386State;
import org.ckpt.arch.x86.X86CpuState;
import org.ckpt.arch.x86.X86DebugRegs;
import org.ckpt.arch.x86.X86ElfNotes;
import org.ckpt.arch.x86.X86_64State;
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
            case "x86_64", "i386" -> withDebug(X86ElfNotes.toCpu(architecture, notes), debug);
            case "ppc32", "ppc64" -> PowerPcElfNotes.toCpu(architecture, notes);
            default -> throw new IllegalArgumentException("no register notes for architecture " + architecture);
        };
    }

    /** Debug registers read with ptrace (cores carry none: then they stay unknown). */
    private static X86CpuState withDebug(X86CpuState s, long[] d) {
        if (d == null) {
            return s;
        }
        X86DebugRegs regs = new X86DebugRegs(d[0], d[1], d[2], d[3], d[4], d[5]);
        return s instanceof X86_64State x ? x.withDebug(regs) : ((I386State) s).withDebug(regs);
    }

    /**
     * The register notes of one thread for a core file, in the order Linux writes them,
     * with {@code header} in {@code NT_PRSTATUS}. XSAVE state is written in Intel's standard
     * layout, which gdb assumes.
     */
    static List<Note> toNotes(CpuState cpu, ElfArch.PrHeader h) {
        List<Note> out = new ArrayList<>();
        if (cpu instanceof X86CpuState x) {
            for (Map.Entry<Integer, byte[]> e : X86ElfNotes.toNotes(x, x86Info(h)).entrySet()) {
                int type = e.getKey();
                out.add(new Note(type == ElfArch.NT_PRSTATUS || type == ElfArch.NT_PRFPREG ? "CORE" : "LINUX", type,
                        e.getValue()));
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

    private static X86ElfNotes.PrStatusInfo x86Info(ElfArch.PrHeader h) {
        return new X86ElfNotes.PrStatusInfo(h.signo(), h.code(), h.errno(), h.cursig(), h.sigpend(), h.sighold(), h.pid(),
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
