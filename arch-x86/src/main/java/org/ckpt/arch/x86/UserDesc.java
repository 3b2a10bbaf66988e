package org.ckpt.arch.x86;

/**
 * One GDT TLS descriptor as Linux's {@code struct user_desc} describes it
 * ({@code set_thread_area(2)}, the {@code NT_386_TLS} note). All fields are unsigned
 * 32-bit values held in {@code int}s.
 *
 * @param entryNumber the GDT index (6–8 under a native i386 kernel, 12–14 under x86_64)
 * @param baseAddr    the segment base
 * @param limit       the 20-bit segment limit
 * @param flags       bit 0 seg_32bit, bits 1–2 contents, bit 3 read_exec_only,
 *                    bit 4 limit_in_pages, bit 5 seg_not_present, bit 6 useable,
 *                    bit 7 lm (x86_64 kernels only)
 * @since 0.1 (stable)
 */
public record UserDesc(int entryNumber, int baseAddr, int limit, int flags) {
    public static final int SEG_32BIT = 1;
    public static final int CONTENTS_MASK = 6;
    public static final int READ_EXEC_ONLY = 8;
    public static final int LIMIT_IN_PAGES = 16;
    public static final int SEG_NOT_PRESENT = 32;
    public static final int USEABLE = 64;
    public static final int LM = 128;

    /** An unused slot, as the kernel reports one: read_exec_only | seg_not_present, all else zero. */
    public static UserDesc empty(int entryNumber) {
        return new UserDesc(entryNumber, 0, 0, READ_EXEC_ONLY | SEG_NOT_PRESENT);
    }

    /** Bits 1–2 of {@link #flags}: 0 data, 1 expand-down data, 2 code (non-conforming), 3 code (conforming). */
    public int contents() {
        return (flags & CONTENTS_MASK) >>> 1;
    }

    /** Whether this is the kernel's "no segment" encoding ({@code LDT_empty}) or all zero ({@code LDT_zero}). */
    public boolean isEmpty() {
        return baseAddr == 0 && limit == 0 && (flags == (READ_EXEC_ONLY | SEG_NOT_PRESENT) || flags == 0);
    }
}
