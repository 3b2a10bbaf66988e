package org.ckpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.ChecksumException;
import org.ckpt.testarch.TestCpu;
import org.junit.jupiter.api.Test;

class InspectTest {
    private static byte[] image() throws Exception {
        byte[] mem = new byte[4 * 4096];
        mem[5] = 7;
        GenericFile f = GenericFile.open(FileKind.REGULAR, "/etc/hosts", 0, 0100644, 12);
        Vma v = new Vma(0x400000, 0x404000, Vma.PROT_READ, Vma.SHARED, 0, f, PageData.of(0x400000, mem));
        AddressSpace mm = AddressSpace.of(List.of(v));
        FileTable files = FileTable.of(new FileTable.Entry(0, f, false));
        Task a = Task.builder().pid(42).tgid(42).comm("cat").mm(mm).files(files)
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
        Task b = Task.builder().pid(43).tgid(42).comm("cat").mm(mm).files(files).build();
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        Checkpointer.builder().architecture("test64").build().checkpoint(List.of(a, b), Channels.newChannel(bos));
        return bos.toByteArray();
    }

    @Test
    void reportsRecordsObjectsAndCpuAsWritten() throws Exception {
        byte[] img = image();
        List<ImageRecord> seen = new ArrayList<>();
        Inspection in = Restarter.builder().build()
                .inspect(Channels.newChannel(new ByteArrayInputStream(img)), seen::add);

        assertThat(seen).extracting(ImageRecord::typeName).containsExactly("HEAD", "ARCH_HEAD", "OBJECT", "OBJECT",
                "VMA", "PAGES", "OBJECT", "TASK", "0x01f0", "TASK", "TAIL");
        assertThat(8 + seen.stream().mapToLong(ImageRecord::size).sum()).isEqualTo(img.length);
        assertThat(seen.get(0).offset()).isEqualTo(8);
        assertThat(in.objects()).extracting(ImageObject::objref).containsExactly(1L, 2L, 3L);
        assertThat(in.objects()).extracting(ImageObject::typeName).containsExactly("file", "mm", "files");
        assertThat(in.objects().get(1).offset()).isEqualTo(seen.get(3).offset());

        Task a = in.result().tasks().get(0);
        assertThat(in.objref(a.mm())).isEqualTo(2);
        assertThat(in.objref(in.result().tasks().get(1).files())).isEqualTo(3);
        assertThat(in.objref(a.mm().vmas().get(0).file())).isEqualTo(1);
        assertThat(in.objref(new Object())).isZero();
        // the image holds the flags as written; the check phase masks them to the user bits
        assertThat(((TestCpu) in.imageTasks().get(0).cpu()).flags()).isEqualTo(0x1FF);
        assertThat(((TestCpu) a.cpu()).flags()).isEqualTo(0xFF);
    }

    @Test
    void recordsBeforeAFailureAreReported() throws Exception {
        byte[] img = image();
        List<ImageRecord> seen = new ArrayList<>();
        Restarter.builder().build().inspect(Channels.newChannel(new ByteArrayInputStream(img)), seen::add);
        long pagesAt = seen.get(5).offset();
        byte[] bad = Arrays.copyOf(img, img.length);
        bad[(int) pagesAt + 40] ^= 1;
        List<ImageRecord> before = new ArrayList<>();
        assertThatThrownBy(() -> Restarter.builder().build()
                .inspect(Channels.newChannel(new ByteArrayInputStream(bad)), before::add))
                .isInstanceOf(ChecksumException.class)
                .hasMessageContaining("offset " + pagesAt);
        assertThat(before).hasSize(5);
    }
}
