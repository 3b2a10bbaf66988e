package org.ckpt.testkit.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testarch.TestArch;
import org.junit.jupiter.api.Test;

/** What an OpsProbe records, and how it fails a restore that allocates more than its payload justifies. */
class OpsProbeTest {
    record Box(int size) {
    }

    /** Writes a u32 size; restores by allocating {@code size} bytes of scratch (a bounded but unjustified buffer). */
    static final class BoxOps implements ObjectOps<Box> {
        @Override
        public String typeName() {
            return "test.box";
        }

        @Override
        public Class<Box> type() {
            return Box.class;
        }

        @Override
        public void checkpoint(Box b, CkptContext ctx, PayloadWriter body) throws IOException {
            body.u32(b.size()).u8(7);
        }

        @Override
        public Box restore(CkptContext ctx, PayloadReader body) throws IOException {
            int size = body.count("size", 1 << 30, "box size");
            byte[] scratch = new byte[size];
            scratch[size / 2] = (byte) body.u8("tag");
            return new Box(size);
        }
    }

    private static byte[] image(int size) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(TestArch.NAME).register(new BoxOps()).build()
                .checkpoint(List.of(Task.builder().pid(1).comm("b").extensions(List.of(new Box(size))).build()), sink);
        return sink.toByteArray();
    }

    @Test
    void recordsFieldsAndRestoredObjects() throws IOException {
        OpsProbe<Box> probe = OpsProbe.of(new BoxOps());
        byte[] image = image(16);
        RestartChecks.accepts(Restarter.builder().register(probe).build(), image, TargetCpu.anyFeatures(TestArch.NAME));
        assertThat(probe.fieldsRead()).extracting(OpsProbe.FieldRead::name, OpsProbe.FieldRead::kind,
                OpsProbe.FieldRead::value).containsExactly(tuple("size", "count", 16L), tuple("tag", "u8", 7L));
        assertThat(probe.restored()).containsExactly(new Box(16));
        assertThat(probe.restores().get(0).payloadBytes()).isEqualTo(5);
        String where = ImageMap.of(image, probe.fieldsRead()).describe(probe.fieldsRead().get(1).offset());
        assertThat(where).matches("record \\d+ \\(OBJECT 'test.box', objref 1, at offset \\d+\\), body byte 4:"
                + " field 'tag' \\(u8\\)");
    }

    @Test
    void aRestoreAllocatingFarMoreThanItsPayloadFailsWithTheValuesItRead() throws IOException {
        OpsProbe<Box> probe = OpsProbe.of(new BoxOps());
        byte[] image = image(64 << 20);
        Throwable t = catchThrowable(() -> Restarter.builder().register(probe).build()
                .restart(TestChannels.source(image)));
        assertThat(t).isInstanceOf(OpsProbe.ExcessiveAllocation.class)
                .hasMessageContaining("restore of a 'test.box' object allocated")
                .hasMessageContaining("for 5 payload bytes")
                .hasMessageContaining("'size' (count at offset");
        OpsProbe.ExcessiveAllocation e = (OpsProbe.ExcessiveAllocation) t;
        assertThat(e.allocatedBytes()).isGreaterThanOrEqualTo(64 << 20);
        assertThat(e.payloadBytes()).isEqualTo(5);
        assertThat(e.record()).isEqualTo("OBJECT");
        // A generous allowance lets the same restore through.
        OpsProbe<Box> lenient = OpsProbe.of(new BoxOps(), p -> 1L << 30);
        Restarter.builder().register(lenient).build().restart(TestChannels.source(image));
        assertThat(lenient.restored()).containsExactly(new Box(64 << 20));
    }
}
