package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.AbortedImageException;
import org.ckpt.spi.CheckpointException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;

class EngineEdgeCasesTest {
    @Test
    void failureInsideAnObjectLeavesAnErrorRecordThatTheReaderReports() {
        // The page run lies outside its area: the VMA record is already written when this is found.
        Vma bad = Vma.anonymous(0x10000, 0x11000, PageData.of(0x20000, new byte[4096]));
        Task t = Task.builder().pid(3).comm("x").mm(AddressSpace.of(List.of(bad))).build();
        TestChannels.Sink sink = TestChannels.sink();
        assertThatThrownBy(() -> Checkpointer.builder().architecture(TestArch.NAME).build().checkpoint(t, sink))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("task 0 (pid 3) \u203a mm \u203a vma 0x10000");
        assertThatThrownBy(() -> Restarter.builder().build().restart(TestChannels.source(sink.toByteArray())))
                .isInstanceOf(AbortedImageException.class)
                .hasMessageContaining("outside the area");
    }

    @Test
    void largePagesAreSplitToFitTheRecordLimit() throws Exception {
        int page = 64 << 10;
        int pages = 300;
        ByteBuffer mem = ByteBuffer.allocateDirect(page * pages);
        for (int i = 0; i < pages; i++) {
            mem.put(i * page + 1, (byte) (i % 255 + 1));
        }
        Vma v = Vma.anonymous(0x100000, 0x100000 + (long) page * pages, PageData.of(0x100000, mem));
        List<Task> tasks = List.of(Task.builder().pid(1).comm("big").mm(AddressSpace.of(List.of(v))).build());
        TestChannels.Sink sink = TestChannels.sink();
        CheckpointResult w = Checkpointer.builder().architecture(TestArch.NAME).pageSize(page).build()
                .checkpoint(tasks, sink);
        assertThat(w.pagesWritten()).isEqualTo(pages);
        RestartResult r = Restarter.builder().build().restart(TestChannels.source(sink.toByteArray()));
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(tasks);
    }

    @Test
    void privateFileBackedAreasKeepDirtyZeroPagesAndDropCleanOnes() throws Exception {
        org.ckpt.model.GenericFile lib = org.ckpt.model.GenericFile.open(org.ckpt.model.FileKind.REGULAR,
                "/lib/libc.so", 0, 0100755, 0);
        byte[] dirty = new byte[2 * 4096];
        dirty[4096 + 5] = 1;
        PageData pages = PageData.builder()
                .run(0x10000, ByteBuffer.wrap(dirty))                     // a dirty zero page and a dirty page
                .cleanRun(0x12000, ByteBuffer.wrap(new byte[4096]))       // clean: comes from the file
                .build();
        Vma priv = new Vma(0x10000, 0x13000, Vma.PROT_READ, 0, 0, lib, pages);
        Vma anon = Vma.anonymous(0x20000, 0x22000, PageData.of(0x20000, new byte[2 * 4096]));
        Task t = Task.builder().pid(1).comm("ld").mm(AddressSpace.of(List.of(priv, anon))).build();
        CheckpointResult w = Checkpointer.builder().architecture(TestArch.NAME).build()
                .checkpoint(t, TestChannels.nullSink());
        assertThat(w.pagesWritten()).isEqualTo(2);
        assertThat(w.cleanPagesSkipped()).isEqualTo(1);
        assertThat(w.zeroPagesSkipped()).isEqualTo(2);
    }

    @Test
    void progressListenerSeesEveryTaskAndTheFinalCounts() throws Exception {
        List<Task> tasks = Generators.build(5, 3, 4, List.of());
        List<long[]> calls = new java.util.ArrayList<>();
        CheckpointResult w = Checkpointer.builder().architecture(TestArch.NAME)
                .progressListener((done, total, bytes, pagesSoFar) -> calls.add(new long[] {done, total, bytes}))
                .build().checkpoint(tasks, TestChannels.nullSink());
        assertThat(calls).isNotEmpty();
        assertThat(calls.get(calls.size() - 1)[0]).isEqualTo(3);
        assertThat(calls.get(calls.size() - 1)[1]).isEqualTo(3);
        assertThat(calls.get(calls.size() - 1)[2]).isLessThan(w.bytesWritten());
    }

    @Test
    void aChannelFailingMidwayPropagatesItsIOException() {
        List<Task> tasks = Generators.build(11, 2, 5, List.of());
        java.nio.channels.WritableByteChannel broken = TestChannels.failingAfter(TestChannels.sink(), 300);
        assertThatThrownBy(() -> Checkpointer.builder().architecture(TestArch.NAME).build().checkpoint(tasks, broken))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("failing after 300 bytes");
    }
}
