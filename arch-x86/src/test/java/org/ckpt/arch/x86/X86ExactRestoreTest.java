package org.ckpt.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.arch.x86.Images.RecordingTarget;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.RestorePolicy;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, as an emulator author meets it: guests stopped anywhere, checkpointed under
 * EXACT, restarted into a fresh emulator (an EXACT target declaring every feature) and
 * into the model: every register comes back bit for bit, and re-checkpointing the result
 * gives the same bytes. The same states under LINUX_USER: the checkpoint refuses exactly
 * what the restart would, with its message.
 */
class X86ExactRestoreTest {
    private static final int FPU_EXT = 0x0106;
    private static final int DEBUGREGS = 0x0104;
    private static final int TLS32 = 0x0105;

    /** EXACT round trip into an emulator and into the model, bit for bit and byte-stable; returns the image. */
    private static byte[] exact(CpuState s) throws Exception {
        byte[] image = Images.checkpoint(s, RestorePolicy.EXACT);
        RecordingTarget emulator = RecordingTarget.exact(s.architecture());
        assertThat(Images.restart(image, emulator)).isEqualTo(s);
        assertThat(emulator.committedCpu()).isEqualTo(s);
        CpuState model = Images.restart(image);
        assertThat(model).isEqualTo(s);
        assertThat(Images.checkpoint(model, RestorePolicy.EXACT)).isEqualTo(image);
        return image;
    }

    /** LINUX_USER refuses {@code s} in both directions with the same message; returns it. */
    private static String linuxUserRefuses(CpuState s) throws Exception {
        CheckpointException c = catchThrowableOfType(CheckpointException.class, () -> Images.checkpoint(s));
        assertThat(c).as("LINUX_USER checkpoint").isNotNull();
        RecordingTarget linux = RecordingTarget.any(s.architecture());
        ImageException e = catchThrowableOfType(ImageException.class,
                () -> Images.restart(Images.checkpointUnchecked(s, RestorePolicy.LINUX_USER), linux));
        assertThat(e).as("LINUX_USER restart").isNotNull();
        assertThat(linux.commits).isEmpty();
        assertThat(c.getMessage()).endsWith(e.getMessage());
        return e.reason();
    }

    @Test
    void aGuestAtResetHasCsAndSsZero() throws Exception {
        X86_64State reset = X86_64State.of(X86_64Regs.builder().rip(0xFFF0).build());
        assertThat(reset.regs().cs()).isZero();
        assertThat(reset.regs().ss()).isZero();
        assertThat(reset.regs().eflags()).isEqualTo(0x2);
        exact(reset);
        assertThat(linuxUserRefuses(reset)).contains("register cs = 0x0").contains("0x33");
        I386State reset32 = I386State.of(I386Regs.builder().eip(0xFFF0).cs(0xF000).build());
        exact(reset32);
        assertThat(linuxUserRefuses(reset32)).contains("register cs = 0xf000");
    }

    @Test
    void everyRflagsBitIsKept() throws Exception {
        X86_64State s = Fixtures.x86_64("kernel").withRegs(Fixtures.x86_64("kernel").regs().withEflags(0x47));
        exact(s);
        // LINUX_USER rebuilds the flags as ptrace does (IF from the target): 0x47 -> 0x247
        X86_64State linux = (X86_64State) Images.restart(Images.checkpoint(s), RecordingTarget.any("x86_64"));
        assertThat(linux.regs().eflags()).isEqualTo(0x247);
        // IOPL 3, VM, VIF, VIP, ID, the reserved bits: all come back under EXACT
        exact(s.withRegs(s.regs().withEflags(-1L)));
        exact(s.withRegs(s.regs().withEflags(0x3_7FD7)));
        I386State i = Fixtures.i386Kernel();
        exact(i.withRegs(i.regs().withEflags(0xFFFF_FFFF)));
    }

    @Test
    void kernelHalfAddressesAreKept() throws Exception {
        X86_64Regs r = Fixtures.x86_64("kernel").regs().toBuilder().rip(0xFFFF_FFFF_8100_0000L)
                .gsBase(0xFFFF_8880_0000_0000L).fsBase(0x8000_0000_0000L).build();
        X86_64State s = Fixtures.x86_64("kernel").withRegs(r);
        exact(s);
        assertThat(linuxUserRefuses(s)).contains("register rip = 0xffffffff81000000");
        X86_64State gs = Fixtures.x86_64("kernel").withRegs(Fixtures.x86_64("kernel").regs().toBuilder()
                .gsBase(0xFFFF_8880_0000_0000L).build());
        exact(gs);
        assertThat(linuxUserRefuses(gs)).contains("register gs_base = 0xffff888000000000");
    }

    @Test
    void everySelectorValueIsKept() throws Exception {
        X86_64State s = X86_64State.of(X86_64Regs.builder().cs(0x8).ss(0x10).ds(0x18).es(0xFFFF).fs(0x4).gs(0x1)
                .build());
        exact(s);
        I386State i = I386State.of(I386Regs.builder().cs(0x8).ss(0x10).ds(0x13).es(0xFFFF).fs(0x2).gs(0x1).build());
        exact(i);
        assertThat(linuxUserRefuses(i)).contains("register cs = 0x8");
    }

    @Test
    void fcsAndFdsBeside64BitPointers() throws Exception {
        FxSave fpu = FxSave.builder().fip(0xFFFF_8000_1234_5678L).fdp(0x7FFF_0000_0040L).fop(0x7FF).fcs(0x10)
                .fds(0x18).build();
        X86_64State s = X86_64State.of(X86_64Regs.builder().cs(0x10).build()).withFpu(fpu);
        byte[] image = exact(s);
        assertThat(Images.recordTypes(image)).contains(FPU_EXT);
        // FCS/FDS are no Linux rule: a LINUX_USER image keeps them too
        X86_64State user = Fixtures.x86_64("kernel").withFpu(Fixtures.x86_64("kernel").fpu().withSelectors(0x33, 0x2b));
        assertThat(Images.restart(Images.checkpoint(user), RecordingTarget.any("x86_64"))).isEqualTo(user);
    }

    @Test
    void fcsAndFdsInThe32BitFormat() throws Exception {
        FxSave fpu = FxSave.builder().pointers32(0x0804_8123, 0x73, 0x0805_0000, 0x7b).fop(0x1D9).build();
        assertThat(fpu.fip()).isEqualTo(0x73_0804_8123L);
        assertThat(fpu.fdp()).isEqualTo(0x7b_0805_0000L);
        assertThat(fpu.fcs()).isZero();
        I386State s = I386State.of(I386Regs.builder().cs(0x73).ss(0x7b).build()).withFpu(fpu);
        byte[] image = exact(s);
        assertThat(Images.recordTypes(image)).doesNotContain(FPU_EXT);
        // and the FSAVE note of a native kernel carries them where the kernel puts them
        byte[] fsave = X86ElfNotes.writeFSave(fpu, s.regs());
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(fsave).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(12)).isEqualTo(0x0804_8123);
        assertThat(b.getInt(16)).isEqualTo(0x73 | 0x1D9 << 16);
        assertThat(b.getInt(24)).isEqualTo(0x7b);
        assertThat(X86ElfNotes.readFSave(fsave, fpu, s.regs())).isEqualTo(fpu);
    }

    @Test
    void theFullTagWordIsKept() throws Exception {
        // ST(0) = 1.0 at TOP 5 (physical R5), tagged "special" by an FLDENV; R0-R4 tagged zero
        FxSave fpu = FxSave.builder().fsw(5 << 11).st(0, new byte[] {0, 0, 0, 0, 0, 0, 0, (byte) 0x80, (byte) 0xFF,
            0x3F}).tagWord(0xF955).build();
        assertThat(fpu.ftw()).isEqualTo(0x3F);
        assertThat(fpu.hasDerivedTagWord()).isFalse();
        assertThat(fpu.tag(5)).isEqualTo(2);
        X86_64State s = X86_64State.of(X86_64Regs.builder().build()).withFpu(fpu);
        byte[] image = exact(s);
        assertThat(Images.recordTypes(image)).contains(FPU_EXT);
        I386State i = I386State.of(I386Regs.builder().build()).withFpu(fpu);
        exact(i);
        // the i386 FSAVE note carries it too
        assertThat(X86ElfNotes.readFSave(X86ElfNotes.writeFSave(fpu, i.regs()), fpu, i.regs())).isEqualTo(fpu);
    }

    @Test
    void tlsUnknownAndDebugRegistersLeftOut() throws Exception {
        I386State s = Fixtures.i386Kernel().withTls(null).withDebug(null);
        byte[] image = exact(s);
        assertThat(Images.recordTypes(image)).doesNotContain(TLS32, DEBUGREGS);
        X86_64State x = Fixtures.x86_64("gcore").withDebug(null);
        image = exact(x);
        assertThat(Images.recordTypes(image)).doesNotContain(DEBUGREGS);
        // LINUX_USER keeps them unknown as well
        assertThat(Images.restart(Images.checkpoint(s), RecordingTarget.any("i386"))).isEqualTo(s);
        // and an emulator's debug registers (DR6/DR7 at their reset values) come back under EXACT only
        X86_64State dr = x.withDebug(new X86DebugRegs(0xFFFF_FFFF_8100_0000L, 0, 0, 0, 0xFFFF_0FF0L, 0x400));
        exact(dr);
        assertThat(linuxUserRefuses(dr)).contains("register dr0 = 0xffffffff81000000");
    }

    @Test
    void mxcsrAndItsMaskAreKeptAsTheyAre() throws Exception {
        X86_64State s = Fixtures.x86_64("kernel").withFpu(Fixtures.x86_64("kernel").fpu().withMxcsr(0xFFFF_FFFF,
                0xFFFF_FFFF));
        exact(s);
        assertThat(linuxUserRefuses(s)).contains("mxcsr_mask = 0xffffffff");
    }

    @Test
    void areasAnywhereInTheAddressSpaceUnderExact() throws Exception {
        byte[] page = new byte[4096];
        page[1] = 42;
        long kernel = 0xFFFF_FFFF_8100_0000L;
        long high = 0x7FFF_FFFF_F000L;
        AddressSpace mm = AddressSpace.of(List.of(
                new Vma(high, high + 0x1000, Vma.PROT_READ, 0, 0, null, PageData.of(high, page)),
                new Vma(kernel, kernel + 0x2000, Vma.PROT_READ | Vma.PROT_EXEC, 0, 0, null, PageData.of(kernel, page))));
        Task t = Task.builder().pid(1).tgid(1).comm("guest").mm(mm)
                .cpu(X86_64State.of(X86_64Regs.builder().rip(kernel).build())).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        checkpointer(RestorePolicy.EXACT).checkpoint(t, Channels.newChannel(out));
        RestartResult r = Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(
                out.toByteArray())));
        assertThat(r.tasks().get(0).mm().vmas()).extracting(Vma::start).containsExactly(high, kernel);
        assertThat(r.tasks().get(0).cpu()).isEqualTo(t.cpu());
        CheckpointException c = catchThrowableOfType(CheckpointException.class, () -> checkpointer(
                RestorePolicy.LINUX_USER).checkpoint(t.toBuilder().cpu(null).build(), Channels.newChannel(
                new ByteArrayOutputStream())));
        assertThat(c).as("LINUX_USER: areas above 0x7ffffffff000").isNotNull();
    }

    private static Checkpointer checkpointer(RestorePolicy policy) {
        return Checkpointer.builder().architecture("x86_64").policy(policy).checkpointId(3).created(Instant.EPOCH)
                .uname(new Uname("Linux", "emu", "6.18", "#1", "x86_64")).build();
    }

    /**
     * An emulator stopped at many instruction boundaries: every register random over its
     * width (selectors 16-bit, i386 debug registers 32-bit, as the hardware has them),
     * optional parts present or not. Each cut point comes back bit for bit.
     */
    @Test
    void manyCutPointsResumeIdentically() throws Exception {
        SplittableRandom rnd = new SplittableRandom(13);
        List<CpuState> cuts = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            cuts.add(rnd.nextBoolean() ? guest64(rnd) : guest32(rnd));
        }
        for (CpuState s : cuts) {
            exact(s);
        }
    }

    private static X86_64State guest64(SplittableRandom rnd) {
        long[] w = new long[X86_64Regs.WORDS];
        for (int i = 0; i < w.length; i++) {
            w[i] = rnd.nextLong();
        }
        for (int i : new int[] {17, 20, 23, 24, 25, 26}) {
            w[i] = rnd.nextInt(0x10000);
        }
        return new X86_64State(X86_64Regs.fromArray(w), fpu(rnd), xsave(rnd), rnd.nextBoolean() ? null
                : new X86DebugRegs(rnd.nextLong(), rnd.nextLong(), rnd.nextLong(), rnd.nextLong(), rnd.nextLong(),
                rnd.nextLong()));
    }

    private static I386State guest32(SplittableRandom rnd) {
        int[] w = new int[I386Regs.WORDS];
        for (int i = 0; i < w.length; i++) {
            w[i] = rnd.nextInt();
        }
        for (int i : new int[] {7, 8, 9, 10, 13, 16}) {
            w[i] = rnd.nextInt(0x10000);
        }
        List<UserDesc> tls = null;
        if (rnd.nextBoolean()) {
            tls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                tls.add(new UserDesc(rnd.nextInt(), rnd.nextInt(), rnd.nextInt(), rnd.nextInt()));
            }
        }
        X86DebugRegs d = rnd.nextBoolean() ? null : new X86DebugRegs(u32(rnd), u32(rnd), u32(rnd), u32(rnd), u32(rnd),
                u32(rnd));
        return new I386State(I386Regs.fromArray(w), fpu(rnd), xsave(rnd), d, tls);
    }

    private static long u32(SplittableRandom rnd) {
        return rnd.nextLong() >>> 32;
    }

    private static FxSave fpu(SplittableRandom rnd) {
        byte[] st = new byte[FxSave.ST_BYTES];
        byte[] xmm = new byte[FxSave.XMM_BYTES];
        rnd.nextBytes(st);
        rnd.nextBytes(xmm);
        FxSave.Builder b = FxSave.builder().fcw(rnd.nextInt(0x10000)).fsw(rnd.nextInt(0x10000))
                .fop(rnd.nextInt(0x10000)).fip(rnd.nextLong()).fdp(rnd.nextLong()).fcs(rnd.nextInt(0x10000))
                .fds(rnd.nextInt(0x10000)).mxcsr(rnd.nextInt()).mxcsrMask(rnd.nextInt()).st(st).xmm(xmm);
        return (rnd.nextBoolean() ? b.tagWord(rnd.nextInt(0x10000)) : b.ftw(rnd.nextInt(0x100))).build();
    }

    private static XSave xsave(SplittableRandom rnd) {
        long[] xcr0s = {0x3, 0x7, 0x207, 0x2E7, 0x602FF};
        if (rnd.nextInt(4) == 0) {
            return null;
        }
        long xcr0 = xcr0s[rnd.nextInt(xcr0s.length)];
        XSave x = XSave.initial(xcr0).withXstateBv(rnd.nextLong() & xcr0);
        for (XFeature f : XFeature.extended(xcr0)) {
            byte[] d = new byte[f.size()];
            rnd.nextBytes(d);
            x = x.withData(f, d);
        }
        return x;
    }
}
