package org.ckpt.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import org.ckpt.arch.x86.Images.RecordingTarget;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.RestorePolicy;
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

    /** A LINUX_USER rule: refused by that policy in both directions, kept bit for bit by EXACT. */
    private static <T extends ImageException> T rejected(CpuState bad, RecordingTarget target, Class<T> type)
            throws Exception {
        return rejected(bad, target, type, true);
    }

    /** A rule of both policies (representability): refused by either, in both directions. */
    private static <T extends ImageException> T rejectedByBoth(CpuState bad, RecordingTarget target, Class<T> type)
            throws Exception {
        return rejected(bad, target, type, false);
    }

    private static <T extends ImageException> T rejected(CpuState bad, RecordingTarget target, Class<T> type,
                                                         boolean exactKeeps) throws Exception {
        // The bytes a checkpoint would write for the state, restarted: refused, nothing committed...
        byte[] image = Images.checkpointUnchecked(bad, target.policy);
        T e = catchThrowableOfType(type, () -> Images.restart(image, target));
        assertThat(e).as("restart must fail with " + type.getSimpleName()).isNotNull();
        assertThat(target.commits).as("target must be left untouched").isEmpty();
        if (target.cpu.allFeatures() && target.cpu.architecture().equals(bad.architecture())) {
            // ...and a LINUX_USER checkpoint, which stands for that restart, refuses the state with
            // the same message: a checkpoint that succeeds restarts.
            org.ckpt.spi.CheckpointException c = catchThrowableOfType(org.ckpt.spi.CheckpointException.class,
                    () -> Images.checkpoint(bad));
            assertThat(c).as("LINUX_USER checkpoint of the state").isNotNull();
            assertThat(c.getMessage()).endsWith(e.getMessage());
            if (exactKeeps) {
                // EXACT has no such rule: the state comes back as it was.
                RecordingTarget emulator = RecordingTarget.exact(bad.architecture());
                assertThat(Images.restart(Images.checkpoint(bad, RestorePolicy.EXACT), emulator)).isEqualTo(bad);
                assertThat(emulator.committedCpu()).isEqualTo(bad);
            } else {
                org.ckpt.spi.CheckpointException x = catchThrowableOfType(org.ckpt.spi.CheckpointException.class,
                        () -> Images.checkpoint(bad, RestorePolicy.EXACT));
                assertThat(x).as("EXACT checkpoint of the state").isNotNull();
                RecordingTarget emulator = RecordingTarget.exact(bad.architecture());
                T ex = catchThrowableOfType(type, () -> Images.restart(Images.checkpointUnchecked(bad,
                        RestorePolicy.EXACT), emulator));
                assertThat(ex).as("EXACT restart").isNotNull();
                assertThat(emulator.commits).isEmpty();
                assertThat(x.getMessage()).endsWith(ex.getMessage());
            }
        }
        return e;
    }

    private static InvalidImageException invalid64(X86_64State bad) throws Exception {
        return rejected(bad, RecordingTarget.any("x86_64"), InvalidImageException.class);
    }

    private static X86_64State with(X86_64Regs r) {
        return new X86_64State(r, X64.fpu(), X64.xsave(), X64.debug());
    }

    private static X86_64State with(X86DebugRegs d) {
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
        e = rejectedByBoth(with(regs64(25, 0x1_0003)), RecordingTarget.any("x86_64"), InvalidImageException.class);
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
        InvalidImageException e = invalid64(with(new X86DebugRegs(0, 0, 0xFFFF_FFFF_8100_0000L, 0, 0, 0)));
        assertThat(e.getMessage()).contains("register dr2 = 0xffffffff81000000").contains("user");
        e = rejected(new I386State(I32.regs(), I32.fpu(), I32.xsave(), new X86DebugRegs(0, 0, 0, 0xC000_0000L, 0, 0),
                I32.tls()), RecordingTarget.of("i386", "avx", "pkru"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("register dr3 = 0xc0000000");
    }

    @Test
    void dr7MayNotSetGeneralDetect() throws Exception {
        InvalidImageException e = invalid64(with(new X86DebugRegs(0, 0, 0, 0, 0, 0x2000)));
        assertThat(e.getMessage()).contains("register dr7 = 0x2000").contains("GD");
    }

    @Test
    void dr7MayNotEnableKernelOnlyBreakpoints() throws Exception {
        // an I/O breakpoint (R/W0 = 10)
        InvalidImageException e = invalid64(with(new X86DebugRegs(0x1000, 0, 0, 0, 0, 0x0002_0001L)));
        assertThat(e.getMessage()).contains("register dr7 = 0x20001").contains("I/O");
        // a breakpoint whose 8 bytes reach past the user limit
        e = invalid64(with(new X86DebugRegs(0, 0x7FFF_FFFF_EFF8L + 8, 0, 0, 0, 0x00B0_0004L)));
        assertThat(e.getMessage()).contains("dr1");
        // reserved control bits 32-63 and 10-15
        e = invalid64(with(new X86DebugRegs(0, 0, 0, 0, 0, 0x1_0000_0000L)));
        assertThat(e.getMessage()).contains("register dr7 = 0x100000000").contains("reserved");
        // misaligned 4-byte watchpoint
        e = invalid64(with(new X86DebugRegs(0x1002, 0, 0, 0, 0, 0x000D_0001L)));
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

    @Test
    void dr6MayNotSetBits32To63() throws Exception {
        InvalidImageException e = invalid64(with(new X86DebugRegs(0, 0, 0, 0, 0x1_FFFF_0FF0L, 0)));
        assertThat(e.getMessage()).contains("register dr6 = 0x1ffff0ff0").contains("reserved");
    }

    @Test
    void executeBreakpointsNeedLength1() throws Exception {
        // DR0 enabled (L0), R/W0 = 00 (execute), LEN0 = 11 (4 bytes)
        InvalidImageException e = invalid64(with(new X86DebugRegs(0x1000, 0, 0, 0, 0, 0x000C_0001L)));
        assertThat(e.getMessage()).contains("register dr7 = 0xc0001").contains("execute breakpoint");
    }

    @Test
    void eightByteBreakpointsNeedA64BitKernel() throws Exception {
        // DR0 enabled, R/W0 = 01 (write), LEN0 = 10 (8 bytes): fine in compat mode, not on a native i386 kernel
        I386State s = new I386State(I32.regs(), I32.fpu(), I32.xsave(), new X86DebugRegs(0x1000, 0, 0, 0, 0,
                0x0009_0001L), I32.tls());
        assertThat(Images.restart(Images.checkpoint(s), RecordingTarget.of("x86_64", "avx", "pkru"))).isEqualTo(s);
        InvalidImageException e = rejected(s, RecordingTarget.of("i386", "avx", "pkru"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("register dr7 = 0x90001").contains("LEN0 = 10")
                .contains("native i386 kernel");
    }

    @Test
    void i386DebugRegistersMustFit32BitsUnderEveryPolicy() throws Exception {
        I386State bad = new I386State(I32.regs(), I32.fpu(), I32.xsave(), new X86DebugRegs(0, 0x1_0000_1000L, 0, 0,
                0, 0), I32.tls());
        InvalidImageException e = rejectedByBoth(bad, RecordingTarget.any("i386"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("register dr1 = 0x100001000").contains("32 bits");
        e = rejectedByBoth(bad.withDebug(X86DebugRegs.NONE.withDr7(0xFFFF_FFFF_0000_0400L)),
                RecordingTarget.any("i386"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("register dr7 = 0xffffffff00000400").contains("32 bits");
    }

    @Test
    void selectorsMustFit16BitsUnderEveryPolicy() throws Exception {
        InvalidImageException e = rejectedByBoth(with(regs64(17, 0x1_0033)), RecordingTarget.any("x86_64"),
                InvalidImageException.class);
        assertThat(e.getMessage()).contains("register cs = 0x10033").contains("16-bit");
        e = rejectedByBoth(with(regs32(16, 0xFFFF_002B)), RecordingTarget.any("i386"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("register ss = 0xffff002b").contains("16-bit");
    }

    @Test
    void tlsFlagsBeyondUserDescAreRejected() throws Exception {
        InvalidImageException e = rejected(tls(1, new UserDesc(13, 0x1000, 0xFFFFF, 0x151)),
                RecordingTarget.any("i386"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("tls[1].flags = 0x151").contains("8 flags");
    }

    @Test
    void tlsSegmentsMustBe32BitPresentAndWithin20BitLimits() throws Exception {
        InvalidImageException e = rejected(tls(0, new UserDesc(12, 0x1000, 0xFFFFF, 0x50)),
                RecordingTarget.any("i386"), InvalidImageException.class);
        assertThat(e.getMessage()).contains("tls[0].flags = 0x50").contains("32-bit");
        e = rejected(tls(0, new UserDesc(12, 0x1000, 0xFFFFF, 0x71)), RecordingTarget.any("i386"),
                InvalidImageException.class);
        assertThat(e.getMessage()).contains("tls[0].flags = 0x71").contains("not-present");
        e = rejected(tls(2, new UserDesc(14, 0x1000, 0x100000, 0x51)), RecordingTarget.any("i386"),
                InvalidImageException.class);
        assertThat(e.getMessage()).contains("tls[2].limit = 0x100000").contains("20-bit");
    }

    @Test
    void unknownDebugRegistersAndTlsPassLinuxUserAndStayUnknown() throws Exception {
        X86_64State noDebug = X64.withDebug(null);
        assertThat(Images.restart(Images.checkpoint(noDebug), RecordingTarget.any("x86_64"))).isEqualTo(noDebug);
        I386State unknown = I32.withDebug(null).withTls(null);
        assertThat(Images.restart(Images.checkpoint(unknown), RecordingTarget.any("x86_64"))).isEqualTo(unknown);
        // onto a native kernel the selectors still move to its layout; the descriptors stay unknown
        I386State got = (I386State) Images.restart(Images.checkpoint(unknown), RecordingTarget.of("i386", "avx",
                "pkru"));
        assertThat(got.tls()).isNull();
        assertThat(got.debug()).isNull();
        assertThat(got.regs().gs()).isEqualTo(0x33);
    }

    private static I386State tls(int slot, UserDesc d) {
        List<UserDesc> l = new java.util.ArrayList<>(I32.tls());
        l.set(slot, d);
        return I32.withTls(l);
    }
}
