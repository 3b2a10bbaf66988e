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

    /**
     * The payload written so far, as a view from 0 to size. Not read-only: CRC32C reads a
     * heap buffer's array directly only when the buffer exposes it.
     */
    ByteBuffer view() {
        return buf.duplicate().flip().order(ByteOrder.LITTLE_ENDIAN);
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
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        u32(b.length);
        return bytes(b);
    }

    @Override
    public PayloadWriter shortString(String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("short string longer than 65535 bytes: " + b.length);
        }
        u16(b.length);
        return bytes(b);
    }

    /** Overwrites the u32 at payload offset {@code index} (already written). */
    void putU32(int index, long value) {
        buf.putInt(index, (int) value);
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
