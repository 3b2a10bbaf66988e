package org.ckpt.fuzz;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A real image file's channel that lets "another process" change the file at the
 * {@code trigger}-th I/O call the reader makes: what the reader sees then is exactly what it
 * would see if the change raced with it.
 */
final class MutatingFileChannel extends FileChannel {
    interface Change {
        void apply() throws IOException;
    }

    private final FileChannel file;
    private final int trigger;
    private final Change change;
    private int calls;

    MutatingFileChannel(FileChannel file, int trigger, Change change) {
        this.file = file;
        this.trigger = trigger;
        this.change = change;
    }

    private void call() throws IOException {
        if (calls++ == trigger) {
            change.apply();
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        call();
        return file.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        call();
        return file.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        throw new IOException("read-only");
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        throw new IOException("read-only");
    }

    @Override
    public long position() throws IOException {
        call();
        return file.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        call();
        file.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        call();
        return file.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        throw new IOException("read-only");
    }

    @Override
    public void force(boolean metaData) throws IOException {
        file.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        call();
        return file.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        throw new IOException("read-only");
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        call();
        return file.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        throw new IOException("read-only");
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        call();
        return file.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return file.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return file.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        file.close();
    }
}
