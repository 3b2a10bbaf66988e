package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.ckpt.model.PageData;

/**
 * The present runs of one restored area, ascending, for a child image's {@code PAGES_PARENT}
 * runs to take slices of (views, not copies).
 */
final class Slices {
    private long[] starts = new long[16];
    private long[] ends = new long[16];
    private ByteBuffer[] bufs = new ByteBuffer[16];
    /** Where each run's bytes begin in its buffer (its position when it was added). */
    private int[] offs = new int[16];
    private int n;

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
        add(address, bytes, bytes.position(), bytes.remaining());
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

    /** Index of the first run ending after {@code address}. */
    private int first(long address) {
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

    /** Number of runs that overlap {@code [from, to)}. */
    int count(long from, long to) {
        int k = 0;
        for (int i = first(from); i < n && Long.compareUnsigned(starts[i], to) < 0; i++) {
            k++;
        }
        return k;
    }

    /** Adds views of the present bytes of {@code [from, to)} to {@code out} and (if not null) to {@code index}, ascending. */
    void addTo(PageData.Builder out, Slices index, long from, long to) {
        for (int i = first(from); i < n && Long.compareUnsigned(starts[i], to) < 0; i++) {
            long a = Long.compareUnsigned(starts[i], from) > 0 ? starts[i] : from;
            long b = Long.compareUnsigned(ends[i], to) < 0 ? ends[i] : to;
            int off = offs[i] + (int) (a - starts[i]);
            int len = (int) (b - a);
            out.run(a, bufs[i], off, len);
            if (index != null) {
                index.add(a, bufs[i], off, len);
            }
        }
    }
}
