package org.ckpt.arch.powerpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.Properties;
import org.ckpt.RestartResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The real core-note payloads in {@code src/test/resources/fixtures}: the values the
 * programs loaded (and the ones qemu/gdb reported) come out of the importer, and the
 * exporter gives back the same bytes.
 */
class ElfNotesFixtureTest {
    private static final Properties EXPECTED = new Properties();

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = ElfNotesFixtureTest.class.getResourceAsStream("/fixtures/expected.properties")) {
            EXPECTED.load(in);
        }
    }

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = ElfNotesFixtureTest.class.getResourceAsStream("/fixtures/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    static long value(String key) {
        String v = EXPECTED.getProperty(key);
        assertThat(v).as("expected.properties key " + key).isNotNull();
        return v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
    }

    @ParameterizedTest(name = "{0}-{1}")
    @CsvSource({"ppc64,qemu", "ppc64,gdb", "ppc32,qemu", "ppc32,gdb"})
    void prstatusHoldsTheLoadedAndObservedValues(String arch, String route) throws IOException {
        byte[] bytes = fixture(arch + "-" + route + "-NT_PRSTATUS.bin");
        assertThat(bytes).hasSize(ElfNotes.prStatusSize(arch));
        PrStatus s = ElfNotes.readPrStatus(arch, bytes);
        GeneralRegs r = s.regs();
        for (int n = 0; n < 32; n++) {
            if (n == 1 || n == 2 || n == 13) {
                assertThat(r.gpr(n)).as("gpr" + n).isEqualTo(value(arch + "." + route + ".gpr" + n));
            } else {
                assertThat(r.gpr(n)).as("gpr" + n).isEqualTo(value(arch + ".gpr" + n));
            }
        }
        assertThat(r.ctr()).isEqualTo(value(arch + ".ctr"));
        assertThat(r.link()).isEqualTo(value(arch + ".link"));
        assertThat(r.xer()).isEqualTo(value(arch + ".xer"));
        assertThat(r.ccr()).isEqualTo(value(arch + ".ccr"));
        String o = arch + "." + route + ".";
        assertThat(s.cursig()).isEqualTo((short) value(o + "pr_cursig"));
        assertThat(r.nip()).isEqualTo(value(o + "nip"));
        assertThat(r.msr()).isEqualTo(value(o + "msr"));
        assertThat(r.trap()).isEqualTo(value(o + "trap"));
        assertThat(r.origGpr3()).isEqualTo(value(o + "orig_gpr3"));
        assertThat(r.dar()).isEqualTo(value(o + "dar"));
        assertThat(r.dsisr()).isEqualTo(value(o + "dsisr"));
        assertThat(r.result()).isEqualTo(value(o + "result"));
        assertThat(r.softe()).isEqualTo(value(o + (arch.equals("ppc64") ? "softe" : "mq")));
        assertThat(s.siSigno()).isEqualTo(route.equals("qemu") ? 5 : 0);
        assertThat(s.pid()).isNotZero();

        assertThat(ElfNotes.writePrStatus(arch, s)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ppc64", "ppc32"})
    void prfpregHoldsTheLoadedValues(String arch) throws IOException {
        byte[] bytes = fixture(arch + "-gdb-NT_PRFPREG.bin");
        FpRegs fp = ElfNotes.readFpRegs(bytes);
        for (int n = 0; n < 32; n++) {
            assertThat(fp.fpr(n)).as("fpr" + n).isEqualTo(value(arch + ".fpr" + n));
            assertThat(Double.longBitsToDouble(fp.fpr(n))).isEqualTo(n + 0.5);
        }
        assertThat(fp.fpscr()).isEqualTo(value(arch + ".fpscr")).isEqualTo(0x4001);
        assertThat(fp.fpexcMode()).isZero();
        assertThat(ElfNotes.writeFpRegs(fp)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ppc64", "ppc32"})
    void vmxHoldsTheLoadedValues(String arch) throws IOException {
        byte[] bytes = fixture(arch + "-gdb-NT_PPC_VMX.bin");
        AltivecRegs a = ElfNotes.readVmx(bytes);
        for (int n = 0; n < 32; n++) {
            String hex = EXPECTED.getProperty(arch + ".vr" + n);
            assertThat(a.vr(n).toString()).as("vr" + n).isEqualTo(hex);
            assertThat(new BigInteger(hex, 16)).isEqualTo(new BigInteger(1, a.vr(n).toBytes()));
            for (int j = 0; j < 4; j++) {
                assertThat(a.vr(n).word(j)).isEqualTo(n * 0x01010100 + j);
            }
        }
        assertThat(a.vscr() & 0xFFFF_FFFFL).isEqualTo(value(arch + ".vscr"));
        assertThat(a.vrsave() & 0xFFFF_FFFFL).isEqualTo(value(arch + ".vrsave"));
        assertThat(ElfNotes.writeVmx(a)).isEqualTo(bytes);
    }

    @Test
    void vsxHoldsTheLoadedValues() throws IOException {
        byte[] bytes = fixture("ppc64-gdb-NT_PPC_VSX.bin");
        VsxRegs v = ElfNotes.readVsx(bytes);
        for (int n = 0; n < 32; n++) {
            assertThat(v.vsrLow(n)).as("vsx" + n).isEqualTo(value("ppc64.vsx" + n));
            assertThat(Double.longBitsToDouble(v.vsrLow(n))).isEqualTo(-(n + 0.25));
        }
        assertThat(ElfNotes.writeVsx(v)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ppc64", "ppc32"})
    void aWholeCoreGoesThroughAnImageAndBackToTheSameNotes(String arch) throws IOException {
        byte[] prstatus = fixture(arch + "-gdb-NT_PRSTATUS.bin");
        byte[] prfpreg = fixture(arch + "-gdb-NT_PRFPREG.bin");
        byte[] vmx = fixture(arch + "-gdb-NT_PPC_VMX.bin");
        byte[] vsx = arch.equals("ppc64") ? fixture("ppc64-gdb-NT_PPC_VSX.bin") : null;
        PowerPcCpu cpu = ElfNotes.toCpu(arch, prstatus, prfpreg, vmx, vsx, null);
        assertThat(cpu.features()).isEqualTo(PowerPc.FEATURE_FP | PowerPc.FEATURE_ALTIVEC
                | (vsx != null ? PowerPc.FEATURE_VSX : 0));
        // qemu's MSR has FE0|FE1 set: Linux would report fpexc_mode there.
        assertThat(cpu.fp().fpexcMode()).isEqualTo(PowerPc.FPEXC_MASK);

        RestartResult back = Images.restart(Images.checkpoint(cpu));
        PowerPcCpu restored = (PowerPcCpu) back.tasks().get(0).cpu();
        long userMsr = (arch.equals("ppc64") ? PowerPc.MSR_USER64 : PowerPc.MSR_USER32) | PowerPc.FPEXC_MASK;
        assertThat(restored).isEqualTo(cpu.withRegs(cpu.regs().withMsr(userMsr)));

        PrStatus header = ElfNotes.readPrStatus(arch, prstatus);
        PrStatus again = new PrStatus(header.siSigno(), header.siCode(), header.siErrno(), header.cursig(),
                header.sigpend(), header.sighold(), header.pid(), header.ppid(), header.pgrp(), header.sid(),
                header.utime(), header.stime(), header.cutime(), header.cstime(),
                restored.regs().withMsr(cpu.regs().msr()), header.fpvalid());
        assertThat(ElfNotes.writePrStatus(arch, again)).isEqualTo(prstatus);
        assertThat(ElfNotes.writeFpRegs(restored.fp())).isEqualTo(prfpreg);
        assertThat(ElfNotes.writeVmx(restored.altivec())).isEqualTo(vmx);
        if (vsx != null) {
            assertThat(ElfNotes.writeVsx(restored.vsx())).isEqualTo(vsx);
        }
    }

    @Test
    void speRoundTripsByteForByte() {
        // No SPE fixture exists (see fixtures/README.md): the layout is the kernel's evr_get.
        byte[] bytes = new byte[ElfNotes.SPE_SIZE];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7 + 1);
        }
        SpeRegs s = ElfNotes.readSpe(bytes);
        assertThat(s.evr(0)).isEqualTo(0x01080f16);
        java.nio.ByteBuffer be = java.nio.ByteBuffer.wrap(bytes);
        assertThat(s.evr(31)).isEqualTo(be.getInt(124));
        assertThat(s.acc()).isEqualTo(be.getLong(128));
        assertThat(s.spefscr()).isEqualTo(be.getInt(136));
        assertThat(ElfNotes.writeSpe(s)).isEqualTo(bytes);
        assertThat(ElfNotes.writeSpe(States.spe())).hasSize(140);
        assertThat(ElfNotes.readSpe(ElfNotes.writeSpe(States.spe()))).isEqualTo(States.spe());
    }

    @Test
    void readersRejectWhatTheWritersCouldNotReproduce() throws IOException {
        byte[] prstatus = fixture("ppc64-gdb-NT_PRSTATUS.bin");
        assertThatThrownBy(() -> ElfNotes.readPrStatus("ppc64", java.util.Arrays.copyOf(prstatus, 500)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("500 bytes, expected 504");
        byte[] padded = prstatus.clone();
        padded[112 + 45 * 8 + 3] = 1;
        assertThatThrownBy(() -> ElfNotes.readPrStatus("ppc64", padded))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pr_reg[44..47]")
                .hasMessageContaining("offset 464");
        byte[] vmx = fixture("ppc64-gdb-NT_PPC_VMX.bin").clone();
        vmx[512] = 9;
        assertThatThrownBy(() -> ElfNotes.readVmx(vmx)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vscr slot");
        assertThatThrownBy(() -> ElfNotes.readPrStatus("ppc", prstatus)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a32BitNoteRefusesValuesWiderThan32Bits() {
        GeneralRegs wide = GeneralRegs.zero().withGpr(5, 0x1_0000_0000L);
        assertThatThrownBy(() -> ElfNotes.writePrStatus("ppc32", PrStatus.of(wide)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gpr5 = 0x100000000");
        assertThat(ElfNotes.writePrStatus("ppc64", PrStatus.of(wide))).hasSize(504);
    }
}
