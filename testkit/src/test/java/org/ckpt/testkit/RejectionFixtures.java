package org.ckpt.testkit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.zip.CRC32C;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.Limits;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;

/** Valid images and byte-level helpers for {@link RejectionTest}. */
final class RejectionFixtures {
    static final int HEAD = 0x0001;
    static final int TAIL = 0x0003;
    static final int ERROR = 0x0004;
    static final int TASK = 0x0010;
    static final int OBJECT = 0x0020;
    static final int VMA = 0x0030;
    static final int PAGES = 0x0031;

    static final long VMA1_START = 0x400000;
    static final long VMA1_END = 0x404000;
    static final long VMA2_START = 0x600000;
    static final long VMA2_END = 0x602000;

    private RejectionFixtures() {
    }

    /** A target that records whether it was committed. */
    static class RecordingTarget implements RestartTarget {
        volatile boolean committed;
        volatile RestartResult result;

        @Override
        public TargetCpu cpu() {
            return TargetCpu.anyFeatures(TestArch.NAME);
        }

        @Override
        public org.ckpt.spi.RestorePolicy policy() {
            return org.ckpt.spi.RestorePolicy.LINUX_USER;
        }

        @Override
        public void commit(RestartResult image) {
            committed = true;
            result = image;
        }
    }

    static Checkpointer.Builder checkpointer() {
        return Checkpointer.builder().architecture(TestArch.NAME).checkpointId(0x1234_5678L)
                .created(Instant.ofEpochSecond(1_700_000_000L));
    }

    static GenericFile hosts() {
        return GenericFile.open(FileKind.REGULAR, "/etc/hosts", 0, 0100644, 12);
    }

    /**
     * One task: mm with a file-backed area [0x400000,0x404000) (pages 0 and 3 non-zero)
     * and an anonymous area [0x600000,0x602000) (page 0 non-zero); files {0, 3} -> /etc/hosts; a CPU.
     * Objects: file = objref 1, mm = 2, files = 3.
     */
    static Task task() {
        GenericFile f = hosts();
        byte[] mem = new byte[4 * 4096];
        mem[5] = 7;
        mem[3 * 4096 + 9] = 9;
        byte[] mem2 = new byte[2 * 4096];
        mem2[1] = 1;
        Vma v1 = new Vma(VMA1_START, VMA1_END, Vma.PROT_READ, 0, 0, f, PageData.of(VMA1_START, mem));
        Vma v2 = new Vma(VMA2_START, VMA2_END, Vma.PROT_READ | Vma.PROT_WRITE, 0, 0, null,
                PageData.of(VMA2_START, mem2));
        return Task.builder().pid(42).tgid(42).comm("cat").mm(AddressSpace.of(List.of(v1, v2)))
                .files(FileTable.of(new FileTable.Entry(0, f, false), new FileTable.Entry(3, f, true)))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    /** A small image (a few hundred bytes): one area without pages, one file, a CPU. */
    static Task smallTask() {
        GenericFile f = GenericFile.open(FileKind.REGULAR, "/bin/sh", 0, 0100755, 0);
        Vma v = new Vma(VMA1_START, VMA1_END, Vma.PROT_READ, 0, 0, f, PageData.none());
        return Task.builder().pid(7).tgid(7).comm("sh").mm(AddressSpace.of(List.of(v)))
                .files(FileTable.of(new FileTable.Entry(1, f, false)))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1)).build();
    }

    static byte[] image(Task t) throws IOException {
        return image(checkpointer().build(), t);
    }

    static byte[] image(Checkpointer c, Task t) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        c.checkpoint(t, sink);
        return sink.toByteArray();
    }

    static List<ImageRecords.Record> records(byte[] image) {
        return ImageRecords.parse(image);
    }

    static ImageRecords.Record record(byte[] image, int index) {
        return ImageRecords.parse(image).get(index);
    }

    /** Index of the OBJECT record whose type name is {@code typeName}. */
    static int objectIndex(byte[] image, String typeName) {
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        for (int i = 0; i < rs.size(); i++) {
            ImageRecords.Record r = rs.get(i);
            if (r.type() == OBJECT && typeNameOf(r.payload()).equals(typeName)) {
                return i;
            }
        }
        throw new AssertionError("no OBJECT '" + typeName + "' in\n" + ImageRecords.dump(image));
    }

    static String typeNameOf(byte[] objectPayload) {
        ByteBuffer b = ByteBuffer.wrap(objectPayload).order(ByteOrder.LITTLE_ENDIAN);
        int len = b.getShort(8) & 0xFFFF;
        return new String(objectPayload, 10, len, StandardCharsets.UTF_8);
    }

    /** Offset of the object body within an OBJECT payload. */
    static int bodyOffset(byte[] objectPayload) {
        ByteBuffer b = ByteBuffer.wrap(objectPayload).order(ByteOrder.LITTLE_ENDIAN);
        return 10 + (b.getShort(8) & 0xFFFF);
    }

    /** Absolute offset of the payload of record {@code index}. */
    static long payloadOffset(byte[] image, int index) {
        return record(image, index).offset() + ImageRecords.HEADER_SIZE;
    }

    /** Recomputes only the header checksum of the record at header offset {@code at}, in place. */
    static void fixRecordCrc(byte[] image, int at) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int len = b.getInt(at + 8);
        CRC32C c = new CRC32C();
        c.update(image, at, 12);
        c.update(image, at + ImageRecords.HEADER_SIZE, len);
        b.putInt(at + 12, (int) c.getValue());
    }
}
