package org.ckpt.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Builders and their documented defaults, withers, and the x87 helpers. */
class X86ValuesTest {

    // ---- general registers ----

    @Test
    void x86_64RegsBuilderDefaults() {
        X86_64Regs r = X86_64Regs.builder().build();
        long[] expected = new long[X86_64Regs.WORDS];
        expected[15] = -1; // orig_rax: not in a syscall
        expected[18] = 0x2; // eflags: bit 1 reads as one
        assertThat(r.toArray()).containsExactly(expected);
        assertThat(r.eflags()).isEqualTo(X86_64Regs.RESET_FLAGS);
        assertThat(r.architecture()).isEqualTo("x86_64");
    }

    @Test
    void x86_64RegsBuilderSetsEachRegisterByName() {
        X86_64Regs r = X86_64Regs.builder().r15(1).r14(2).r13(3).r12(4).rbp(5).rbx(6).r11(7).r10(8).r9(9).r8(10)
                .rax(11).rcx(12).rdx(13).rsi(14).rdi(15).origRax(16).rip(17).cs(18).eflags(19).rsp(20).ss(21)
                .fsBase(22).gsBase(23).ds(24).es(25).fs(26).gs(27).build();
        long[] w = r.toArray();
        for (int i = 0; i < w.length; i++) {
            assertThat(w[i]).as("word %d", i).isEqualTo(i + 1);
        }
        assertThat(r.toBuilder().build()).isEqualTo(r);
        assertThat(X86_64Regs.fromArray(w)).isEqualTo(r);
        assertThat(r.withRip(-1).rip()).isEqualTo(-1);
        assertThat(r.withEflags(0x47).flags()).isEqualTo(0x47);
        assertThat(r.ip()).isEqualTo(17);
        assertThat(r.sp()).isEqualTo(20);
        X86_64Regs sel = r.withSelectors(1, 2, 3, 4, 5, 6);
        assertThat(List.of(sel.cs(), sel.ss(), sel.ds(), sel.es(), sel.fs(), sel.gs())).containsExactly(1L, 2L, 3L,
                4L, 5L, 6L);
    }

    @Test
    void i386RegsBuilderDefaultsAndNames() {
        I386Regs d = I386Regs.builder().build();
        int[] expected = new int[I386Regs.WORDS];
        expected[11] = -1;
        expected[14] = 0x2;
        assertThat(d.toArray()).containsExactly(expected);
        I386Regs r = I386Regs.builder().ebx(1).ecx(2).edx(3).esi(4).edi(5).ebp(6).eax(7).ds(8).es(9).fs(10).gs(11)
                .origEax(12).eip(13).cs(14).eflags(15).esp(16).ss(17).build();
        int[] w = r.toArray();
        for (int i = 0; i < w.length; i++) {
            assertThat(w[i]).as("word %d", i).isEqualTo(i + 1);
        }
        assertThat(r.toBuilder().build()).isEqualTo(r);
        assertThat(r.withEip(-1).ip()).isEqualTo(0xFFFF_FFFFL);
        assertThat(r.withEflags(-1).flags()).isEqualTo(0xFFFF_FFFFL);
        assertThat(r.architecture()).isEqualTo("i386");
        I386Regs.Builder b = I386Regs.builder();
        I386Regs first = b.eax(1).build();
        b.eax(2);
        assertThat(first.eax()).as("a built value does not change with its builder").isEqualTo(1);
    }

    // ---- x87/SSE ----

    @Test
    void fxSaveBuilderDefaultsAreTheFninitState() {
        FxSave f = FxSave.builder().build();
        assertThat(f).isEqualTo(FxSave.initial());
        assertThat(f.fcw()).isEqualTo(0x037F);
        assertThat(f.fsw()).isZero();
        assertThat(f.ftw()).isZero();
        assertThat(f.tagWord()).isEqualTo(FxSave.EMPTY_TAG_WORD);
        assertThat(List.of(f.fop(), f.fcs(), f.fds())).containsOnly(0);
        assertThat(List.of(f.fip(), f.fdp())).containsOnly(0L);
        assertThat(f.mxcsr()).isEqualTo(0x1F80);
        assertThat(f.mxcsrMask()).isEqualTo(0xFFFF);
        assertThat(f.st()).containsOnly(0);
        assertThat(f.xmm()).containsOnly(0);
        assertThat(f.hasDerivedTagWord()).isTrue();
        assertThat(f.toBuilder().build()).isEqualTo(f);
    }

    @Test
    void theAbridgedTagWordDerivesTheFullOneFromTheContents() {
        byte[] st = new byte[FxSave.ST_BYTES];
        put(st, 0, 0x3FFF, 0x8000_0000_0000_0000L); // 1.0: valid
        put(st, 1, 0, 0); // +0: zero
        put(st, 2, 0x7FFF, 0xC000_0000_0000_0000L); // NaN: special
        put(st, 3, 0, 1); // denormal: special
        put(st, 4, 0x4000, 0x4000_0000_0000_0000L); // unnormal (J clear): special
        FxSave f = FxSave.builder().fsw(0).st(st).ftw(0x1F).build();
        assertThat(f.tagWord()).isEqualTo(0b11_11_11_10_10_10_01_00);
        assertThat(f.hasDerivedTagWord()).isTrue();
        assertThat(FxSave.abridgedTagWord(f.tagWord())).isEqualTo(0x1F);
        // with TOP = 2, ST(0) is physical R2: the tags move with it
        FxSave top2 = f.toBuilder().fsw(2 << 11).build();
        assertThat(top2.top()).isEqualTo(2);
        assertThat(top2.ftw()).isEqualTo(0x1F);
        assertThat(top2.tag(2)).isEqualTo(0);
        assertThat(top2.tag(0)).as("R0 = ST(6), empty in st but marked valid in ftw: zero").isEqualTo(1);
        assertThat(top2.physical(2)).isEqualTo(top2.st(0));
        assertThat(top2.physical(1)).isEqualTo(top2.st(7));
    }

    @Test
    void anExplicitTagWordSetsTheAbridgedOneAndSurvivesToBuilder() {
        FxSave f = FxSave.builder().tagWord(0x5555).build();
        assertThat(f.ftw()).isEqualTo(0xFF);
        assertThat(f.tagWord()).isEqualTo(0x5555);
        assertThat(f.hasDerivedTagWord()).as("all-zero registers are 'zero', 01: derived").isTrue();
        FxSave odd = FxSave.builder().tagWord(0x0000).build();
        assertThat(odd.hasDerivedTagWord()).as("zero registers tagged valid").isFalse();
        assertThat(odd.toBuilder().mxcsr(0).build().tagWord()).isZero();
        // ftw() after tagWord(): the abridged one wins and the full one is derived again
        assertThat(odd.toBuilder().ftw(0xFF).build().tagWord()).isEqualTo(0x5555);
        assertThat(odd.withTagWord(0xFFFF)).isEqualTo(FxSave.initial());
        // the constructor refuses tag words that disagree on which registers are empty
        assertThatThrownBy(() -> new FxSave(0x37F, 0, 0x01, 0, 0, 0, 0x1F80, 0, new byte[80], new byte[256], 0, 0,
                0xFFFF)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ftw 0x1");
        assertThatThrownBy(() -> FxSave.builder().tagWord(0x10000)).hasMessageContaining("16 bits");
    }

    @Test
    void physicalAndStackOrderConvertWithTop() {
        byte[] phys = new byte[FxSave.ST_BYTES];
        for (int r = 0; r < 8; r++) {
            Arrays.fill(phys, 10 * r, 10 * r + 10, (byte) r);
        }
        for (int top = 0; top < 8; top++) {
            byte[] st = FxSave.physicalToSt(phys, top);
            for (int i = 0; i < 8; i++) {
                assertThat(st[10 * i]).as("ST(%d) at TOP %d", i, top).isEqualTo((byte) ((top + i) & 7));
            }
            assertThat(FxSave.stToPhysical(st, top)).isEqualTo(phys);
            FxSave f = FxSave.builder().fsw(top << 11).physical(phys).build();
            for (int r = 0; r < 8; r++) {
                assertThat(f.physical(r)[0]).isEqualTo((byte) r);
            }
        }
        assertThatThrownBy(() -> FxSave.physicalToSt(new byte[79], 0)).hasMessageContaining("80 bytes");
    }

    @Test
    void fxSaveWidthsAreChecked() {
        FxSave f = FxSave.initial();
        assertThatThrownBy(() -> f.withSelectors(0x10000, 0)).hasMessageContaining("fcs");
        assertThatThrownBy(() -> f.withSelectors(0, -1)).hasMessageContaining("fds");
        assertThatThrownBy(() -> FxSave.builder().fop(0x10000).build()).hasMessageContaining("fop");
        assertThatThrownBy(() -> FxSave.builder().ftw(0x100).build()).hasMessageContaining("ftw");
        assertThatThrownBy(() -> FxSave.builder().pointers32(0, 0x10000, 0, 0)).hasMessageContaining("fcs");
    }

    @Test
    void fixtureFpuHasTheKernelsTagWord() {
        FxSave f = Fixtures.x86_64("kernel").fpu();
        // all eight registers hold normal numbers: the full tag word is 0 (FSAVE twd 0xffff0000)
        assertThat(f.tagWord()).isZero();
        assertThat(f.hasDerivedTagWord()).isTrue();
    }

    private static void put(byte[] st, int i, int exponent, long significand) {
        for (int k = 0; k < 8; k++) {
            st[10 * i + k] = (byte) (significand >>> (8 * k));
        }
        st[10 * i + 8] = (byte) exponent;
        st[10 * i + 9] = (byte) (exponent >>> 8);
    }

    // ---- states ----

    @Test
    void statesOfRegsHaveDocumentedDefaults() {
        X86_64State s = X86_64State.of(X86_64Regs.builder().rip(0x1000).build());
        assertThat(s.fpu()).isEqualTo(FxSave.initial());
        assertThat(s.xsave()).isNull();
        assertThat(s.debug()).isNull();
        assertThat(s.withDebug(X86DebugRegs.NONE).debug()).isEqualTo(X86DebugRegs.NONE);
        assertThat(s.withXsave(XSave.initial(0x7)).xsave().xcr0()).isEqualTo(0x7);
        I386State i = I386State.of(I386Regs.builder().build());
        assertThat(i.tls()).isNull();
        assertThat(i.debug()).isNull();
        assertThat(i.withTls(List.of(UserDesc.empty(12), UserDesc.empty(13), UserDesc.empty(14))).tls()).hasSize(3);
        assertThatThrownBy(() -> i.withTls(List.of(UserDesc.empty(12)))).hasMessageContaining("3 TLS descriptors");
        X86CpuState any = i;
        assertThat(any.regs()).isSameAs(i.regs());
    }

    @Test
    void debugRegsWithers() {
        X86DebugRegs d = X86DebugRegs.NONE.withAddress(2, 0x1000).withDr6(0xFFFF0FF0L).withDr7(0x400);
        assertThat(d).isEqualTo(new X86DebugRegs(0, 0, 0x1000, 0, 0xFFFF0FF0L, 0x400));
        assertThat(d.address(2)).isEqualTo(0x1000);
        assertThatThrownBy(() -> d.withAddress(4, 0)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void xsaveWithers() {
        XSave x = XSave.initial(0x207);
        byte[] pkru = {4, 0, 0, 0, 0, 0, 0, 0};
        XSave y = x.withData(XFeature.PKRU, pkru).withXstateBv(0x207);
        assertThat(y.data(XFeature.PKRU)).isEqualTo(pkru);
        assertThat(y.xstateBv()).isEqualTo(0x207);
        assertThatThrownBy(() -> x.withData(XFeature.OPMASK, new byte[64])).hasMessageContaining("not enabled");
        assertThatThrownBy(() -> x.withXstateBv(0x8)).hasMessageContaining("outside xcr0");
    }

    @Test
    void prStatusInfoBuilder() {
        assertThat(X86ElfNotes.PrStatusInfo.builder().build()).isEqualTo(X86ElfNotes.PrStatusInfo.NONE);
        X86ElfNotes.PrStatusInfo i = X86ElfNotes.PrStatusInfo.builder().siginfo(11, 1, 0).cursig(11).ids(7, 1, 7, 7)
                .utime(1, 2).stime(3, 4).cutime(5, 6).cstime(7, 8).signals(9, 10).fpvalid(1).build();
        assertThat(i).isEqualTo(new X86ElfNotes.PrStatusInfo(11, 1, 0, 11, 9, 10, 7, 1, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8,
                1));
        assertThat(i.toBuilder().build()).isEqualTo(i);
    }
}
