package org.ckpt.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.ImageLimitException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.TruncatedImageException;

/** Bounds-checked reads over one record's payload; every failure carries record name and absolute offset. */
final class PayloadCursor implements PayloadReader {
    private ByteBuffer buf;
    private long base;
    private String record;
    private final boolean stable;
    private final CharsetDecoder decoder;
    /** Strings {@link #knownShortString} returns by identity; null when the cursor keeps none. */
    private final String[] known;
    private byte[] scratch;

    /** @param payload the payload, position 0; @param base absolute image offset of payload byte 0 */
    PayloadCursor(ByteBuffer payload, long base, String record) {
        this(payload, base, record, false, null);
    }

    /**
     * @param stable  the payload's bytes stay valid after the next record is read (a mapped file, not the reused buffer)
     * @param decoder a strict UTF-8 decoder to reuse (the reader's), or null for a fresh one per non-ASCII string
     */
    PayloadCursor(ByteBuffer payload, long base, String record, boolean stable, CharsetDecoder decoder) {
        this.buf = payload.order(ByteOrder.LITTLE_ENDIAN);
        this.base = base;
        this.record = record;
        this.stable = stable;
        this.decoder = decoder;
        this.known = decoder != null ? new String[16] : null;
    }

    /**
     * Makes this cursor read another payload: a reader reuses one cursor for every record,
     * as a payload is valid only until the next record is read.
     */
    PayloadCursor reset(ByteBuffer payload, long base, String record) {
        this.buf = payload.order(ByteOrder.LITTLE_ENDIAN);
        this.base = base;
        this.record = record;
        return this;
    }

    /** A strict UTF-8 decoder: malformed input and unmappable characters are errors. */
    static CharsetDecoder strictUtf8() {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /** Whether slices of this payload may be kept after the next record is read, without a copy. */
    boolean isStable() {
        return stable;
    }

    private void need(String field, int n) throws TruncatedImageException {
        if (buf.remaining() < n) {
            throw new TruncatedImageException(record, position(),
                    "field '" + field + "' needs " + n + " bytes but the record has " + buf.remaining() + " left");
        }
    }

    @Override
    public int u8(String field) throws ImageException {
        need(field, 1);
        return buf.get() & 0xFF;
    }

    @Override
    public int u16(String field) throws ImageException {
        need(field, 2);
        return buf.getShort() & 0xFFFF;
    }

    @Override
    public long u32(String field) throws ImageException {
        need(field, 4);
        return buf.getInt() & 0xFFFF_FFFFL;
    }

    @Override
    public int i32(String field) throws ImageException {
        need(field, 4);
        return buf.getInt();
    }

    @Override
    public long u64(String field) throws ImageException {
        need(field, 8);
        return buf.getLong();
    }

    @Override
    public long u64InRange(String field, long max) throws ImageException {
        long at = position();
        long v = u64(field);
        if (v < 0 || v > max) {
            throw new InvalidImageException(record, at,
                    "field '" + field + "' = " + Long.toUnsignedString(v) + " is outside [0, " + max + "]");
        }
        return v;
    }

    @Override
    public int count(String field, int max, String limitName) throws ImageException {
        long at = position();
        long v = u32(field);
        if (v > max) {
            throw new ImageLimitException(record, at,
                    "field '" + field + "' = " + v + " exceeds the limit " + limitName + " = " + max);
        }
        return (int) v;
    }

    @Override
    public void reserved32(String field) throws ImageException {
        long at = position();
        long v = u32(field);
        if (v != 0) {
            throw new InvalidImageException(record, at, "reserved field '" + field + "' is " + v + ", must be 0");
        }
    }

    @Override
    public byte[] bytes(String field, int length) throws ImageException {
        if (length < 0) {
            throw new ImageLimitException(record, position(), "field '" + field + "' has negative length " + length);
        }
        need(field, length);
        byte[] b = new byte[length];
        buf.get(b);
        return b;
    }

    @Override
    public String string(String field, int maxBytes) throws ImageException {
        long at = position();
        long len = length(field, 4, maxBytes);
        return utf8(field, (int) len, at);
    }

    /**
     * A {@link #string} returned with {@code prefix} in front ({@code prefix + string}, with
     * one string made instead of two): how a restart turns an image path into an absolute one.
     * {@code maxBytes} bounds the string in the image, not the prefix.
     */
    String string(String field, int maxBytes, String prefix) throws ImageException {
        long at = position();
        int len = (int) length(field, 4, maxBytes);
        need(field, len);
        int pos = buf.position();
        int p = prefix.length();
        if (buf.hasArray() && PayloadBuffer.isAscii(prefix)) {
            byte[] a = buf.array();
            int from = buf.arrayOffset() + pos;
            if (isAscii(a, from, len)) {
                if (scratch == null || scratch.length < p + len) {
                    scratch = new byte[Math.max(256, p + len)];
                }
                for (int k = 0; k < p; k++) {
                    scratch[k] = (byte) prefix.charAt(k);
                }
                System.arraycopy(a, from, scratch, p, len);
                buf.position(pos + len);
                return new String(scratch, 0, p + len, StandardCharsets.ISO_8859_1);
            }
        }
        return prefix + utf8(field, len, at);
    }

    /**
     * A {@link #shortString} that returns the very instance of an equal string read before by
     * this reader (type names, repeated for every object), so that those cost no allocation.
     */
    String knownShortString(String field, int maxBytes) throws ImageException {
        long at = position();
        int len = (int) length(field, 2, maxBytes);
        need(field, len);
        if (buf.hasArray() && known != null) {
            byte[] a = buf.array();
            int from = buf.arrayOffset() + buf.position();
            for (int k = 0; k < known.length && known[k] != null; k++) {
                String s = known[k];
                if (s.length() == len && sameAscii(s, a, from)) {
                    buf.position(buf.position() + len);
                    return s;
                }
            }
        }
        String s = utf8(field, len, at);
        if (known != null) {
            for (int k = 0; k < known.length; k++) {
                if (known[k] == null) {
                    known[k] = s;
                    break;
                }
            }
        }
        return s;
    }

    private static boolean sameAscii(String s, byte[] a, int from) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || a[from + i] != (byte) c) {
                return false;
            }
        }
        return true;
    }

    /** A u32 or u16 string length, bounded; the field is named "<field>.length" in messages. */
    private long length(String field, int width, int maxBytes) throws ImageException {
        long at = position();
        if (buf.remaining() < width) {
            need(field + ".length", width);
        }
        long len = width == 4 ? buf.getInt() & 0xFFFF_FFFFL : buf.getShort() & 0xFFFF;
        if (len > maxBytes) {
            throw new ImageLimitException(record, at,
                    "string '" + field + "' of " + len + " bytes exceeds the limit of " + maxBytes);
        }
        return len;
    }

    @Override
    public String shortString(String field, int maxBytes) throws ImageException {
        long at = position();
        int len = (int) length(field, 2, maxBytes);
        return utf8(field, len, at);
    }

    /** Whether {@code len} bytes of {@code a} from {@code from} are all ASCII (then they are their own UTF-8). */
    private static boolean isAscii(byte[] a, int from, int len) {
        for (int i = 0; i < len; i++) {
            if (a[from + i] < 0) {
                return false;
            }
        }
        return true;
    }

    private String utf8(String field, int len, long at) throws ImageException {
        need(field, len);
        int pos = buf.position();
        if (buf.hasArray()) {
            // ASCII (paths, names) is its own UTF-8: one copy into a compact string, no decoder.
            byte[] a = buf.array();
            int from = buf.arrayOffset() + pos;
            if (isAscii(a, from, len)) {
                buf.position(pos + len);
                return new String(a, from, len, StandardCharsets.ISO_8859_1);
            }
        }
        ByteBuffer src = buf.slice(pos, len);
        buf.position(pos + len);
        try {
            CharsetDecoder d = decoder != null ? decoder.reset() : strictUtf8();
            return d.decode(src).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidImageException(record, at, "string '" + field + "' is not valid UTF-8");
        }
    }

    @Override
    public ByteBuffer slice(String field, int length) throws ImageException {
        if (length < 0) {
            throw new ImageLimitException(record, position(), "field '" + field + "' has negative length " + length);
        }
        need(field, length);
        ByteBuffer s = buf.slice(buf.position(), length).asReadOnlyBuffer();
        buf.position(buf.position() + length);
        return s;
    }

    @Override
    public int remaining() {
        return buf.remaining();
    }

    @Override
    public long position() {
        return base + buf.position();
    }

    @Override
    public String recordName() {
        return record;
    }

    @Override
    public InvalidImageException invalid(String reason) {
        return new InvalidImageException(record, position(), reason);
    }
}
