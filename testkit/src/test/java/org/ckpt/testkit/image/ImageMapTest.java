package org.ckpt.testkit.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.model.Task;
import org.ckpt.spi.RecordTypes;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.Generators;
import org.junit.jupiter.api.Test;

/** Offsets of an image in words, from docs/FORMAT.md's layouts. */
class ImageMapTest {
    @Test
    void namesTheFieldsOfTheCoreRecords() throws Exception {
        List<Task> tasks = Generators.build(1, 1, 3, List.of());
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(TestArch.NAME).build().checkpoint(tasks, sink);
        byte[] image = sink.toByteArray();
        ImageMap map = ImageMap.of(image);
        assertThat(map.describe(3)).isEqualTo("magic byte 3");
        assertThat(map.describe(8 + 9)).isEqualTo("record 0 (HEAD, at offset 8), header: length");
        assertThat(map.describe(8 + 16 + 28)).isEqualTo("record 0 (HEAD, at offset 8), payload byte 28: field"
                + " 'page_size' (u32)");
        int task = ImageMutator.indexOf(image, RecordTypes.TASK);
        long taskAt = map.records().get(task).offset();
        assertThat(map.describe(taskAt + 16 + 17)).isEqualTo("record " + task + " (TASK, at offset " + taskAt
                + "), payload byte 17: field 'exit_code' (i32, byte 1 of 4)");
        int mm = Corruption.objectRecords(image, "mm").get(0);
        long mmAt = map.records().get(mm).offset();
        assertThat(map.describe(mmAt + 16 + 12 + 96)).startsWith("record " + mm + " (OBJECT 'mm', objref ")
                .endsWith("body byte 96: field 'vma_count' (u32)");
        int vma = ImageMutator.indexOf(image, RecordTypes.VMA);
        assertThat(map.describe(map.records().get(vma).offset() + 16 + 16)).endsWith("field 'prot' (u32)");
    }
}
