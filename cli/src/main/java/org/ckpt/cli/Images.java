package org.ckpt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.ckpt.ImageRecord;
import org.ckpt.Inspection;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;

/** Opening image files with one-line errors, and reading them through the library. */
final class Images {
    private Images() {
    }

    /** Opens an image for reading; a missing or unreadable file is a usage error (exit 2). */
    static FileChannel open(Path file) throws CliException {
        if (Files.isDirectory(file)) {
            throw CliException.usage(file + " is a directory, not an image file");
        }
        try {
            return FileChannel.open(file);
        } catch (NoSuchFileException e) {
            throw CliException.usage("no such file: " + file);
        } catch (AccessDeniedException e) {
            throw CliException.usage("permission denied: " + file);
        } catch (IOException e) {
            throw CliException.usage("cannot open " + file + ": " + e.getMessage());
        }
    }

    static long size(Path file) throws CliException {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            throw CliException.usage("no such file: " + file);
        } catch (AccessDeniedException e) {
            throw CliException.usage("permission denied: " + file);
        } catch (IOException e) {
            throw CliException.usage("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** A full restart into the model, with a progress bar on a terminal. */
    static RestartResult restart(Path file, PrintWriter err) throws IOException, CliException {
        long size = size(file);
        try (FileChannel in = open(file); Progress p = Progress.of(err, "reading " + file.getFileName(), size)) {
            return Restarter.builder().progressListener(p).build().restart(in);
        }
    }

    /** {@link Restarter#inspect}: validates like a restart and reports records and objects. */
    static Inspection inspect(Path file, PrintWriter err, Consumer<ImageRecord> records)
            throws IOException, CliException {
        long size = size(file);
        try (FileChannel in = open(file); Progress p = Progress.of(err, "reading " + file.getFileName(), size)) {
            return Restarter.builder().progressListener(p).build().inspect(in, records);
        }
    }
}
