package org.ckpt.testkit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.FileTable;
import org.ckpt.model.Task;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.RecordTypes;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;

/** Main classes the tests run in child JVMs, and the hostile images they read. */
final class Children {
    private Children() {
    }

    /** Restarts the file named by args[0]; exit 0 and the exception on stdout if it is an ImageException. */
    static final class RestartFile {
        public static void main(String[] args) throws IOException {
            try (FileChannel in = FileChannel.open(Path.of(args[0]))) {
                Restarter.builder().build().restart(in);
                System.out.println("accepted");
                System.exit(3);
            } catch (ImageException e) {
                System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
                System.exit(0);
            }
        }
    }

    /** Restarts args[0] with the mapped opt-in and truncates the file midway. */
    static final class TruncateMapped {
        public static void main(String[] args) throws IOException {
            Path f = Path.of(args[0]);
            AtomicBoolean cut = new AtomicBoolean();
            Restarter r = Restarter.builder().mapImmutableFiles(true).progressListener((d, t, bytes, p) -> {
                if (bytes > (8 << 20) && cut.compareAndSet(false, true)) {
                    try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
                        w.truncate(4096);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }).build();
            try (FileChannel in = FileChannel.open(f)) {
                r.restart(in);
                System.out.println("accepted (cut " + cut + ")");
                System.exit(3);
            } catch (ImageException e) {
                System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
                System.exit(0);
            }
        }
    }

    /** 1,048,576 empty {@code files} objects and a tail whose image checksum is wrong (about 40 MiB). */
    static byte[] millionFileTables() throws IOException {
        byte[] image = fileTables(1 << 20);
        // Flip one bit of the tail's image CRC and repair the tail record's own checksum.
        int tail = image.length - 48;
        image[image.length - 8] ^= 1;
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(image, tail, 12);
        c.update(image, tail + 16, 32);
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(tail + 12, (int) c.getValue());
        return image;
    }

    /** A valid image of one task whose file table is the first of {@code count} empty ones. */
    static byte[] fileTables(int count) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(TestArch.NAME).build()
                .checkpoint(Task.builder().pid(1).comm("t").files(FileTable.of()).build(), sink);
        byte[] one = sink.toByteArray();
        List<ImageRecords.Record> rs = ImageRecords.parse(one);
        List<ImageRecords.Record> out = new ArrayList<>(count + 4);
        ImageRecords.Record object = null;
        for (ImageRecords.Record r : rs) {
            if (r.type() == RecordTypes.OBJECT) {
                object = r;
                for (int i = 0; i < count; i++) {
                    byte[] p = r.payload().clone();
                    ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).putLong(0, i + 1L);
                    out.add(new ImageRecords.Record(0, r.type(), r.flags(), 0, p));
                }
            } else {
                out.add(r);
            }
        }
        if (object == null) {
            throw new IllegalStateException("no files object in " + ImageRecords.dump(one));
        }
        return ImageRecords.assemble(Arrays.copyOf(one, 8), out);
    }
}
