package org.ckpt.arch.x86.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.ByteBuffer;
import org.ckpt.arch.x86.Fixtures;
import org.ckpt.arch.x86.FxSave;
import org.ckpt.arch.x86.I386State;
import org.ckpt.arch.x86.ImagesAccess;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.UnsupportedImageException;
import org.junit.jupiter.api.Test;

/** Structural checks of the x86 records: every size, count, feature mask and reserved field read is checked. */
class X86ImageFormatTest {
    private static final byte[] IMAGE = ImagesAccess.x86_64Image();

    private static ImageException fails(int type, java.util.function.Consumer<ByteBuffer> edit) {
        byte[] bad = ImagesAccess.patch(IMAGE, type, edit);
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> ImagesAccess.restart(bad));
        assertThat(t).isInstanceOf(ImageException.class);
        return (ImageException) t;
    }

    @Test
    void archHeadLayout() {
        assertThat(X86ArchHead.current("x86_64").xfeatures()).isEqualTo(0x602FFL);
        assertThat(X86ArchHead.current("x86_64").xstateMaxSize()).isEqualTo(10248);
        assertThat(X86ArchHead.current("i386").regsSize()).isEqualTo(76);
    }

    @Test
    void unknownFeatureBitsInTheArchHeadAreRejected() {
        ImageException e = fails(0x0002, b -> b.putLong(16, b.getLong(16) | (1L << 19)));
        assertThat(e).isInstanceOf(UnsupportedImageException.class);
        assertThat(e.getMessage()).contains("xfeatures 0xe02ff").contains("0x80000");
        e = fails(0x0002, b -> b.putLong(16, b.getLong(16) | (1L << 8)));
        assertThat(e).isInstanceOf(UnsupportedImageException.class).hasMessageContaining("0x100");
    }

    @Test
    void archHeadSizesAreChecked() {
        assertThat(fails(0x0002, b -> b.putInt(0, 223))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("regs_size 223, expected 224");
        assertThat(fails(0x0002, b -> b.putInt(24, 99))).hasMessageContaining("xstate_max_size 99");
        assertThat(fails(0x0002, b -> b.putLong(16, 0x1))).hasMessageContaining("x87|SSE");
    }

    @Test
    void xstateRecordIsChecked() {
        assertThat(fails(X86Format.XSTATE, b -> b.putLong(0, 0x207L | (1L << 20))))
                .isInstanceOf(UnsupportedImageException.class).hasMessageContaining("xcr0 0x100207");
        assertThat(fails(X86Format.XSTATE, b -> b.putLong(8, 0x10007L))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("xstate_bv 0x10007");
        assertThat(fails(X86Format.XSTATE, b -> b.putInt(16, 3))).hasMessageContaining("component_count");
        assertThat(fails(X86Format.XSTATE, b -> b.putInt(28, 255))).hasMessageContaining("AVX size 255");
        assertThat(fails(X86Format.XSTATE, b -> b.putLong(0, 0x203L))).hasMessageContaining("xcr0 0x203");
    }

    @Test
    void regsAndFxsaveReservedFieldsAreChecked() {
        assertThat(fails(X86Format.REGS_X86_64, b -> b.putInt(0, 0x11))).isInstanceOf(UnsupportedImageException.class)
                .hasMessageContaining("flags 0x11").hasMessageContaining("unknown bits 0x10");
        assertThat(fails(X86Format.REGS_X86_64, b -> b.putInt(0, 1 << 31)))
                .isInstanceOf(UnsupportedImageException.class).hasMessageContaining("0x80000000");
        // bit 2 (no X86_TLS32) has no meaning for an x86_64 image
        assertThat(fails(X86Format.REGS_X86_64, b -> b.putInt(0, 5))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("flags 0x5").hasMessageContaining("i386");
        // bit 1 says "no X86_DEBUGREGS", but the record is there: it is met where none may be
        assertThat(fails(X86Format.REGS_X86_64, b -> b.putInt(0, 3))).isInstanceOf(ImageException.class);
        // bit 3 says "X86_FPU_EXT follows", but X86_XSTATE does
        assertThat(fails(X86Format.REGS_X86_64, b -> b.putInt(0, 9))).isInstanceOf(ImageException.class);
        assertThat(fails(X86Format.REGS_X86_64, b -> b.putInt(4, 1))).hasMessageContaining("reserved");
        assertThat(fails(X86Format.FXSAVE, b -> b.put(5, (byte) 1))).hasMessageContaining("reserved byte");
    }

    @Test
    void xstateFlagWithoutARecordIsAnError() {
        // clear the "XSTATE follows" flag: the reader then meets an X86_XSTATE where it expects X86_DEBUGREGS
        assertThat(fails(X86Format.REGS_X86_64, b -> b.putInt(0, 0))).isInstanceOf(ImageException.class);
    }

    @Test
    void checkpointRefusesForeignStates() {
        assertThatThrownBy(() -> ImagesAccess.checkpointAs("i386", ImagesAccess.fixture64()))
                .hasMessageContaining("x86_64");
        X86_64State s = ImagesAccess.fixture64();
        assertThat(s.is64Bit()).isTrue();
    }

    // ---- optional records (flags bits 1-3) and X86_FPU_EXT ----

    private static final X86_64State EXT = ImagesAccess.fixture64().withDebug(null)
            .withFpu(ImagesAccess.fixture64().fpu().withSelectors(0x1234, 0x5678).withTagWord(0x5555));

    @Test
    void fpuExtLayoutByteForByte() {
        byte[] image = ImagesAccess.image(EXT, RestorePolicy.EXACT);
        assertThat(ImagesAccess.recordTypes(image)).containsSubsequence(X86Format.REGS_X86_64, X86Format.FXSAVE,
                X86Format.FPU_EXT, X86Format.XSTATE, 0x0003).doesNotContain(X86Format.DEBUGREGS);
        assertThat(ImagesAccess.payload(image, X86Format.FPU_EXT)).containsExactly(0x34, 0x12, 0x78, 0x56, 0x55, 0x55,
                0, 0);
        // flags: XSTATE (bit 0), no DEBUGREGS (bit 1), FPU_EXT (bit 3)
        assertThat(ImagesAccess.payload(image, X86Format.REGS_X86_64)).startsWith(0x0B, 0, 0, 0, 0, 0, 0, 0);
        // the abridged tag word stays in X86_FXSAVE, as the CPU wrote it
        assertThat(ImagesAccess.payload(image, X86Format.FXSAVE)[4]).isEqualTo((byte) 0xFF);
    }

    @Test
    void i386FlagsForUnknownTlsAndDebugRegisters() {
        I386State s = Fixtures.i386Kernel().withTls(null).withDebug(null);
        byte[] image = ImagesAccess.image(s, RestorePolicy.EXACT);
        assertThat(ImagesAccess.recordTypes(image)).doesNotContain(X86Format.TLS_I386, X86Format.DEBUGREGS,
                X86Format.FPU_EXT);
        assertThat(ImagesAccess.payload(image, X86Format.REGS_I386)).startsWith(0x07, 0, 0, 0);
        byte[] tlsOnly = ImagesAccess.image(Fixtures.i386Kernel().withDebug(null), RestorePolicy.LINUX_USER);
        assertThat(ImagesAccess.recordTypes(tlsOnly)).contains(X86Format.TLS_I386).doesNotContain(X86Format.DEBUGREGS);
    }

    @Test
    void fpuExtIsChecked() throws Exception {
        byte[] image = ImagesAccess.image(EXT, RestorePolicy.EXACT);
        assertThat(ImagesAccess.restart(image)).isEqualTo(EXT);
        Throwable t = catchThrowable(() -> ImagesAccess.restart(ImagesAccess.patch(image, X86Format.FPU_EXT,
                b -> b.putShort(6, (short) 1))));
        assertThat(t).isInstanceOf(InvalidImageException.class).hasMessageContaining("reserved")
                .hasMessageContaining("record 0x0106");
        // a tag word that calls a register empty which X86_FXSAVE's ftw marks valid
        t = catchThrowable(() -> ImagesAccess.restart(ImagesAccess.patch(image, X86Format.FPU_EXT,
                b -> b.putShort(4, (short) 0xC555))));
        assertThat(t).isInstanceOf(InvalidImageException.class).hasMessageContaining("tag_word 0xc555")
                .hasMessageContaining("ftw is 0xff");
        // the FPU_EXT flag cleared: the reader meets X86_FPU_EXT where X86_XSTATE belongs
        t = catchThrowable(() -> ImagesAccess.restart(ImagesAccess.patch(image, X86Format.REGS_X86_64,
                b -> b.putInt(0, 3))));
        assertThat(t).isInstanceOf(ImageException.class);
    }

    @Test
    void theWriterAddsFpuExtOnlyWhenNeeded() {
        FxSave plain = ImagesAccess.fixture64().fpu();
        assertThat(X86Records.needsFpuExt(plain)).isFalse();
        assertThat(X86Records.needsFpuExt(plain.withSelectors(1, 0))).isTrue();
        assertThat(X86Records.needsFpuExt(plain.withSelectors(0, 1))).isTrue();
        assertThat(X86Records.needsFpuExt(plain.withTagWord(0x5555))).as("valid registers tagged zero").isTrue();
        assertThat(X86Records.needsFpuExt(plain.withTagWord(plain.tagWord()))).isFalse();
        assertThat(X86Records.needsFpuExt(FxSave.builder().pointers32(1, 0x23, 2, 0x2b).build())).isFalse();
    }
}
