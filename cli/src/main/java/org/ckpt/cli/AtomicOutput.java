package org.ckpt.cli;

import static java.nio.file.StandardOpenOption.WRITE;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A file written as the library writes images ({@code Checkpointer.checkpoint(tasks, Path)}):
 * into a temporary file next to it, forced, renamed over it — so a failure or a signal
 * leaves the previous file as it was. The command writes its own because a dump checks the
 * process once more between the last byte and the rename, and because it starts the
 * write-back of every 32 MiB as soon as they are written ({@code sync_file_range}), so that
 * the final force waits for the tail only, not for the whole image.
 */
final class AtomicOutput {
    /** Bytes between two write-back starts. */
    private static final long WRITEBACK_STEP = 32L << 20;

    /** What fills the temporary file. */
    @FunctionalInterface
    interface Body<T> {
        T write(WritableByteChannel out) throws IOException, CliException;
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
            try (FileChannel out = FileChannel.open(tmp, WRITE); Writeback wb = new Writeback(out, tmp)) {
                result = body.write(wb);
                out.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            forceDirectory(target.getParent());
            return result;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** The temporary file itself behind a body's channel, for writers that seek (sparse cores). */
    static FileChannel file(WritableByteChannel ch) {
        return ch instanceof Writeback w ? w.out : (FileChannel) ch;
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every file system lets a directory be opened: the rename is done anyway
        }
    }

    /** The temporary file's channel, starting the write-back of each step once it is written. */
    private static final class Writeback implements WritableByteChannel {
        private final FileChannel out;
        private int fd = -1;
        private long written;
        private long started;

        Writeback(FileChannel out, Path file) {
            this.out = out;
            try {
                // a second descriptor of the same file: write-back works on the file, whichever descriptor
                fd = Linux.open(file.toString(), 1 /* O_WRONLY */ | Linux.O_CLOEXEC);
            } catch (LastErrorException | UnsatisfiedLinkError | NoClassDefFoundError e) {
                fd = -1; // then the final force does it all
            }
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = out.write(src);
            written += n;
            if (fd >= 0 && written - started >= WRITEBACK_STEP) {
                try {
                    Linux.sync_file_range(fd, started, written - started, Linux.SYNC_FILE_RANGE_WRITE);
                } catch (LastErrorException e) {
                    // not supported here: the final force does it all
                }
                started = written;
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() {
            if (fd >= 0) {
                try {
                    Linux.close(fd);
                } catch (LastErrorException e) {
                    // nothing to do
                }
                fd = -1;
            }
        }
    }
}
