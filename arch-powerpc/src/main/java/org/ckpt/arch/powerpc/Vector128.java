package org.ckpt.arch.powerpc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A 128-bit vector register as one 128-bit number: {@code high} is bits 0–63 in the
 * architecture's numbering (bytes 0–7 of the register in big-endian element order,
 * i.e. word elements 0 and 1), {@code low} bits 64–127.
 *
 * @param high the most significant doubleword
 * @param low  the least significant doubleword
 * @since 0.1 (evolving)
 */
public record Vector128(long high, long low) {
    /** The all-zero vector. */
    public static final Vector128 ZERO = new Vector128(0, 0);

    /** The vector whose four 32-bit word elements, most significant first, are {@code w0..w3}. */
    public static Vector128 ofWords(int w0, int w1, int w2, int w3) {
        return new Vector128(((long) w0 << 32) | (w1 & 0xFFFF_FFFFL), ((long) w2 << 32) | (w3 & 0xFFFF_FFFFL));
    }

    /** The vector whose 16 bytes, in big-endian element order, are {@code bytes[offset..offset+15]}. */
    public static Vector128 fromBytes(byte[] bytes, int offset) {
        ByteBuffer b = ByteBuffer.wrap(bytes, offset, 16).order(ByteOrder.BIG_ENDIAN);
        return new Vector128(b.getLong(), b.getLong());
    }

    /** The 16 bytes in big-endian element order (as {@code NT_PPC_VMX} holds them). */
    public byte[] toBytes() {
        return ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putLong(high).putLong(low).array();
    }

    /** Word element {@code i} (0–3, 0 the most significant). */
    public int word(int i) {
        long dw = i < 2 ? high : low;
        return (int) ((i & 1) == 0 ? dw >>> 32 : dw);
    }

    @Override
    public String toString() {
        return String.format("%016x%016x", high, low);
    }
}
