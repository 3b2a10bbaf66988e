package org.ckpt.arch.powerpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.ckpt.RestartResult;
import org.ckpt.spi.RestorePolicy;
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
class PowerPcElfNotesFixtureTest {
    private static final Properties EXPECTED = new Properties();

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = PowerPcElfNotesFixtureTest.class.getResourceAsStream("/fixtures/expected.properties")) {
            EXPECTED.load(in);
        }
    }

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = PowerPcElfNotesFixtureTest.class.getResourceAsStream("/fixtures/" + name)) {
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
        assertThat(bytes).hasSize(PowerPcElfNotes.prStatusSize(arch));
        GeneralRegs r = PowerPcElfNotes.readPrStatus(arch, bytes);
        PowerPcElfNotes.PrStatusInfo s = PowerPcElfNotes.prStatusInfo(arch, bytes);
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
        assertThat(s.cursig()).isEqualTo((int) value(o + "pr_cursig"));
        assertThat(r.nip()).isEqualTo(value(o + "nip"));
        assertThat(r.msr()).isEqualTo(value(o + "msr"));
        assertThat(r.trap()).isEqualTo(value(o + "trap"));
        assertThat(r.origGpr3()).isEqualTo(value(o + "orig_gpr3"));
        assertThat(r.dar()).isEqualTo(value(o + "dar"));
        assertThat(r.dsisr()).isEqualTo(value(o + "dsisr"));
        assertThat(r.result()).isEqualTo(value(o + "result"));
        assertThat(r.softe()).isEqualTo(value(o + (arch.equals("ppc64") ? "softe" : "mq")));
        assertThat(s.signo()).isEqualTo(route.equals("qemu") ? 5 : 0);
        assertThat(s.pid()).isNotZero();

        assertThat(PowerPcElfNotes.writePrStatus(arch, r, s)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ppc64", "ppc32"})
    void prfpregHoldsTheLoadedValues(String arch) throws IOException {
        byte[] bytes = fixture(arch + "-gdb-NT_PRFPREG.bin");
        FpRegs fp = PowerPcElfNotes.readFpRegs(bytes);
        for (int n = 0; n < 32; n++) {
            assertThat(fp.fpr(n)).as("fpr" + n).isEqualTo(value(arch + ".fpr" + n));
            assertThat(Double.longBitsToDouble(fp.fpr(n))).isEqualTo(n + 0.5);
        }
        assertThat(fp.fpscr()).isEqualTo(value(arch + ".fpscr")).isEqualTo(0x4001);
        assertThat(fp.fpexcMode()).isZero();
        assertThat(PowerPcElfNotes.writeFpRegs(fp)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ppc64", "ppc32"})
    void vmxHoldsTheLoadedValues(String arch) throws IOException {
        byte[] bytes = fixture(arch + "-gdb-NT_PPC_VMX.bin");
        AltivecRegs a = PowerPcElfNotes.readVmx(bytes);
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
        assertThat(PowerPcElfNotes.writeVmx(a)).isEqualTo(bytes);
    }

    @Test
    void vsxHoldsTheLoadedValues() throws IOException {
        byte[] bytes = fixture("ppc64-gdb-NT_PPC_VSX.bin");
        VsxRegs v = PowerPcElfNotes.readVsx(bytes);
        for (int n = 0; n < 32; n++) {
            assertThat(v.vsrLow(n)).as("vsx" + n).isEqualTo(value("ppc64.vsx" + n));
            assertThat(Double.longBitsToDouble(v.vsrLow(n))).isEqualTo(-(n + 0.25));
        }
        assertThat(PowerPcElfNotes.writeVsx(v)).isEqualTo(bytes);
    }

    /** The notes of the gdb core of {@code arch}, keyed by type as a host would collect them. */
    static Map<Integer, byte[]> gdbNotes(String arch) throws IOException {
        Map<Integer, byte[]> notes = new LinkedHashMap<>();
        notes.put(PowerPcElfNotes.NT_PRSTATUS, fixture(arch + "-gdb-NT_PRSTATUS.bin"));
        notes.put(PowerPcElfNotes.NT_PRFPREG, fixture(arch + "-gdb-NT_PRFPREG.bin"));
        notes.put(PowerPcElfNotes.NT_PPC_VMX, fixture(arch + "-gdb-NT_PPC_VMX.bin"));
        if (arch.equals("ppc64")) {
            notes.put(PowerPcElfNotes.NT_PPC_VSX, fixture("ppc64-gdb-NT_PPC_VSX.bin"));
        }
        return notes;
    }

    @ParameterizedTest
    @ValueSource(strings = {"ppc64", "ppc32"})
    void wholeStateFromTheNotesAndBackToTheSameBytes(String arch) throws IOException {
        Map<Integer, byte[]> notes = gdbNotes(arch);
        PowerPcCpuState cpu = PowerPcElfNotes.toCpu(arch, notes);
        assertThat(cpu.features()).isEqualTo(PowerPc.FEATURE_FP | PowerPc.FEATURE_ALTIVEC
                | (arch.equals("ppc64") ? PowerPc.FEATURE_VSX : 0));
        // qemu's MSR has FE0|FE1 set: Linux would report fpexc_mode there.
        assertThat(cpu.fp().fpexcMode()).isEqualTo(PowerPc.FPEXC_MASK);
        assertThat(cpu.regs()).isEqualTo(PowerPcElfNotes.readPrStatus(arch, notes.get(PowerPcElfNotes.NT_PRSTATUS)));

        PowerPcElfNotes.PrStatusInfo info = PowerPcElfNotes.prStatusInfo(arch, notes.get(PowerPcElfNotes.NT_PRSTATUS));
        Map<Integer, byte[]> back = PowerPcElfNotes.toNotes(cpu, info);
        assertThat(back.keySet()).containsExactlyElementsOf(notes.keySet());
        for (Map.Entry<Integer, byte[]> e : notes.entrySet()) {
            assertThat(back.get(e.getKey())).as("note type 0x%x", e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(PowerPcElfNotes.toCpu(arch, back)).isEqualTo(cpu);
    }

    @ParameterizedTest
    @CsvSource({"ppc64,EXACT", "ppc64,LINUX_USER", "ppc32,EXACT", "ppc32,LINUX_USER"})
    void aWholeCoreGoesThroughAnImageAndBackToTheSameNotes(String arch, RestorePolicy policy) throws IOException {
        Map<Integer, byte[]> notes = gdbNotes(arch);
        PowerPcCpuState cpu = PowerPcElfNotes.toCpu(arch, notes);
        PowerPcElfNotes.PrStatusInfo info = PowerPcElfNotes.prStatusInfo(arch, notes.get(PowerPcElfNotes.NT_PRSTATUS));

        RestartResult back = Images.restart(Images.checkpoint(cpu, policy));
        PowerPcCpuState restored = (PowerPcCpuState) back.tasks().get(0).cpu();
        Map<Integer, byte[]> exported = PowerPcElfNotes.toNotes(restored, info);
        if (policy == RestorePolicy.EXACT) {
            assertThat(restored).isEqualTo(cpu);
            for (Map.Entry<Integer, byte[]> e : notes.entrySet()) {
                assertThat(exported.get(e.getKey())).as("note type 0x%x", e.getKey()).isEqualTo(e.getValue());
            }
        } else {
            long userMsr = (arch.equals("ppc64") ? PowerPc.MSR_USER64 : PowerPc.MSR_USER_PPC32) | PowerPc.FPEXC_MASK;
            assertThat(restored).isEqualTo(cpu.withRegs(cpu.regs().withMsr(userMsr)));
            // Only the MSR differs from the core's notes.
            assertThat(PowerPcElfNotes.writePrStatus(arch, restored.regs().withMsr(cpu.regs().msr()), info))
                    .isEqualTo(notes.get(PowerPcElfNotes.NT_PRSTATUS));
            assertThat(exported.get(PowerPcElfNotes.NT_PRFPREG)).isEqualTo(notes.get(PowerPcElfNotes.NT_PRFPREG));
            assertThat(exported.get(PowerPcElfNotes.NT_PPC_VMX)).isEqualTo(notes.get(PowerPcElfNotes.NT_PPC_VMX));
        }
        assertThat(PowerPcElfNotes.toCpu(arch, exported)).isEqualTo(restored);
    }

    @Test
    void toCpuNeedsPrStatusSkipsProcessNotesAndRefusesUnknownOnes() throws IOException {
        Map<Integer, byte[]> notes = new HashMap<>(gdbNotes("ppc32"));
        notes.put(3, new byte[124]);
        notes.put(6, new byte[16]);
        assertThat(PowerPcElfNotes.toCpu("ppc32", notes)).isEqualTo(PowerPcElfNotes.toCpu("ppc32", gdbNotes("ppc32")));
        notes.put(0x103, new byte[8]);
        assertThatThrownBy(() -> PowerPcElfNotes.toCpu("ppc32", notes)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("note type 0x103");
        Map<Integer, byte[]> noStatus = new HashMap<>(gdbNotes("ppc32"));
        noStatus.remove(PowerPcElfNotes.NT_PRSTATUS);
        assertThatThrownBy(() -> PowerPcElfNotes.toCpu("ppc32", noStatus)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no NT_PRSTATUS");
        Map<Integer, byte[]> speAndVmx = new HashMap<>(gdbNotes("ppc32"));
        speAndVmx.put(PowerPcElfNotes.NT_PPC_SPE, PowerPcElfNotes.writeSpe(States.spe()));
        assertThatThrownBy(() -> PowerPcElfNotes.toCpu("ppc32", speAndVmx))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SPE and ALTIVEC");
    }

    @Test
    void toNotesWritesSpeLastAndLeavesDebugAndFpexcModeOut() {
        PowerPcCpuState spe = States.ppc32Spe().withFp(States.fp(PowerPc.MSR_FE1))
                .withDebug(PowerPcDebugRegs.of(0x1000_0004L));
        Map<Integer, byte[]> notes = PowerPcElfNotes.toNotes(spe, PowerPcElfNotes.PrStatusInfo.NONE);
        assertThat(notes.keySet()).containsExactly(PowerPcElfNotes.NT_PRSTATUS, PowerPcElfNotes.NT_PRFPREG,
                PowerPcElfNotes.NT_PPC_SPE);
        PowerPcCpuState back = PowerPcElfNotes.toCpu("ppc32", notes);
        assertThat(back.debug()).isNull();
        // fpexc_mode comes back as the FE bits of the MSR (0x02006940 has FE0|FE1).
        assertThat(back.fp().fpexcMode()).isEqualTo(spe.regs().msr() & PowerPc.FPEXC_MASK);
        assertThat(back.spe()).isEqualTo(spe.spe());
    }

    @Test
    void prStatusInfoBuilderAndRoundTrip() {
        PowerPcElfNotes.PrStatusInfo info = PowerPcElfNotes.PrStatusInfo.builder().siginfo(5, 1, 0).cursig(5)
                .signals(0x100, 0x2).ids(10, 1, 10, 10).utime(1, 2).stime(3, 4).cutime(5, 6).cstime(7, 8)
                .fpvalid(1).build();
        assertThat(info).isEqualTo(new PowerPcElfNotes.PrStatusInfo(5, 1, 0, 5, 0x100, 0x2, 10, 1, 10, 10, 1, 2, 3,
                4, 5, 6, 7, 8, 1));
        assertThat(PowerPcElfNotes.PrStatusInfo.builder().build()).isEqualTo(PowerPcElfNotes.PrStatusInfo.NONE);
        assertThat(info.toBuilder().build()).isEqualTo(info);
        for (String arch : new String[] {"ppc32", "ppc64"}) {
            GeneralRegs regs = States.regs(arch.equals("ppc64"));
            byte[] note = PowerPcElfNotes.writePrStatus(arch, regs, info);
            assertThat(note).hasSize(PowerPcElfNotes.prStatusSize(arch));
            assertThat(PowerPcElfNotes.prStatusInfo(arch, note)).isEqualTo(info);
            assertThat(PowerPcElfNotes.readPrStatus(arch, note)).isEqualTo(regs);
        }
        PowerPcElfNotes.PrStatusInfo wide = info.toBuilder().signals(1L << 32, 0).build();
        assertThatThrownBy(() -> PowerPcElfNotes.writePrStatus("ppc32", GeneralRegs.zero(), wide))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pr_sigpend = 0x100000000");
        assertThatThrownBy(() -> info.toBuilder().cursig(0x10000).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pr_cursig");
    }

    @Test
    void speRoundTripsByteForByte() {
        // No SPE fixture exists (see fixtures/README.md): the layout is the kernel's evr_get.
        byte[] bytes = new byte[PowerPcElfNotes.SPE_SIZE];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7 + 1);
        }
        SpeRegs s = PowerPcElfNotes.readSpe(bytes);
        assertThat(s.evr(0)).isEqualTo(0x01080f16);
        java.nio.ByteBuffer be = java.nio.ByteBuffer.wrap(bytes);
        assertThat(s.evr(31)).isEqualTo(be.getInt(124));
        assertThat(s.acc()).isEqualTo(be.getLong(128));
        assertThat(s.spefscr()).isEqualTo(be.getInt(136));
        assertThat(PowerPcElfNotes.writeSpe(s)).isEqualTo(bytes);
        assertThat(PowerPcElfNotes.writeSpe(States.spe())).hasSize(140);
        assertThat(PowerPcElfNotes.readSpe(PowerPcElfNotes.writeSpe(States.spe()))).isEqualTo(States.spe());
    }

    @Test
    void readersRejectWhatTheWritersCouldNotReproduce() throws IOException {
        byte[] prstatus = fixture("ppc64-gdb-NT_PRSTATUS.bin");
        assertThatThrownBy(() -> PowerPcElfNotes.readPrStatus("ppc64", java.util.Arrays.copyOf(prstatus, 500)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("500 bytes, expected 504");
        byte[] padded = prstatus.clone();
        padded[112 + 45 * 8 + 3] = 1;
        assertThatThrownBy(() -> PowerPcElfNotes.readPrStatus("ppc64", padded))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pr_reg[44..47]")
                .hasMessageContaining("offset 464");
        byte[] vmx = fixture("ppc64-gdb-NT_PPC_VMX.bin").clone();
        vmx[512] = 9;
        assertThatThrownBy(() -> PowerPcElfNotes.readVmx(vmx)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vscr slot");
        assertThatThrownBy(() -> PowerPcElfNotes.readPrStatus("ppc", prstatus))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a32BitNoteRefusesValuesWiderThan32Bits() {
        GeneralRegs wide = GeneralRegs.zero().withGpr(5, 0x1_0000_0000L);
        PowerPcElfNotes.PrStatusInfo none = PowerPcElfNotes.PrStatusInfo.NONE;
        assertThatThrownBy(() -> PowerPcElfNotes.writePrStatus("ppc32", wide, none))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gpr5 = 0x100000000");
        assertThat(PowerPcElfNotes.writePrStatus("ppc64", wide, none)).hasSize(504);
    }
}
