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
    /** Null when writing on the calling thread. */
    private final BackgroundWriter background;
    private ByteBuffer out = ByteBuffer.allocateDirect(BUFFER);
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

    /** @param background write on a thread of its own (see {@link BackgroundWriter}); call {@link #close} at the end */
    ImageWriter(WritableByteChannel channel, int maxRecordSize, boolean background) {
        this.channel = channel;
        this.background = background ? new BackgroundWriter(channel, ByteBuffer.allocateDirect(BUFFER),
                ByteBuffer.allocateDirect(BUFFER)) : null;
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
            emit(extra.duplicate(), false, true);
        } else if (extra != null) {
            emit(extra.duplicate(), true, true);
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
        emit(src, true, false);
    }

    /**
     * @param checksum false where the caller has already folded these bytes into the image CRC
     * @param host     the bytes are the host's, unchanged until {@link #releaseHostBuffers}: written without a copy
     */
    private void emit(ByteBuffer src, boolean checksum, boolean host) throws IOException {
        int n = src.remaining();
        if (checksum) {
            imageCrc.update(src.duplicate());
        }
        bytes += n;
        if (n <= out.remaining()) {
            out.put(src);
            return;
        }
        if (n >= BUFFER / 2 && (background == null || host)) {
            rotate();
            if (background == null) {
                writeFully(src);
            } else {
                background.submit(src, false);
            }
            return;
        }
        while (src.hasRemaining()) {
            if (!out.hasRemaining()) {
                rotate();
            }
            int k = Math.min(out.remaining(), src.remaining());
            out.put(src.slice(src.position(), k));
            src.position(src.position() + k);
        }
    }

    /** Hands the filled copy buffer to the channel and continues in an empty one. */
    private void rotate() throws IOException {
        if (out.position() == 0) {
            return;
        }
        out.flip();
        if (background == null) {
            writeFully(out);
            out.clear();
        } else {
            background.submit(out, true);
            out = background.takeFree();
        }
    }

    /** Everything emitted so far reaches the channel; the host's buffers are no longer referenced. */
    void flush() throws IOException {
        rotate();
        releaseHostBuffers();
    }

    /** Returns once no host buffer passed to {@link #writePages} is still queued for writing. */
    void releaseHostBuffers() throws IOException {
        if (background != null) {
            background.drain();
        }
    }

    /** Ends the writer thread, if any; after a failure, drops what was still queued. */
    void close() {
        if (background != null) {
            background.close();
        }
    }

    private void writeFully(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            if (channel.write(src) == 0) {
                Thread.onSpinWait();
            }
        }
    }
}
