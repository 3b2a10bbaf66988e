package org.ckpt.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.ckpt.spi.PayloadWriter;

/** A growable little-endian payload, reused record after record. */
final class PayloadBuffer implements PayloadWriter {
    private ByteBuffer buf = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
    private final int max;

    PayloadBuffer(int max) {
        this.max = max;
    }

    void reset() {
        buf.clear();
    }

    /** The array holding the payload written so far, from index 0 to {@link #size}; valid until the next write. */
    byte[] array() {
        return buf.array();
    }

    private void ensure(int extra) {
        if (buf.remaining() >= extra) {
            return;
        }
        long needed = (long) buf.position() + extra;
        if (needed > max) {
            throw new PayloadTooLargeException(needed, max);
        }
        int cap = (int) Math.min(max, Math.max(needed, (long) buf.capacity() * 2));
        ByteBuffer bigger = ByteBuffer.allocate(cap).order(ByteOrder.LITTLE_ENDIAN);
        buf.flip();
        bigger.put(buf);
        buf = bigger;
    }

    @Override
    public PayloadWriter u8(int value) {
        ensure(1);
        buf.put((byte) value);
        return this;
    }

    @Override
    public PayloadWriter u16(int value) {
        ensure(2);
        buf.putShort((short) value);
        return this;
    }

    @Override
    public PayloadWriter u32(long value) {
        ensure(4);
        buf.putInt((int) value);
        return this;
    }

    @Override
    public PayloadWriter i32(int value) {
        ensure(4);
        buf.putInt(value);
        return this;
    }

    @Override
    public PayloadWriter u64(long value) {
        ensure(8);
        buf.putLong(value);
        return this;
    }

    @Override
    public PayloadWriter bytes(byte[] value, int offset, int length) {
        ensure(length);
        buf.put(value, offset, length);
        return this;
    }

    @Override
    public PayloadWriter bytes(ByteBuffer value) {
        ensure(value.remaining());
        buf.put(value.duplicate());
        return this;
    }

    @Override
    public PayloadWriter string(String value) {
        return string(value, 0);
    }

    /** {@link #string} of {@code value.substring(from)}, without making that string when it is ASCII. */
    PayloadWriter string(String value, int from) {
        if (isAscii(value, from)) {
            u32(value.length() - from);
            return ascii(value, from);
        }
        byte[] b = value.substring(from).getBytes(StandardCharsets.UTF_8);
        u32(b.length);
        return bytes(b);
    }

    @Override
    public PayloadWriter shortString(String value) {
        if (isAscii(value, 0) && value.length() <= 0xFFFF) {
            u16(value.length());
            return ascii(value, 0);
        }
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("short string longer than 65535 bytes: " + b.length);
        }
        u16(b.length);
        return bytes(b);
    }

    /** Whether every char of {@code s} is ASCII, so that its UTF-8 bytes are its chars. */
    static boolean isAscii(String s) {
        return isAscii(s, 0);
    }

    private static boolean isAscii(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Bytes of {@code s} in UTF-8, counted without encoding it (unpaired surrogates count as '?', as getBytes writes them). */
    static int utf8Length(String s) {
        return utf8Length(s, 0);
    }

    /** {@link #utf8Length(String)} of {@code s.substring(from)}. */
    static int utf8Length(String s, int from) {
        int n = s.length();
        int bytes = n - from;
        for (int i = from; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    bytes += 1;
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 2;  // a pair: 4 bytes for 2 chars
                    i++;
                } else if (!Character.isSurrogate(c)) {
                    bytes += 2;
                }  // else an unpaired surrogate, which getBytes encodes as '?': one byte
            }
        }
        return bytes;
    }

    /** The UTF-8 bytes of an ASCII string, written without an intermediate array. */
    private PayloadWriter ascii(String s, int from) {
        int n = s.length() - from;
        ensure(n);
        int at = buf.position();
        byte[] a = buf.array();
        for (int i = 0; i < n; i++) {
            a[at + i] = (byte) s.charAt(from + i);
        }
        buf.position(at + n);
        return this;
    }

    /** Overwrites the u32 at payload offset {@code index} (already written). */
    void putU32(int index, long value) {
        buf.putInt(index, (int) value);
    }

    void putU64(int index, long value) {
        buf.putLong(index, value);
    }

    @Override
    public int size() {
        return buf.position();
    }

    /** Unchecked so the fluent writer API stays simple; the engine turns it into a CheckpointException. */
    static final class PayloadTooLargeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PayloadTooLargeException(long needed, int max) {
            super("record payload of " + needed + " bytes exceeds maxRecordSize " + max);
        }
    }
}
