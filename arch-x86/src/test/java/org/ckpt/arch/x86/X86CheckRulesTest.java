package org.ckpt.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import org.ckpt.arch.x86.Images.RecordingTarget;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.UnsupportedImageException;
import org.junit.jupiter.api.Test;

/**
 * One test per check-phase rule: a full image whose CPU state breaks the rule, restarted
 * into a recording target that must never see a commit; the exception names the
 * register, its value and the rule.
 */
class X86CheckRulesTest {
    private static final X86_64State X64 = Fixtures.x86_64("kernel");
    private static final I386State I32 = Fixtures.i386Kernel();

    private static <T extends ImageException> T rejected(CpuState bad, RecordingTarget target, Class<T> type)
            throws Exception {
        // A LINUX_USER checkpoint refuses a state that breaks a rule of its own (not a target's)
        // with the same message: a checkpoint that succeeds restarts...
        if (target.cpu.allFeatures() && target.cpu.architecture().equals(bad.architecture())) {
            org.ckpt.spi.CheckpointException c = catchThrowableOfType(org.ckpt.spi.CheckpointException.class,
                    () -> Images.checkpoint(bad));
            assertThat(c).as("LINUX_USER checkpoint of the state").isNotNull();
            T again = catchThrowableOfType(type, () -> Images.restart(Images.checkpoint(bad,
                    org.ckpt.spi.RestorePolicy.EXACT), RecordingTarget.any(bad.architecture())));
            assertThat(c.getMessage()).endsWith(again.getMessage());
        }
        // ...so the image comes from an EXACT checkpoint, which keeps every register as it is.
        byte[] image = Images.checkpoint(bad, org.ckpt.spi.RestorePolicy.EXACT);
        T e = catchThrowableOfType(type, () -> Images.restart(image, target));
        assertThat(e).as("restart must fail with " + type.getSimpleName()).isNotNull();
        assertThat(target.commits).as("target must be left untouched").isEmpty();
        return e;
    }

    private static InvalidImageException invalid64(X86_64State bad) throws Exception {
        return rejected(bad, RecordingTarget.any("x86_64"), InvalidImageException.class);
    }

    private static X86_64State with(X86_64Regs r) {
        return new X86_64State(r, X64.fpu(), X64.xsave(), X64.debug());
    }

    private static X86_64State with(DebugRegs d) {
        return new X86_64State(X64.regs(), X64.fpu(), X64.xsave(), d);
    }

    private static X86_64Regs regs64(int index, long value) {
        long[] w = X64.regs().toArray();
        w[index] = value;
        return X86_64Regs.fromArray(w);
    }

    private static I386State with(I386Regs r) {
        return new I386State(r, I32.fpu(), I32.xsave(), I32.debug(), I32.tls());
    }

    private static I386Regs regs32(int index, int value) {
        int[] w = I32.regs().toArray();
        w[index] = value;
        return I386Regs.fromArray(w);
    }

    // ---- eflags ----

    @Test
    void eflagsKeepsOnlyPtraceFlagMaskBitsOnX86_64() throws Exception {
        // IOPL 3, VM, VIF, VIP, ID, IF cleared, bits 32-63: none may come from the image
        long hostile = 0xFFFF_FFFF_003F_7FFFL & ~0x200L;
        RecordingTarget t = RecordingTarget.any("x86_64");
        X86_64State got = (X86_64State) Images.restart(Images.checkpoint(with(X64.regs().withEflags(hostile))), t);
        assertThat(got.regs().eflags()).isEqualTo(0x202 | (hostile & 0x54DD5L));
        assertThat(got.regs().eflags() & 0x3000).as("IOPL").isZero();
        assertThat(got.regs().eflags() & 0x20000).as("VM").isZero();
        assertThat(got.regs().eflags() & 0x200).as("IF from the target default").isEqualTo(0x200);
        assertThat(t.committedCpu()).isEqualTo(got);
    }

    @Test
    void eflagsOnANativeI386TargetAlsoDropsNt() throws Exception {
        int hostile = 0x003F_7FFF;
        RecordingTarget t = RecordingTarget.of("i386", "avx", "pkru");
        I386State got = (I386State) Images.restart(Images.checkpoint(with(I32.regs().withEflags(hostile))), t);
        assertThat(got.regs().eflags()).isEqualTo(0x202 | (hostile & 0x50DD5));
        RecordingTarget compat = RecordingTarget.of("x86_64", "avx", "pkru");
        I386State got64 = (I386State) Images.restart(Images.checkpoint(with(I32.regs().withEflags(hostile))), compat);
        assertThat(got64.regs().eflags()).as("compat under x86_64 keeps NT").isEqualTo(0x202 | (hostile & 0x54DD5));
    }

    // ---- selectors ----

    @Test
    void x86_64CsMustBeTheUserCodeSelector() throws Exception {
        InvalidImageException e = invalid64(with(regs64(17, 0x10)));
        assertThat(e.getMessage()).contains("register cs = 0x10").contains("0x33");
    }

    @Test
    void x86_64SsMustBeTheUserStackSelector() throws Exception {
        InvalidImageException e = invalid64(with(regs64(20, 0x18)));
        assertThat(e.getMessage()).contains("register ss = 0x18").contains("0x2b");
    }

    @Test
    void i386CsMustBeAUserCodeSelector() throws Exception {
        InvalidImageException e = rejected(with(regs32(13, 0x33)), RecordingTarget.any("x86_64"),
                InvalidImageException.class);
        assertThat(e.getMessage()).contains("register cs = 0x33").contains("0x23").contains("0x73");
    }

    @Test
    void i386SsMustMatchCs() throws Exception {
        InvalidImageException e = rejected(with(regs32(16, 0x7b)), RecordingTarget.any("x86_64"),
                InvalidImageException.class);
        assertThat(e.getMessage()).contains("register ss = 0x7b").contains("0x2b");
    }

    @Test
    void dataSelectorsMustBeNullOrRpl3() throws Exception {
        InvalidImageException e = invalid64(with(regs64(23, 0x18)));
        assertThat(e.getMessage()).contains("register ds = 0x18").contains("RPL 3");
        e = invalid64(with(regs64(24, 0x10)));
        assertThat(e.getMessage()).contains("register es = 0x10");
        e = invalid64(with(regs64(25, 0x1_0003)));
        assertThat(e.getMessage()).contains("register fs = 0x10003").contains("16-bit");
        e = rejected(with(regs32(10, 0x62)), RecordingTarget.any("x86_64"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("register gs = 0x62");
    }

    @Test
    void i386SelectorsMayNotNameKernelGdtEntries() throws Exception {
        // GDT entry 2 (0x13 with RPL 3) is no user segment of either kernel
        InvalidImageException e = rejected(with(regs32(9, 0x13)), RecordingTarget.any("x86_64"),
                InvalidImageException.class);
        assertThat(e.getMessage()).contains("register fs = 0x13").contains("GDT entry 2");
    }

    // ---- user addresses ----

    @Test
    void ripMustBeAUserAddress() throws Exception {
        InvalidImageException e = invalid64(with(regs64(16, 0x7FFF_FFFF_F000L)));
        assertThat(e.getMessage()).contains("register rip = 0x7ffffffff000").contains("TASK_SIZE_MAX");
        e = invalid64(with(regs64(16, 0xFFFF_8000_0000_0000L)));
        assertThat(e.getMessage()).contains("register rip = 0xffff800000000000");
        X86_64State ok = with(regs64(16, 0x7FFF_FFFF_EFFFL));
        assertThat(Images.restart(Images.checkpoint(ok), RecordingTarget.any("x86_64"))).isEqualTo(ok);
    }

    @Test
    void eipMustBeAUserAddressForTheTargetKernel() throws Exception {
        InvalidImageException e = rejected(with(regs32(12, 0xFFFF_E000)), RecordingTarget.any("x86_64"),
                InvalidImageException.class);
        assertThat(e.getMessage()).contains("register eip = 0xffffe000");
        // 0xc0000000 is user space under an x86_64 kernel but kernel space under a native 3G/1G one
        I386State high = with(regs32(12, 0xC000_0000));
        assertThat(Images.restart(Images.checkpoint(high), RecordingTarget.of("x86_64", "avx", "pkru")))
                .isEqualTo(high);
        e = rejected(high, RecordingTarget.of("i386", "avx", "pkru"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("register eip = 0xc0000000").contains("0xc0000000");
    }

    @Test
    void fsBaseAndGsBaseMustBeUserAddresses() throws Exception {
        InvalidImageException e = invalid64(with(regs64(21, 0xFFFF_FFFF_FF60_0000L)));
        assertThat(e.getMessage()).contains("register fs_base = 0xffffffffff600000");
        e = invalid64(with(regs64(22, 0x0000_8000_0000_0000L)));
        assertThat(e.getMessage()).contains("register gs_base = 0x800000000000");
    }

    // ---- debug registers ----

    @Test
    void debugAddressRegistersMustBeUserAddresses() throws Exception {
        InvalidImageException e = invalid64(with(new DebugRegs(0, 0, 0xFFFF_FFFF_8100_0000L, 0, 0, 0)));
        assertThat(e.getMessage()).contains("register dr2 = 0xffffffff81000000").contains("user");
        e = rejected(new I386State(I32.regs(), I32.fpu(), I32.xsave(), new DebugRegs(0, 0, 0, 0xC000_0000L, 0, 0),
                I32.tls()), RecordingTarget.of("i386", "avx", "pkru"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("register dr3 = 0xc0000000");
    }

    @Test
    void dr7MayNotSetGeneralDetect() throws Exception {
        InvalidImageException e = invalid64(with(new DebugRegs(0, 0, 0, 0, 0, 0x2000)));
        assertThat(e.getMessage()).contains("register dr7 = 0x2000").contains("GD");
    }

    @Test
    void dr7MayNotEnableKernelOnlyBreakpoints() throws Exception {
        // an I/O breakpoint (R/W0 = 10)
        InvalidImageException e = invalid64(with(new DebugRegs(0x1000, 0, 0, 0, 0, 0x0002_0001L)));
        assertThat(e.getMessage()).contains("register dr7 = 0x20001").contains("I/O");
        // a breakpoint whose 8 bytes reach past the user limit
        e = invalid64(with(new DebugRegs(0, 0x7FFF_FFFF_EFF8L + 8, 0, 0, 0, 0x00B0_0004L)));
        assertThat(e.getMessage()).contains("dr1");
        // reserved control bits 32-63 and 10-15
        e = invalid64(with(new DebugRegs(0, 0, 0, 0, 0, 0x1_0000_0000L)));
        assertThat(e.getMessage()).contains("register dr7 = 0x100000000").contains("reserved");
        // misaligned 4-byte watchpoint
        e = invalid64(with(new DebugRegs(0x1002, 0, 0, 0, 0, 0x000D_0001L)));
        assertThat(e.getMessage()).contains("register dr0 = 0x1002").contains("aligned");
    }

    // ---- MXCSR ----

    @Test
    void mxcsrBitsOutsideTheMaskAreRejected() throws Exception {
        X86_64State bad = new X86_64State(X64.regs(), X64.fpu().withMxcsr(0x1F80 | 0x40, 0xFFBF), X64.xsave(),
                X64.debug());
        InvalidImageException e = invalid64(bad);
        assertThat(e.getMessage()).contains("register mxcsr = 0x1fc0").contains("mxcsr_mask 0xffbf");
        // a zero (unrecorded, as gdb writes it) mask means bits 0-15: DAZ passes, bit 16 does not
        X86_64State daz = new X86_64State(X64.regs(), X64.fpu().withMxcsr(0x3FC0, 0), X64.xsave(), X64.debug());
        assertThat(Images.restart(Images.checkpoint(daz), RecordingTarget.any("x86_64"))).isEqualTo(daz);
        e = invalid64(new X86_64State(X64.regs(), X64.fpu().withMxcsr(0x11F80, 0), X64.xsave(), X64.debug()));
        assertThat(e.getMessage()).contains("register mxcsr = 0x11f80").contains("mxcsr_mask 0xffff");
        // AMD's MM bit (17) needs a target that declares misalignsse
        X86_64State mm = new X86_64State(X64.regs(), X64.fpu().withMxcsr(0x21F80, 0x2FFFF), X64.xsave(), X64.debug());
        UnsupportedImageException u = rejected(mm, RecordingTarget.of("x86_64", "avx", "pkru"),
                UnsupportedImageException.class);
        assertThat(u.getMessage()).contains("register mxcsr = 0x21f80").contains("misalignsse");
        // a hostile mask cannot make reserved bits loadable
        e = invalid64(new X86_64State(X64.regs(), X64.fpu().withMxcsr(0x1F80, 0xFFFFFFFF), X64.xsave(), X64.debug()));
        assertThat(e.getMessage()).contains("register mxcsr_mask = 0xffffffff");
    }

    // ---- XSAVE features ----

    @Test
    void xsaveFeaturesTheTargetLacksAreRejected() throws Exception {
        UnsupportedImageException e = rejected(X64, RecordingTarget.of("x86_64", "avx"),
                UnsupportedImageException.class);
        assertThat(e.getMessage()).contains("register xcr0 = 0x207").contains("PKRU").contains("'pkru'");
        e = rejected(I32, RecordingTarget.of("x86_64", "pkru"), UnsupportedImageException.class);
        assertThat(e.getMessage()).contains("AVX").contains("'avx'");
    }

    // ---- bitness ----

    @Test
    void x86_64ImageOnAnI386TargetIsRejected() throws Exception {
        UnsupportedImageException e = rejected(X64, RecordingTarget.any("i386"), UnsupportedImageException.class);
        assertThat(e.getMessage()).contains("an x86_64 image cannot restart on an i386 target");
    }

    // ---- TLS ----

    @Test
    void tlsDescriptorsMustBeUserDataSegmentsOfTheImagesKernel() throws Exception {
        List<UserDesc> code = List.of(I32.tls().get(0), new UserDesc(13, 0x1000, 0xFFFFF, 0x55), I32.tls().get(2));
        InvalidImageException e = rejected(new I386State(I32.regs(), I32.fpu(), I32.xsave(), I32.debug(), code),
                RecordingTarget.any("x86_64"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("tls[1].flags = 0x55").contains("code segment");
        List<UserDesc> wrongEntry = List.of(I32.tls().get(0), I32.tls().get(1), UserDesc.empty(8));
        e = rejected(new I386State(I32.regs(), I32.fpu(), I32.xsave(), I32.debug(), wrongEntry),
                RecordingTarget.any("x86_64"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("tls[2].entry_number = 8");
    }
}
