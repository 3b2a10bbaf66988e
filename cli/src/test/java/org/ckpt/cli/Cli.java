package org.ckpt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.model.Task;

/** Runs the command in-process with captured output, and writes test images. */
final class Cli {
    record Result(int exit, String out, String err) {
    }

    private Cli() {
    }

    static Result run(String... args) {
        return runWithInput(new byte[0], args);
    }

    /** Runs the command with {@code stdin} as standard input ({@code -} reads it). */
    static Result runWithInput(byte[] stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new Io(new PrintWriter(out, true), new PrintWriter(err, true),
                new java.io.ByteArrayInputStream(stdin), java.io.OutputStream.nullOutputStream()), args);
        return new Result(exit, out.toString(), err.toString());
    }

    static CheckpointResult write(Path file, String arch, List<Task> tasks) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            return Checkpointer.builder().architecture(arch).checkpointId(0x1234).created(Instant.ofEpochSecond(1_700_000_000))
                    .build().checkpoint(tasks, ch);
        }
    }
}
