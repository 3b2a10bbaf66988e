package org.ckpt.internal;

/** Constants of the image format; docs/FORMAT.md is the normative description. */
public final class Format {
    /** First 8 bytes of every image: 0x89 'C' 'K' 'P' 'T' CR LF SUB, so text-mode mangling shows. */
    static final byte[] MAGIC = {(byte) 0x89, 'C', 'K', 'P', 'T', '\r', '\n', 0x1A};
    static final int MAJOR = 1;
    /**
     * Newest minor this code reads and writes. A writer puts the lowest minor that
     * describes its content in the head: 0 unless a task has extensions (TASK_EXT,
     * 1.1), so images without extensions stay readable by 1.0 readers byte for byte.
     */
    static final int MINOR = 4;
    /** First minor with the TASK_EXT record. */
    static final int MINOR_TASK_EXT = 1;
    /** First minor with head flag EXACT. */
    static final int MINOR_EXACT = 2;
    /** First minor with the PARENT and PAGES_PARENT records (incremental images). */
    static final int MINOR_PARENT = 3;
    /** First minor with the PAGE_RUNS record; the minor of every child this code writes. */
    static final int MINOR_PAGE_RUNS = 4;
    /** PAGE_RUNS run source: the run's pages follow in the record. */
    static final int RUN_CARRIED = 0;
    /** PAGE_RUNS run source: the run's content is the parent's at the same addresses. */
    static final int RUN_PARENT = 1;
    /** PAGE_DIGESTS algorithm 1: XXH64 with seed 0 over the page's bytes. */
    static final int DIGEST_XXH64 = 1;
    /** First minor with SEAL, CIPHER, head flag ENCRYPTED and record flag ENCRYPTED. */
    static final int MINOR_SEAL = 3;
    /** Head flags this version knows: bit 0 EXACT, bit 1 NO_ARCH, bit 2 ENCRYPTED. */
    static final long KNOWN_HEAD_FLAGS = org.ckpt.ImageInfo.FLAG_EXACT | org.ckpt.ImageInfo.FLAG_NO_ARCH
            | org.ckpt.ImageInfo.FLAG_ENCRYPTED;
    static final int HEADER_SIZE = 16;
    static final int ALIGN = 8;
    /** "CKPTTAIL" read as a little-endian u64. */
    static final long TAIL_MAGIC = 0x4C49415454504B43L;
    /** Record flag: the payload is AES-256-GCM ciphertext and tag (docs/FORMAT.md §17). */
    static final int FLAG_ENCRYPTED = 2;
    /** Record flags a reader knows; a provider may set only FLAG_OPTIONAL, the engine sets FLAG_ENCRYPTED. */
    static final int KNOWN_RECORD_FLAGS = org.ckpt.spi.RecordOutput.FLAG_OPTIONAL | FLAG_ENCRYPTED;
    /** TASK flag: CPU records follow the TASK record. */
    static final int TASK_HAS_CPU = 1;
    static final int MIN_PAGE_SIZE = 4096;
    static final int MAX_PAGE_SIZE = 1 << 20;
    /** Largest OBJECT_DATA chunk a writer emits (readers accept up to maxRecordSize). */
    static final int DATA_CHUNK = 1 << 20;

    private Format() {
    }

    static int padding(long length) {
        return (int) ((ALIGN - (length & (ALIGN - 1))) & (ALIGN - 1));
    }
}
