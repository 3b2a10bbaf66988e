package org.ckpt.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.spi.RestorePolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Images written before issue 13 (src/test/resources/images-0.1) stay what today's writer
 * produces for the same states, byte for byte, and restart to those states: the new
 * flags and records appear only in images of states that need them.
 */
class X86ImageCompatibilityTest {
    private static byte[] stored(String name) throws IOException {
        try (InputStream in = X86ImageCompatibilityTest.class.getResourceAsStream("/images-0.1/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void fixtureStatesGiveTheSameBytesAsBefore() throws Exception {
        check("fixture-x86_64-kernel.img", Fixtures.x86_64("kernel"));
        check("fixture-x86_64-gcore.img", Fixtures.x86_64("gcore"));
        check("fixture-i386-kernel.img", Fixtures.i386Kernel());
        X86_64State full = Fixtures.x86_64("kernel");
        check("fixture-x86_64-noxsave-debug.img", new X86_64State(full.regs(), full.fpu(), null,
                new X86DebugRegs(0x401000, 0x601008, 0, 0, 0xFFFF0FF0L, 0x000D0007L)));
    }

    private static void check(String name, X86CpuState state) throws Exception {
        byte[] old = stored(name);
        assertThat(Images.checkpoint(state)).as(name).isEqualTo(old);
        assertThat(Images.restart(old)).as(name).isEqualTo(state);
        assertThat(state.fpu().hasDerivedTagWord()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64.img", "i386-compat.img", "i386-native.img"})
    void generatedImagesRewriteToTheSameBytes(String name) throws Exception {
        byte[] old = stored(name);
        RestartResult r = Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(old)));
        assertThat(r.info().policy()).isEqualTo(RestorePolicy.LINUX_USER);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Checkpointer.builder().sameHeadAs(r.info()).build().checkpoint(r.tasks(), Channels.newChannel(out));
        assertThat(out.toByteArray()).isEqualTo(old);
    }
}
