package org.ckpt.cli;

import com.sun.jna.Function;
import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ckpt.spi.CpuState;

/**
 * Every register of a frozen thread, read with {@code PTRACE_GETREGSET} in the form of the
 * ELF core notes ({@code NT_PRSTATUS}'s registers, {@code NT_PRFPREG}, {@code NT_PRXFPREG},
 * {@code NT_X86_XSTATE}, {@code NT_386_TLS}; on PowerPC {@code NT_PPC_VMX/VSX/SPE}) and
 * decoded by {@link CpuNotes}; x86 debug registers with {@code PTRACE_PEEKUSER}. The view
 * is the tracee's: a 32-bit task under a 64-bit kernel gives i386 register sets.
 */
final class Registers {
    private static final int MAX_XSTATE = 64 << 10;
    private static volatile byte[] xsaveLayout;

    private Registers() {
    }

    /**
     * The register sets of thread {@code tid} as {@code PTRACE_GETREGSET} returns them, keyed by
     * note type ({@code NT_PRSTATUS}: the bare {@code pr_reg} registers).
     */
    static Map<Integer, byte[]> raw(Tracer t, int tid, ElfArch arch) throws CliException {
        Map<Integer, byte[]> sets = new LinkedHashMap<>();
        byte[] regs = t.regset(tid, ElfArch.NT_PRSTATUS, 4096);
        if (regs == null || regs.length != arch.regsSize) {
            throw CliException.failed("thread " + tid + ": the kernel's general registers are "
                    + (regs == null ? "missing" : regs.length + " bytes") + ", not the " + arch.regsSize
                    + " of an " + arch.architecture + " task (an x32 or foreign-ABI process?)");
        }
        sets.put(ElfArch.NT_PRSTATUS, regs);
        switch (arch) {
            case X86_64, I386 -> {
                put(sets, ElfArch.NT_PRFPREG, t.regset(tid, ElfArch.NT_PRFPREG, 4096));
                if (arch == ElfArch.I386) {
                    put(sets, ElfArch.NT_PRXFPREG, t.regset(tid, ElfArch.NT_PRXFPREG, 4096));
                    put(sets, ElfArch.NT_386_TLS, t.regset(tid, ElfArch.NT_386_TLS, 4096));
                }
                byte[] xs = t.regset(tid, ElfArch.NT_X86_XSTATE, MAX_XSTATE);
                if (xs != null && xs.length >= 576) {
                    sets.put(ElfArch.NT_X86_XSTATE, xs);
                }
            }
            case PPC64, PPC32 -> {
                put(sets, ElfArch.NT_PRFPREG, t.regset(tid, ElfArch.NT_PRFPREG, 4096));
                put(sets, ElfArch.NT_PPC_VMX, t.regset(tid, ElfArch.NT_PPC_VMX, 4096));
                put(sets, ElfArch.NT_PPC_VSX, t.regset(tid, ElfArch.NT_PPC_VSX, 4096));
                put(sets, ElfArch.NT_PPC_SPE, t.regset(tid, ElfArch.NT_PPC_SPE, 4096));
            }
            default -> {
            }
        }
        return sets;
    }

    /** The notes of thread {@code tid} (an {@code NT_PRSTATUS} built around its registers with {@code header}). */
    static Map<Integer, byte[]> notes(Tracer t, int tid, ElfArch arch, ElfArch.PrHeader header) throws CliException {
        Map<Integer, byte[]> notes = raw(t, tid, arch);
        notes.put(ElfArch.NT_PRSTATUS, arch.prStatus(header, notes.get(ElfArch.NT_PRSTATUS)));
        byte[] xs = notes.get(ElfArch.NT_X86_XSTATE);
        if (xs != null) {
            byte[] layout = xsaveLayout(xs);
            if (layout != null) {
                notes.put(ElfArch.NT_X86_XSAVE_LAYOUT, layout);
            }
        }
        return notes;
    }

    private static void put(Map<Integer, byte[]> notes, int type, byte[] bytes) {
        if (bytes != null && bytes.length > 0) {
            notes.put(type, bytes);
        }
    }

    /** DR0–DR3, DR6, DR7 of an x86 thread, or {@code null} where this host has no such registers. */
    static long[] debugRegisters(Tracer t, int tid) throws CliException {
        long base = Linux.Arch.HOST.debugRegs;
        if (base < 0) {
            return null;
        }
        int w = Linux.Arch.HOST == Linux.Arch.X86_64 ? 8 : 4;
        int[] which = {0, 1, 2, 3, 6, 7};
        long[] d = new long[6];
        for (int i = 0; i < 6; i++) {
            d[i] = t.peekUser(tid, base + (long) w * which[i]);
        }
        return d;
    }

    /** The CPU state of thread {@code tid}: its notes decoded by the arch module. */
    static CpuState cpu(Tracer t, int tid, ElfArch arch, ElfArch.PrHeader header) throws CliException {
        Object[] read = t.batch(() -> new Object[] {notes(t, tid, arch, header),
            arch == ElfArch.X86_64 || arch == ElfArch.I386 ? debugRegisters(t, tid) : null});
        @SuppressWarnings("unchecked")
        Map<Integer, byte[]> notes = (Map<Integer, byte[]>) read[0];
        long[] debug = (long[]) read[1];
        try {
            return CpuNotes.toCpu(arch.architecture, notes, debug);
        } catch (IllegalArgumentException e) {
            throw CliException.failed("thread " + tid + ": its registers cannot be represented: " + e.getMessage());
        }
    }

    /**
     * The {@code NT_X86_XSAVE_LAYOUT} note of this CPU (where XSAVE puts each component,
     * CPUID leaf 0xD), for the features of the XCR0 an {@code NT_X86_XSTATE} register set
     * reports; {@code null} when CPUID cannot be run here (then the standard layout is used).
     */
    static byte[] xsaveLayout(byte[] xstate) {
        byte[] cached = xsaveLayout;
        if (cached != null) {
            return cached.length == 0 ? null : cached;
        }
        byte[] l = cpuidLayout(ByteBuffer.wrap(xstate).order(ByteOrder.LITTLE_ENDIAN).getLong(464));
        xsaveLayout = l == null ? new byte[0] : l;
        return l;
    }

    /**
     * Runs CPUID (leaf 0xD, one sub-leaf per extended feature of {@code xcr0}) through a
     * 35-byte function mapped executable for the purpose, since Java cannot.
     */
    private static byte[] cpuidLayout(long xcr0) {
        if (Linux.Arch.HOST != Linux.Arch.X86_64) {
            return null;
        }
        byte[] code = {
            0x53,                                     // push rbx
            0x49, (byte) 0x89, (byte) 0xd0,           // mov r8, rdx
            (byte) 0x89, (byte) 0xf8,                 // mov eax, edi
            (byte) 0x89, (byte) 0xf1,                 // mov ecx, esi
            0x0f, (byte) 0xa2,                        // cpuid
            0x41, (byte) 0x89, 0x00,                  // mov [r8], eax
            0x41, (byte) 0x89, 0x58, 0x04,            // mov [r8+4], ebx
            0x41, (byte) 0x89, 0x48, 0x08,            // mov [r8+8], ecx
            0x41, (byte) 0x89, 0x50, 0x0c,            // mov [r8+12], edx
            0x5b,                                     // pop rbx
            (byte) 0xc3                               // ret
        };
        Pointer page;
        try {
            page = Linux.mmap(null, 4096, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_PRIVATE | Linux.MAP_ANONYMOUS,
                    -1, 0);
        } catch (LastErrorException e) {
            return null;
        }
        try {
            page.write(0, code, 0, code.length);
            Linux.mprotect(page, 4096, Linux.PROT_READ | Linux.PROT_EXEC);
            Function cpuid = Function.getFunction(page);
            Memory out = new Memory(16);
            ByteBuffer note = ByteBuffer.allocate(16 * 64).order(ByteOrder.LITTLE_ENDIAN);
            for (int bit = 2; bit < 64; bit++) {
                if ((xcr0 & (1L << bit)) == 0) {
                    continue;
                }
                out.clear();
                cpuid.invoke(Void.class, new Object[] {0xD, bit, out});
                note.putInt(bit).putInt(out.getInt(0)).putInt(out.getInt(4)).putInt(0);
            }
            byte[] b = new byte[note.position()];
            note.flip().get(b);
            return b;
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return null; // no executable memory here (W^X policy): the standard layout it is
        } finally {
            try {
                Linux.munmap(page, 4096);
            } catch (LastErrorException e) {
                // nothing to do
            }
        }
    }
}
