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
import org.ckpt.ParentResolver;
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
 *
 * <p>{@link #chainFileChangedDuringRestart} does the same to one file of a chain of three
 * (ChainFuzzTest's parent, child and grandchild), opened through a {@link ParentResolver}: the
 * restart of the newest link either throws an {@link ImageException} or returns exactly the
 * chain's last task.
 */
class FileChangeFuzzTest {
    private static final Restarter COPYING = Restarter.builder().build();
    private static final Restarter MAPPING = Restarter.builder().mapImmutableFiles(true).build();
    private static final Path FILE = file();
    /** The chain, oldest first: checkpoint ids and their files. */
    private static final long[] CHAIN_IDS = {0xF00D, 0xBEEF, 0xCAFE};
    private static final byte[][] CHAIN = {ChainFuzzTest.PARENT, ChainFuzzTest.CHILD, ChainFuzzTest.GRANDCHILD};
    private static final Path[] CHAIN_FILES = {file(), file(), file()};
    private static final RestartResult CHAIN_EXPECTED = chainExpected();

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

    private static RestartResult chainExpected() {
        try {
            for (int i = 0; i < CHAIN.length; i++) {
                Files.write(CHAIN_FILES[i], CHAIN[i]);
            }
            RestartResult r;
            try (FileChannel newest = newest(null)) {
                r = chainRestarter(false, null).restart(newest);
            }
            if (r.info().checkpointId() != CHAIN_IDS[CHAIN_IDS.length - 1] || r.pagesRead() == 0) {
                throw new IllegalStateException("not the chain's newest image: " + r.info());
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code link}-th file of the chain (0 the oldest) changes at the {@code trigger}-th I/O call on it. */
    private record Race(int link, int trigger, MutatingFileChannel.Change change) {
        FileChannel open(int i) throws IOException {
            FileChannel f = FileChannel.open(CHAIN_FILES[i]);
            return i == link ? new MutatingFileChannel(f, trigger, change) : f;
        }
    }

    /** A restarter that opens the chain's parents, through {@code race} when it is not null. */
    private static Restarter chainRestarter(boolean mapped, Race race) {
        return Restarter.builder().mapImmutableFiles(mapped).parents(link -> {
            for (int i = 0; i < CHAIN_IDS.length - 1; i++) {
                if (link.checkpointId() == CHAIN_IDS[i]) {
                    return race == null ? FileChannel.open(CHAIN_FILES[i]) : race.open(i);
                }
            }
            return null;
        }).build();
    }

    private static FileChannel newest(Race race) throws IOException {
        int last = CHAIN.length - 1;
        return race == null ? FileChannel.open(CHAIN_FILES[last]) : race.open(last);
    }

    /**
     * What "another process" does to {@code file} (whose bytes were {@code image}), as bits 1–2 of
     * {@code input[1]} say, at the offset of bytes 4–7, with the bytes from 8 on.
     */
    private static MutatingFileChannel.Change change(Path file, byte[] image, byte[] input) {
        int action = (input[1] >> 1) & 3;
        long at = Integer.toUnsignedLong(le(input).getInt(4)) % (image.length + 1L);
        byte[] data = Arrays.copyOfRange(input, 8, Math.min(input.length, 8 + 64));
        return () -> {
            try (FileChannel w = FileChannel.open(file, StandardOpenOption.WRITE)) {
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
    }

    /** The I/O call before which the change happens: bytes 2–3. */
    private static int trigger(byte[] input) {
        return (le(input).getShort(2) & 0xFFFF) % 64;
    }

    private static ByteBuffer le(byte[] input) {
        return ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN);
    }

    private interface Restart {
        RestartResult run() throws IOException;
    }

    /**
     * Runs {@code restart} during the change: copying, it returns exactly {@code expected} or throws
     * an {@link ImageException} with a reason; {@code mapped}, the same but any tasks (the file
     * was promised immutable), and never a crash.
     */
    private static void expect(boolean mapped, RestartResult expected, String what, Restart restart)
            throws IOException {
        try {
            RestartResult r = restart.run();
            if (!mapped) {
                // What was committed is what was verified: the image as it was, byte for byte.
                Optional<String> diff = Equivalence.firstDifference(expected.tasks(), r.tasks());
                if (diff.isPresent()) {
                    throw new AssertionError("a restart during a change of " + what + " committed other bytes: "
                            + diff.get());
                }
            }
        } catch (ImageException e) {
            if (e.reason() == null || e.reason().isEmpty()) {
                throw new AssertionError("image exception without a reason", e);
            }
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
        Files.write(FILE, image);
        RestartResult expected = COPYING.restart(FILE);
        MutatingFileChannel.Change change = change(FILE, image, input);
        boolean mapped = (input[1] & 1) != 0;
        expect(mapped, expected, "the file", () -> {
            try (FileChannel real = FileChannel.open(FILE);
                 FileChannel racing = new MutatingFileChannel(real, trigger(input), change)) {
                return (mapped ? MAPPING : COPYING).restart(racing);
            }
        });
    }

    @FuzzTest(maxDuration = "10m")
    void chainFileChangedDuringRestart(byte[] input) throws IOException {
        if (input.length < 8) {
            return;
        }
        int link = Math.floorMod(input[0], CHAIN.length);
        for (int i = 0; i < CHAIN.length; i++) {
            Files.write(CHAIN_FILES[i], CHAIN[i]);
        }
        Race race = new Race(link, trigger(input), change(CHAIN_FILES[link], CHAIN[link], input));
        boolean mapped = (input[1] & 1) != 0;
        expect(mapped, CHAIN_EXPECTED, "link " + link + " of a chain", () -> {
            try (FileChannel newest = newest(race)) {
                return chainRestarter(mapped, race).restart(newest);
            }
        });
    }
}
