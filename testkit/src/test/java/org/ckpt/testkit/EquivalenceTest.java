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

    /** In a private file-backed area an absent page is the file's: presence is compared, zero pages included. */
    @Test
    void comparesPresenceWhereAnAbsentPageIsTheFiles() {
        GenericFile f = GenericFile.open(FileKind.REGULAR, "/lib.so", 0, 0100644, 0);
        java.util.function.BiFunction<Integer, PageData, Task> task = (flags, pages) -> Task.builder().pid(1).comm("t")
                .mm(AddressSpace.of(List.of(new Vma(0x10000, 0x14000, Vma.PROT_READ, flags, 0, f, pages)))).build();
        PageData zeroAt11 = PageData.of(0x11000, new byte[4096]);
        PageData cleanAt11 = PageData.builder().cleanRun(0x11000, ByteBuffer.wrap(new byte[4096])).build();
        PageData none = PageData.none();
        // private: a present zero page is not the file's page
        assertThat(Equivalence.firstDifference(List.of(task.apply(0, zeroAt11)), List.of(task.apply(0, none))))
                .contains("task 0 \u203a mm \u203a vma 0x10000 \u203a page 0x11000: expected present, was absent (the file's)");
        assertThat(Equivalence.firstDifference(List.of(task.apply(0, none)), List.of(task.apply(0, zeroAt11))))
                .contains("task 0 \u203a mm \u203a vma 0x10000 \u203a page 0x11000: expected absent (the file's), was present");
        // a clean page is the file's: it comes back absent
        assertThat(Equivalence.firstDifference(List.of(task.apply(0, cleanAt11)), List.of(task.apply(0, none)))).isEmpty();
        assertThat(Equivalence.firstDifference(List.of(task.apply(0, cleanAt11)), List.of(task.apply(0, zeroAt11))))
                .hasValueSatisfying(d -> assertThat(d).endsWith("expected absent (the file's), was present"));
        // shared: absent reads as zero
        assertThat(Equivalence.firstDifference(List.of(task.apply(Vma.SHARED, zeroAt11)),
                List.of(task.apply(Vma.SHARED, none)))).isEmpty();
    }
}
