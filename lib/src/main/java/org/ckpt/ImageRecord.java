package org.ckpt;

import java.nio.ByteBuffer;

/**
 * One record of an image as {@link Restarter#inspect} met it, after its framing,
 * payload checksum and padding were verified and before its payload was interpreted.
 * Records of types the reader does not know and skips (optional ones) are reported
 * too, and so is an {@code ERROR} record, just before the inspection fails with it.
 *
 * @param type     record type (see {@code docs/FORMAT.md}, "Record types")
 * @param typeName {@code HEAD}, {@code PAGES}, …, or {@code 0x0100} for types the core does not name
 * @param flags    record flags as stored ({@code 1} = optional, {@link #FLAG_ENCRYPTED} = encrypted)
 * @param offset   image offset of the record header
 * @param length   payload length in bytes, without header and padding
 * @param payload  a read-only view of the payload as stored (an encrypted record's ciphertext and
 *                 tag), valid only during the call that receives it
 * @since 0.1 (evolving)
 */
public record ImageRecord(int type, String typeName, int flags, long offset, int length, ByteBuffer payload) {
    /** Record flag: the payload is AES-256-GCM ciphertext and tag (docs/FORMAT.md §17.4). @since 0.3 */
    public static final int FLAG_ENCRYPTED = 2;

    /** Bytes the record occupies in the image: header, payload and padding. */
    public long size() {
        return 16L + length + ((8 - (length & 7)) & 7);
    }
}
