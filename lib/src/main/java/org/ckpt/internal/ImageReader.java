package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.util.Set;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.ckpt.ImageRecord;
import org.ckpt.spi.AbortedImageException;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.ImageLimitException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.RecordInput;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.spi.UnsupportedImageException;

/**
 * Reads framed records from a channel through a bounded buffer, verifying each
 * record's checksum and keeping the running CRC32C that the tail must match.
 * Payload memory grows only as bytes actually arrive, so a hostile length costs
 * at most what the image really contains.
 */
final class ImageReader implements RecordInput {
    private static final int BUFFER = 64 << 10;

    private final ReadableByteChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer header = ByteBuffer.allocate(Format.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C imageCrc = new CRC32C();
    private final CRC32C recordCrc = new CRC32C();
    private final int maxRecordSize;
    private final int maxStringLength;
    private ByteBuffer payload = ByteBuffer.allocate(4096);
    private Set<Integer> archTypes = Set.of();
    private boolean eof;
    private long offset;
    private long records;

    private boolean peeked;
    private int type;
    private int flags;
    private int length;
    private int crc;
    private long recordOffset;
    private long crcBeforeRecord;
    private long recordsBefore;
    private PayloadCursor current;
    private Consumer<ImageRecord> listener;

    ImageReader(ReadableByteChannel channel, int maxRecordSize, int maxStringLength) {
        this.channel = channel;
        this.maxRecordSize = maxRecordSize;
        this.maxStringLength = maxStringLength;
        in.flip();
    }

    void archTypes(Set<Integer> types) {
        this.archTypes = Set.copyOf(types);
    }

    long offset() {
        return offset;
    }

    /** Told of every record once its checksum and padding verified, before it is interpreted. */
    void recordListener(Consumer<ImageRecord> l) {
        this.listener = l;
    }

    long records() {
        return records;
    }

    /** Name of the type of the record last returned by {@link #next} or peeked. */
    String recordName() {
        return RecordTypes.name(type);
    }

    /** Offset of the record last returned by {@link #next} or peeked. */
    long recordOffset() {
        return recordOffset;
    }

    /** CRC32C of every byte before the record last returned or peeked. */
    long crcBeforeRecord() {
        return crcBeforeRecord;
    }

    /** Number of records before the record last returned or peeked. */
    long recordsBefore() {
        return recordsBefore;
    }

    boolean isKnown(int t) {
        return RecordTypes.isCore(t) || archTypes.contains(t);
    }

    void readMagic() throws IOException {
        byte[] magic = new byte[Format.MAGIC.length];
        int got = readFully(ByteBuffer.wrap(magic));
        if (got < magic.length) {
            throw new TruncatedImageException(null, 0, "image of " + got + " bytes is shorter than the 8-byte magic");
        }
        if (!java.util.Arrays.equals(magic, Format.MAGIC)) {
            throw new UnsupportedImageException(null, 0, "not a ckpt image: wrong magic " + hex(magic));
        }
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x));
        }
        return sb.toString();
    }

    private void readHeader() throws IOException {
        if (peeked) {
            return;
        }
        crcBeforeRecord = imageCrc.getValue();
        recordsBefore = records;
        recordOffset = offset;
        header.clear();
        int got = readFully(header);
        if (got == 0) {
            throw new TruncatedImageException(null, offset, "image ends at offset " + offset + " before its tail");
        }
        if (got < Format.HEADER_SIZE) {
            throw new TruncatedImageException(null, recordOffset,
                    "image ends inside a record header (" + got + " of 16 bytes)");
        }
        header.flip();
        type = header.getInt(0);
        flags = header.getInt(4);
        long len = header.getInt(8) & 0xFFFF_FFFFL;
        crc = header.getInt(12);
        String name = RecordTypes.name(type);
        if ((flags & ~Format.KNOWN_RECORD_FLAGS) != 0) {
            throw new InvalidImageException(name, recordOffset,
                    "record flags 0x" + Integer.toHexString(flags) + " have unknown bits set");
        }
        if (len > maxRecordSize) {
            throw new ImageLimitException(name, recordOffset,
                    "record length " + len + " exceeds the limit maxRecordSize = " + maxRecordSize);
        }
        length = (int) len;
        peeked = true;
    }

    @Override
    public int peekType() throws IOException {
        ensureConsumed();
        while (true) {
            readHeader();
            if (type == RecordTypes.ERROR) {
                // A producer that failed midway ends its image with ERROR wherever it was.
                long at = recordOffset;
                String message = Records.readError(readPayload(), maxStringLength);
                throw new AbortedImageException("ERROR", at, "the checkpoint failed while writing: " + message);
            }
            if (isKnown(type) || (flags & RecordOutput.FLAG_OPTIONAL) == 0) {
                return type;
            }
            Log.RW.debug("skipping optional record {} of {} bytes at offset {}",
                    RecordTypes.name(type), length, recordOffset);
            readPayload();
            current = null;
        }
    }

    /** The exception for a record that is not the one expected here. */
    ImageException unexpected(int found, String expected) {
        if (!isKnown(found)) {
            return new UnsupportedImageException(RecordTypes.name(found), recordOffset,
                    "unknown mandatory record type " + RecordTypes.name(found) + " (expected " + expected + ")");
        }
        return new InvalidImageException(RecordTypes.name(found), recordOffset,
                "unexpected record " + RecordTypes.name(found) + " (expected " + expected + ")");
    }

    @Override
    public PayloadReader next(int expectedType) throws IOException {
        int t = peekType();
        if (t != expectedType) {
            throw unexpected(t, RecordTypes.name(expectedType));
        }
        return readPayload();
    }

    private PayloadCursor readPayload() throws IOException {
        String name = RecordTypes.name(type);
        long payloadOffset = offset;
        int padding = Format.padding(length);
        int total = length + padding;
        payload.clear();
        int got = 0;
        while (got < total) {
            if (!payload.hasRemaining()) {
                int cap = (int) Math.min(total, Math.max(payload.capacity() * 2L, 4096));
                ByteBuffer bigger = ByteBuffer.allocate(cap);
                payload.flip();
                bigger.put(payload);
                payload = bigger;
            }
            int want = Math.min(payload.remaining(), total - got);
            ByteBuffer dst = payload.slice(payload.position(), want);
            int n = readFully(dst);
            payload.position(payload.position() + n);
            got += n;
            if (n < want) {
                throw new TruncatedImageException(name, recordOffset, "image ends inside record " + name + " after "
                        + Math.min(got, length) + " of " + length + " payload bytes");
            }
        }
        payload.flip();
        recordCrc.reset();
        recordCrc.update(header.array(), 0, 12);
        recordCrc.update(payload.array(), 0, length);
        if ((int) recordCrc.getValue() != crc) {
            throw new ChecksumException(name, recordOffset, String.format(
                    "record checksum mismatch: header says %08x, payload gives %08x", crc, recordCrc.getValue()));
        }
        for (int i = length; i < total; i++) {
            if (payload.get(i) != 0) {
                throw new InvalidImageException(name, payloadOffset + i, "record padding byte is not zero");
            }
        }
        peeked = false;
        records++;
        if (listener != null) {
            listener.accept(new ImageRecord(type, name, flags, recordOffset, length,
                    payload.slice(0, length).asReadOnlyBuffer()));
        }
        if (Log.RW.isTraceEnabled()) {
            Log.RW.trace("read {} len={} at offset {}", name, length, recordOffset);
        }
        current = new PayloadCursor(payload.slice(0, length), payloadOffset, name);
        return current;
    }

    private void ensureConsumed() throws ImageException {
        if (current != null) {
            PayloadCursor c = current;
            current = null;
            if (c.remaining() != 0) {
                throw new InvalidImageException(c.recordName(), c.position(),
                        c.remaining() + " unread bytes at the end of the record payload");
            }
        }
    }

    /** After the tail: the channel must be at its end. */
    void expectEnd() throws IOException {
        ensureConsumed();
        ByteBuffer one = ByteBuffer.allocate(1);
        if (readFully(one) != 0) {
            throw new InvalidImageException(null, offset - 1, "bytes after the tail, starting at offset " + (offset - 1));
        }
    }

    /** Reads until {@code dst} is full or the channel ends; returns bytes read. */
    private int readFully(ByteBuffer dst) throws IOException {
        int start = dst.position();
        while (dst.hasRemaining()) {
            if (in.hasRemaining()) {
                int n = Math.min(in.remaining(), dst.remaining());
                ByteBuffer chunk = in.slice(in.position(), n);
                dst.put(chunk);
                in.position(in.position() + n);
                continue;
            }
            if (eof) {
                break;
            }
            ByteBuffer target;
            if (dst.remaining() >= BUFFER) {
                target = dst;
            } else {
                in.clear();
                target = in;
            }
            int n = channel.read(target);
            if (target == in) {
                in.flip();
            }
            if (n < 0) {
                eof = true;
            } else if (n == 0) {
                Thread.onSpinWait();
            }
        }
        int got = dst.position() - start;
        ByteBuffer done = dst.duplicate();
        done.position(start).limit(start + got);
        imageCrc.update(done);
        offset += got;
        return got;
    }
}
