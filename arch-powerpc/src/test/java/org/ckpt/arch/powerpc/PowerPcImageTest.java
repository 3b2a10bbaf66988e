package org.ckpt.arch.powerpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.ckpt.RestartResult;
import org.ckpt.model.Task;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.TargetCpu;
import org.junit.jupiter.api.Test;

/** Full images through Checkpointer and Restarter: what comes back, and what the checkpoint refuses. */
class PowerPcImageTest {

    private static PowerPcCpuState sanitised(PowerPcCpuState c, long userMsr) {
        long fe = c.fp() == null ? 0 : c.fp().fpexcMode();
        return c.withRegs(c.regs().withMsr(userMsr | fe));
    }

    @Test
    void ppc64RoundTripsWithEverySection() throws IOException {
        PowerPcCpuState cpu = States.ppc64All();
        byte[] image = Images.checkpoint(cpu);
        RestartResult r = Images.restart(image);
        Task t = r.tasks().get(0);
        assertThat(t.cpu()).isEqualTo(sanitised(cpu, PowerPc.MSR_USER64));
        assertThat(((PowerPcCpuState) t.cpu()).regs().msr()).isEqualTo(0x9000_0000_0000_d932L);
        assertThat(r.info().archHead()).isEqualTo(new PowerPcArchHead("ppc64", java.nio.ByteOrder.BIG_ENDIAN, 8,
                0x17, 368, 280, 16, 16, 528, 0, 264));
        assertThat(r.bytesRead()).isEqualTo(image.length);
        // Records 0x0120..0x0125 in order, SPE absent.
        assertThat(Images.parse(image).stream().map(Images.Rec::type).filter(x -> x >= 0x120 && x < 0x140))
                .containsExactly(0x120, 0x121, 0x122, 0x123, 0x125);
    }

    @Test
    void ppc32RoundTripsWithFpDebugAltivec() throws IOException {
        PowerPcCpuState cpu = States.ppc32Altivec();
        RestartResult r = Images.restart(Images.checkpoint(cpu));
        // The 32-bit value a 32-bit view shows, not the 64-bit kernel's MSR_USER32 with HV.
        assertThat(r.tasks().get(0).cpu()).isEqualTo(sanitised(cpu, PowerPc.MSR_USER_PPC32));
        assertThat(((PowerPcCpuState) r.tasks().get(0).cpu()).regs().msr()).isEqualTo(0xd032L | PowerPc.MSR_FE1);
        assertThat(((PowerPcArchHead) r.info().archHead()).wordSize()).isEqualTo(4);
    }

    @Test
    void ppc32SpeRoundTrips() throws IOException {
        PowerPcCpuState cpu = States.ppc32Spe();
        Images.RecordingTarget e500 = new Images.RecordingTarget(TargetCpu.of("ppc32", Set.of("spe")));
        RestartResult r = Images.restart(Images.checkpoint(cpu), e500);
        assertThat(e500.commits).hasSize(1);
        // A 32-bit kernel: MSR_USER, which is also the 32-bit view on a 64-bit kernel.
        assertThat(r.tasks().get(0).cpu()).isEqualTo(sanitised(cpu, PowerPc.MSR_USER_PPC32));
        assertThat(((PowerPcCpuState) r.tasks().get(0).cpu()).regs().msr()).isEqualTo(0xd032L);
    }

    @Test
    void onlyGeneralRegistersRoundTrip() throws IOException {
        PowerPcCpuState cpu = PowerPcCpuState.of("ppc64", States.regs(true));
        byte[] image = Images.checkpoint(cpu);
        assertThat(Images.restart(image).tasks().get(0).cpu()).isEqualTo(sanitised(cpu, PowerPc.MSR_USER64));
        assertThat(Images.read(image, Images.PPC_REGS, Images.REGS_FEATURES, 8)).isZero();
    }

    @Test
    void theSameStateWritesTheSameBytes() throws IOException {
        assertThat(Images.checkpoint(States.ppc64All())).isEqualTo(Images.checkpoint(States.ppc64All()));
    }

    @Test
    void msrValuesAreLinuxs() {
        assertThat(PowerPc.MSR_USER32).isEqualTo(0x1000_0000_0000_d032L);
        assertThat(PowerPc.MSR_USER64).isEqualTo(0x9000_0000_0000_d032L);
        assertThat(PowerPc.MSR_USER_PPC32).isEqualTo(0xd032L);
        assertThat(PowerPc.FPEXC_MASK).isEqualTo(0x900L);
    }

    @Test
    void checkpointRefusesStatesNoRestartWouldAccept() {
        PowerPcCpuState good = States.ppc64All();
        assertThatThrownBy(() -> Images.checkpoint(good.withDebug(PowerPcDebugRegs.of(0x1000_0000L))))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("dabr = 0x10000000")
                .hasMessageContaining("DABR_TRANSLATION");
        assertThatThrownBy(() -> Images.checkpoint(good.withRegs(good.regs().withMsr(0xd032))))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("MSR_SF");
        assertThatThrownBy(() -> Images.checkpoint(good.withFp(States.fp(0x1))))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("fpexc_mode = 0x1");
        assertThatThrownBy(() -> Images.checkpoint(good.withDebug(
                new PowerPcDebugRegs(0, List.of(new PowerPcDebugRegs.Entry(1, 2))))))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("debug register id 0x1");
        PowerPcCpuState ppc32 = States.ppc32Altivec();
        assertThatThrownBy(() -> Images.checkpoint(Images.task(ppc32), "ppc64"))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("ppc32");
    }

    @Test
    void constructorsRefuseImpossibleCombinations() {
        GeneralRegs r = States.regs(false);
        assertThatThrownBy(() -> new PowerPcCpuState("ppc32", r, States.fp(0), null, null, null, States.vsx()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VSX needs FP and ALTIVEC");
        assertThatThrownBy(() -> new PowerPcCpuState("ppc32", r, null, null, States.altivec(), States.spe(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exclude");
        assertThatThrownBy(() -> new PowerPcCpuState("ppc64", States.regs(true), null, null, null, States.spe(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SPE");
        assertThatThrownBy(() -> PowerPcCpuState.of("ppc", r)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GeneralRegs(new long[31], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void valuesAreImmutable() {
        long[] g = new long[32];
        GeneralRegs r = new GeneralRegs(g, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        g[3] = 9;
        r.gpr()[4] = 9;
        assertThat(r.gpr(3)).isZero();
        assertThat(r.gpr(4)).isZero();
        assertThat(r).isEqualTo(GeneralRegs.zero()).hasSameHashCodeAs(GeneralRegs.zero());
    }

    @Test
    void laterOptionalRecordsInTheReservedRangeAreSkipped() throws IOException {
        byte[] image = Images.checkpoint(States.ppc64All());
        var recs = new java.util.ArrayList<>(Images.parse(image));
        int vsx = recs.indexOf(recs.stream().filter(r -> r.type() == Images.PPC_VSX).findFirst().orElseThrow());
        // Empty payload: ckpt-lib's ImageReader (0.1.0-SNAPSHOT) leaves a skipped record's cursor
        // as the current payload, so a non-empty skipped payload is reported as unread bytes.
        recs.add(vsx + 1, new Images.Rec(0x0130, 1, new byte[0]));
        assertThat(Images.restart(Images.assemble(image, recs)).tasks().get(0).cpu())
                .isEqualTo(sanitised(States.ppc64All(), PowerPc.MSR_USER64));
        recs.set(vsx + 1, new Images.Rec(0x0130, 0, new byte[] {1, 2, 3}));
        assertThatThrownBy(() -> Images.restart(Images.assemble(image, recs)))
                .isInstanceOf(org.ckpt.spi.UnsupportedImageException.class)
                .hasMessageContaining("unknown mandatory record type 0x0130");
    }

    @Test
    void userAddressLimits() {
        var p = new org.ckpt.arch.powerpc.internal.PowerPcArchProvider();
        assertThat(p.addressLimit("ppc64", org.ckpt.spi.RestorePolicy.LINUX_USER)).isEqualTo(1L << 52);
        assertThat(p.addressLimit("ppc32", org.ckpt.spi.RestorePolicy.LINUX_USER)).isEqualTo(0xFFFF_F000L);
        assertThat(p.addressLimit("ppc64", org.ckpt.spi.RestorePolicy.EXACT)).isEqualTo(-1L);
        assertThat(p.addressLimit("ppc32", org.ckpt.spi.RestorePolicy.EXACT)).isEqualTo(1L << 32);
        assertThat(p.architectures()).containsExactlyInAnyOrder("ppc32", "ppc64");
        assertThat(p.recordTypes()).containsExactlyInAnyOrder(0x120, 0x121, 0x122, 0x123, 0x124, 0x125);
    }
}
