package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.Inspection;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.arch.x86.X86_64Regs;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.model.Task;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;

/** Showing what an image holds never changes it, and a refusal of the check phase does not hide it. */
class InspectionPolicyTest {
    private static final X86_64State AT_RESET = X86_64State.of(X86_64Regs.builder().rip(0xFFF0).eflags(0x47).build());

    private static byte[] exactImage() throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture("x86_64").policy(RestorePolicy.EXACT).build()
                .checkpoint(Task.builder().pid(1).comm("guest").cpu(AT_RESET).build(), sink);
        return sink.toByteArray();
    }

    @Test
    void theModelRestartAppliesThePolicyTheImageWasWrittenUnder() throws IOException {
        RestartResult r = Restarter.builder().build().restart(TestChannels.source(exactImage()));
        assertThat(r.info().policy()).isEqualTo(RestorePolicy.EXACT);
        assertThat(r.tasks().get(0).cpu()).isEqualTo(AT_RESET);
    }

    @Test
    void underAnotherPolicyTheInspectionReportsTheRefusalAndStillShowsTheImage() throws IOException {
        Restarter linux = Restarter.builder().policy(RestorePolicy.LINUX_USER).build();
        assertThatThrownBy(() -> linux.restart(TestChannels.source(exactImage())))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("cs = 0x0");
        Inspection i = linux.inspect(TestChannels.source(exactImage()), null);
        assertThat(i.checkFailure()).get().extracting(Throwable::getMessage).asString().contains("cs = 0x0");
        assertThat(i.result()).isNull();
        assertThat(i.imageTasks()).extracting(Task::cpu).containsExactly(AT_RESET);
        assertThat(i.image().info().policy()).isEqualTo(RestorePolicy.EXACT);
    }

    @Test
    void aLinuxUserInspectionShowsTheRegistersAsWrittenNotAsSanitised() throws IOException {
        X86_64State user = X86_64State.of(X86_64Regs.builder().rip(0x401000).eflags(0x246)
                .cs(X86_64Regs.USER_CS).ss(X86_64Regs.USER_DS).build());
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture("x86_64").build()
                .checkpoint(List.of(Task.builder().pid(1).comm("p").cpu(user.withRegs(user.regs().toBuilder()
                        .eflags(0x40246).build())).build()), sink);
        Inspection i = Restarter.builder().build().inspect(TestChannels.source(sink.toByteArray()), null);
        assertThat(((X86_64State) i.imageTasks().get(0).cpu()).regs().eflags()).isEqualTo(0x40246);
        assertThat(i.checkFailure()).isEmpty();
        assertThat(((X86_64State) i.result().tasks().get(0).cpu()).regs().eflags()).isEqualTo(0x40246 & 0x54dd5 | 0x202);
    }
}
