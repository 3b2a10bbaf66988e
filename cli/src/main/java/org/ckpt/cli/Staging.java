package org.ckpt.cli;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * Memory a one-freeze dump copies a frozen process's pages into, so that the process runs
 * again as soon as its pages are read — before the image is written. One anonymous
 * mapping, populated before the freeze (so copying into it takes no page faults), handed
 * out in page-aligned slices. What does not fit is read from the process
 * while the image is written, with the process still frozen.
 */
final class Staging implements AutoCloseable {
    private final Pointer base;
    private final long capacity;
    private long used;

    private Staging(Pointer base, long capacity) {
        this.base = base;
        this.capacity = capacity;
    }

    /** No staging memory: every page is read while the image is written. */
    static Staging none() {
        return new Staging(null, 0);
    }

    /**
     * Maps {@code bytes} (rounded up to 2 MiB) and populates it; if the kernel refuses, no
     * staging area is the result, never an error.
     */
    static Staging allocate(long bytes) {
        long size = (bytes + (2 << 20) - 1) & -(2L << 20);
        if (size <= 0) {
            return none();
        }
        Pointer p;
        try {
            p = Linux.mmap(null, size, Linux.PROT_READ | Linux.PROT_WRITE,
                    Linux.MAP_PRIVATE | Linux.MAP_ANONYMOUS | Linux.MAP_NORESERVE, -1, 0);
        } catch (LastErrorException e) {
            return none();
        }
        // Not MADV_HUGEPAGE: where THP defrag is "madvise" (Debian's default) the kernel then compacts
        // memory synchronously for it, measured at seconds for 500 MiB on the test VM.
        try {
            Linux.madvise(p, size, Linux.MADV_POPULATE_WRITE);
        } catch (LastErrorException e) {
            // before Linux 5.14: the first copy into each page faults it in instead, while frozen
        }
        return new Staging(p, size);
    }

    /** A slice of {@code bytes} (a multiple of the page size), or {@code null} when full. */
    ByteBuffer take(int bytes) {
        if (base == null || used + bytes > capacity) {
            return null;
        }
        ByteBuffer b = base.getByteBuffer(used, bytes);
        used += bytes;
        return b;
    }

    long capacity() {
        return capacity;
    }

    long used() {
        return used;
    }

    @Override
    public void close() {
        if (base != null) {
            try {
                Linux.munmap(base, capacity);
            } catch (LastErrorException e) {
                // the process ends soon anyway
            }
        }
    }
}
