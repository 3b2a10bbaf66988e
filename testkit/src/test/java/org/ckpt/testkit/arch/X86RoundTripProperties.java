package org.ckpt.testkit.arch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.arch.x86.X86CpuState;
import org.ckpt.model.Task;

/** Generated x86 states survive a full image (Checkpointer → bytes → Restarter) bit for bit. */
class X86RoundTripProperties {

    @Provide
    Arbitrary<X86CpuState> states() {
        return X86States.any();
    }

    @Property(tries = 200)
    void roundTripsBitExactly(@ForAll("states") X86CpuState state) throws Exception {
        Task task = Task.builder().pid(1).tgid(1).comm("gen").cpu(state).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CheckpointResult w = Checkpointer.builder().architecture(state.architecture()).build()
                .checkpoint(task, Channels.newChannel(out));
        RestartResult r = Restarter.builder().build()
                .restart(Channels.newChannel(new ByteArrayInputStream(out.toByteArray())));
        assertThat(r.bytesRead()).isEqualTo(w.bytesWritten());
        assertThat(r.tasks().get(0).cpu()).isEqualTo(state);
    }
}
