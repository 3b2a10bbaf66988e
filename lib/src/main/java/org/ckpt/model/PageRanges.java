package org.ckpt.model;

import java.util.Arrays;

/**
 * A set of page-aligned address ranges, held as sorted disjoint {@code [start, end)} pairs:
 * what a host reports as changed since the parent checkpoint ({@link PageData#changedSinceParent}).
 * Immutable. Emulators and hypervisors build it from the dirty bitmap they keep anyway
 * ({@link #fromBitmap}).
 *
 * @since 0.3 (evolving)
 */
public final class PageRanges {
    private static final PageRanges EMPTY = new PageRanges(new long[0]);

    /** start0, end0, start1, end1, … ascending, disjoint, not adjacent. */
    private final long[] bounds;

    private PageRanges(long[] bounds) {
        this.bounds = bounds;
    }

    /** No page at all: nothing changed. */
    public static PageRanges none() {
        return EMPTY;
    }

    /** One range {@code [start, end)}. */
    public static PageRanges of(long start, long end) {
        return builder().add(start, end).build();
    }

    /**
     * The pages whose bit is set in {@code bitmap}: bit {@code i} (bit {@code i % 64} of word
     * {@code i / 64}) stands for the page at {@code base + i × pageSize}.
     */
    public static PageRanges fromBitmap(long base, int pageSize, long[] bitmap) {
        Builder b = builder();
        long bits = (long) bitmap.length * 64;
        long i = 0;
        while (i < bits) {
            int w = (int) (i >>> 6);
            long word = bitmap[w] >>> (i & 63);
            if (word == 0) {
                i = (long) (w + 1) << 6;
                continue;
            }
            i += Long.numberOfTrailingZeros(word);
            long j = i;
            while (j < bits && (bitmap[(int) (j >>> 6)] & (1L << (j & 63))) != 0) {
                j++;
            }
            b.add(base + i * pageSize, base + j * pageSize);
            i = j;
        }
        return b.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Number of ranges. */
    public int size() {
        return bounds.length / 2;
    }

    public long start(int i) {
        return bounds[2 * i];
    }

    public long end(int i) {
        return bounds[2 * i + 1];
    }

    /** Total bytes covered. */
    public long bytes() {
        long n = 0;
        for (int i = 0; i < bounds.length; i += 2) {
            n += bounds[i + 1] - bounds[i];
        }
        return n;
    }

    /** Whether {@code address} lies in one of the ranges. */
    public boolean contains(long address) {
        int i = index(address);
        return i >= 0;
    }

    /** The index of the range containing {@code address}, or {@code -(insertion point) - 1}. */
    public int index(long address) {
        int lo = 0;
        int hi = size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(bounds[2 * mid + 1], address) <= 0) {
                lo = mid + 1;
            } else if (Long.compareUnsigned(bounds[2 * mid], address) > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -lo - 1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PageRanges p && Arrays.equals(bounds, p.bounds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bounds);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("PageRanges[");
        for (int i = 0; i < bounds.length && i < 16; i += 2) {
            sb.append(i == 0 ? "" : ", ").append("0x").append(Long.toHexString(bounds[i])).append("-0x")
                    .append(Long.toHexString(bounds[i + 1]));
        }
        return sb.append(bounds.length > 16 ? ", …]" : "]").toString();
    }

    /** Collects ranges in any order; overlapping and adjacent ranges are joined. */
    public static final class Builder {
        private long[] b = new long[16];
        private int n;
        private boolean sorted = true;

        private Builder() {
        }

        /** Adds {@code [start, end)}; an empty range ({@code start == end}) is ignored. */
        public Builder add(long start, long end) {
            if (Long.compareUnsigned(start, end) > 0) {
                throw new IllegalArgumentException("range [0x" + Long.toHexString(start) + ", 0x"
                        + Long.toHexString(end) + ") is inverted");
            }
            if (start == end) {
                return this;
            }
            if (n == b.length) {
                b = Arrays.copyOf(b, n * 2);
            }
            if (n > 0 && Long.compareUnsigned(start, b[n - 2]) < 0) {
                sorted = false;
            }
            b[n++] = start;
            b[n++] = end;
            return this;
        }

        public PageRanges build() {
            if (n == 0) {
                return EMPTY;
            }
            long[][] pairs = null;
            long[] src = b;
            if (!sorted) {
                pairs = new long[n / 2][];
                for (int i = 0; i < n; i += 2) {
                    pairs[i / 2] = new long[] {b[i], b[i + 1]};
                }
                Arrays.sort(pairs, (x, y) -> Long.compareUnsigned(x[0], y[0]));
                src = new long[n];
                for (int i = 0; i < pairs.length; i++) {
                    src[2 * i] = pairs[i][0];
                    src[2 * i + 1] = pairs[i][1];
                }
            }
            long[] out = new long[n];
            int m = 0;
            for (int i = 0; i < n; i += 2) {
                if (m > 0 && Long.compareUnsigned(src[i], out[m - 1]) <= 0) {
                    if (Long.compareUnsigned(src[i + 1], out[m - 1]) > 0) {
                        out[m - 1] = src[i + 1];
                    }
                } else {
                    out[m++] = src[i];
                    out[m++] = src[i + 1];
                }
            }
            return new PageRanges(Arrays.copyOf(out, m));
        }
    }
}
