package org.ckpt.testkit.arch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
import org.ckpt.arch.powerpc.PowerPcCpu;
import org.ckpt.model.Task;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.image.TestChannels;

/**
 * Generated PowerPC states go through a full image (Checkpointer → Restarter) and
 * come back bit for bit, with only the MSR rebuilt as the check phase does.
 */
class PowerPcRoundTripProperties {

    @Provide
    Arbitrary<PowerPcCpu> states() {
        return PowerPcStates.any();
    }

    private static Task task(PowerPcCpu cpu) {
        return Task.builder().pid(100).tgid(100).comm("ppc").cpu(cpu).build();
    }

    private static byte[] checkpoint(List<Task> tasks, String arch, int maxChunk, long seed) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(arch).checkpointId(7).created(Instant.EPOCH).build()
                .checkpoint(tasks, TestChannels.shortWrites(sink, maxChunk, seed));
        return sink.toByteArray();
    }

    @Property(tries = 200)
    void roundTripsBitExactlyThroughAFullImage(@ForAll("states") PowerPcCpu cpu,
                                               @ForAll @IntRange(min = 1, max = 16) int chunk) throws IOException {
        byte[] image = checkpoint(List.of(task(cpu)), cpu.architecture(), chunk, chunk);
        RestartResult r = Restarter.builder().build().restart(TestChannels.shortReads(image, chunk, 31L * chunk));
        assertThat(r.bytesRead()).isEqualTo(image.length);
        PowerPcCpu back = (PowerPcCpu) r.tasks().get(0).cpu();
        assertThat(back).isEqualTo(PowerPcStates.withUserMsr(cpu, true));
        // The restored state writes the same image again, but for the MSR it carries.
        PowerPcCpu withOriginalMsr = back.withRegs(back.regs().withMsr(cpu.regs().msr()));
        assertThat(checkpoint(List.of(task(withOriginalMsr)), cpu.architecture(), 16, 1))
                .isEqualTo(checkpoint(List.of(task(cpu)), cpu.architecture(), 16, 1)).hasSameSizeAs(image);
    }

    @Property(tries = 200)
    void commitsIntoATargetDeclaringExactlyTheFeaturesUsed(@ForAll("states") PowerPcCpu cpu) throws IOException {
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
        assertThat(commits.get(0).tasks().get(0).cpu()).isEqualTo(PowerPcStates.withUserMsr(cpu, cpu.is64Bit()));
    }
}
