package org.ckpt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.ckpt.model.*;
import org.ckpt.testarch.TestCpu;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void roundTrip() throws Exception {
        byte[] mem = new byte[4 * 4096];
        mem[5] = 7;
        mem[3 * 4096 + 9] = 9;
        GenericFile f = GenericFile.open(FileKind.REGULAR, "/etc/hosts", 0, 0100644, 12);
        Vma v = new Vma(0x400000, 0x404000, Vma.PROT_READ, Vma.SHARED, 0, f, PageData.of(0x400000, mem));
        Task t = Task.builder().pid(42).tgid(42).comm("cat").mm(AddressSpace.of(List.of(v)))
                .files(FileTable.of(new FileTable.Entry(0, f, false), new FileTable.Entry(3, f, true)))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        CheckpointResult r = Checkpointer.builder().architecture("test64").build().checkpoint(t, Channels.newChannel(bos));
        assertThat(r.pagesWritten()).isEqualTo(2);
        assertThat(r.zeroPagesSkipped()).isEqualTo(2);
        assertThat(r.bytesWritten()).isEqualTo(bos.size());
        RestartResult back = Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(bos.toByteArray())));
        Task t2 = back.tasks().get(0);
        assertThat(t2.comm()).isEqualTo("cat");
        assertThat(t2.files().get(0).file()).isSameAs(t2.files().get(3).file()).isSameAs(t2.mm().vmas().get(0).file());
        ByteBuffer got = ByteBuffer.allocate(mem.length);
        t2.mm().vmas().get(0).pages().read(0x400000, got);
        assertThat(got.array()).isEqualTo(mem);
        assertThat(((TestCpu) t2.cpu()).flags()).isEqualTo(0xFF);
    }
}
