package org.ckpt.store.s3;

import java.util.Arrays;

/** The layout of a chunked image's manifest and of a pack's index object (docs/FORMAT.md §16). */
final class Manifest {
    /** {@code 89 43 4B 50 4D 0D 0A 1A}: the image magic with {@code M} for {@code T}. */
    static final byte[] MAGIC = {(byte) 0x89, 'C', 'K', 'P', 'M', 0x0D, 0x0A, 0x1A};
    /** {@code 89 43 4B 50 49 0D 0A 1A}: a pack index. */
    static final byte[] INDEX_MAGIC = {(byte) 0x89, 'C', 'K', 'P', 'I', 0x0D, 0x0A, 0x1A};
    static final int MAJOR = 1;
    static final int MINOR = 0;

    static final int END = 0x00;
    static final int LITERAL = 0x01;
    static final int PACK = 0x02;
    static final int CHUNKS = 0x03;

    /** Largest LITERAL a writer emits, and that a reader accepts. */
    static final int MAX_WRITTEN_LITERAL = 64 << 10;
    static final int MAX_LITERAL = 16 << 20;
    /** Largest chunk (one page of the largest page size). */
    static final int MAX_CHUNK = 1 << 20;
    /** Largest count of one CHUNKS entry. */
    static final int MAX_RUN = 65_536;
    static final int MAX_PACKS = 1 << 20;
    static final int DIGEST = 32;

    /** The PAGES record type (docs/FORMAT.md §6.1). */
    static final int PAGES = 0x0031;
    /** The PAGE_RUNS record type (docs/FORMAT.md §15.8): a run table, then the carried pages. */
    static final int PAGE_RUNS = 0x0034;

    private Manifest() {
    }

    static boolean startsWithMagic(byte[] b) {
        return b.length >= MAGIC.length && Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    static String hex(byte[] b, int off, int len) {
        StringBuilder s = new StringBuilder(2 * len);
        for (int i = off; i < off + len; i++) {
            s.append(Character.forDigit((b[i] >> 4) & 0xF, 16)).append(Character.forDigit(b[i] & 0xF, 16));
        }
        return s.toString();
    }
}
