package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.ImageLimitException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;

/** TASK_INFO: facts a restart does not need, carried as text, skipped by readers that do not know them. */
class TaskInfoTest {
    private static final Checkpointer CKPT = Checkpointer.builder().architecture(TestArch.NAME).build();
    private static final Restarter RSTR = Restarter.builder().build();

    private static byte[] image(Map<String, String> info) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        CKPT.checkpoint(List.of(Task.builder().pid(5).comm("info").info(info).build()), sink);
        return sink.toByteArray();
    }

    private static Map<String, String> info() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("linux.sigmask", "0000000000010000");
        m.put("ckpt.omitted.fd.3", "socket:[4711]: a socket cannot be represented");
        m.put("ünïcödé", "");
        m.put("linux.auxv", "21".repeat(1000));
        return m;
    }

    @Test
    void roundTripsInKeyOrder() throws IOException {
        byte[] image = image(info());
        RestartResult r = RSTR.restart(TestChannels.source(image));
        Map<String, String> back = r.tasks().get(0).info();
        assertThat(back).isEqualTo(info());
        assertThat(new ArrayList<>(back.keySet())).containsExactly("ckpt.omitted.fd.3", "linux.auxv",
                "linux.sigmask", "ünïcödé");
        int index = ImageMutator.indexOf(image, RecordTypes.TASK_INFO);
        ImageRecords.Record rec = ImageRecords.parse(image).get(index);
        assertThat(rec.flags()).as("written optional").isEqualTo(RecordOutput.FLAG_OPTIONAL);
        assertThat(ImageRecords.parse(image).get(index - 1).type()).isEqualTo(RecordTypes.TASK);
    }

    @Test
    void aTaskWithoutInfoWritesNoRecord() throws IOException {
        assertThat(ImageMutator.indexOf(image(Map.of()), RecordTypes.TASK_INFO)).isNegative();
    }

    @Test
    void aReaderThatDoesNotKnowTheRecordSkipsIt() throws IOException {
        byte[] image = image(info());
        int index = ImageMutator.indexOf(image, RecordTypes.TASK_INFO);
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        ImageRecords.Record r = rs.get(index);
        // What an older reader meets: a type it does not know, flagged optional.
        rs.set(index, new ImageRecords.Record(r.offset(), 0x7E57_0002, r.flags(), 0, r.payload()));
        byte[] older = ImageRecords.assemble(java.util.Arrays.copyOf(image, 8), rs);
        assertThat(RSTR.restart(TestChannels.source(older)).tasks().get(0).info()).isEmpty();
    }

    @Test
    void keysMustAscendByTheirBytes() throws IOException {
        byte[] image = image(Map.of("a", "1", "b", "2"));
        int index = ImageMutator.indexOf(image, RecordTypes.TASK_INFO);
        // Swap the two one-byte keys ('a' at payload 10, 'b' after value "1").
        byte[] bad = ImageMutator.editPayload(image, index, p -> p.put(10, (byte) 'b').put(10 + 1 + 4 + 1 + 2, (byte) 'a'));
        assertThatThrownBy(() -> RSTR.restart(TestChannels.source(bad))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("ascending");
        byte[] dup = ImageMutator.editPayload(image, index, p -> p.put(10 + 1 + 4 + 1 + 2, (byte) 'a'));
        assertThatThrownBy(() -> RSTR.restart(TestChannels.source(dup))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("ascending");
    }

    @Test
    void anEmptyKeyOrACountBeyondThePayloadIsRejected() throws IOException {
        byte[] image = image(Map.of("k", "v"));
        int index = ImageMutator.indexOf(image, RecordTypes.TASK_INFO);
        byte[] empty = ImageMutator.editPayload(image, index, p -> {
            ByteBuffer b = ByteBuffer.allocate(p.remaining() - 1).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(1).putInt(0).putShort((short) 0).putInt(1).put((byte) 'v');
            return b.flip();
        });
        assertThatThrownBy(() -> RSTR.restart(TestChannels.source(empty))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("empty key");
        byte[] many = ImageMutator.editPayload(image, index, p -> p.putInt(0, 1_000_000));
        assertThatThrownBy(() -> RSTR.restart(TestChannels.source(many))).isInstanceOf(TruncatedImageException.class)
                .hasMessageContaining("TASK_INFO");
    }

    @Test
    void aValueBeyondTheStringLimitIsALimitError() throws IOException {
        byte[] image = image(Map.of("k", "x".repeat(100)));
        Restarter strict = Restarter.builder().limits(Limits.DEFAULTS.withMaxStringLength(50)).build();
        assertThatThrownBy(() -> strict.restart(TestChannels.source(image))).isInstanceOf(ImageLimitException.class)
                .hasMessageContaining("value");
    }

    @Test
    void onlyRightAfterItsTaskAndOnce() throws IOException {
        byte[] image = image(Map.of("k", "v"));
        int index = ImageMutator.indexOf(image, RecordTypes.TASK_INFO);
        assertThatThrownBy(() -> RSTR.restart(TestChannels.source(ImageMutator.duplicate(image, index))))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("unexpected record TASK_INFO");
    }

    @Test
    void theCheckpointRefusesWhatTheReaderWouldRefuse() {
        Task longKey = Task.builder().pid(1).comm("x").info(Map.of("k".repeat(256), "v")).build();
        assertThatThrownBy(() -> CKPT.checkpoint(longKey, TestChannels.sink())).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("1 to 255 bytes");
        Task longValue = Task.builder().pid(1).comm("x").info(Map.of("k", "v".repeat(5000))).build();
        assertThatThrownBy(() -> CKPT.checkpoint(longValue, TestChannels.sink()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("maxStringLength");
        Task emptyKey = Task.builder().pid(1).comm("x").info(Map.of("", "v")).build();
        assertThatThrownBy(() -> CKPT.checkpoint(emptyKey, TestChannels.sink()))
                .isInstanceOf(CheckpointException.class);
    }
}
