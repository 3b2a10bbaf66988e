package org.ckpt.testkit.arch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.arch.powerpc.PowerPc;
import org.ckpt.arch.powerpc.PowerPcCpuState;
import org.ckpt.arch.powerpc.PowerPcElfNotes;
import org.ckpt.model.Task;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.image.RecordingTarget;
import org.ckpt.testkit.image.TestChannels;

/**
 * Generated PowerPC states go through a full image (Checkpointer → Restarter) and come
 * back bit for bit: under EXACT exactly as built, under LINUX_USER with only the MSR rebuilt;
 * a ppc32 state restarted into the model stays 32-bit and exports as a ppc32 core note.
 */
class PowerPcRoundTripProperties {

    @Provide
    Arbitrary<PowerPcCpuState> states() {
        return PowerPcStates.any();
    }

    private static Task task(PowerPcCpuState cpu) {
        return Task.builder().pid(100).tgid(100).comm("ppc").cpu(cpu).build();
    }

    @Provide
    Arbitrary<PowerPcCpuState> exactStates() {
        return Arbitraries.oneOf(PowerPcStates.exactCpu(PowerPc.PPC32), PowerPcStates.exactCpu(PowerPc.PPC64));
    }

    private static byte[] checkpoint(List<Task> tasks, String arch, int maxChunk, long seed) throws IOException {
        return checkpoint(tasks, arch, RestorePolicy.LINUX_USER, maxChunk, seed);
    }

    private static byte[] checkpoint(List<Task> tasks, String arch, RestorePolicy policy, int maxChunk, long seed)
            throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(arch).policy(policy).checkpointId(7).created(Instant.EPOCH).build()
                .checkpoint(tasks, TestChannels.shortWrites(sink, maxChunk, seed));
        return sink.toByteArray();
    }

    @Property(tries = 150)
    void exactGivesEveryRegisterBackBitForBit(@ForAll("exactStates") PowerPcCpuState cpu,
                                              @ForAll @IntRange(min = 1, max = 16) int chunk) throws IOException {
        byte[] image = checkpoint(List.of(task(cpu)), cpu.architecture(), RestorePolicy.EXACT, chunk, chunk);
        RestartResult model = Restarter.builder().build().restart(TestChannels.shortReads(image, chunk, 3L * chunk));
        assertThat(model.info().policy()).isEqualTo(RestorePolicy.EXACT);
        assertThat(model.tasks().get(0).cpu()).isEqualTo(cpu);
        // Into targets of either bitness that can run it: still exact.
        for (String arch : cpu.is64Bit() ? List.of(PowerPc.PPC64) : List.of(PowerPc.PPC32, PowerPc.PPC64)) {
            RecordingTarget target = new RecordingTarget(TargetCpu.anyFeatures(arch), RestorePolicy.EXACT);
            Restarter.builder().build().restart(TestChannels.source(image), target);
            assertThat(target.committed().tasks().get(0).cpu()).isEqualTo(cpu);
        }
        // What came back writes the same image.
        assertThat(checkpoint(List.of(task((PowerPcCpuState) model.tasks().get(0).cpu())), cpu.architecture(),
                RestorePolicy.EXACT, 4096, 0)).isEqualTo(image);
    }

    @Property(tries = 100)
    void aPpc32StateRestartedIntoTheModelExportsAsAPpc32Note(@ForAll("ppc32Exact") PowerPcCpuState cpu,
                                                             @ForAll RestorePolicy policy) throws IOException {
        PowerPcCpuState linuxValid = cpu.withRegs(cpu.regs().toBuilder()
                .nip(cpu.regs().nip() % PowerPc.USER_LIMIT_PPC32).build());
        if (linuxValid.fp() != null) {
            long fpexc = linuxValid.fp().fpexcMode() & PowerPc.FPEXC_MASK;
            linuxValid = linuxValid.withFp(linuxValid.fp().withFpexcMode(fpexc));
        }
        if (linuxValid.debug() != null) {
            linuxValid = linuxValid.withDebug(null);
        }
        byte[] image = checkpoint(List.of(task(linuxValid)), PowerPc.PPC32, policy, 4096, 0);
        PowerPcCpuState back = (PowerPcCpuState) Restarter.builder().build().restart(TestChannels.source(image))
                .tasks().get(0).cpu();
        assertThat(back).isEqualTo(policy == RestorePolicy.EXACT ? linuxValid : PowerPcStates.withUserMsr(linuxValid));
        byte[] note = PowerPcElfNotes.writePrStatus(PowerPc.PPC32, back.regs(), PowerPcElfNotes.PrStatusInfo.NONE);
        assertThat(PowerPcElfNotes.readPrStatus(PowerPc.PPC32, note)).isEqualTo(back.regs());
        PowerPcCpuState fromNotes = PowerPcElfNotes.toCpu(PowerPc.PPC32,
                PowerPcElfNotes.toNotes(back, PowerPcElfNotes.PrStatusInfo.NONE));
        assertThat(fromNotes.regs()).isEqualTo(back.regs());
        assertThat(fromNotes.features()).isEqualTo(back.features());
    }

    @Provide
    Arbitrary<PowerPcCpuState> ppc32Exact() {
        return PowerPcStates.exactCpu(PowerPc.PPC32);
    }

    @Property(tries = 200)
    void roundTripsBitExactlyThroughAFullImage(@ForAll("states") PowerPcCpuState cpu,
                                               @ForAll @IntRange(min = 1, max = 16) int chunk) throws IOException {
        byte[] image = checkpoint(List.of(task(cpu)), cpu.architecture(), chunk, chunk);
        RestartResult r = Restarter.builder().build().restart(TestChannels.shortReads(image, chunk, 31L * chunk));
        assertThat(r.bytesRead()).isEqualTo(image.length);
        PowerPcCpuState back = (PowerPcCpuState) r.tasks().get(0).cpu();
        assertThat(back).isEqualTo(PowerPcStates.withUserMsr(cpu));
        // The restored state writes the same image again, but for the MSR it carries.
        PowerPcCpuState withOriginalMsr = back.withRegs(back.regs().withMsr(cpu.regs().msr()));
        assertThat(checkpoint(List.of(task(withOriginalMsr)), cpu.architecture(), 16, 1))
                .isEqualTo(checkpoint(List.of(task(cpu)), cpu.architecture(), 16, 1)).hasSameSizeAs(image);
    }

    @Property(tries = 200)
    void commitsIntoATargetDeclaringExactlyTheFeaturesUsed(@ForAll("states") PowerPcCpuState cpu) throws IOException {
        Set<String> features = new HashSet<>();
        for (long m = cpu.features(); m != 0; m &= m - 1) {
            String f = PowerPc.targetFeature(Long.lowestOneBit(m));
            if (f != null) {
                features.add(f);
            }
        }
        // A ppc32 task lands on a 32-bit kernel, a ppc64 task on a 64-bit one.
        TargetCpu target = TargetCpu.of(cpu.architecture(), features);
        List<RestartResult> commits = new ArrayList<>();
        RestartTarget recording = new RestartTarget() {
            @Override
            public TargetCpu cpu() {
                return target;
            }

            @Override
            public org.ckpt.spi.RestorePolicy policy() {
                return org.ckpt.spi.RestorePolicy.LINUX_USER;
            }

            @Override
            public void commit(RestartResult image) {
                commits.add(image);
            }
        };
        byte[] image = checkpoint(List.of(task(cpu)), cpu.architecture(), 4096, 0);
        Restarter.builder().build().restart(TestChannels.source(image), recording);
        assertThat(commits).hasSize(1);
        assertThat(commits.get(0).tasks().get(0).cpu()).isEqualTo(PowerPcStates.withUserMsr(cpu));
    }
}
