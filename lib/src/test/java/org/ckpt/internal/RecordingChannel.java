package org.ckpt.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A channel that keeps what is written to it and, per write, the writing thread's name, the
 * offset and the size; optionally failing at a byte: a write that would pass {@code failAt}
 * throws "disk full", or runs {@code atFail} (which may throw, or interrupt) and goes through.
 */
final class RecordingChannel implements WritableByteChannel {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final List<String> threads = new ArrayList<>();
    final List<Long> offsets = new ArrayList<>();
    final List<Integer> sizes = new ArrayList<>();
    private final long failAt;
    private final Runnable atFail;

    RecordingChannel() {
        this(-1, null);
    }

    RecordingChannel(long failAt) {
        this(failAt, null);
    }

    RecordingChannel(long failAt, Runnable atFail) {
        this.failAt = failAt;
        this.atFail = atFail;
    }

    @Override
    public synchronized int write(ByteBuffer src) throws IOException {
        if (failAt >= 0 && bytes.size() + src.remaining() > failAt) {
            if (atFail == null) {
                throw new IOException("disk full (test)");
            }
            atFail.run();
        }
        threads.add(Thread.currentThread().getName());
        offsets.add((long) bytes.size());
        int n = src.remaining();
        sizes.add(n);
        byte[] b = new byte[n];
        src.get(b);
        bytes.write(b, 0, n);
        return n;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
