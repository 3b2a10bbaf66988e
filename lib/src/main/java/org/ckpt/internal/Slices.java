package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.ckpt.model.PageData;

/**
 * The present runs of one restored area, ascending: the area's page data as the restart built
 * it, and the index a child image's runs taken from the parent resolve against. Arrays, not a
 * list of run objects. A run taken from the parent is one entry naming the parent's index and
 * the range, resolved when visited (to views of the parent's buffers, never copies): a child of
 * a few thousand changed pages holds a few thousand entries, not a copy of every run its parent
 * has (measured: ten children of mem-1g copied ~60,000 runs each, half of their restart time).
 * Its buffers stay valid as long as it does ({@link StableRuns}). Immutable once the area is
 * read; a visit does not change it, so hosts may visit it from several threads.
 */
final class Slices implements PageData, StableRuns {
    private long[] starts = new long[16];
    private long[] ends = new long[16];
    /** The run's own bytes, or null for a range of {@link #parents}. */
    private ByteBuffer[] bufs = new ByteBuffer[16];
    /** Where each own run's bytes begin in its buffer (its position when it was added). */
    private int[] offs = new int[16];
    /** For a range taken from the parent: the parent's index, whose present pages in the range are this one's. */
    private Slices[] parents;
    private int n;
    /** Where the last {@link #first} answer was: a hint only, checked before it is used. */
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
        slot(address, address + length);
        bufs[n] = buf;
        offs[n] = offset;
        n++;
    }

    private void slot(long start, long end) {
        if (n == starts.length) {
            starts = Arrays.copyOf(starts, n * 2);
            ends = Arrays.copyOf(ends, n * 2);
            bufs = Arrays.copyOf(bufs, n * 2);
            offs = Arrays.copyOf(offs, n * 2);
            if (parents != null) {
                parents = Arrays.copyOf(parents, n * 2);
            }
        }
        starts[n] = start;
        ends[n] = end;
    }

    /**
     * Index of the first run ending after {@code address}. A child asks in ascending order, so
     * the answer is usually at or just after the previous one: a few steps from there before a
     * binary search. The hint is checked, so a stale one (another thread's) costs only the search.
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
        c = search(address);
        cursor = c;
        return c;
    }

    /** {@link #first} by binary search alone. */
    private int search(long address) {
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

    private static long max(long a, long b) {
        return Long.compareUnsigned(a, b) > 0 ? a : b;
    }

    private static long min(long a, long b) {
        return Long.compareUnsigned(a, b) < 0 ? a : b;
    }

    /** Bytes of {@code [from, to)} that present runs cover. */
    long covered(long from, long to) {
        long c = 0;
        for (int i = first(from); i < n && Long.compareUnsigned(starts[i], to) < 0; i++) {
            long a = max(starts[i], from);
            long b = min(ends[i], to);
            c += bufs[i] != null ? b - a : parents[i].covered(a, b);
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
            long b = min(ends[i], to);
            if (bufs[i] == null) {
                long gap = parents[i].firstGap(at, b);
                if (gap != -1) {
                    return gap;
                }
            }
            at = b;
        }
        return Long.compareUnsigned(at, to) < 0 ? at : -1;
    }

    /**
     * Adds the present pages of {@code [from, to)} to {@code out} (after its last run), as one
     * entry resolved when visited; where a single range of this index's own parent holds all of
     * {@code [from, to)}, the entry names that parent, so visits do not descend level by level
     * through a chain of unchanged ranges. Returns the number of entries added.
     */
    int addTo(Slices out, long from, long to) {
        int i = first(from);
        if (i < n && bufs[i] == null && Long.compareUnsigned(starts[i], from) <= 0
                && Long.compareUnsigned(ends[i], to) >= 0) {
            return parents[i].addTo(out, from, to);
        }
        out.slot(from, to);
        if (out.parents == null) {
            out.parents = new Slices[out.starts.length];
        }
        out.parents[out.n] = this;
        out.bufs[out.n] = null;
        out.n++;
        return 1;
    }

    /** Whether no page is present. */
    boolean isEmpty() {
        for (int i = 0; i < n; i++) {
            if (bufs[i] != null || parents[i].covered(starts[i], ends[i]) > 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void forEachRun(RunVisitor visitor) throws IOException {
        for (int i = 0; i < n; i++) {
            if (bufs[i] != null) {
                visitor.run(starts[i], bufs[i].slice(offs[i], (int) (ends[i] - starts[i])), false);
            } else {
                parents[i].forEachIn(starts[i], ends[i], visitor);
            }
        }
    }

    /** Visits the present runs within {@code [from, to)}, cut to it. Changes no state (no cursor). */
    private void forEachIn(long from, long to, RunVisitor visitor) throws IOException {
        for (int i = search(from); i < n && Long.compareUnsigned(starts[i], to) < 0; i++) {
            long a = max(starts[i], from);
            long b = min(ends[i], to);
            if (bufs[i] != null) {
                visitor.run(a, bufs[i].slice(offs[i] + (int) (a - starts[i]), (int) (b - a)), false);
            } else {
                parents[i].forEachIn(a, b, visitor);
            }
        }
    }

    @Override
    public String toString() {
        long bytes = 0;
        int runs = 0;
        for (int i = 0; i < n; i++) {
            if (bufs[i] != null) {
                bytes += ends[i] - starts[i];
                runs++;
            } else {
                bytes += parents[i].covered(starts[i], ends[i]);
            }
        }
        return "PageData[" + runs + " runs, " + (n - runs) + " ranges of the parent, " + bytes + " bytes]";
    }
}
