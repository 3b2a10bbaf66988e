package org.ckpt.arch.powerpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The builders: documented defaults (zero, sections absent), each setter lands in its field, toBuilder round trips. */
class BuildersTest {

    @Test
    void generalRegsDefaultToZeroAndEverySetterLandsInItsWord() {
        assertThat(GeneralRegs.builder().build()).isEqualTo(GeneralRegs.zero());
        GeneralRegs.Builder b = GeneralRegs.builder();
        for (int n = 0; n < GeneralRegs.GPR_COUNT; n++) {
            b.gpr(n, 100 + n);
        }
        GeneralRegs r = b.nip(32).msr(33).origGpr3(34).ctr(35).link(36).xer(37).ccr(38).softe(39).trap(40).dar(41)
                .dsisr(42).result(43).build();
        long[] w = r.toWords();
        for (int i = 0; i < GeneralRegs.WORDS; i++) {
            assertThat(w[i]).as(GeneralRegs.wordName(i)).isEqualTo(i < 32 ? 100 + i : i);
        }
        assertThat(r.toBuilder().build()).isEqualTo(r);
        assertThat(r.toBuilder().gpr(3, 7).build()).isEqualTo(r.withGpr(3, 7));
        long[] all = new long[32];
        all[31] = -1;
        assertThat(GeneralRegs.builder().gpr(all).build().gpr(31)).isEqualTo(-1);
        assertThatThrownBy(() -> GeneralRegs.builder().gpr(32, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> GeneralRegs.builder().gpr(new long[31]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void builderDoesNotAliasWhatItBuilt() {
        GeneralRegs.Builder b = GeneralRegs.builder().gpr(1, 1);
        GeneralRegs first = b.build();
        b.gpr(1, 2);
        assertThat(first.gpr(1)).isEqualTo(1);
        assertThat(b.build().gpr(1)).isEqualTo(2);
    }

    @Test
    void conditionRegisterFields() {
        GeneralRegs r = GeneralRegs.builder().crField(0, 0x8).crField(7, 0x1).crField(3, 0x1F).build();
        assertThat(r.ccr()).isEqualTo(0x800F_0001L);
        assertThat(r.crField(0)).isEqualTo(0x8);
        assertThat(r.crField(3)).isEqualTo(0xF);
        assertThat(r.crField(7)).isEqualTo(0x1);
        assertThat(r.toBuilder().crField(3, 0).build().ccr()).isEqualTo(0x8000_0001L);
        // The upper word of the slot is left alone.
        assertThat(GeneralRegs.builder().ccr(0xFFFF_FFFF_0000_0000L).crField(7, 2).build().ccr())
                .isEqualTo(0xFFFF_FFFF_0000_0002L);
        assertThatThrownBy(() -> r.crField(8)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void xerBits() {
        assertThat(PowerPc.XER_SO | PowerPc.XER_OV | PowerPc.XER_CA).isEqualTo(0xE000_0000L);
        assertThat(PowerPc.XER_OV32 | PowerPc.XER_CA32).isEqualTo(0xC_0000L);
        assertThat(PowerPc.XER_BYTE_COUNT).isEqualTo(0x7F);
    }

    @Test
    void sectionsDefaultToZero() {
        assertThat(FpRegs.builder().build()).isEqualTo(new FpRegs(new long[32], 0, 0));
        FpRegs fp = FpRegs.builder().fpr(31, 5).fpscr(6).fpexcMode(PowerPc.MSR_FE0).build();
        assertThat(fp.fpr(31)).isEqualTo(5);
        assertThat(fp.fpscr()).isEqualTo(6);
        assertThat(fp.fpexcMode()).isEqualTo(0x800);
        assertThat(fp.toBuilder().build()).isEqualTo(fp);
        assertThat(fp.withFpscr(1).fpscr()).isEqualTo(1);

        AltivecRegs a = AltivecRegs.builder().build();
        assertThat(a.vr()).hasSize(32).containsOnly(Vector128.ZERO);
        assertThat(a.vscr()).isZero();
        assertThat(a.vrsave()).isZero();
        AltivecRegs a2 = AltivecRegs.builder().vr(5, new Vector128(1, 2)).vscr(3).vrsave(4).build();
        assertThat(a2.vr(5)).isEqualTo(new Vector128(1, 2));
        assertThat(a2.toBuilder().build()).isEqualTo(a2);

        assertThat(SpeRegs.builder().build()).isEqualTo(new SpeRegs(new int[32], 0, 0));
        SpeRegs s = SpeRegs.builder().evr(0, -1).acc(7).spefscr(8).build();
        assertThat(s).isEqualTo(new SpeRegs(s.evr(), 7, 8));
        assertThat(s.evr(0)).isEqualTo(-1);
        assertThat(s.toBuilder().build()).isEqualTo(s);

        assertThat(VsxRegs.builder().build()).isEqualTo(new VsxRegs(new long[32]));
        VsxRegs v = VsxRegs.builder().vsrLow(9, 9).build();
        assertThat(v.vsrLow(9)).isEqualTo(9);
        assertThat(v.toBuilder().build()).isEqualTo(v);

        assertThat(PowerPcDebugRegs.builder().build()).isEqualTo(PowerPcDebugRegs.of(0));
        PowerPcDebugRegs d = PowerPcDebugRegs.builder().dabr(0x1004).addExtra(1, 2).build();
        assertThat(d.extra()).containsExactly(new PowerPcDebugRegs.Entry(1, 2));
        assertThat(d.toBuilder().extra(List.of()).build()).isEqualTo(PowerPcDebugRegs.of(0x1004));
    }

    @Test
    void cpuStateDefaultsToZeroRegistersAndNoSections() {
        PowerPcCpuState c = PowerPcCpuState.builder(PowerPc.PPC32).build();
        assertThat(c).isEqualTo(PowerPcCpuState.of(PowerPc.PPC32, GeneralRegs.zero()));
        assertThat(c.features()).isZero();
        PowerPcCpuState full = PowerPcCpuState.builder(PowerPc.PPC64).regs(States.regs(true))
                .fp(States.fp(0)).debug(PowerPcDebugRegs.of(0)).altivec(States.altivec()).vsx(States.vsx()).build();
        assertThat(full.features()).isEqualTo(0x17);
        assertThat(full.toBuilder().build()).isEqualTo(full);
        assertThat(full.toBuilder().vsx(null).build().features()).isEqualTo(0x07);
        assertThatThrownBy(() -> PowerPcCpuState.builder("ppc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PowerPcCpuState.builder(PowerPc.PPC64).spe(States.spe()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SPE");
        assertThatThrownBy(() -> full.toBuilder().altivec(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VSX needs FP and ALTIVEC");
        assertThatThrownBy(() -> PowerPcCpuState.builder(PowerPc.PPC32).regs(null))
                .isInstanceOf(NullPointerException.class);
    }
}
