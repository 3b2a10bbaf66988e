package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.ckpt.model.PageData;

/**
 * The present runs of one restored area, ascending: the area's page data as the restart built
 * it, and the index a child image's {@code PAGES_PARENT} runs take slices of (views, not
 * copies). Arrays, not a list of run objects: a chain of ten images hands ~160,000 runs down
 * from parent to child, and a run costs three array slots here; the buffer a visitor sees is
 * sliced when it is visited. Immutable once the area is read.
 */
final class Slices implements PageData {
    private long[] starts = new long[16];
    private long[] ends = new long[16];
    private ByteBuffer[] bufs = new ByteBuffer[16];
    /** Where each run's bytes begin in its buffer (its position when it was added). */
    private int[] offs = new int[16];
    private int n;
    /** Where the last {@link #first} answer was: a hint only (a restart reads on one thread). */
    private int cursor;

    private Slices() {
    }

    /** An index to fill with {@link #add}, run by run in ascending order. */
    static Slices empty() {
        return new Slices();
    }

    /** The runs of restored page data (its buffers are the restart's own, so keeping views is safe). */
    static Slices of(PageData pages) throws IOException {
        Slices s = new Slices();
        pages.forEachRun((address, bytes, clean) -> s.add(address, bytes));
        return s;
    }

    /** Adds a run after the last (ascending, not overlapping); {@code bytes} from position to limit. */
    void add(long address, ByteBuffer bytes) {
        // A slice of our own: the page destination's buffer may be repositioned by its host later.
        add(address, bytes.slice(), 0, bytes.remaining());
    }

    /** Adds a run of {@code length} bytes of {@code buf} from index {@code offset}. */
    void add(long address, ByteBuffer buf, int offset, int length) {
        if (n == starts.length) {
            starts = Arrays.copyOf(starts, n * 2);
            ends = Arrays.copyOf(ends, n * 2);
            bufs = Arrays.copyOf(bufs, n * 2);
            offs = Arrays.copyOf(offs, n * 2);
        }
        starts[n] = address;
        ends[n] = address + length;
        bufs[n] = buf;
        offs[n] = offset;
        n++;
    }

    /**
     * Index of the first run ending after {@code address}. A child asks in ascending order, so
     * the answer is usually at or just after the previous one: a few steps from there before a
     * binary search.
     */
    private int first(long address) {
        int c = cursor;
        if (c <= n && (c == 0 || Long.compareUnsigned(ends[c - 1], address) <= 0)) {
            for (int k = 0; k < 8; k++, c++) {
                if (c == n || Long.compareUnsigned(ends[c], address) > 0) {
                    cursor = c;
                    return c;
                }
            }
        }
        int lo = 0;
        int hi = n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(ends[mid], address) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        cursor = lo;
        return lo;
    }

    /** Bytes of {@code [from, to)} that present runs cover. */
    long covered(long from, long to) {
        long c = 0;
        for (int i = first(from); i < n && Long.compareUnsigned(starts[i], to) < 0; i++) {
            long a = Long.compareUnsigned(starts[i], from) > 0 ? starts[i] : from;
            long b = Long.compareUnsigned(ends[i], to) < 0 ? ends[i] : to;
            c += b - a;
        }
        return c;
    }

    /** The first address of {@code [from, to)} no run covers, or -1 if all is covered. */
    long firstGap(long from, long to) {
        long at = from;
        for (int i = first(from); i < n && Long.compareUnsigned(starts[i], to) < 0; i++) {
            if (Long.compareUnsigned(starts[i], at) > 0) {
                return at;
            }
            at = ends[i];
        }
        return Long.compareUnsigned(at, to) < 0 ? at : -1;
    }

    /**
     * Adds the present bytes of {@code [from, to)} to {@code out}, ascending, as views of the
     * same buffers; returns the number of runs added.
     */
    int addTo(Slices out, long from, long to) {
        int k = 0;
        for (int i = first(from); i < n && Long.compareUnsigned(starts[i], to) < 0; i++, k++) {
            long a = Long.compareUnsigned(starts[i], from) > 0 ? starts[i] : from;
            long b = Long.compareUnsigned(ends[i], to) < 0 ? ends[i] : to;
            out.add(a, bufs[i], offs[i] + (int) (a - starts[i]), (int) (b - a));
        }
        return k;
    }

    boolean isEmpty() {
        return n == 0;
    }

    @Override
    public void forEachRun(RunVisitor visitor) throws IOException {
        for (int i = 0; i < n; i++) {
            visitor.run(starts[i], bufs[i].slice(offs[i], (int) (ends[i] - starts[i])), false);
        }
    }

    @Override
    public String toString() {
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            bytes += ends[i] - starts[i];
        }
        return "PageData[" + n + " runs, " + bytes + " bytes]";
    }
}
