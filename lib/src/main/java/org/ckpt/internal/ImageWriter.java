package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.Set;
import java.util.zip.CRC32C;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RecordTypes;

/**
 * Writes framed records to a channel in one sequential pass through a bounded,
 * reused buffer. Keeps the running CRC32C over every byte for the tail.
 */
final class ImageWriter implements RecordOutput {
    private static final int BUFFER = 256 << 10;
    private static final byte[] ZEROS = new byte[Format.ALIGN];

    private final WritableByteChannel channel;
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer header = ByteBuffer.allocate(Format.HEADER_SIZE + 16).order(ByteOrder.LITTLE_ENDIAN);
    private final Crc32c.Running imageCrc = new Crc32c.Running();
    private final CRC32C recordCrc = new CRC32C();
    private final PayloadBuffer payload;
    private final int maxRecordSize;
    private Set<Integer> archTypes = Set.of();
    private int openType = -1;
    private int openFlags;
    private long bytes;
    private long records;
    private long recordStart;

    ImageWriter(WritableByteChannel channel, int maxRecordSize) {
        this.channel = channel;
        this.maxRecordSize = maxRecordSize;
        this.payload = new PayloadBuffer(maxRecordSize);
    }

    void archTypes(Set<Integer> types) {
        this.archTypes = Set.copyOf(types);
    }

    long bytes() {
        return bytes;
    }

    long records() {
        return records;
    }

    long imageCrc() {
        return imageCrc.value();
    }

    void writeMagic() throws IOException {
        emit(ByteBuffer.wrap(Format.MAGIC));
    }

    @Override
    public PayloadWriter begin(int type, int flags) throws IOException {
        end();
        if (!RecordTypes.isCore(type) && !archTypes.contains(type)) {
            throw new IllegalArgumentException("record type " + RecordTypes.name(type)
                    + " is neither a core type nor declared by the active ArchProvider");
        }
        if ((flags & ~Format.KNOWN_RECORD_FLAGS) != 0) {
            throw new IllegalArgumentException("unknown record flags 0x" + Integer.toHexString(flags));
        }
        payload.reset();
        openType = type;
        openFlags = flags;
        return payload;
    }

    @Override
    public void end() throws IOException {
        if (openType < 0) {
            return;
        }
        int type = openType;
        openType = -1;
        writeRecord(type, openFlags, payload.view(), null);
    }

    /** Drops the open record, if any, without writing it (after a failure inside a provider). */
    void discardOpen() {
        openType = -1;
    }

    /**
     * A PAGES record: its 16-byte prefix from the payload buffer, then {@code pages}
     * straight from the host's buffer, never copied into the payload buffer.
     */
    void writePages(long address, int count, ByteBuffer pages) throws IOException {
        end();
        payload.reset();
        payload.u64(address).u32(count).u32(0);
        writeRecord(RecordTypes.PAGES, 0, payload.view(), pages);
    }

    private void writeRecord(int type, int flags, ByteBuffer body, ByteBuffer extra) throws IOException {
        long length = (long) body.remaining() + (extra == null ? 0 : extra.remaining());
        if (length > maxRecordSize) {
            throw new CheckpointException("record " + RecordTypes.name(type) + " of " + length
                    + " bytes exceeds maxRecordSize " + maxRecordSize);
        }
        header.clear();
        header.putInt(type).putInt(flags).putInt((int) length);
        recordCrc.reset();
        recordCrc.update(header.array(), 0, 12);
        recordCrc.update(body.duplicate());
        boolean combine = extra != null && extra.remaining() >= Crc32c.COMBINE_THRESHOLD;
        int extraCrc = 0;
        if (combine) {
            extraCrc = Crc32c.of(extra);
            header.putInt(Crc32c.combine((int) recordCrc.getValue(), extraCrc, extra.remaining()));
        } else {
            if (extra != null) {
                recordCrc.update(extra.duplicate());
            }
            header.putInt((int) recordCrc.getValue());
        }
        header.flip();
        recordStart = bytes;
        if (Log.RW.isTraceEnabled()) {
            Log.RW.trace("write {} len={} at offset {}", RecordTypes.name(type), length, recordStart);
        }
        emit(header);
        emit(body);
        if (combine) {
            imageCrc.append(extraCrc, extra.remaining());
            emit(extra.duplicate(), false);
        } else if (extra != null) {
            emit(extra.duplicate());
        }
        int pad = Format.padding(length);
        if (pad > 0) {
            emit(ByteBuffer.wrap(ZEROS, 0, pad));
        }
        records++;
    }

    /** Offset of the last record written. */
    long lastRecordStart() {
        return recordStart;
    }

    private void emit(ByteBuffer src) throws IOException {
        emit(src, true);
    }

    /** @param checksum false where the caller has already folded these bytes into the image CRC */
    private void emit(ByteBuffer src, boolean checksum) throws IOException {
        int n = src.remaining();
        if (checksum) {
            imageCrc.update(src.duplicate());
        }
        bytes += n;
        if (n <= out.remaining()) {
            out.put(src);
            return;
        }
        flush();
        if (n >= BUFFER / 2) {
            writeFully(src);
        } else {
            out.put(src);
        }
    }

    void flush() throws IOException {
        out.flip();
        writeFully(out);
        out.clear();
    }

    private void writeFully(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            if (channel.write(src) == 0) {
                Thread.onSpinWait();
            }
        }
    }
}
