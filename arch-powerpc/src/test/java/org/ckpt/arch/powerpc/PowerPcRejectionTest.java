package org.ckpt.arch.powerpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;
import org.assertj.core.api.AbstractThrowableAssert;
import org.ckpt.RestartResult;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.UnsupportedImageException;
import org.ckpt.spi.TargetCpu;
import org.junit.jupiter.api.Test;

/**
 * One test per rule of the PowerPC check: each restarts a full image into a recording
 * target and asserts the failure names the register or feature, and that the target
 * was never committed to.
 */
class PowerPcRejectionTest {
    private static final TargetCpu PPC64_ALL = TargetCpu.of("ppc64", Set.of("altivec", "vsx"));
    private static final TargetCpu PPC32_G4 = TargetCpu.of("ppc32", Set.of("altivec"));

    /** Restarts {@code image} into a target of {@code cpu}; asserts it fails untouched. */
    private static AbstractThrowableAssert<?, ? extends Throwable> rejects(byte[] image, TargetCpu cpu,
                                                                          Class<? extends ImageException> type) {
        Images.RecordingTarget target = new Images.RecordingTarget(cpu);
        Throwable thrown = null;
        try {
            Images.restart(image, target);
        } catch (IOException e) {
            thrown = e;
        }
        assertThat(target.commits).as("commit must never be called").isEmpty();
        return assertThat(thrown).as("restart must fail").isInstanceOf(type);
    }

    private static RestartResult accepts(byte[] image, TargetCpu cpu) throws IOException {
        Images.RecordingTarget target = new Images.RecordingTarget(cpu);
        RestartResult r = Images.restart(image, target);
        assertThat(target.commits).containsExactly(r);
        return r;
    }

    // ---- feature bits -------------------------------------------------------------

    @Test
    void unknownFeatureBitInTheCpuRecord() throws IOException {
        byte[] image = Images.patch(Images.checkpoint(States.ppc64All()), Images.PPC_REGS, Images.REGS_FEATURES, 8,
                0x17 | (1L << 40));
        rejects(image, PPC64_ALL, UnsupportedImageException.class)
                .hasMessageContaining("unknown feature bits 0x10000000000").hasMessageContaining("features = 0x");
    }

    @Test
    void unknownFeatureBitInTheArchHead() throws IOException {
        byte[] image = Images.patch(Images.checkpoint(States.ppc64All()), Images.ARCH_HEAD, 8, 8, 0x17 | 0x20);
        rejects(image, PPC64_ALL, UnsupportedImageException.class)
                .hasMessageContaining("unknown feature bits 0x20").hasMessageContaining("ARCH_HEAD");
    }

    @Test
    void featureTheArchHeadExcludes() throws IOException {
        // SPE in the CPU record of a ppc64 image: the head's mask (0x17) has no bit 3.
        byte[] image = Images.patch(Images.checkpoint(PowerPcCpuState.of("ppc64", States.regs(true))), Images.PPC_REGS,
                Images.REGS_FEATURES, 8, PowerPc.FEATURE_SPE);
        rejects(image, TargetCpu.anyFeatures("ppc64"), InvalidImageException.class)
                .hasMessageContaining("SPE").hasMessageContaining("arch head excludes");
    }

    @Test
    void impossibleFeatureCombination() throws IOException {
        // VSX without ALTIVEC: drop the ALTIVEC bit and its record.
        byte[] all = Images.checkpoint(States.ppc64All());
        var recs = new java.util.ArrayList<>(Images.parse(all));
        recs.removeIf(r -> r.type() == Images.PPC_ALTIVEC);
        byte[] image = Images.patch(Images.assemble(all, recs), Images.PPC_REGS, Images.REGS_FEATURES, 8, 0x13);
        rejects(image, PPC64_ALL, InvalidImageException.class).hasMessageContaining("VSX needs FP and ALTIVEC");
    }

    @Test
    void targetWithoutAltivec() throws IOException {
        rejects(Images.checkpoint(States.ppc32Altivec()), TargetCpu.of("ppc32", Set.of()),
                UnsupportedImageException.class)
                .hasMessageContaining("feature ALTIVEC").hasMessageContaining("does not declare 'altivec'");
    }

    @Test
    void targetWithoutVsx() throws IOException {
        rejects(Images.checkpoint(States.ppc64All()), TargetCpu.of("ppc64", Set.of("altivec")),
                UnsupportedImageException.class)
                .hasMessageContaining("feature VSX").hasMessageContaining("does not declare 'vsx'");
    }

    @Test
    void targetWithoutSpe() throws IOException {
        rejects(Images.checkpoint(States.ppc32Spe()), PPC32_G4, UnsupportedImageException.class)
                .hasMessageContaining("feature SPE").hasMessageContaining("does not declare 'spe'");
    }

    // ---- bitness ------------------------------------------------------------------

    @Test
    void ppc64ImageOnA32BitTarget() throws IOException {
        rejects(Images.checkpoint(States.ppc64All()), TargetCpu.of("ppc32", Set.of("altivec", "vsx")),
                UnsupportedImageException.class)
                .hasMessageContaining("a ppc64 image cannot restart on a 32-bit target")
                .hasMessageContaining("'ppc64'");
    }

    @Test
    void ppc64ImageOnAPpc32TargetThatDeclares64Bit() throws IOException {
        RestartResult r = accepts(Images.checkpoint(States.ppc64All()),
                TargetCpu.of("ppc32", Set.of("altivec", "vsx", "ppc64")));
        assertThat(((PowerPcCpuState) r.tasks().get(0).cpu()).regs().msr() & ~PowerPc.FPEXC_MASK)
                .isEqualTo(PowerPc.MSR_USER64);
    }

    @Test
    void ppc32ImageOnA64BitTargetRunsIn32BitMode() throws IOException {
        RestartResult r = accepts(Images.checkpoint(States.ppc32Altivec()), TargetCpu.of("ppc64", Set.of("altivec")));
        PowerPcCpuState c = (PowerPcCpuState) r.tasks().get(0).cpu();
        assertThat(c.architecture()).isEqualTo("ppc32");
        // A 32-bit task stays 32-bit: the MSR its 32-bit view shows, without the kernel's HV bit.
        assertThat(c.regs().msr()).isEqualTo(PowerPc.MSR_USER_PPC32 | PowerPc.MSR_FE1);
        assertThat(c.regs().msr() >>> 32).isZero();
    }

    // ---- MSR ----------------------------------------------------------------------

    @Test
    void msrIsRebuiltNotTakenFromTheImage() throws IOException {
        // Every bit a user must not choose set in the image: HV, TS, ILE, LE, SE, BE, IP, FP, VEC, VSX, no PR.
        long hostile = PowerPc.MSR_SF | (-1L >>> 1) & ~PowerPc.MSR_PR;
        byte[] image = Images.patch(Images.checkpoint(States.ppc64All()), Images.PPC_REGS, Images.REGS_MSR, 8, hostile);
        PowerPcCpuState c = (PowerPcCpuState) accepts(image, PPC64_ALL).tasks().get(0).cpu();
        assertThat(c.regs().msr()).isEqualTo(PowerPc.MSR_USER64 | PowerPc.MSR_FE0 | PowerPc.MSR_FE1);

        byte[] image32 = Images.patch(Images.checkpoint(States.ppc32Spe()), Images.PPC_REGS, Images.REGS_MSR, 8,
                0xFFFF_FFFFL);
        PowerPcCpuState c32 = (PowerPcCpuState) accepts(image32, TargetCpu.of("ppc32", Set.of("spe"))).tasks().get(0)
                .cpu();
        assertThat(c32.regs().msr()).isEqualTo(PowerPc.MSR_USER_PPC32);
    }

    @Test
    void msrModeBitContradictingTheArchitecture() throws IOException {
        byte[] image = Images.patch(Images.checkpoint(States.ppc64All()), Images.PPC_REGS, Images.REGS_MSR, 8,
                0xd032L);
        rejects(image, PPC64_ALL, InvalidImageException.class)
                .hasMessageContaining("register msr = 0xd032").hasMessageContaining("MSR_SF")
                .hasMessageContaining("clear in a ppc64 image");
        byte[] image32 = Images.patch(Images.checkpoint(States.ppc32Altivec()), Images.PPC_REGS, Images.REGS_MSR,
                8, PowerPc.MSR_USER64);
        rejects(image32, PPC64_ALL, InvalidImageException.class).hasMessageContaining("set in a ppc32 image");
    }

    @Test
    void fpexcModeWithBitsOtherThanFe0Fe1() throws IOException {
        byte[] image = Images.patch(Images.checkpoint(States.ppc64All()), Images.PPC_FP, 272, 8, 0x8000);
        rejects(image, PPC64_ALL, InvalidImageException.class)
                .hasMessageContaining("fpexc_mode = 0x8000").hasMessageContaining("MSR_FE0");
    }

    @Test
    void nipOutsideUserSpace() throws IOException {
        byte[] image = Images.patch(Images.checkpoint(States.ppc32Altivec()), Images.PPC_REGS, Images.REGS_NIP, 8,
                0xFFFF_F000L);
        rejects(image, PPC32_G4, InvalidImageException.class)
                .hasMessageContaining("register nip = 0xfffff000").hasMessageContaining("user limit 0xfffff000");
    }

    // ---- DABR ---------------------------------------------------------------------

    @Test
    void dabrWithoutTranslationBit() throws IOException {
        byte[] image = Images.patch(Images.checkpoint(States.ppc64All()), Images.PPC_DEBUG, 8, 8, 0x1002_0003L);
        rejects(image, PPC64_ALL, InvalidImageException.class)
                .hasMessageContaining("register dabr = 0x10020003").hasMessageContaining("DABR_TRANSLATION");
    }

    @Test
    void dabrAddressAtOrAboveTheUserLimit() throws IOException {
        byte[] image = Images.patch(Images.checkpoint(States.ppc64All()), Images.PPC_DEBUG, 8, 8,
                PowerPc.USER_LIMIT_PPC64 | 0x7);
        rejects(image, PPC64_ALL, InvalidImageException.class)
                .hasMessageContaining("register dabr = 0x10000000000007")
                .hasMessageContaining("not below the ppc64 user limit 0x10000000000000");
        byte[] image32 = Images.patch(Images.checkpoint(States.ppc32Altivec()), Images.PPC_DEBUG, 8, 8,
                0xc000_0006L | 0xFFFF_F000L);
        rejects(image32, PPC64_ALL, InvalidImageException.class)
                .hasMessageContaining("not below the ppc32 user limit 0xfffff000");
    }

    @Test
    void dabrZeroOrJustBelowTheLimitIsAccepted() throws IOException {
        byte[] zero = Images.patch(Images.checkpoint(States.ppc64All()), Images.PPC_DEBUG, 8, 8, 0);
        assertThat(((PowerPcCpuState) accepts(zero, PPC64_ALL).tasks().get(0).cpu()).debug().dabr()).isZero();
        byte[] top = Images.patch(Images.checkpoint(States.ppc32Altivec()), Images.PPC_DEBUG, 8, 8,
                0xFFFF_EFF8L | 0x7);
        assertThat(((PowerPcCpuState) accepts(top, PPC32_G4).tasks().get(0).cpu()).debug().dabr())
                .isEqualTo(0xFFFF_EFFFL);
    }

    @Test
    void unknownFurtherDebugRegister() throws IOException {
        byte[] payload = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(32).putInt(1).putLong(0).putInt(0x99).putInt(0).putLong(0x1234).array();
        byte[] image = Images.replace(Images.checkpoint(States.ppc64All()), Images.PPC_DEBUG, payload);
        rejects(image, PPC64_ALL, UnsupportedImageException.class).hasMessageContaining("debug register id 0x99");
    }

    // ---- sizes --------------------------------------------------------------------

    @Test
    void unexpectedSectionSizeInARecord() throws IOException {
        byte[] image = Images.patch(Images.checkpoint(States.ppc64All()), Images.PPC_FP, 0, 4, 528);
        rejects(image, PPC64_ALL, InvalidImageException.class)
                .hasMessageContaining("PPC_FP (0x0121) size = 528, this reader expects 280");
        byte[] vsx = Images.patch(Images.checkpoint(States.ppc64All()), Images.PPC_VSX, 0, 4, 0);
        rejects(vsx, PPC64_ALL, InvalidImageException.class).hasMessageContaining("PPC_VSX (0x0125) size = 0");
    }

    @Test
    void unexpectedSectionSizeInTheArchHead() throws IOException {
        byte[] image = Images.patch(Images.checkpoint(States.ppc64All()), Images.ARCH_HEAD, 16, 4, 264);
        rejects(image, PPC64_ALL, InvalidImageException.class).hasMessageContaining("fp_size = 264");
        byte[] regs = Images.patch(Images.checkpoint(States.ppc64All()), Images.ARCH_HEAD, 4, 4, 200);
        rejects(regs, PPC64_ALL, InvalidImageException.class).hasMessageContaining("regs_size = 200");
    }

    @Test
    void debugSizeThatDoesNotMatchItsCount() throws IOException {
        byte[] image = Images.patch(Images.checkpoint(States.ppc64All()), Images.PPC_DEBUG, 0, 4, 32);
        rejects(image, PPC64_ALL, InvalidImageException.class).hasMessageContaining("size = 32, expected 16");
    }

    @Test
    void wordSizeAndByteOrderOfTheArchHead() throws IOException {
        byte[] le = Images.patch(Images.checkpoint(States.ppc64All()), Images.ARCH_HEAD, 0, 1, 2);
        rejects(le, PPC64_ALL, UnsupportedImageException.class).hasMessageContaining("little-endian");
        byte[] bad = Images.patch(Images.checkpoint(States.ppc64All()), Images.ARCH_HEAD, 0, 1, 7);
        rejects(bad, PPC64_ALL, InvalidImageException.class).hasMessageContaining("byte_order = 0x7");
        byte[] word = Images.patch(Images.checkpoint(States.ppc64All()), Images.ARCH_HEAD, 1, 1, 4);
        rejects(word, PPC64_ALL, InvalidImageException.class).hasMessageContaining("word_size = 4 in a ppc64 image");
    }

    @Test
    void reservedFieldsMustBeZero() throws IOException {
        byte[] image = Images.patch(Images.checkpoint(States.ppc64All()), Images.PPC_ALTIVEC, 12, 4, 1);
        rejects(image, PPC64_ALL, InvalidImageException.class).hasMessageContaining("reserved");
    }

    @Test
    void theUnpatchedImagesAreAccepted() throws IOException {
        accepts(Images.checkpoint(States.ppc64All()), PPC64_ALL);
        accepts(Images.checkpoint(States.ppc32Altivec()), PPC32_G4);
        accepts(Images.checkpoint(States.ppc32Spe()), TargetCpu.of("ppc32", Set.of("spe")));
    }
}
