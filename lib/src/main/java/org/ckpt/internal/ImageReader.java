package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
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
    /** Mapping windows of the image file; a window maps at least this much so that slices share it. */
    private static final long WINDOW = 64L << 20;

    private final ReadableByteChannel channel;
    /**
     * The channel when it is a file: the image is then read through mapped windows of
     * it ({@link #in} is the current window) and never through {@code read}. Null for
     * any other channel, or once mapping has failed.
     */
    private FileChannel file;
    private final long fileBase;
    /** Unread bytes: the read-ahead buffer of a channel, or the current mapped window of a file. */
    private ByteBuffer in = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer header = ByteBuffer.allocate(Format.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final Crc32c.Running imageCrc = new Crc32c.Running();
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

    ImageReader(ReadableByteChannel channel, int maxRecordSize, int maxStringLength) throws IOException {
        this.channel = channel;
        this.file = channel instanceof FileChannel f ? f : null;
        this.fileBase = file != null ? file.position() : 0;
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

    /** CRC32C of every byte before the record last peeked, if that record is a TAIL (the only one that needs it). */
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
        recordsBefore = records;
        recordOffset = offset;
        header.clear();
        int got = readFully(header, false);
        if (got == 0) {
            throw new TruncatedImageException(null, offset, "image ends at offset " + offset + " before its tail");
        }
        if (got < Format.HEADER_SIZE) {
            throw new TruncatedImageException(null, recordOffset,
                    "image ends inside a record header (" + got + " of 16 bytes)");
        }
        header.flip();
        type = header.getInt(0);
        if (type == RecordTypes.TAIL) {
            crcBeforeRecord = imageCrc.value();
        }
        imageCrc.update(header.array(), 0, Format.HEADER_SIZE);
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
        ByteBuffer bytes = type == RecordTypes.PAGES ? mapped(total) : null;
        boolean stable = bytes != null;
        boolean combine = length >= Crc32c.COMBINE_THRESHOLD;
        if (bytes == null) {
            bytes = readIntoPayload(name, total, !combine);
        }
        int payloadCrc;
        recordCrc.reset();
        recordCrc.update(header.array(), 0, 12);
        if (combine) {
            payloadCrc = Crc32c.of(bytes.slice(0, length));
            imageCrc.append(payloadCrc, length);
            imageCrc.update(bytes.slice(length, padding));
            payloadCrc = Crc32c.combine((int) recordCrc.getValue(), payloadCrc, length);
        } else {
            if (stable) {
                imageCrc.update(bytes.slice(0, total));
            }
            recordCrc.update(bytes.slice(0, length));
            payloadCrc = (int) recordCrc.getValue();
        }
        if (payloadCrc != crc) {
            throw new ChecksumException(name, recordOffset, String.format(
                    "record checksum mismatch: header says %08x, payload gives %08x", crc, payloadCrc));
        }
        for (int i = length; i < total; i++) {
            if (bytes.get(i) != 0) {
                throw new InvalidImageException(name, payloadOffset + i, "record padding byte is not zero");
            }
        }
        peeked = false;
        records++;
        if (listener != null) {
            listener.accept(new ImageRecord(type, name, flags, recordOffset, length,
                    bytes.slice(0, length).asReadOnlyBuffer()));
        }
        if (Log.RW.isTraceEnabled()) {
            Log.RW.trace("read {} len={} at offset {}{}", name, length, recordOffset, stable ? " (mapped)" : "");
        }
        current = new PayloadCursor(bytes.slice(0, length), payloadOffset, name, stable);
        return current;
    }

    /** Reads the payload and padding into the reused payload buffer, which grows only as bytes arrive. */
    private ByteBuffer readIntoPayload(String name, int total, boolean checksum) throws IOException {
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
            int n = readFully(dst, checksum);
            payload.position(payload.position() + n);
            got += n;
            if (n < want) {
                throw new TruncatedImageException(name, recordOffset, "image ends inside record " + name + " after "
                        + Math.min(got, length) + " of " + length + " payload bytes");
            }
        }
        payload.flip();
        return payload;
    }

    /**
     * From a file, a PAGES payload is not copied at all: it is a read-only slice of a
     * mapped window of the file, which the restored model keeps as its page contents,
     * so a restart from a file never holds the image's pages in the heap. Null when
     * the channel is not a file or the file is shorter than the record (the copying
     * path then reports the truncation).
     */
    private ByteBuffer mapped(int total) throws IOException {
        if (file == null) {
            return null;
        }
        if (in.remaining() < total && !map(total)) {
            return null;
        }
        ByteBuffer bytes = in.slice(in.position(), total).asReadOnlyBuffer();
        in.position(in.position() + total);
        offset += total;
        return bytes;
    }

    /**
     * Maps the next window of the file, starting at the first unread byte and holding
     * at least {@code atLeast} bytes where the file has them. False at the end of the
     * file, or when the file cannot be mapped — reading then continues through the channel.
     */
    private boolean map(int atLeast) throws IOException {
        long at = fileBase + offset;
        long size = file.size();
        long len = Math.min(Math.max(0, size - at), Math.max(WINDOW, atLeast));
        if (len < Math.max(1, atLeast)) {
            return false;
        }
        try {
            in = file.map(FileChannel.MapMode.READ_ONLY, at, len);
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            // Not every file can be mapped (devices, some file systems): read it instead.
            Log.RW.debug("cannot map the image file, reading it through the channel: {}", e.toString());
            file.position(at);
            file = null;
            in = ByteBuffer.allocate(BUFFER).flip();
            return false;
        }
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
        if (file != null) {
            // Read through mappings, the channel has not moved: leave it after the image, as a read would.
            file.position(fileBase + offset);
        }
    }

    private int readFully(ByteBuffer dst) throws IOException {
        return readFully(dst, true);
    }

    /**
     * Reads until {@code dst} is full or the channel ends; returns bytes read.
     *
     * @param checksum false where the caller folds these bytes into the image CRC itself
     */
    private int readFully(ByteBuffer dst, boolean checksum) throws IOException {
        int start = dst.position();
        while (dst.hasRemaining()) {
            if (in.hasRemaining()) {
                int n = Math.min(in.remaining(), dst.remaining());
                dst.put(in.slice(in.position(), n));
                in.position(in.position() + n);
                offset += n;
                continue;
            }
            if (eof) {
                break;
            }
            if (file != null) {
                eof = !map(1) && file != null;
                continue;
            }
            if (dst.remaining() >= BUFFER) {
                int n = channel.read(dst);
                if (n > 0) {
                    offset += n;
                }
                eof = n < 0;
                continue;
            }
            in.clear();
            int n = channel.read(in);
            in.flip();
            if (n < 0) {
                eof = true;
            } else if (n == 0) {
                Thread.onSpinWait();
            }
        }
        int got = dst.position() - start;
        if (checksum) {
            ByteBuffer done = dst.duplicate();
            done.position(start).limit(start + got);
            imageCrc.update(done);
        }
        return got;
    }
}
