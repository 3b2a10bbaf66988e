package org.ckpt.fuzz;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ckpt.arch.powerpc.AltivecRegs;
import org.ckpt.arch.powerpc.FpRegs;
import org.ckpt.arch.powerpc.GeneralRegs;
import org.ckpt.arch.powerpc.PowerPc;
import org.ckpt.arch.powerpc.PowerPcCpuState;
import org.ckpt.arch.powerpc.PowerPcDebugRegs;
import org.ckpt.arch.powerpc.Vector128;
import org.ckpt.arch.x86.FxSave;
import org.ckpt.arch.x86.I386Regs;
import org.ckpt.arch.x86.I386State;
import org.ckpt.arch.x86.X86DebugRegs;
import org.ckpt.arch.x86.X86_64Regs;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.arch.x86.XFeature;
import org.ckpt.arch.x86.XSave;
import org.ckpt.model.PageData;
import org.ckpt.model.Vma;

/**
 * The CPU states and extra areas of the {@code -exact} base images: what only the
 * {@code EXACT} policy accepts (a guest at reset or in its kernel, as an emulator or a
 * debugger saves it), so the fuzzers start from the EXACT-only readers and rules:
 * X86_FPU_EXT, DEBUGREGS with kernel addresses, debug registers and TLS descriptors unknown
 * (the readers' paths without those records, which a record target cannot remove), a 32-bit
 * PowerPC MSR kept as saved, areas above the user limits. Fixed values and fixed-seed filler,
 * so a regeneration gives the same states.
 */
final class ExactStates {
    private ExactStates() {
    }

    /** Linux x86_64 kernel text (__START_KERNEL_map + 16 MiB). */
    static final long KERNEL_TEXT = 0xFFFF_FFFF_8100_0000L;
    /** The page of the i386 and ppc32 reset vectors, the last page of a 32-bit address space. */
    static final long TOP_PAGE_32 = 0xFFFF_F000L;

    /**
     * A 64-bit task stopped in its kernel: CS = SS = 0, eflags without IF (IOPL 3), rip and
     * gs_base in the kernel half, fs_base non-canonical; x87 state with FCS/FDS and a full
     * tag word FXSAVE cannot hold (so X86_FPU_EXT is written), MXCSR beyond its mask, AVX
     * state, and breakpoints on kernel and non-canonical addresses.
     */
    static X86_64State x86_64() {
        SplittableRandom rnd = new SplittableRandom(0x0106_0064L);
        X86_64Regs regs = X86_64Regs.builder()
                .r15(rnd.nextLong()).r14(rnd.nextLong()).r13(rnd.nextLong()).r12(rnd.nextLong())
                .rbp(rnd.nextLong()).rbx(rnd.nextLong()).r11(rnd.nextLong()).r10(rnd.nextLong())
                .r9(rnd.nextLong()).r8(rnd.nextLong()).rax(rnd.nextLong()).rcx(rnd.nextLong())
                .rdx(rnd.nextLong()).rsi(rnd.nextLong()).rdi(rnd.nextLong())
                .rip(KERNEL_TEXT + 0x10).rsp(0xFFFF_C900_0000_3F58L).eflags(0x3046)
                .fsBase(0x8000_0000_0000L).gsBase(0xFFFF_8880_7FC0_0000L)
                .build();
        // ST(0) = 1.0 in physical register 7 (TOP 7), tagged special: not the derived tag (valid).
        FxSave fpu = FxSave.builder().fsw(0x3800).st(0, new byte[] {0, 0, 0, 0, 0, 0, 0, (byte) 0x80, (byte) 0xFF,
            0x3F}).tagWord(0xBFFF).fop(0x1D9).fip(KERNEL_TEXT + 0x20).fdp(0xFFFF_8880_0000_1000L).fcs(0x10).fds(0x18)
                .mxcsr(0xFFFF).mxcsrMask(0xFFBF).xmm(bytes(rnd, FxSave.XMM_BYTES)).build();
        long xcr0 = XFeature.X87.mask() | XFeature.SSE.mask() | XFeature.AVX.mask();
        XSave xsave = new XSave(xcr0, xcr0, List.of(new XSave.Component(XFeature.AVX,
                bytes(rnd, XFeature.AVX.size()))));
        // L0|G0, LE|GE, breakpoint 0 on 8-byte writes; DR6 with BS.
        X86DebugRegs debug = new X86DebugRegs(KERNEL_TEXT + 0x10, 0xFFFF_8880_7FC0_0000L, 0x8000_0000_0000L,
                0xFFFF_FFFF_FFFF_FFF8L, 0xFFFF_4FF1L, 0x9_0303L);
        return new X86_64State(regs, fpu, xsave, debug);
    }

    /** Two pages of kernel text, rip's. */
    static Vma x86_64Area() {
        byte[] text = new byte[8192];
        text[0x10] = (byte) 0xF4; // hlt
        return Vma.anonymous(KERNEL_TEXT, KERNEL_TEXT + 8192, Vma.PROT_READ | Vma.PROT_EXEC,
                PageData.of(KERNEL_TEXT, text));
    }

    /**
     * A 32-bit task at the reset vector: CS 0xf000, eip 0xfff0, the other selectors 0, eflags
     * 0x2; a full tag word other than the derived one (X86_FPU_EXT written); no XSAVE state; debug
     * registers and TLS descriptors unknown (regs flags bits 1 and 2: no X86_DEBUGREGS, no
     * X86_TLS32).
     */
    static I386State i386() {
        SplittableRandom rnd = new SplittableRandom(0x0106_0032L);
        I386Regs regs = I386Regs.builder()
                .ebx(rnd.nextInt()).ecx(rnd.nextInt()).edx(0x0663).esi(rnd.nextInt()).edi(rnd.nextInt())
                .ebp(rnd.nextInt()).eax(rnd.nextInt())
                .eip(0xFFF0).cs(0xF000)
                .build();
        // The 32-bit FXSAVE format holds FCS/FDS itself; physical register 0 (ST(0)) holds +0
        // but is tagged valid, not zero: a full tag word only X86_FPU_EXT can carry.
        FxSave fpu = FxSave.builder().pointers32(0xFFF0, 0xF000, 0x0400, 0x0040).tagWord(0xFFFC).build();
        return new I386State(regs, fpu, null, null, null);
    }

    /** The last page of the address space, with a far jump at the reset vector 0xfffffff0. */
    static Vma i386Area() {
        byte[] page = new byte[4096];
        byte[] jmp = {(byte) 0xEA, 0x5B, (byte) 0xE0, 0x00, (byte) 0xF0}; // jmp f000:e05b
        System.arraycopy(jmp, 0, page, 0xFF0, jmp.length);
        return Vma.anonymous(TOP_PAGE_32, 1L << 32, Vma.PROT_READ | Vma.PROT_EXEC, PageData.of(TOP_PAGE_32, page));
    }

    /**
     * A 32-bit PowerPC at its boot page: MSR 0x2040 (FP, IP), nip 0xfffffffc; every word within
     * 32 bits; fpexc_mode outside FE0|FE1 and DABR without DABR_TRANSLATION (both refused by
     * LINUX_USER); FP, DEBUG and AltiVec without VSX (a combination no other base image has).
     */
    static PowerPcCpuState ppc32() {
        SplittableRandom rnd = new SplittableRandom(0x0120_0032L);
        long[] gpr = new long[GeneralRegs.GPR_COUNT];
        for (int i = 0; i < gpr.length; i++) {
            gpr[i] = rnd.nextLong() & 0xFFFF_FFFFL;
        }
        GeneralRegs regs = GeneralRegs.builder().gpr(gpr).nip(0xFFFF_FFFCL).msr(PowerPc.MSR_FP | 0x40)
                .ctr(0xFFFF_F000L).link(0xFFFF_FFFCL).xer(PowerPc.XER_CA).ccr(0x2200_0000L).trap(0x100).build();
        long[] fpr = new long[FpRegs.FPR_COUNT];
        for (int i = 0; i < fpr.length; i++) {
            fpr[i] = rnd.nextLong();
        }
        List<Vector128> vr = new ArrayList<>();
        for (int i = 0; i < AltivecRegs.VR_COUNT; i++) {
            vr.add(new Vector128(rnd.nextLong(), rnd.nextLong()));
        }
        return PowerPcCpuState.builder(PowerPc.PPC32).regs(regs)
                .fp(new FpRegs(fpr, 0x8200_0000L, 0x4))
                .debug(PowerPcDebugRegs.of(0xFFFF_F003L))
                .altivec(new AltivecRegs(vr, 0x0001_0000, 0xFFFF_FFFF))
                .build();
    }

    /** The boot page at 0xfffff000, ending at 2^32: "b ." at the reset vector 0xfffffffc. */
    static Vma ppc32Area() {
        byte[] page = new byte[4096];
        byte[] branch = {0x48, 0x00, 0x00, 0x00}; // b . (big-endian)
        System.arraycopy(branch, 0, page, 0xFFC, branch.length);
        return Vma.anonymous(TOP_PAGE_32, 1L << 32, Vma.PROT_READ | Vma.PROT_EXEC,
                PageData.of(TOP_PAGE_32, ByteBuffer.wrap(page)));
    }

    private static byte[] bytes(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }
}
