package org.ckpt.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.zip.CRC32C;

/**
 * CRC32C helpers. Page payloads are the bulk of an image and each is covered by two
 * checksums (its record's and the whole image's); computing the payload's CRC once and
 * combining it into both (zlib's {@code crc32_combine}, for the Castagnoli polynomial)
 * halves the checksum work on both sides of the format.
 */
final class Crc32c {
    /** Below this many bytes a second CRC pass is cheaper than a combine (~1 µs). */
    static final int COMBINE_THRESHOLD = 64 << 10;
    private static final int POLY = 0x82F63B78;
    /** X2N[k] = x^(2^k) mod p(x), reflected. */
    private static final int[] X2N = new int[32];
    /**
     * Recent shift operators x^(8·length) mod p(x), direct-mapped by length: an image has few
     * distinct record lengths (page runs are whole pages), and with the operator at hand a
     * combine is one multiplication instead of one per bit of the length. Entry: length in the
     * high 32 bits, operator in the low; 0 is empty (length 0 is never cached).
     */
    private static final int SHIFTS = 512;
    private static final AtomicLongArray SHIFT_CACHE = new AtomicLongArray(SHIFTS);

    static {
        int p = 1 << 30;
        X2N[0] = p;
        for (int n = 1; n < 32; n++) {
            p = multModP(p, p);
            X2N[n] = p;
        }
    }

    private Crc32c() {
    }

    static int of(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate());
        return (int) c.getValue();
    }

    /** CRC32C of A‖B from crc(A), crc(B) and B's length. */
    static int combine(int crcA, int crcB, long lengthB) {
        return multModP(shift(lengthB), crcA) ^ crcB;
    }

    /** x^(8·length) mod p(x), from the cache when it holds this length. */
    static int shift(long length) {
        if (length <= 0 || length > Integer.MAX_VALUE) {
            return x2nModP(length, 3);
        }
        int slot = ((int) length * 0x9E3779B9) >>> (32 - Integer.numberOfTrailingZeros(SHIFTS));
        long e = SHIFT_CACHE.getAcquire(slot);
        if ((int) (e >>> 32) == (int) length) {
            return (int) e;
        }
        int op = x2nModP(length, 3);
        SHIFT_CACHE.setRelease(slot, (length << 32) | (op & 0xFFFF_FFFFL));
        return op;
    }

    private static int multModP(int a, int b) {
        // Branch-free: with a data-dependent branch per bit, a combine mispredicted about half
        // its 32 steps, and a chain restart combines three times per page record.
        int p = 0;
        for (int i = 31; i >= 0; i--) {
            p ^= b & -((a >>> i) & 1);
            b = (b >>> 1) ^ (POLY & -(b & 1));
        }
        return p;
    }

    /** x^(n·2^k) mod p(x). */
    private static int x2nModP(long n, int k) {
        int p = 1 << 31;
        while (n != 0) {
            if ((n & 1) != 0) {
                p = multModP(X2N[k & 31], p);
            }
            n >>>= 1;
            k++;
        }
        return p;
    }

    /** A block's CRC32C that is known later (a record whose bytes another thread reads). */
    interface PendingCrc {
        /**
         * The block's CRC32C (0 to 2^32 - 1) if it is known now, without waiting, and the block
         * is intact; else -1 (still being read, or failed: {@link #crc} says what failed).
         */
        long crcIfReady();

        /** Waits for it; throws what made it fail. */
        int crc() throws java.io.IOException;

        /** Whether the block is known, without waiting, to have failed ({@link #crc} says what). */
        boolean failed();
    }

    /**
     * A CRC32C over a stream of bytes, some of which arrive as (crc, length) of a block
     * checksummed elsewhere, and some as blocks whose CRC is known later ({@link #appendLater}).
     */
    static final class Running {
        private final CRC32C segment = new CRC32C();
        private long segmentLength;
        private int done;
        /**
         * Blocks after {@code done} whose CRC is not folded yet, in order: a pending one
         * ({@link #appendLater}) and every block after it until it is folded. Every block
         * appended first folds those at the front that are ready, so the list stays as long as
         * the blocks still being read, not as long as the stream.
         */
        private final java.util.ArrayDeque<Later> later = new java.util.ArrayDeque<>();

        private record Later(PendingCrc pending, int crc, long length) {
        }

        void update(ByteBuffer b) {
            segmentLength += b.remaining();
            segment.update(b);
        }

        void update(byte[] b, int off, int len) {
            segmentLength += len;
            segment.update(b, off, len);
        }

        /** Appends a block of {@code length} bytes whose CRC32C is {@code crc}. */
        void append(int crc, long length) {
            closeSegment();
            if (later.isEmpty()) {
                done = combine(done, crc, length);
            } else {
                later.add(new Later(null, crc, length));
            }
        }

        /** Appends a block of {@code length} bytes whose CRC32C {@code crc} gives later. */
        void appendLater(PendingCrc crc, long length) {
            closeSegment();
            later.add(new Later(crc, 0, length));
        }

        /**
         * Whether the first block whose CRC is still to come has failed: no block after it can
         * be folded, and nothing after it in the stream can fail first.
         */
        boolean firstPendingFailed() {
            Later l = later.peek();
            return l != null && l.pending != null && l.pending.failed();
        }

        /** {@link #value} once every pending block's CRC is known, waiting for them; throws what failed first. */
        long valueAwaiting() throws java.io.IOException {
            closeSegment();
            while (!later.isEmpty()) {
                Later l = later.peek();
                int c = l.pending == null ? l.crc : l.pending.crc();
                later.poll();
                done = combine(done, c, l.length);
            }
            return value();
        }

        /** Blocks not folded yet, after the first pending one (tests: the list stays short). */
        int blocks() {
            return later.size();
        }

        /** The pending blocks, in order (for a failed read's earliest failure). */
        java.util.List<PendingCrc> pending() {
            java.util.List<PendingCrc> p = new java.util.ArrayList<>();
            for (Later l : later) {
                if (l.pending != null) {
                    p.add(l.pending);
                }
            }
            return p;
        }

        long value() {
            if (!later.isEmpty()) {
                throw new IllegalStateException(later.size() + " blocks after a pending CRC are not folded");
            }
            fold();
            return done & 0xFFFF_FFFFL;
        }

        /**
         * Ends the bytes updated since the last block as a block of their own, after the
         * pending ones, having folded the ready blocks at the front.
         */
        private void closeSegment() {
            while (!later.isEmpty()) {
                Later l = later.peek();
                long c = l.pending == null ? l.crc & 0xFFFF_FFFFL : l.pending.crcIfReady();
                if (c < 0) {
                    break;
                }
                later.poll();
                done = combine(done, (int) c, l.length);
            }
            if (later.isEmpty()) {
                fold();
            } else if (segmentLength > 0) {
                later.add(new Later(null, (int) segment.getValue(), segmentLength));
                segment.reset();
                segmentLength = 0;
            }
        }

        private void fold() {
            if (segmentLength > 0) {
                done = combine(done, (int) segment.getValue(), segmentLength);
                segment.reset();
                segmentLength = 0;
            }
        }
    }
}
