package org.ckpt.internal;

import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writing a file so that readers see the old contents or the new, never a part. */
public final class AtomicFiles {
    /** What fills the temporary file. */
    @FunctionalInterface
    public interface Writer<T> {
        T write(FileChannel out) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Runs {@code writer} on a new temporary file next to {@code file}, forces it, renames it
     * over {@code file} and forces the directory. On any failure (an exception, an
     * interrupt) the temporary file is removed and {@code file} is untouched.
     */
    public static <T> T write(Path file, Writer<T> writer) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null) {
            throw new IOException("cannot write an image at " + file + ": it names no file in a directory");
        }
        if (Files.isDirectory(target)) {
            throw new IOException("cannot write an image at " + file + ": it is a directory");
        }
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        boolean moved = false;
        try {
            T result;
            try (FileChannel out = FileChannel.open(tmp, WRITE)) {
                result = writer.write(out);
                out.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot replace " + target + " atomically: " + e.getMessage(), e);
            }
            moved = true;
            forceDirectory(dir);
            return result;
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    Log.SYS.warn("could not remove the temporary file {}: {}", tmp, e.toString());
                }
            }
        }
    }

    /** Makes the rename durable; not every platform can open a directory, which is then skipped. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            Log.SYS.debug("could not force directory {}: {}", dir, e.toString());
        }
    }
}
