package org.ckpt.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.spi.ImageException;
import org.ckpt.testkit.Equivalence;

/**
 * A valid image restarted from a file that another process changes while it is read —
 * truncated, overwritten or extended at a point of the reader's I/O the fuzzer chooses. The
 * restart either throws an {@link ImageException} or returns exactly the tasks of the image
 * as it was (the bytes it verified); with the immutable-file mapping opt-in it throws an
 * {@link ImageException} or succeeds, and never crashes the JVM.
 *
 * <p>Input: byte 0 picks the base image, byte 1 the mode (bit 0 mapped) and the change (bits
 * 1–2: truncate, overwrite, append, truncate and re-extend with zeros), bytes 2–3 the I/O call
 * the change happens before, bytes 4–7 the file offset, the rest the bytes written.
 */
class FileChangeFuzzTest {
    private static final Restarter COPYING = Restarter.builder().build();
    private static final Restarter MAPPING = Restarter.builder().mapImmutableFiles(true).build();
    private static final Path FILE = file();

    private static Path file() {
        try {
            Path shm = Path.of("/dev/shm");
            Path f = Files.isDirectory(shm) ? Files.createTempFile(shm, "ckpt-fuzz-change", ".img")
                    : Files.createTempFile("ckpt-fuzz-change", ".img");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void fileChangedDuringRestart(byte[] input) throws IOException {
        if (input.length < 8) {
            return;
        }
        byte[] image = BaseImages.IMAGES.get(Math.floorMod(input[0], BaseImages.IMAGES.size()));
        if (image == null) {
            return;
        }
        boolean mapped = (input[1] & 1) != 0;
        int action = (input[1] >> 1) & 3;
        ByteBuffer in = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN);
        int trigger = (in.getShort(2) & 0xFFFF) % 64;
        long at = Integer.toUnsignedLong(in.getInt(4)) % (image.length + 1L);
        byte[] data = Arrays.copyOfRange(input, 8, Math.min(input.length, 8 + 64));
        Files.write(FILE, image);
        RestartResult expected = COPYING.restart(FILE);
        MutatingFileChannel.Change change = () -> {
            try (FileChannel w = FileChannel.open(FILE, StandardOpenOption.WRITE)) {
                switch (action) {
                    case 0 -> w.truncate(at);
                    case 1 -> w.write(ByteBuffer.wrap(data), at);
                    case 2 -> w.write(ByteBuffer.wrap(data), image.length);
                    default -> {
                        w.truncate(at);
                        w.write(ByteBuffer.allocate(image.length - (int) at), at);
                    }
                }
            }
        };
        try (FileChannel real = FileChannel.open(FILE);
             FileChannel racing = new MutatingFileChannel(real, trigger, change)) {
            RestartResult r = (mapped ? MAPPING : COPYING).restart(racing);
            if (!mapped) {
                // What was committed is what was verified: the image as it was, byte for byte.
                Optional<String> diff = Equivalence.firstDifference(expected.tasks(), r.tasks());
                if (diff.isPresent()) {
                    throw new AssertionError("a restart during a change of the file committed other bytes: "
                            + diff.get());
                }
            }
        } catch (ImageException e) {
            if (e.reason() == null || e.reason().isEmpty()) {
                throw new AssertionError("image exception without a reason", e);
            }
        }
    }
}
