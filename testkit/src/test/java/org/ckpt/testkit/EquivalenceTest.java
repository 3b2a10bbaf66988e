package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.junit.jupiter.api.Test;

/** The checker the round-trip properties rely on must itself catch differences. */
class EquivalenceTest {
    private static Task task(byte value, GenericFile a, GenericFile b) {
        byte[] page = new byte[4096];
        page[17] = value;
        Vma v = Vma.anonymous(0x10000, 0x12000, PageData.of(0x11000, page));
        return Task.builder().pid(1).comm("t").mm(AddressSpace.of(List.of(v)))
                .files(FileTable.of(new FileTable.Entry(0, a, false), new FileTable.Entry(1, b, false))).build();
    }

    @Test
    void reportsAChangedByteWithItsPath() {
        GenericFile f = GenericFile.open(FileKind.REGULAR, "/f", 0, 0100644, 0);
        assertThat(Equivalence.firstDifference(List.of(task((byte) 1, f, f)), List.of(task((byte) 2, f, f))))
                .contains("task 0 \u203a mm \u203a vma 0x10000 \u203a page 0x11000 byte 17: expected 0x1, was 0x2");
    }

    @Test
    void reportsLostAndInventedSharing() {
        GenericFile f = GenericFile.open(FileKind.REGULAR, "/f", 0, 0100644, 0);
        GenericFile g = GenericFile.open(FileKind.REGULAR, "/f", 0, 0100644, 0);
        assertThat(Equivalence.firstDifference(List.of(task((byte) 1, f, f)), List.of(task((byte) 1, f, g))))
                .hasValueSatisfying(d -> assertThat(d).contains("came back as two different objects"));
        assertThat(Equivalence.firstDifference(List.of(task((byte) 1, f, g)), List.of(task((byte) 1, f, f))))
                .hasValueSatisfying(d -> assertThat(d).contains("came back as one shared object"));
    }

    @Test
    void equalTasksHaveNoDifference() {
        GenericFile f = new GenericFile(FileKind.REGULAR, "/f", 0, 0100644, 3, 0, ByteBuffer.wrap(new byte[] {1}));
        assertThat(Equivalence.firstDifference(List.of(task((byte) 1, f, f)), List.of(task((byte) 1, f, f)))).isEmpty();
    }

    /** Found by fuzzing (fuzz/…/checksumsRepaired/crash-5bf57e…): areas were compared as one array. */
    @Test
    void comparesAreasLargerThanAnArrayByTheirPages() {
        long start = 0x10_0000_0000L;
        long end = start + (8L << 30);
        byte[] page = new byte[4096];
        page[5] = 1;
        Task one = Task.builder().pid(1).comm("t").mm(AddressSpace.of(List.of(
                Vma.anonymous(start, end, PageData.of(end - 4096, page))))).build();
        byte[] other = page.clone();
        other[5] = 2;
        Task two = Task.builder().pid(1).comm("t").mm(AddressSpace.of(List.of(
                Vma.anonymous(start, end, PageData.of(end - 4096, other))))).build();
        Task none = Task.builder().pid(1).comm("t").mm(AddressSpace.of(List.of(
                Vma.anonymous(start, end, PageData.none())))).build();
        assertThat(Equivalence.firstDifference(List.of(one), List.of(one))).isEmpty();
        assertThat(Equivalence.firstDifference(List.of(one), List.of(two)))
                .hasValueSatisfying(d -> assertThat(d).endsWith("page 0x" + Long.toHexString(end - 4096)
                        + " byte 5: expected 0x1, was 0x2"));
        assertThat(Equivalence.firstDifference(List.of(none), List.of(one)))
                .hasValueSatisfying(d -> assertThat(d).endsWith("byte 5: expected 0x0, was 0x1"));
    }
}
