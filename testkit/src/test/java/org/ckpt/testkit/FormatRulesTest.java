package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.AbortedImageException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.image.ImageMap;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;

/** docs/FORMAT.md's general rules, as an independent reader relies on them (§1, §5.4, §6.4). */
class FormatRulesTest {
    private static byte[] image(List<Task> tasks, ObjectOps<?>... ops) throws IOException {
        Checkpointer.Builder b = Checkpointer.builder().architecture(TestArch.NAME);
        for (ObjectOps<?> o : ops) {
            b.register(o);
        }
        TestChannels.Sink sink = TestChannels.sink();
        b.build().checkpoint(tasks, sink);
        return sink.toByteArray();
    }

    private static Throwable restart(byte[] image, ObjectOps<?>... ops) {
        Restarter.Builder b = Restarter.builder();
        for (ObjectOps<?> o : ops) {
            b.register(o);
        }
        return catchThrowable(() -> b.build().restart(TestChannels.source(image)));
    }

    /** §1 "short payload": one byte short is Truncated in every record but PAGES, whose length rule comes first. */
    @Test
    void aPayloadOneByteShortIsTruncatedInEveryRecord() throws IOException {
        byte[] image = image(Generators.build(3, 2, 2, List.of(new TestCpu(0x1000, 0x2000, 1, 2, 3, 4, 5))));
        ImageMap map = ImageMap.of(image);
        List<ImageRecords.Record> records = map.records();
        for (int i = 0; i < records.size(); i++) {
            int len = records.get(i).payload().length;
            byte[] shortImage = ImageMutator.editPayload(image, i, p -> p.limit(len - 1));
            Throwable t = restart(shortImage);
            if (records.get(i).type() == RecordTypes.PAGES) {
                assertThat(t).as(map.record(i)).isInstanceOf(InvalidImageException.class);
            } else {
                assertThat(t).as(map.record(i)).isInstanceOf(TruncatedImageException.class);
            }
        }
    }

    /** §5.4: the reader reads ERROR's message and stops; bytes after it are not examined. */
    @Test
    void bytesAfterTheErrorMessageAreNotExamined() throws IOException {
        byte[] image = image(Generators.build(3, 1, 1, List.of()));
        byte[] msg = "disk full".getBytes(StandardCharsets.UTF_8);
        ByteBuffer payload = ByteBuffer.allocate(4 + msg.length + 5).order(ByteOrder.LITTLE_ENDIAN);
        payload.putInt(msg.length).put(msg).put(new byte[] {1, 2, 3, 4, 5});
        byte[] aborted = ImageMutator.insert(image, 3, RecordTypes.ERROR, 0, payload.array());
        assertThat(restart(aborted)).isInstanceOf(AbortedImageException.class).hasMessageContaining("disk full");
    }

    record Frame(String name, byte[][] chunks) {
    }

    /** Body: sstring name, u32 chunk count; then one OBJECT_DATA record per chunk (§6.4 H1). */
    static class FrameOps implements ObjectOps<Frame> {
        private final boolean readsData;

        FrameOps(boolean readsData) {
            this.readsData = readsData;
        }

        @Override
        public String typeName() {
            return "test.frame";
        }

        @Override
        public Class<Frame> type() {
            return Frame.class;
        }

        @Override
        public void checkpoint(Frame f, CkptContext ctx, PayloadWriter body) throws IOException {
            body.shortString(f.name()).u32(f.chunks().length);
            for (byte[] c : f.chunks()) {
                ctx.output().begin(RecordTypes.OBJECT_DATA).bytes(c);
            }
        }

        @Override
        public Frame restore(CkptContext ctx, PayloadReader body) throws IOException {
            String name = body.shortString("name", 64);
            byte[][] chunks = new byte[body.count("chunks", 16, "frame chunks")][];
            for (int i = 0; i < chunks.length && readsData; i++) {
                PayloadReader d = ctx.input().next(RecordTypes.OBJECT_DATA);
                chunks[i] = d.bytes("data", d.remaining());
            }
            return new Frame(name, readsData ? chunks : new byte[0][]);
        }
    }

    /** §6.4 H1–H3: a host object's OBJECT_DATA continuation round-trips (empty chunks too); one left unread is unexpected. */
    @Test
    void aHostObjectsObjectDataIsItsOpsToRead() throws IOException {
        Frame frame = new Frame("fb0", new byte[][] {{1, 2, 3}, {}, {4}});
        List<Task> tasks = List.of(Task.builder().pid(1).comm("f").extensions(List.of(frame)).build());
        byte[] image = image(tasks, new FrameOps(true));
        assertThat(ImageRecords.parse(image).stream().filter(r -> r.type() == RecordTypes.OBJECT_DATA)).hasSize(3);
        CkptAssertions.assertThatTasks(Restarter.builder().register(new FrameOps(true)).build()
                .restart(TestChannels.source(image)).tasks()).isEquivalentTo(tasks);
        assertThat(restart(image, new FrameOps(false))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("unexpected record OBJECT_DATA");
    }

    /** §6.4 H4: a host's ops that begins a core record type (here VMA) is refused before anything is written. */
    @Test
    void aHostObjectsContinuationIsObjectDataOnly() {
        ObjectOps<Frame> vmaWriter = new FrameOps(true) {
            @Override
            public void checkpoint(Frame f, CkptContext ctx, PayloadWriter body) throws IOException {
                body.shortString(f.name()).u32(0);
                ctx.output().begin(RecordTypes.VMA).u64(0x1000).u64(0x2000);
            }
        };
        List<Task> tasks = List.of(Task.builder().pid(1).comm("f").extensions(List.of(new Frame("x", new byte[0][])))
                .build());
        TestChannels.Sink sink = TestChannels.sink();
        Throwable t = catchThrowable(() -> Checkpointer.builder().architecture(TestArch.NAME).register(vmaWriter)
                .build().checkpoint(tasks, sink));
        assertThat(t).isInstanceOf(org.ckpt.spi.CheckpointException.class)
                .hasMessageContaining("test.frame object", "record of type VMA", "OBJECT_DATA records only");
        // The image written up to the refusal reads as aborted, never as a task with a stray area.
        assertThat(catchThrowable(() -> Restarter.builder().register(new FrameOps(true)).build()
                .restart(TestChannels.source(sink.toByteArray())))).isInstanceOf(AbortedImageException.class);
    }
}
