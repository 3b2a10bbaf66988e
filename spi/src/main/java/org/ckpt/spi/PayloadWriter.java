package org.ckpt.spi;

import java.nio.ByteBuffer;

/**
 * Appends little-endian fields of explicit width to the payload of the record
 * being written. Obtained from {@link RecordOutput#begin}; valid until the next
 * record begins. Every method returns {@code this} for chaining.
 *
 * @since 0.1 (stable)
 */
public interface PayloadWriter {
    PayloadWriter u8(int value);

    PayloadWriter u16(int value);

    /** Writes the low 32 bits of {@code value}. */
    PayloadWriter u32(long value);

    PayloadWriter i32(int value);

    /** Writes all 64 bits; the reader decides whether the value is signed. */
    PayloadWriter u64(long value);

    PayloadWriter bytes(byte[] value, int offset, int length);

    default PayloadWriter bytes(byte[] value) {
        return bytes(value, 0, value.length);
    }

    /** Writes the remaining bytes of {@code value} without moving its position. */
    PayloadWriter bytes(ByteBuffer value);

    /** A u32 byte length followed by that many UTF-8 bytes. */
    PayloadWriter string(String value);

    /** A u16 byte length followed by that many UTF-8 bytes (short names: types, comm). */
    PayloadWriter shortString(String value);

    /** Bytes written to this payload so far. */
    int size();
}
