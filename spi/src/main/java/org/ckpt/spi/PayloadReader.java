package org.ckpt.spi;

import java.nio.ByteBuffer;

/**
 * Reads the payload of one record, field by field, with every access bounds
 * checked: reading past the end is a {@link TruncatedImageException}, never an
 * unchecked exception. Each method takes the field's name so a failure can say
 * which field, in which record, at which absolute offset.
 *
 * <p>A payload must be consumed exactly: the engine rejects bytes left over
 * when the next record is read.
 *
 * @since 0.1 (stable)
 */
public interface PayloadReader {
    int u8(String field) throws ImageException;

    int u16(String field) throws ImageException;

    /** An unsigned 32-bit value, zero-extended. */
    long u32(String field) throws ImageException;

    int i32(String field) throws ImageException;

    /** A raw 64-bit value; callers that need it unsigned use {@link Long#compareUnsigned}. */
    long u64(String field) throws ImageException;

    /** A 64-bit value that must lie in {@code [0, max]}. */
    long u64InRange(String field, long max) throws ImageException;

    /**
     * A u32 count checked against {@code max} before anyone allocates for it;
     * exceeding it is an {@link ImageLimitException} naming the limit.
     */
    int count(String field, int max, String limitName) throws ImageException;

    /** A 32-bit field that must be zero (reserved for future use). */
    void reserved32(String field) throws ImageException;

    byte[] bytes(String field, int length) throws ImageException;

    /** A u32-length UTF-8 string of at most {@code maxBytes} bytes; malformed UTF-8 is rejected. */
    String string(String field, int maxBytes) throws ImageException;

    /** A u16-length UTF-8 string of at most {@code maxBytes} bytes. */
    String shortString(String field, int maxBytes) throws ImageException;

    /** A read-only view of the next {@code length} bytes, valid until the next record is read. */
    ByteBuffer slice(String field, int length) throws ImageException;

    int remaining();

    /** Absolute image offset of the next unread payload byte. */
    long position();

    /** Name of the record type this payload belongs to. */
    String recordName();

    /** An {@link InvalidImageException} located at the current field. */
    InvalidImageException invalid(String reason);
}
