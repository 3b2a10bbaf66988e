package org.ckpt.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * What an ELF core file of one architecture looks like: class, byte order, machine, and
 * the sizes of the process-level structures Linux writes in its notes
 * ({@code elf_prstatus} around the registers, {@code elf_prpsinfo}). The register block
 * itself ({@code pr_reg}) belongs to the arch modules ({@link CpuNotes}).
 */
enum ElfArch {
    X86_64("x86_64", 62, true, ByteOrder.LITTLE_ENDIAN, 216),
    I386("i386", 3, false, ByteOrder.LITTLE_ENDIAN, 68),
    PPC64("ppc64", 21, true, ByteOrder.BIG_ENDIAN, 48 * 8),
    PPC32("ppc32", 20, false, ByteOrder.BIG_ENDIAN, 48 * 4);

    static final int NT_PRSTATUS = 1;
    static final int NT_PRFPREG = 2;
    static final int NT_PRPSINFO = 3;
    static final int NT_AUXV = 6;
    static final int NT_PPC_VMX = 0x100;
    static final int NT_PPC_SPE = 0x101;
    static final int NT_PPC_VSX = 0x102;
    static final int NT_386_TLS = 0x200;
    static final int NT_X86_XSTATE = 0x202;
    static final int NT_X86_XSAVE_LAYOUT = 0x205;
    static final int NT_SIGINFO = 0x53494749;
    static final int NT_FILE = 0x46494c45;
    static final int NT_PRXFPREG = 0x46e62b7f;

    final String architecture;
    final int machine;
    final boolean is64;
    final ByteOrder order;
    /** Bytes of {@code pr_reg} in {@code elf_prstatus} (what PTRACE_GETREGSET NT_PRSTATUS returns). */
    final int regsSize;

    ElfArch(String architecture, int machine, boolean is64, ByteOrder order, int regsSize) {
        this.architecture = architecture;
        this.machine = machine;
        this.is64 = is64;
        this.order = order;
        this.regsSize = regsSize;
    }

    static ElfArch of(String architecture) {
        for (ElfArch a : values()) {
            if (a.architecture.equals(architecture)) {
                return a;
            }
        }
        return null;
    }

    static ElfArch of(int machine, boolean is64, ByteOrder order) {
        for (ElfArch a : values()) {
            if (a.machine == machine && a.is64 == is64 && a.order == order) {
                return a;
            }
        }
        return null;
    }

    int word() {
        return is64 ? 8 : 4;
    }

    /** Offset of {@code pr_reg} in {@code elf_prstatus}: signal info, cursig, two masks, four ids, four timevals. */
    int regsOffset() {
        return 16 + 2 * word() + 16 + 8 * word();
    }

    /** Size of an {@code NT_PRSTATUS} descriptor: registers, {@code pr_fpvalid}, padding to a word. */
    int prStatusSize() {
        int end = regsOffset() + regsSize + 4;
        return (end + word() - 1) / word() * word();
    }

    /** The process header of {@code elf_prstatus}: everything but the registers. */
    record PrHeader(int signo, int code, int errno, int cursig, long sigpend, long sighold, int pid, int ppid,
                    int pgrp, int sid, long utimeMicros, long stimeMicros, long cutimeMicros, long cstimeMicros,
                    int fpvalid) {
        static PrHeader of(int pid, int ppid, int pgrp, int sid) {
            return new PrHeader(0, 0, 0, 0, 0, 0, pid, ppid, pgrp, sid, 0, 0, 0, 0, 1);
        }
    }

    /** An {@code NT_PRSTATUS} descriptor of {@code regs} (exactly {@link #regsSize} bytes) and {@code h}. */
    byte[] prStatus(PrHeader h, byte[] regs) {
        if (regs.length != regsSize) {
            throw new IllegalArgumentException(architecture + " registers are " + regsSize + " bytes, got " + regs.length);
        }
        ByteBuffer b = ByteBuffer.allocate(prStatusSize()).order(order);
        b.putInt(h.signo()).putInt(h.code()).putInt(h.errno()).putShort((short) h.cursig()).putShort((short) 0);
        word(b, h.sigpend());
        word(b, h.sighold());
        b.putInt(h.pid()).putInt(h.ppid()).putInt(h.pgrp()).putInt(h.sid());
        for (long micros : new long[] {h.utimeMicros(), h.stimeMicros(), h.cutimeMicros(), h.cstimeMicros()}) {
            word(b, micros / 1_000_000);
            word(b, micros % 1_000_000);
        }
        b.put(regs).putInt(h.fpvalid());
        return b.array();
    }

    /** The header of an {@code NT_PRSTATUS} descriptor. */
    PrHeader prHeader(byte[] desc) {
        requireSize("NT_PRSTATUS", desc, prStatusSize());
        ByteBuffer b = ByteBuffer.wrap(desc).order(order);
        int signo = b.getInt();
        int code = b.getInt();
        int errno = b.getInt();
        int cursig = b.getShort() & 0xFFFF;
        b.getShort();
        long sigpend = word(b);
        long sighold = word(b);
        int pid = b.getInt();
        int ppid = b.getInt();
        int pgrp = b.getInt();
        int sid = b.getInt();
        long[] t = new long[4];
        for (int i = 0; i < 4; i++) {
            t[i] = word(b) * 1_000_000 + word(b);
        }
        b.position(regsOffset() + regsSize);
        return new PrHeader(signo, code, errno, cursig, sigpend, sighold, pid, ppid, pgrp, sid, t[0], t[1], t[2], t[3],
                b.getInt());
    }

    /** The {@code pr_reg} bytes of an {@code NT_PRSTATUS} descriptor. */
    byte[] prRegs(byte[] desc) {
        requireSize("NT_PRSTATUS", desc, prStatusSize());
        byte[] r = new byte[regsSize];
        System.arraycopy(desc, regsOffset(), r, 0, regsSize);
        return r;
    }

    /** What {@code elf_prpsinfo} says about a process. */
    record PsInfo(char state, int nice, long flags, int uid, int gid, int pid, int ppid, int pgrp, int sid,
                  String fname, String psargs) {
    }

    int prPsInfoSize() {
        return switch (this) {
            case X86_64, PPC64 -> 136;
            case I386 -> 124;
            case PPC32 -> 128;
        };
    }

    byte[] prPsInfo(PsInfo p) {
        ByteBuffer b = ByteBuffer.allocate(prPsInfoSize()).order(order);
        char s = p.state();
        int sname = "RSDTZW".indexOf(s);
        b.put((byte) Math.max(sname, 0)).put((byte) s).put((byte) (s == 'Z' ? 1 : 0)).put((byte) p.nice());
        if (is64) {
            b.putInt(0).putLong(p.flags()).putInt(p.uid()).putInt(p.gid());
        } else if (this == I386) {
            b.putInt((int) p.flags()).putShort((short) p.uid()).putShort((short) p.gid());
        } else {
            b.putInt((int) p.flags()).putInt(p.uid()).putInt(p.gid());
        }
        b.putInt(p.pid()).putInt(p.ppid()).putInt(p.pgrp()).putInt(p.sid());
        b.put(fixed(p.fname(), 16)).put(fixed(p.psargs(), 80));
        return b.array();
    }

    PsInfo psInfo(byte[] desc) {
        requireSize("NT_PRPSINFO", desc, prPsInfoSize());
        ByteBuffer b = ByteBuffer.wrap(desc).order(order);
        b.get();
        char state = (char) (b.get() & 0xFF);
        b.get();
        int nice = b.get();
        long flags;
        int uid;
        int gid;
        if (is64) {
            b.getInt();
            flags = b.getLong();
            uid = b.getInt();
            gid = b.getInt();
        } else if (this == I386) {
            flags = b.getInt() & 0xFFFF_FFFFL;
            uid = b.getShort() & 0xFFFF;
            gid = b.getShort() & 0xFFFF;
        } else {
            flags = b.getInt() & 0xFFFF_FFFFL;
            uid = b.getInt();
            gid = b.getInt();
        }
        int pid = b.getInt();
        int ppid = b.getInt();
        int pgrp = b.getInt();
        int sid = b.getInt();
        byte[] fname = new byte[16];
        byte[] args = new byte[80];
        b.get(fname).get(args);
        return new PsInfo(state, nice, flags, uid, gid, pid, ppid, pgrp, sid, cString(fname), cString(args));
    }

    private static byte[] fixed(String s, int n) {
        byte[] out = new byte[n];
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(in, 0, out, 0, Math.min(in.length, n - 1));
        return out;
    }

    static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    void word(ByteBuffer b, long v) {
        if (is64) {
            b.putLong(v);
        } else {
            b.putInt((int) v);
        }
    }

    long word(ByteBuffer b) {
        return is64 ? b.getLong() : b.getInt() & 0xFFFF_FFFFL;
    }

    private static void requireSize(String note, byte[] desc, int size) {
        if (desc.length != size) {
            throw new IllegalArgumentException(note + " must be " + size + " bytes, got " + desc.length);
        }
    }
}
