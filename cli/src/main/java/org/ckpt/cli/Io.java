package org.ckpt.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * Where a command writes text ({@link #out}, {@link #err}), where {@code -} reads and
 * writes bytes (stdin and stdout), and how images named by URI are reached ({@link #stores}).
 * In the process the bytes are file descriptors 0 and 1 themselves, so
 * {@code ckpt verify /dev/stdin} and {@code ckpt show -} work on pipes.
 */
final class Io {
    final PrintWriter out;
    final PrintWriter err;
    /** The command's store options ({@code s3://} images); {@link Stores#DEFAULT} unless it has some. */
    final Stores stores;
    private final InputStream stdin;
    private final OutputStream stdout;

    Io(PrintWriter out, PrintWriter err, InputStream stdin, OutputStream stdout) {
        this(out, err, stdin, stdout, Stores.DEFAULT);
    }

    private Io(PrintWriter out, PrintWriter err, InputStream stdin, OutputStream stdout, Stores stores) {
        this.out = out;
        this.err = err;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stores = stores;
    }

    /** The same streams, with a command's store options. */
    Io with(Stores s) {
        return s == stores ? this : new Io(out, err, stdin, stdout, s);
    }

    static Io system() {
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        return new Io(new PrintWriter(new java.io.OutputStreamWriter(stdout, StandardCharsets.UTF_8), true),
                new PrintWriter(new java.io.OutputStreamWriter(new FileOutputStream(FileDescriptor.err),
                        StandardCharsets.UTF_8), true),
                new FileInputStream(FileDescriptor.in), stdout);
    }

    /** Standard input as a channel (a {@code FileChannel} in the process: pipes, FIFOs and files alike). */
    ReadableByteChannel stdin() {
        return stdin instanceof FileInputStream f ? f.getChannel() : Channels.newChannel(stdin);
    }

    /** Standard output as a channel, for images and cores written to {@code -}. */
    WritableByteChannel stdout() {
        out.flush();
        return stdout instanceof FileOutputStream f ? f.getChannel() : Channels.newChannel(stdout);
    }
}
