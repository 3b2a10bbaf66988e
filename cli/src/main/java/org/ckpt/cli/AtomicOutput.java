package org.ckpt.cli;

import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A file written as the library writes images: into a temporary file next to it, forced,
 * renamed over it — so a failure or a signal leaves the previous file as it was.
 */
final class AtomicOutput {
    /** What fills the temporary file. */
    @FunctionalInterface
    interface Body<T> {
        T write(FileChannel out) throws IOException, CliException;
    }

    private AtomicOutput() {
    }

    static <T> T write(Path file, Body<T> body) throws IOException, CliException {
        DumpCommand.checkOutput(file);
        Path target = file.toAbsolutePath();
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
        boolean moved = false;
        try {
            T result;
            try (FileChannel out = FileChannel.open(tmp, WRITE)) {
                result = body.write(out);
                out.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            return result;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
