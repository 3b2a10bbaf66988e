package org.ckpt.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.ServiceLoader;
import org.ckpt.arch.x86.Images.RecordingTarget;
import org.ckpt.spi.ArchProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real-process states through full images: Checkpointer → bytes → Restarter. */
class X86ImageRoundTripTest {

    @Test
    void providerIsFoundThroughServiceLoader() {
        assertThat(ServiceLoader.load(ArchProvider.class).stream().map(p -> p.get().architectures()))
                .anySatisfy(a -> assertThat(a).containsExactlyInAnyOrder("i386", "x86_64"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcore", "kernel"})
    void x86_64RoundTripsBitExactly(String route) throws Exception {
        X86_64State s = Fixtures.x86_64(route);
        byte[] image = Images.checkpoint(s);
        assertThat(Images.restart(image)).isEqualTo(s);
        RecordingTarget t = RecordingTarget.of("x86_64", "avx", "pkru");
        assertThat(Images.restart(image, t)).isEqualTo(s);
        assertThat(t.commits).hasSize(1);
        assertThat(t.committedCpu()).isEqualTo(s);
        // and the restarted state exports the very bytes the kernel wrote
        X86_64State back = (X86_64State) t.committedCpu();
        assertThat(X86ElfNotes.writeXState(back.fpu(), back.xsave(), Fixtures.layout("x86_64", route)))
                .isEqualTo(Fixtures.note("x86_64", route, "NT_X86_XSTATE"));
        // re-checkpointing gives the same image
        assertThat(Images.checkpoint(back)).isEqualTo(image);
    }

    @Test
    void i386RoundTripsBitExactlyInCompatMode() throws Exception {
        I386State s = Fixtures.i386Kernel();
        byte[] image = Images.checkpoint(s);
        assertThat(Images.restart(image)).isEqualTo(s);
        RecordingTarget t = RecordingTarget.of("x86_64", "avx", "pkru");
        assertThat(Images.restart(image, t)).isEqualTo(s);
        assertThat(t.committedCpu()).isEqualTo(s);
        I386State back = (I386State) t.committedCpu();
        assertThat(X86ElfNotes.writeTls(back.tls())).isEqualTo(Fixtures.note("i386", "kernel", "NT_386_TLS"));
        assertThat(X86ElfNotes.writePrStatus(back.regs(), X86ElfNotes.prStatusInfo("i386", Fixtures.note("i386", "kernel",
                "NT_PRSTATUS")))).isEqualTo(Fixtures.note("i386", "kernel", "NT_PRSTATUS"));
        assertThat(Images.checkpoint(back)).isEqualTo(image);
    }

    @Test
    void i386GcoreStateRoundTrips() throws Exception {
        I386Regs regs = (I386Regs) X86ElfNotes.readPrStatus("i386", Fixtures.note("i386", "gcore", "NT_PRSTATUS"));
        X86ElfNotes.XState xs = X86ElfNotes.readXState(Fixtures.note("i386", "gcore", "NT_X86_XSTATE"));
        // gdb writes no NT_386_TLS: describe glibc's %gs=0x63 and our %fs=0x6b entries as the kernel core has them
        List<UserDesc> tls = X86ElfNotes.readTls(Fixtures.note("i386", "kernel", "NT_386_TLS"));
        I386State s = new I386State(regs, xs.fpu(), xs.xsave(), X86DebugRegs.NONE, tls);
        assertThat(Images.restart(Images.checkpoint(s))).isEqualTo(s);
    }

    @Test
    void i386ImageOnANativeI386TargetGetsNativeSelectorsAndTlsEntries() throws Exception {
        I386State s = Fixtures.i386Kernel();
        RecordingTarget t = RecordingTarget.of("i386", "avx", "pkru");
        I386State got = (I386State) Images.restart(Images.checkpoint(s), t);
        assertThat(got.regs().cs()).isEqualTo(0x73);
        assertThat(got.regs().ss()).isEqualTo(0x7b);
        assertThat(got.regs().ds()).isEqualTo(0x7b);
        assertThat(got.regs().es()).isEqualTo(0x7b);
        assertThat(got.regs().gs()).as("glibc TLS, GDT 12 -> 6").isEqualTo(0x33);
        assertThat(got.regs().fs()).as("our TLS, GDT 13 -> 7").isEqualTo(0x3b);
        assertThat(got.tls()).extracting(UserDesc::entryNumber).containsExactly(6, 7, 8);
        assertThat(got.tls().get(1).baseAddr()).isEqualTo(0x0bad1000);
        assertThat(got.regs().eip()).isEqualTo(s.regs().eip());
        assertThat(got.regs().eflags()).isEqualTo(0x10ed7);
        assertThat(t.committedCpu()).isEqualTo(got);
    }

    @Test
    void stateWithoutXsaveRoundTrips() throws Exception {
        X86_64State full = Fixtures.x86_64("kernel");
        X86_64State s = new X86_64State(full.regs(), full.fpu(), null,
                new X86DebugRegs(0x401000, 0x601008, 0, 0, 0xFFFF0FF0L, 0x000D0007L));
        byte[] image = Images.checkpoint(s);
        RecordingTarget t = RecordingTarget.of("x86_64");
        assertThat(Images.restart(image, t)).isEqualTo(s);
    }
}
