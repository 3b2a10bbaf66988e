package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's quick start, verbatim apart from the temporary directory, so it cannot rot. */
class QuickStartTest {
    @Test
    void readmeQuickStartRuns(@TempDir Path dir) throws Exception {
        byte[] memory = new byte[4 * 4096];
        memory[5] = 42;
        GenericFile log = GenericFile.open(FileKind.REGULAR, "/srv/box/app.log", 02001, 0100644, 128);
        Vma heap = Vma.anonymous(0x400000, 0x404000, PageData.of(0x400000, memory));
        Task task = Task.builder().pid(42).tgid(42).comm("app")
                .mm(AddressSpace.of(List.of(heap)))
                .files(FileTable.of(new FileTable.Entry(1, log, false), new FileTable.Entry(2, log, true)))
                .build();

        Path image = dir.resolve("app.ckpt");
        Checkpointer.builder().architecture("x86_64").root("/srv/box").build()
                .checkpoint(task, image);
        Task back = Restarter.builder().root("/srv/box").build().restart(image).tasks().get(0);
        assertThat(back.files().get(1).file()).isSameAs(back.files().get(2).file());
        CkptAssertions.assertThatTasks(List.of(back)).isEquivalentTo(List.of(task));
    }
}
