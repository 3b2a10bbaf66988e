package org.ckpt.internal;

import java.util.Arrays;

/**
 * The digests of one area's present pages, ascending by address: what a {@code PAGE_DIGESTS}
 * record holds, and what a child checkpoint compares its pages with.
 */
public final class DigestIndex {
    private final long[] addresses;
    private final long[] digests;
    private final int size;

    private DigestIndex(long[] addresses, long[] digests, int size) {
        this.addresses = addresses;
        this.digests = digests;
        this.size = size;
    }

    public int size() {
        return size;
    }

    long address(int i) {
        return addresses[i];
    }

    long digest(int i) {
        return digests[i];
    }

    /** Index of the page at {@code address}, or {@code -(insertion point) - 1}. */
    int find(long address) {
        int lo = 0;
        int hi = size - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compareUnsigned(addresses[mid], address);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -lo - 1;
    }

    /** Index of the first page at or above {@code address}. */
    int ceiling(long address) {
        int i = find(address);
        return i >= 0 ? i : -i - 1;
    }

    /** Collects pages in ascending address order. */
    static final class Builder {
        private long[] a = new long[64];
        private long[] d = new long[64];
        private int n;

        void add(long address, long digest) {
            if (n > 0 && Long.compareUnsigned(address, a[n - 1]) <= 0) {
                throw new IllegalStateException("digests out of order at 0x" + Long.toHexString(address));
            }
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
                d = Arrays.copyOf(d, n * 2);
            }
            a[n] = address;
            d[n] = digest;
            n++;
        }

        int size() {
            return n;
        }

        long lastAddress() {
            return n == 0 ? 0 : a[n - 1];
        }

        DigestIndex build() {
            return new DigestIndex(Arrays.copyOf(a, n), Arrays.copyOf(d, n), n);
        }
    }
}
