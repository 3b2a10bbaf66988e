package org.ckpt.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.ckpt.arch.x86.Fixtures.bytes;
import static org.ckpt.arch.x86.Fixtures.note;
import static org.ckpt.arch.x86.Fixtures.num;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The importer gives the values the fixture programs loaded; the exporter gives back the same bytes. */
class ElfNotesFixtureTest {
    private static final String[] X64_GPRS = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10",
        "r11", "r12", "r13", "r14", "r15"};

    @ParameterizedTest
    @ValueSource(strings = {"gcore", "kernel"})
    void x86_64PrStatus(String route) {
        byte[] note = note("x86_64", route, "NT_PRSTATUS");
        X86_64Regs r = (X86_64Regs) X86ElfNotes.readPrStatus("x86_64", note);
        long[] got = {r.rax(), r.rbx(), r.rcx(), r.rdx(), r.rsi(), r.rdi(), r.rbp(), r.r8(), r.r9(), r.r10(), r.r11(),
            r.r12(), r.r13(), r.r14(), r.r15()};
        for (int i = 0; i < X64_GPRS.length; i++) {
            assertThat(got[i]).as(X64_GPRS[i]).isEqualTo(num("x86_64", route, X64_GPRS[i]));
        }
        assertThat(r.gsBase()).isEqualTo(num("x86_64", route, "gs_base"));
        assertThat(r.eflags()).isEqualTo(num("x86_64", route, "eflags"));
        assertThat(r.cs()).isEqualTo(num("x86_64", route, "cs"));
        assertThat(r.ss()).isEqualTo(num("x86_64", route, "ss"));
        assertThat(List.of(r.ds(), r.es(), r.fs(), r.gs())).containsExactly(num("x86_64", route, "ds"),
                num("x86_64", route, "es"), num("x86_64", route, "fs"), num("x86_64", route, "gs"));
        assertThat(r.origRax()).isEqualTo(num("x86_64", route, "orig_rax"));
        X86ElfNotes.PrStatusInfo info = X86ElfNotes.prStatusInfo("x86_64", note);
        assertThat(info.cursig()).isEqualTo(num("x86_64", route, "cursig"));
        assertThat(info.fpvalid()).isEqualTo(num("x86_64", route, "pr_fpvalid"));
        assertThat(note).hasSize((int) num("x86_64", route, "prstatus.size"));
        assertThat(X86ElfNotes.writePrStatus(r, info)).isEqualTo(note);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcore", "kernel"})
    void x86_64FpRegSet(String route) {
        byte[] note = note("x86_64", route, "NT_FPREGSET");
        FxSave fx = X86ElfNotes.readFpRegs(note);
        assertFx(fx, "x86_64", route, 16);
        assertThat(fx.mxcsrMask()).isEqualTo((int) num("x86_64", route, "mxcsr_mask"));
        assertThat(X86ElfNotes.writeFpRegs(fx)).isEqualTo(note);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcore", "kernel"})
    void x86_64XState(String route) {
        byte[] note = note("x86_64", route, "NT_X86_XSTATE");
        XSaveLayout layout = Fixtures.layout("x86_64", route);
        X86ElfNotes.XState xs = X86ElfNotes.readXState(note, layout);
        assertThat(note).hasSize((int) num("x86_64", route, "xstate.size"));
        assertXState(xs, "x86_64", route, 16);
        assertThat(xs.fpu()).isEqualTo(X86ElfNotes.readFpRegs(note("x86_64", route, "NT_FPREGSET")));
        assertThat(X86ElfNotes.writeXState(xs.fpu(), xs.xsave(), layout)).isEqualTo(note);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcore", "kernel"})
    void i386PrStatus(String route) {
        byte[] note = note("i386", route, "NT_PRSTATUS");
        I386Regs r = (I386Regs) X86ElfNotes.readPrStatus("i386", note);
        assertThat(r.eax()).isEqualTo((int) num("i386", route, "eax"));
        assertThat(r.ebx()).isEqualTo((int) num("i386", route, "ebx"));
        assertThat(r.ecx()).isEqualTo((int) num("i386", route, "ecx"));
        assertThat(r.edx()).isEqualTo((int) num("i386", route, "edx"));
        assertThat(r.esi()).isEqualTo((int) num("i386", route, "esi"));
        assertThat(r.edi()).isEqualTo((int) num("i386", route, "edi"));
        assertThat(r.ebp()).isEqualTo((int) num("i386", route, "ebp"));
        assertThat(r.cs()).isEqualTo((int) num("i386", route, "xcs"));
        assertThat(r.ss()).isEqualTo((int) num("i386", route, "xss"));
        assertThat(r.ds()).isEqualTo((int) num("i386", route, "xds"));
        assertThat(r.es()).isEqualTo((int) num("i386", route, "xes"));
        assertThat(r.fs()).isEqualTo((int) num("i386", route, "xfs"));
        assertThat(r.gs()).isEqualTo((int) num("i386", route, "xgs"));
        assertThat(r.eflags()).isEqualTo((int) num("i386", route, "eflags"));
        assertThat(r.origEax()).isEqualTo((int) num("i386", route, "orig_eax"));
        X86ElfNotes.PrStatusInfo info = X86ElfNotes.prStatusInfo("i386", note);
        assertThat(info.cursig()).isEqualTo(num("i386", route, "cursig"));
        assertThat(info.fpvalid()).isEqualTo(num("i386", route, "pr_fpvalid"));
        assertThat(note).hasSize((int) num("i386", route, "prstatus.size"));
        assertThat(X86ElfNotes.writePrStatus(r, info)).isEqualTo(note);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcore", "kernel"})
    void i386XState(String route) {
        byte[] note = note("i386", route, "NT_X86_XSTATE");
        XSaveLayout layout = Fixtures.layout("i386", route);
        X86ElfNotes.XState xs = X86ElfNotes.readXState(note, layout);
        assertThat(note).hasSize((int) num("i386", route, "xstate.size"));
        assertXState(xs, "i386", route, 8);
        assertThat(X86ElfNotes.writeXState(xs.fpu(), xs.xsave(), layout)).isEqualTo(note);
    }

    @Test
    void i386PrXfpReg() {
        byte[] note = note("i386", "kernel", "NT_PRXFPREG");
        assertThat(note).hasSize((int) num("i386", "kernel", "note.NT_PRXFPREG.size"));
        FxSave fx = X86ElfNotes.readFpRegs(note);
        assertFx(fx, "i386", "kernel", 8);
        assertThat(fx.mxcsrMask()).isEqualTo((int) num("i386", "kernel", "mxcsr_mask"));
        assertThat(X86ElfNotes.writeFpRegs(fx)).isEqualTo(note);
        assertThat(fx).isEqualTo(X86ElfNotes.readXState(note("i386", "kernel", "NT_X86_XSTATE"),
                Fixtures.layout("i386", "kernel")).fpu());
    }

    @Test
    void i386FSave() {
        byte[] note = note("i386", "kernel", "NT_FPREGSET");
        assertThat(note).hasSize((int) num("i386", "kernel", "note.NT_FPREGSET.size"));
        I386Regs regs = (I386Regs) X86ElfNotes.readPrStatus("i386", note("i386", "kernel", "NT_PRSTATUS"));
        FxSave full = X86ElfNotes.readFpRegs(note("i386", "kernel", "NT_PRXFPREG"));
        FxSave fx = X86ElfNotes.readFSave(note, full, regs);
        assertThat(fx.fcw()).isEqualTo((int) num("i386", "kernel", "fcw"));
        assertThat(fx.fsw()).isEqualTo((int) num("i386", "kernel", "fsw"));
        assertThat(fx.ftw()).isEqualTo((int) num("i386", "kernel", "ftw"));
        for (int i = 0; i < 8; i++) {
            assertThat(fx.st(i)).as("st" + i).isEqualTo(bytes("i386", "kernel", "st" + i));
        }
        // the FSAVE note is what convert_from_fxsr makes of the FXSAVE image, byte for byte
        assertThat(fx).isEqualTo(full);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(note).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertThat(Integer.toUnsignedLong(b.getInt(0))).isEqualTo(num("i386", "kernel", "fsave.cwd"));
        assertThat(Integer.toUnsignedLong(b.getInt(4))).isEqualTo(num("i386", "kernel", "fsave.swd"));
        assertThat(Integer.toUnsignedLong(b.getInt(8))).isEqualTo(num("i386", "kernel", "fsave.twd"));
        assertThat(Integer.toUnsignedLong(b.getInt(16))).isEqualTo(num("i386", "kernel", "fsave.fcs"));
        assertThat(Integer.toUnsignedLong(b.getInt(24))).isEqualTo(num("i386", "kernel", "fsave.fos"));
        assertThat(X86ElfNotes.writeFSave(full, regs)).isEqualTo(note);
    }

    @Test
    void i386Tls() {
        byte[] note = note("i386", "kernel", "NT_386_TLS");
        assertThat(note).hasSize((int) num("i386", "kernel", "note.NT_386_TLS.size"));
        List<UserDesc> tls = X86ElfNotes.readTls(note);
        UserDesc ours = tls.get((int) num("i386", "kernel", "tls.slot"));
        assertThat(ours.entryNumber()).isEqualTo((int) num("i386", "kernel", "tls.entry_number"));
        assertThat(ours.baseAddr()).isEqualTo((int) num("i386", "kernel", "tls.base_addr"));
        assertThat(ours.limit()).isEqualTo((int) num("i386", "kernel", "tls.limit"));
        assertThat(ours.flags()).isEqualTo((int) num("i386", "kernel", "tls.flags"));
        assertThat(tls.get(2)).isEqualTo(UserDesc.empty(14));
        assertThat(X86ElfNotes.writeTls(tls)).isEqualTo(note);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "i386"})
    void xsaveLayoutNote(String arch) {
        byte[] note = note(arch, "kernel", "NT_X86_XSAVE_LAYOUT");
        XSaveLayout l = XSaveLayout.fromNote(note);
        assertThat(l.offset(XFeature.PKRU)).isEqualTo((int) num(arch, "kernel", "pkru.offset"));
        assertThat(l.offset(XFeature.AVX)).isEqualTo(576);
        assertThat(l.toNote()).isEqualTo(note);
    }

    @Test
    void wrongSizesAreRejectedWithTheExpectedSize() {
        assertThatThrownBy(() -> X86ElfNotes.readPrStatus("x86_64", new byte[144])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("336");
        assertThatThrownBy(() -> X86ElfNotes.readFpRegs(new byte[108])).hasMessageContaining("512");
        assertThatThrownBy(() -> X86ElfNotes.readTls(new byte[32])).hasMessageContaining("48");
        // the kernel's 2440-byte XSTATE is not Intel's standard layout: without the layout note it is refused
        assertThatThrownBy(() -> X86ElfNotes.readXState(note("x86_64", "kernel", "NT_X86_XSTATE")))
                .hasMessageContaining("2696");
    }

    // ---- whole states ----

    private static final int[] X64_NOTES = {X86ElfNotes.NT_PRSTATUS, X86ElfNotes.NT_FPREGSET,
        X86ElfNotes.NT_X86_XSTATE, X86ElfNotes.NT_X86_XSAVE_LAYOUT};
    private static final int[] I386_NOTES = {X86ElfNotes.NT_PRSTATUS, X86ElfNotes.NT_FPREGSET,
        X86ElfNotes.NT_PRXFPREG, X86ElfNotes.NT_X86_XSTATE, X86ElfNotes.NT_386_TLS, X86ElfNotes.NT_X86_XSAVE_LAYOUT};
    private static final java.util.Map<Integer, String> NAMES = java.util.Map.of(X86ElfNotes.NT_PRSTATUS,
            "NT_PRSTATUS", X86ElfNotes.NT_FPREGSET, "NT_FPREGSET", X86ElfNotes.NT_PRXFPREG, "NT_PRXFPREG",
            X86ElfNotes.NT_X86_XSTATE, "NT_X86_XSTATE", X86ElfNotes.NT_386_TLS, "NT_386_TLS",
            X86ElfNotes.NT_X86_XSAVE_LAYOUT, "NT_X86_XSAVE_LAYOUT");

    /** The register notes the fixture core of arch/route has, keyed by type, plus the other notes (ignored). */
    private static java.util.Map<Integer, byte[]> notes(String arch, String route) {
        java.util.Map<Integer, byte[]> m = new java.util.LinkedHashMap<>();
        for (int type : arch.equals("x86_64") ? X64_NOTES : I386_NOTES) {
            try {
                m.put(type, note(arch, route, NAMES.get(type)));
            } catch (IllegalArgumentException absent) {
                // gdb writes no FPREGSET/PRXFPREG/386_TLS for i386, and no layout note at all
            }
        }
        m.put(3, note(arch, route, "NT_PRPSINFO"));
        m.put(6, note(arch, route, "NT_AUXV"));
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcore", "kernel"})
    void x86_64WholeStateFromAndToNotes(String route) throws Exception {
        java.util.Map<Integer, byte[]> notes = notes("x86_64", route);
        X86_64State s = (X86_64State) X86ElfNotes.toCpu("x86_64", notes);
        assertThat(s.regs()).isEqualTo(X86ElfNotes.readPrStatus("x86_64", notes.get(X86ElfNotes.NT_PRSTATUS)));
        assertThat(s.fpu()).isEqualTo(X86ElfNotes.readFpRegs(notes.get(X86ElfNotes.NT_FPREGSET)));
        assertThat(s.xsave().xcr0()).isEqualTo(0x207);
        assertThat(s.debug()).as("cores carry no debug registers").isNull();
        assertThat(s).isEqualTo(Fixtures.x86_64(route).withDebug(null));
        X86ElfNotes.PrStatusInfo info = X86ElfNotes.prStatusInfo("x86_64", notes.get(X86ElfNotes.NT_PRSTATUS));
        java.util.Map<Integer, byte[]> back = X86ElfNotes.toNotes(s, info);
        assertThat(back.keySet()).containsExactly(X86ElfNotes.NT_PRSTATUS, X86ElfNotes.NT_FPREGSET,
                X86ElfNotes.NT_X86_XSTATE);
        assertThat(back.get(X86ElfNotes.NT_PRSTATUS)).isEqualTo(notes.get(X86ElfNotes.NT_PRSTATUS));
        assertThat(back.get(X86ElfNotes.NT_FPREGSET)).isEqualTo(notes.get(X86ElfNotes.NT_FPREGSET));
        byte[] xstate = notes.get(X86ElfNotes.NT_X86_XSTATE);
        if (route.equals("gcore")) {
            assertThat(back.get(X86ElfNotes.NT_X86_XSTATE)).as("gdb's standard layout").isEqualTo(xstate);
        } else {
            assertThat(X86ElfNotes.writeXState(s.fpu(), s.xsave(), Fixtures.layout("x86_64", route)))
                    .isEqualTo(xstate);
        }
        assertThat(X86ElfNotes.toCpu("x86_64", back)).isEqualTo(s);
        // through an image and back to the notes, byte for byte
        X86_64State restarted = (X86_64State) Images.restart(Images.checkpoint(s, org.ckpt.spi.RestorePolicy.EXACT));
        java.util.Map<Integer, byte[]> again = X86ElfNotes.toNotes(restarted, info);
        for (int type : again.keySet()) {
            assertThat(again.get(type)).as(NAMES.get(type)).isEqualTo(back.get(type));
        }
    }

    @Test
    void i386KernelWholeStateFromAndToNotes() throws Exception {
        java.util.Map<Integer, byte[]> notes = notes("i386", "kernel");
        I386State s = (I386State) X86ElfNotes.toCpu("i386", notes);
        assertThat(s).isEqualTo(Fixtures.i386Kernel().withDebug(null));
        assertThat(s.tls()).hasSize(3);
        X86ElfNotes.PrStatusInfo info = X86ElfNotes.prStatusInfo("i386", notes.get(X86ElfNotes.NT_PRSTATUS));
        java.util.Map<Integer, byte[]> back = X86ElfNotes.toNotes(s, info);
        assertThat(back.keySet()).as("the order of ia32_regsets").containsExactly(X86ElfNotes.NT_PRSTATUS,
                X86ElfNotes.NT_FPREGSET, X86ElfNotes.NT_PRXFPREG, X86ElfNotes.NT_X86_XSTATE, X86ElfNotes.NT_386_TLS);
        for (int type : new int[] {X86ElfNotes.NT_PRSTATUS, X86ElfNotes.NT_FPREGSET, X86ElfNotes.NT_PRXFPREG,
            X86ElfNotes.NT_386_TLS}) {
            assertThat(back.get(type)).as(NAMES.get(type)).isEqualTo(notes.get(type));
        }
        assertThat(X86ElfNotes.writeXState(s.fpu(), s.xsave(), Fixtures.layout("i386", "kernel")))
                .isEqualTo(notes.get(X86ElfNotes.NT_X86_XSTATE));
        assertThat(X86ElfNotes.toCpu("i386", back)).isEqualTo(s);
    }

    @Test
    void i386GcoreHasNoTlsNote() throws Exception {
        java.util.Map<Integer, byte[]> notes = notes("i386", "gcore");
        assertThat(notes).doesNotContainKey(X86ElfNotes.NT_386_TLS);
        I386State s = (I386State) X86ElfNotes.toCpu("i386", notes);
        assertThat(s.tls()).as("TLS unknown").isNull();
        assertThat(s.debug()).isNull();
        assertThat(s.regs().gs()).isEqualTo(0x63);
        // an unknown TLS survives an image under either policy
        assertThat(Images.restart(Images.checkpoint(s))).isEqualTo(s);
        assertThat(Images.restart(Images.checkpoint(s, org.ckpt.spi.RestorePolicy.EXACT))).isEqualTo(s);
        java.util.Map<Integer, byte[]> back = X86ElfNotes.toNotes(s, X86ElfNotes.prStatusInfo("i386",
                notes.get(X86ElfNotes.NT_PRSTATUS)));
        assertThat(back.keySet()).containsExactly(X86ElfNotes.NT_PRSTATUS, X86ElfNotes.NT_FPREGSET,
                X86ElfNotes.NT_PRXFPREG, X86ElfNotes.NT_X86_XSTATE);
        assertThat(back.get(X86ElfNotes.NT_PRSTATUS)).isEqualTo(notes.get(X86ElfNotes.NT_PRSTATUS));
        assertThat(back.get(X86ElfNotes.NT_X86_XSTATE)).isEqualTo(notes.get(X86ElfNotes.NT_X86_XSTATE));
        assertThat(X86ElfNotes.toCpu("i386", back)).isEqualTo(s);
    }

    @Test
    void fpuFromTheBestNoteThereIs() {
        byte[] pr = note("i386", "kernel", "NT_PRSTATUS");
        byte[] fsave = note("i386", "kernel", "NT_FPREGSET");
        I386Regs regs = (I386Regs) X86ElfNotes.readPrStatus("i386", pr);
        // FSAVE alone: x87 from it, SSE at its reset values
        I386State s = (I386State) X86ElfNotes.toCpu("i386", java.util.Map.of(X86ElfNotes.NT_PRSTATUS, pr,
                X86ElfNotes.NT_FPREGSET, fsave));
        assertThat(s.fpu()).isEqualTo(X86ElfNotes.readFSave(fsave, null, regs));
        assertThat(s.fpu().mxcsr()).isEqualTo(FxSave.DEFAULT_MXCSR);
        assertThat(s.xsave()).isNull();
        // no FP note at all (pr_fpvalid 0): the FNINIT state
        X86CpuState bare = X86ElfNotes.toCpu("x86_64", java.util.Map.of(X86ElfNotes.NT_PRSTATUS,
                note("x86_64", "gcore", "NT_PRSTATUS")));
        assertThat(bare.fpu()).isEqualTo(FxSave.initial());
        assertThatThrownBy(() -> X86ElfNotes.toCpu("x86_64", java.util.Map.of())).hasMessageContaining("NT_PRSTATUS");
        assertThatThrownBy(() -> X86ElfNotes.toCpu("ppc64", java.util.Map.of(1, pr)))
                .hasMessageContaining("not an x86 architecture");
        assertThatThrownBy(() -> X86ElfNotes.toCpu("x86_64", java.util.Map.of(1, pr))).hasMessageContaining("336");
    }

    @Test
    void fcsAndFdsOfA64BitStateHaveNoNote() {
        X86_64State s = Fixtures.x86_64("gcore").withFpu(Fixtures.x86_64("gcore").fpu().withSelectors(0x33, 0x2b));
        java.util.Map<Integer, byte[]> notes = X86ElfNotes.toNotes(s, X86ElfNotes.PrStatusInfo.NONE);
        assertThat(X86ElfNotes.toCpu("x86_64", notes)).isEqualTo(s.withFpu(s.fpu().withSelectors(0, 0))
                .withDebug(null));
    }

    private static void assertFx(FxSave fx, String arch, String route, int xmmCount) {
        assertThat(fx.fcw()).isEqualTo((int) num(arch, route, "fcw"));
        assertThat(fx.fsw()).isEqualTo((int) num(arch, route, "fsw"));
        assertThat(fx.ftw()).isEqualTo((int) num(arch, route, "ftw"));
        assertThat(fx.mxcsr()).isEqualTo((int) num(arch, route, "mxcsr"));
        for (int i = 0; i < 8; i++) {
            assertThat(fx.st(i)).as("st" + i).isEqualTo(bytes(arch, route, "st" + i));
        }
        for (int i = 0; i < xmmCount; i++) {
            assertThat(fx.xmm(i)).as("xmm" + i).isEqualTo(bytes(arch, route, "xmm" + i));
        }
    }

    private static void assertXState(X86ElfNotes.XState xs, String arch, String route, int regs) {
        assertFx(xs.fpu(), arch, route, regs);
        assertThat(xs.fpu().mxcsrMask()).isEqualTo((int) num(arch, route, "mxcsr_mask"));
        assertThat(xs.xsave().xcr0()).isEqualTo(num(arch, route, "xcr0"));
        assertThat(xs.xsave().xstateBv()).isEqualTo(num(arch, route, "xstate_bv"));
        byte[] avx = xs.xsave().data(XFeature.AVX);
        for (int i = 0; i < regs; i++) {
            assertThat(java.util.Arrays.copyOfRange(avx, 16 * i, 16 * i + 16)).as("ymmh" + i)
                    .isEqualTo(bytes(arch, route, "ymmh" + i));
        }
        if (route.equals("kernel")) {
            byte[] pkru = xs.xsave().data(XFeature.PKRU);
            long v = java.nio.ByteBuffer.wrap(pkru).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0) & 0xFFFFFFFFL;
            assertThat(v).isEqualTo(num(arch, route, "pkru"));
        }
    }
}
