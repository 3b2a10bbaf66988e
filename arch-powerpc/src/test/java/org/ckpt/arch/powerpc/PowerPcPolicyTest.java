package org.ckpt.arch.powerpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import org.ckpt.RestartResult;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;
import org.ckpt.spi.UnsupportedImageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The two restore policies: EXACT gives an emulated guest back bit for bit (the cases of
 * issue 13), LINUX_USER keeps the Linux rules; each rule is refused by the checkpoint with
 * the reason its restart gives; a ppc32 state stays 32-bit through a model restart and
 * exports as a ppc32 core note.
 */
class PowerPcPolicyTest {
    /** A ppc32 guest as a CPU emulator holds it, stopped between two instructions. */
    static PowerPcCpuState emulatedGuest() {
        GeneralRegs.Builder regs = GeneralRegs.builder();
        for (int n = 0; n < GeneralRegs.GPR_COUNT; n++) {
            regs.gpr(n, 0x8000_0001L * (n + 1) & 0xFFFF_FFFFL);
        }
        regs.nip(0xFFF0_0100L)
                .msr(0x2040) // FP | IP: exception prefix at 0xfff00000, real mode, supervisor
                .ctr(0xFFFF_FFFFL)
                .link(0xFFF0_3A5CL)
                .xer(PowerPc.XER_SO | PowerPc.XER_OV | PowerPc.XER_CA | 0x13)
                .crField(0, 0x8).crField(1, 0x4).crField(6, 0x2).crField(7, 0x1)
                .trap(0x700).dar(0xFFFF_FFF8L).dsisr(0x4200_0000L).softe(0x1234_5678L);
        FpRegs.Builder fp = FpRegs.builder().fpscr(0xFFFF_FFFFL);
        for (int n = 0; n < FpRegs.FPR_COUNT; n++) {
            fp.fpr(n, Double.doubleToRawLongBits(-n - 0.125));
        }
        return PowerPcCpuState.builder(PowerPc.PPC32).regs(regs.build()).fp(fp.build())
                .altivec(AltivecRegs.builder().vr(31, Vector128.ofWords(-1, 0, -1, 0)).vscr(0x0001_0001)
                        .vrsave(0xFFFF_FFFF).build())
                .debug(PowerPcDebugRegs.of(0xFFFF_FFFFL))
                .build();
    }

    /** The guest's memory: low RAM and the page of the reset vector at 0xfffff000. */
    static Task withResetVectorPage(PowerPcCpuState cpu) {
        byte[] low = new byte[4096];
        low[0] = 0x48;
        byte[] top = new byte[4096];
        top[4092] = 0x4b; // a branch at 0xfffffffc
        top[4095] = (byte) 0xfc;
        Vma ram = new Vma(0, 0x1000, Vma.PROT_READ | Vma.PROT_WRITE | Vma.PROT_EXEC, 0, 0, null, PageData.of(0, low));
        Vma rom = new Vma(0xFFFF_F000L, 0x1_0000_0000L, Vma.PROT_READ | Vma.PROT_EXEC, 0, 0, null,
                PageData.of(0xFFFF_F000L, top));
        return Task.builder().pid(1).tgid(1).comm("guest").mm(AddressSpace.of(List.of(ram, rom))).cpu(cpu).build();
    }

    private static byte[] page(Vma v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        v.pages().read(v.start(), b);
        return b.array();
    }

    // ---- EXACT: the cases ------------------------------------------------------

    @Test
    void exactGivesAnEmulatedPpc32GuestBackBitForBit() throws IOException {
        PowerPcCpuState guest = emulatedGuest();
        Task task = withResetVectorPage(guest);
        byte[] image = Images.checkpoint(task, PowerPc.PPC32, RestorePolicy.EXACT);

        // Into the model: the image's recorded policy applies.
        RestartResult model = Images.restart(image);
        assertThat(model.info().policy()).isEqualTo(RestorePolicy.EXACT);
        PowerPcCpuState back = (PowerPcCpuState) model.tasks().get(0).cpu();
        assertThat(back).isEqualTo(guest);
        assertThat(back.regs().msr()).isEqualTo(0x2040);
        assertThat(back.regs().xer()).isEqualTo(0xE000_0013L);
        assertThat(back.regs().ccr()).isEqualTo(0x8400_0021L);
        assertThat(back.regs().crField(0)).isEqualTo(0x8);
        assertThat(back.regs().link()).isEqualTo(0xFFF0_3A5CL);
        assertThat(back.regs().ctr()).isEqualTo(0xFFFF_FFFFL);
        assertThat(back.fp().fpscr()).isEqualTo(0xFFFF_FFFFL);
        List<Vma> vmas = model.tasks().get(0).mm().vmas();
        assertThat(vmas).hasSize(2);
        assertThat(vmas.get(1).start()).isEqualTo(0xFFFF_F000L);
        assertThat(vmas.get(1).end()).isEqualTo(0x1_0000_0000L);
        ByteBuffer top = ByteBuffer.allocate(4096);
        vmas.get(1).pages().read(0xFFFF_F000L, top);
        assertThat(top.array()).isEqualTo(page(task.mm().vmas().get(1)));

        // Into a fresh emulator (a target of EXACT policy, 32-bit, with AltiVec).
        Images.RecordingTarget emulator = new Images.RecordingTarget(TargetCpu.of(PowerPc.PPC32, Set.of("altivec")),
                RestorePolicy.EXACT);
        RestartResult r = Images.restart(image, emulator);
        assertThat(emulator.commits).containsExactly(r);
        assertThat(r.tasks().get(0).cpu()).isEqualTo(guest);
        // And on a 64-bit host: still 32-bit, still exact.
        Images.RecordingTarget host64 = new Images.RecordingTarget(TargetCpu.anyFeatures(PowerPc.PPC64),
                RestorePolicy.EXACT);
        assertThat(Images.restart(image, host64).tasks().get(0).cpu()).isEqualTo(guest);
    }

    @Test
    void linuxUserRefusesTheResetVectorPageAndRebuildsTheMsr() throws IOException {
        Task task = withResetVectorPage(emulatedGuest());
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                () -> Images.checkpoint(task, PowerPc.PPC32, RestorePolicy.LINUX_USER)))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("0xfffff000");
        // An EXACT image restarted under LINUX_USER is rejected, never silently changed.
        byte[] exact = Images.checkpoint(task, PowerPc.PPC32, RestorePolicy.EXACT);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                () -> PolicyImages.restart(exact, RestorePolicy.LINUX_USER))).isInstanceOf(ImageException.class);

        // Without that page, nip and DABR still break the Linux rules (real-mode DABR, nip in
        // the last page); a user-mode guest state passes and gets the 32-bit user MSR.
        PowerPcCpuState user = emulatedGuest().withDebug(null)
                .withRegs(emulatedGuest().regs().toBuilder().nip(0x1000_0000L).build());
        RestartResult r = Images.restart(Images.checkpoint(user, RestorePolicy.LINUX_USER));
        PowerPcCpuState back = (PowerPcCpuState) r.tasks().get(0).cpu();
        assertThat(back.regs().msr()).isEqualTo(PowerPc.MSR_USER_PPC32);
        assertThat(back.withRegs(back.regs().withMsr(0x2040))).isEqualTo(user);
    }

    @Test
    void exactKeepsWhatLinuxUserRefusesOrRebuilds() throws IOException {
        PowerPcCpuState ppc64 = States.ppc64All();
        PolicyImages.exactRoundTrip(ppc64);
        // A 64-bit CPU running 32-bit code: MSR_SF clear in a ppc64 state.
        PolicyImages.exactRoundTrip(ppc64.withRegs(ppc64.regs().withMsr(PowerPc.MSR_USER32)));
        PolicyImages.exactRoundTrip(ppc64.withRegs(ppc64.regs().withMsr(-1L).withNip(-4L)));
        PolicyImages.exactRoundTrip(ppc64.withFp(States.fp(-1L)).withDebug(PowerPcDebugRegs.of(-1L)));
        PowerPcCpuState ppc32 = States.ppc32Altivec();
        PolicyImages.exactRoundTrip(ppc32.withRegs(ppc32.regs().withMsr(0xFFFF_FFFFL).withNip(0xFFFF_FFFCL)));
        PolicyImages.exactRoundTrip(ppc32.withDebug(PowerPcDebugRegs.of(0x1234_5678L)).withFp(States.fp(0x8000)));
        PolicyImages.exactRoundTrip(States.ppc32Spe());
    }

    @Test
    void exactStillRefusesAPpc64ImageOnA32BitTargetAndMissingFeatures() throws IOException {
        byte[] image = Images.checkpoint(States.ppc64All(), RestorePolicy.EXACT);
        Images.RecordingTarget ppc32 = new Images.RecordingTarget(TargetCpu.of(PowerPc.PPC32, Set.of("altivec", "vsx")),
                RestorePolicy.EXACT);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Images.restart(image, ppc32)))
                .isInstanceOf(UnsupportedImageException.class).hasMessageContaining("32-bit target");
        Images.RecordingTarget noVsx = new Images.RecordingTarget(TargetCpu.of(PowerPc.PPC64, Set.of("altivec")),
                RestorePolicy.EXACT);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Images.restart(image, noVsx)))
                .isInstanceOf(UnsupportedImageException.class).hasMessageContaining("'vsx'");
        assertThat(ppc32.commits).isEmpty();
        assertThat(noVsx.commits).isEmpty();
    }

    // ---- each rule, both directions ----------------------------------------------------

    @Test
    void eachLinuxUserRuleIsRefusedByTheCheckpointWithTheRestartsReason() throws IOException {
        PowerPcCpuState p64 = States.ppc64All();
        PowerPcCpuState p32 = States.ppc32Altivec();
        record Case(PowerPcCpuState state, String fragment) {
        }
        List<Case> cases = List.of(
                new Case(p64.withRegs(p64.regs().withMsr(0xd032)), "MSR_SF (bit 63, 64-bit mode) is clear in a ppc64"),
                new Case(p64.withRegs(p64.regs().withNip(PowerPc.USER_LIMIT_PPC64)),
                        "register nip = 0x10000000000000 is not a user address"),
                new Case(p32.withRegs(p32.regs().withNip(PowerPc.USER_LIMIT_PPC32)),
                        "register nip = 0xfffff000 is not a user address"),
                new Case(p64.withFp(States.fp(0x8000)), "fpexc_mode = 0x8000"),
                new Case(p32.withFp(States.fp(PowerPc.MSR_FE0 | 1)), "fpexc_mode = 0x801"),
                new Case(p64.withDebug(PowerPcDebugRegs.of(0x1000_0003L)), "register dabr = 0x10000003"),
                new Case(p64.withDebug(PowerPcDebugRegs.of(PowerPc.USER_LIMIT_PPC64 | 4)),
                        "not below the ppc64 user limit"),
                new Case(p32.withDebug(PowerPcDebugRegs.of(0xFFFF_F004L)), "not below the ppc32 user limit"));
        for (Case c : cases) {
            ImageException e = PolicyImages.refusedAlike(c.state(), RestorePolicy.LINUX_USER);
            assertThat(e).isInstanceOf(InvalidImageException.class).hasMessageContaining(c.fragment());
            // EXACT carries each of them as saved.
            PolicyImages.exactRoundTrip(c.state());
        }
        // Also refused under EXACT, for its own reason: a ppc32 MSR with MSR_SF set.
        PowerPcCpuState sf32 = p32.withRegs(p32.regs().withMsr(PowerPc.MSR_USER64));
        assertThat(PolicyImages.refusedAlike(sf32, RestorePolicy.LINUX_USER))
                .hasMessageContaining("MSR_SF (bit 63, 64-bit mode) is set in a ppc32");
        assertThat(PolicyImages.refusedAlike(sf32, RestorePolicy.EXACT))
                .hasMessageContaining("register msr = 0x900000000000d032 does not fit 32 bits");
    }

    @Test
    void eachExactRuleIsRefusedByTheCheckpointWithTheRestartsReason() throws IOException {
        PowerPcCpuState p32 = States.ppc32Altivec();
        for (int word = 0; word < GeneralRegs.WORDS; word++) {
            long[] w = p32.regs().toWords();
            w[word] |= 1L << 32;
            PowerPcCpuState wide = p32.withRegs(GeneralRegs.fromWords(w));
            ImageException e = PolicyImages.refusedAlike(wide, RestorePolicy.EXACT);
            assertThat(e).isInstanceOf(InvalidImageException.class)
                    .hasMessageContaining("register " + GeneralRegs.wordName(word) + " = 0x1")
                    .hasMessageContaining("does not fit 32 bits");
        }
        PowerPcCpuState wideDabr = p32.withDebug(PowerPcDebugRegs.of(0x1_0000_0004L));
        assertThat(PolicyImages.refusedAlike(wideDabr, RestorePolicy.EXACT))
                .hasMessageContaining("register dabr = 0x100000004 does not fit 32 bits");
        // LINUX_USER carries upper GPR halves of a ppc32 task as before (a 64-bit kernel shows them).
        PowerPcCpuState upper = p32.withRegs(p32.regs().withGpr(7, 0xFFFF_FFFF_0000_0007L));
        RestartResult r = Images.restart(Images.checkpoint(upper, RestorePolicy.LINUX_USER));
        assertThat(((PowerPcCpuState) r.tasks().get(0).cpu()).regs().gpr(7)).isEqualTo(0xFFFF_FFFF_0000_0007L);
    }

    @ParameterizedTest
    @EnumSource(RestorePolicy.class)
    void furtherDebugRegistersAreRefusedUnderEitherPolicy(RestorePolicy policy) throws IOException {
        PowerPcCpuState c = States.ppc64All().withDebug(PowerPcDebugRegs.builder().dabr(0).addExtra(0x99, 1).build());
        assertThat(PolicyImages.refusedAlike(c, policy)).isInstanceOf(UnsupportedImageException.class)
                .hasMessageContaining("debug register id 0x99 is not known");
        PowerPcCpuState negative = States.ppc32Spe().withDebug(PowerPcDebugRegs.builder().addExtra(-1, 0).build());
        assertThat(PolicyImages.refusedAlike(negative, policy)).hasMessageContaining("debug register id 0xffffffff");
    }

    // ---- 32-bit stays 32-bit: model restart, then export ---------------------------------

    @ParameterizedTest
    @EnumSource(RestorePolicy.class)
    void aPpc32StateRestartedIntoTheModelExportsAsAPpc32NoteAndReadsBackEqual(RestorePolicy policy)
            throws IOException {
        // The state: MSR 0x2040 in; before, the model restart gave 0x100000000000d932 and
        // writePrStatus("ppc32") refused it.
        PowerPcCpuState guest = emulatedGuest().withDebug(null)
                .withRegs(emulatedGuest().regs().toBuilder().nip(0x1000_0100L).build())
                .withFp(emulatedGuest().fp().withFpexcMode(PowerPc.FPEXC_MASK));
        PowerPcCpuState back = (PowerPcCpuState) Images.restart(Images.checkpoint(guest, policy)).tasks().get(0).cpu();
        assertThat(back.architecture()).isEqualTo(PowerPc.PPC32);
        if (policy == RestorePolicy.EXACT) {
            assertThat(back).isEqualTo(guest);
        } else {
            assertThat(back.regs().msr()).isEqualTo(0xd932L);
        }
        PowerPcElfNotes.PrStatusInfo info = PowerPcElfNotes.PrStatusInfo.builder().cursig(5).ids(1, 0, 1, 1).build();
        byte[] note = PowerPcElfNotes.writePrStatus(PowerPc.PPC32, back.regs(), info);
        assertThat(note).hasSize(PowerPcElfNotes.PRSTATUS32_SIZE);
        assertThat(PowerPcElfNotes.readPrStatus(PowerPc.PPC32, note)).isEqualTo(back.regs());
        assertThat(PowerPcElfNotes.prStatusInfo(PowerPc.PPC32, note)).isEqualTo(info);

        // The whole state, too. No note holds fpexc_mode: toCpu derives it from the MSR's FE bits,
        // which under LINUX_USER the rebuilt MSR carries (0x900 here), while under EXACT the
        // guest's MSR 0x2040 has none; everything else comes back equal either way.
        PowerPcCpuState fromNotes = PowerPcElfNotes.toCpu(PowerPc.PPC32, PowerPcElfNotes.toNotes(back, info));
        assertThat(fromNotes.withFp(fromNotes.fp().withFpexcMode(back.fp().fpexcMode()))).isEqualTo(back);
        if (policy == RestorePolicy.LINUX_USER) {
            assertThat(fromNotes).isEqualTo(back);
        }

        // On a 64-bit target too: the MSR a LINUX_USER restart installs is still 32-bit.
        Images.RecordingTarget host64 = new Images.RecordingTarget(TargetCpu.anyFeatures(PowerPc.PPC64), policy);
        PowerPcCpuState on64 = (PowerPcCpuState) Images.restart(Images.checkpoint(guest, policy), host64).tasks()
                .get(0).cpu();
        assertThat(on64).isEqualTo(back);
        assertThat(PowerPcElfNotes.readPrStatus(PowerPc.PPC32,
                PowerPcElfNotes.writePrStatus(PowerPc.PPC32, on64.regs(), info))).isEqualTo(on64.regs());
    }
}
