package org.ckpt;

/**
 * What an image's {@code TAIL} record says: the number of records and bytes before it and the
 * CRC32C of those bytes. A child image pins its parent with these values (and the parent's
 * checkpoint id): a parent file that is not byte for byte the image the child was written
 * against — another checkpoint with the same id, a rewritten or damaged file — does not verify
 * against them. They detect accidents, not forgeries (CRC32C is linear; a sealed child's seal
 * covers its {@code PARENT} record). See docs/FORMAT.md §15.
 *
 * @param recordCount  records before the tail (head included)
 * @param byteCount    bytes before the tail record (magic included); the image is 48 bytes longer
 * @param imageCrc32c  CRC32C of those bytes
 * @since 0.3 (evolving)
 */
public record ImageTail(long recordCount, long byteCount, int imageCrc32c) {
    @Override
    public String toString() {
        return "ImageTail[records " + Long.toUnsignedString(recordCount) + ", bytes "
                + Long.toUnsignedString(byteCount) + ", crc32c " + String.format("%08x", imageCrc32c) + "]";
    }
}
