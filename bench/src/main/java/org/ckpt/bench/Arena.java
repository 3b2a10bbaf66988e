package org.ckpt.bench;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.ckpt.PageDestination;

/**
 * Host memory allocated once, up front, as an emulator allocates guest RAM: heap arrays of
 * 64 MiB handed out in consecutive slices. A restart into the host gets its page buffers here
 * (as a {@link PageDestination}); the raw read baseline reads into slices of an arena just like
 * it, so both fill the same kind of preallocated memory.
 */
final class Arena implements PageDestination {
    private static final int CHUNK = 64 << 20;

    private final List<byte[]> chunks = new ArrayList<>();
    private int chunk;
    private int used;

    /** An arena of at least {@code bytes} (plus a chunk of slack for the slices' ends). */
    Arena(long bytes) {
        for (long n = 0; n < bytes + CHUNK; n += CHUNK) {
            chunks.add(new byte[CHUNK]);
        }
    }

    void reset() {
        chunk = 0;
        used = 0;
    }

    /** The next {@code length} bytes of the arena. */
    ByteBuffer slice(int length) {
        if (CHUNK - used < length) {
            chunk++;
            used = 0;
        }
        ByteBuffer b = ByteBuffer.wrap(chunks.get(chunk), used, length);
        used += length;
        return b;
    }

    @Override
    public ByteBuffer allocate(Run run) {
        return slice(run.length());
    }
}
