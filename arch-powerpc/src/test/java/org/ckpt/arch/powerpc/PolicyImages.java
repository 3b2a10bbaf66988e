package org.ckpt.arch.powerpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.time.Instant;
import java.util.Set;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.arch.powerpc.internal.PowerPcArchProvider;
import org.ckpt.model.Task;
import org.ckpt.spi.ArchHead;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RestorePolicy;

/**
 * Both directions of one policy side by side: what a checkpoint refuses, and what the
 * restart of the very bytes it would have written says about them.
 */
final class PolicyImages {
    private static final ArchProvider PROVIDER = new PowerPcArchProvider();

    private PolicyImages() {
    }

    /**
     * Asserts that a checkpoint of {@code cpu} under {@code policy} is refused, that a model
     * restart under {@code policy} of the records the checkpoint would have written rejects
     * them, and that the checkpoint's message carries the restart's reason; returns the
     * restart's exception.
     */
    static ImageException refusedAlike(PowerPcCpuState cpu, RestorePolicy policy) throws IOException {
        Task task = Images.task(cpu);
        Throwable refused = org.assertj.core.api.Assertions.catchThrowable(
                () -> Images.checkpoint(task, cpu.architecture(), policy));
        assertThat(refused).as("%s checkpoint of %s", policy, cpu).isInstanceOf(CheckpointException.class);
        byte[] unchecked = write(task, cpu.architecture(), policy, new Unchecked());
        ImageException rejected = null;
        try {
            restart(unchecked, policy);
        } catch (ImageException e) {
            rejected = e;
        }
        assertThat(rejected).as("%s restart of what the checkpoint refused (%s)", policy, refused.getMessage())
                .isNotNull();
        assertThat(refused.getMessage()).as("%s: the checkpoint refuses with the restart's reason", policy)
                .contains(rejected.reason());
        return rejected;
    }

    /** Asserts that {@code cpu} checkpoints under EXACT and a model restart gives it back bit for bit. */
    static void exactRoundTrip(PowerPcCpuState cpu) throws IOException {
        RestartResult r = restart(Images.checkpoint(cpu, RestorePolicy.EXACT), RestorePolicy.EXACT);
        assertThat(r.tasks().get(0).cpu()).as("EXACT round trip").isEqualTo(cpu);
    }

    /** A model restart under {@code policy}. */
    static RestartResult restart(byte[] image, RestorePolicy policy) throws IOException {
        return Restarter.builder().register(PROVIDER).policy(policy).build()
                .restart(Channels.newChannel(new ByteArrayInputStream(image)));
    }

    static void refusedByCheckpoint(PowerPcCpuState cpu, RestorePolicy policy, String fragment) {
        assertThatThrownBy(() -> Images.checkpoint(cpu, policy)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining(fragment);
    }

    private static byte[] write(Task task, String architecture, RestorePolicy policy, ArchProvider p)
            throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        Checkpointer.builder().architecture(architecture).policy(policy).register(p).checkpointId(42)
                .created(Instant.EPOCH).build().checkpoint(task, Channels.newChannel(bos));
        return bos.toByteArray();
    }

    /** The real provider but for a check that accepts everything: the bytes a refused checkpoint would write. */
    private static final class Unchecked implements ArchProvider {
        @Override
        public Set<String> architectures() {
            return PROVIDER.architectures();
        }

        @Override
        public Set<Integer> recordTypes() {
            return PROVIDER.recordTypes();
        }

        @Override
        public long addressLimit(String architecture, RestorePolicy policy) {
            return PROVIDER.addressLimit(architecture, policy);
        }

        @Override
        public ArchHead archHead(String architecture) {
            return PROVIDER.archHead(architecture);
        }

        @Override
        public void writeArchHead(ArchHead head, PayloadWriter out) throws IOException {
            PROVIDER.writeArchHead(head, out);
        }

        @Override
        public ArchHead readArchHead(String architecture, PayloadReader in) throws IOException {
            return PROVIDER.readArchHead(architecture, in);
        }

        @Override
        public void checkpointCpu(CpuState state, CkptContext ctx) throws IOException {
            PROVIDER.checkpointCpu(state, ctx);
        }

        @Override
        public CpuState restoreCpu(CkptContext ctx) throws IOException {
            return PROVIDER.restoreCpu(ctx);
        }

        @Override
        public CpuState check(CpuState state, CkptContext ctx) {
            return state;
        }
    }
}
