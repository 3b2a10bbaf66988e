package org.ckpt.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.ckpt.model.PageData;

/**
 * The pages of one area of a live process, read lazily when the checkpoint asks:
 * page table flags decide which pages are read at all, and each run is read into the
 * one reusable chunk buffer, handed to the checkpoint, and overwritten by the next.
 */
final class ProcPages implements PageData {
    /** Which pages of an area hold something the image needs. */
    enum Policy {
        /** Anonymous memory: pages in RAM or swap; the rest was never touched and reads as zero. */
        TOUCHED,
        /** Private file mapping: pages copied on write (anonymous) or swapped; clean ones come from the file. */
        PRIVATE_FILE,
        /** Every page (shared file mappings, whose contents are the file's): read them all. */
        ALL
    }

    /** Page counts over every area of one dump. */
    static final class Stats {
        long read;
        long untouched;
        long leftToFile;
        long unreadable;
    }

    private final ProcMemory mem;
    private final long start;
    private final long end;
    private final Policy policy;
    private final Stats stats;
    private long pagesRead;

    ProcPages(ProcMemory mem, long start, long end, Policy policy, Stats stats) {
        this.mem = mem;
        this.start = start;
        this.end = end;
        this.policy = policy;
        this.stats = stats;
    }

    @Override
    public void forEachRun(RunVisitor visitor) throws IOException {
        int ps = mem.pageSize;
        long[] entries = new long[ProcMemory.CHUNK_PAGES];
        for (long at = start; at < end; at += (long) ProcMemory.CHUNK_PAGES * ps) {
            int n = (int) Math.min(ProcMemory.CHUNK_PAGES, (end - at) / ps);
            if (policy != Policy.ALL) {
                mem.pagemap(at, n, entries);
            }
            int i = 0;
            while (i < n) {
                if (!wanted(entries[i])) {
                    if (policy == Policy.PRIVATE_FILE) {
                        stats.leftToFile++;
                    } else {
                        stats.untouched++;
                    }
                    i++;
                    continue;
                }
                int j = i + 1;
                while (j < n && wanted(entries[j])) {
                    j++;
                }
                emit(at + (long) i * ps, j - i, visitor);
                i = j;
            }
        }
    }

    private boolean wanted(long e) {
        return switch (policy) {
            case ALL -> true;
            case TOUCHED -> (e & (ProcMemory.PRESENT | ProcMemory.SWAPPED)) != 0;
            case PRIVATE_FILE -> (e & ProcMemory.SWAPPED) != 0
                    || ((e & ProcMemory.PRESENT) != 0 && (e & ProcMemory.FILE_OR_SHARED) == 0);
        };
    }

    /** Reads and hands over {@code pages} pages; a page the kernel refuses is left out (reads back as zero). */
    private void emit(long address, int pages, RunVisitor visitor) throws IOException {
        int ps = mem.pageSize;
        while (pages > 0) {
            ByteBuffer buf = mem.chunk;
            buf.clear().limit(pages * ps);
            int whole = mem.read(address, buf) / ps;
            if (whole > 0) {
                stats.read += whole;
                pagesRead += whole;
                visitor.run(address, buf.flip().limit(whole * ps), false);
            }
            if (whole == pages) {
                return;
            }
            stats.unreadable++;
            address += (long) (whole + 1) * ps;
            pages -= whole + 1;
        }
    }

    /** Pages this area handed to the checkpoint so far. */
    long pagesRead() {
        return pagesRead;
    }

    @Override
    public String toString() {
        return "ProcPages[" + Fmt.hex(start) + "-" + Fmt.hex(end) + ", " + policy + "]";
    }
}
