package org.ckpt.cli;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * Memory the dump copies a frozen process's pages into, so that the process runs again
 * as soon as its pages are read — before the image is written. One anonymous mapping,
 * asked for huge pages and populated before the freeze (so copying into it takes no page
 * faults), handed out in page-aligned slices. What does not fit is read from the process
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
     * Maps {@code bytes} (rounded up to 2 MiB) and populates it; if the kernel refuses, a
     * smaller or no staging area is the result, never an error.
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
        try {
            Linux.madvise(p, size, Linux.MADV_HUGEPAGE);
        } catch (LastErrorException e) {
            // no transparent huge pages: 4 KiB pages work too
        }
        try {
            Linux.madvise(p, size, Linux.MADV_POPULATE_WRITE);
        } catch (LastErrorException e) {
            // before Linux 5.14: the first copy into each page faults it in instead
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
