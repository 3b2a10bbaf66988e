package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Set;
import javax.crypto.SecretKey;
import java.util.zip.CRC32C;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RecordTypes;

/**
 * Writes framed records to a channel in one sequential pass through pooled staging buffers
 * ({@link Staging}), keeping the running CRC32C over every byte for the tail.
 *
 * <p>Every byte is copied into a staging buffer before it is checksummed, and the checksum is
 * taken of the copy: the image's checksums cover exactly the bytes that reach the channel,
 * whatever the host does to its pages meanwhile. Page runs are copied page by page right
 * after the zero scan read them, and checksummed from the staging buffer in cache-sized
 * batches, so the host's memory is read once.
 */
final class ImageWriter implements RecordOutput {
    private static final byte[] ZEROS = new byte[Format.ALIGN];
    /** Staged page bytes are checksummed in batches of this size, while they are still in cache. */
    private static final int CRC_BATCH = 64 << 10;

    private final Staging staging;
    private final ByteBuffer header = ByteBuffer.allocate(Format.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final Crc32c.Running imageCrc = new Crc32c.Running();
    private final CRC32C recordCrc = new CRC32C();
    private final CRC32C pagesCrc = new CRC32C();
    private final PayloadBuffer payload;
    private final int maxRecordSize;
    private final boolean writerThread;
    private Set<Integer> archTypes = Set.of();
    private int openType = -1;
    private int openFlags;
    private long bytes;
    private long records;
    private long recordStart;

    // The PAGES record being staged (pagesBegin … pagesEnd).
    private ByteBuffer pagesBuf;
    private int pagesHeaderAt = -1;
    private int pagesCrcDone;
    private long pagesAddress;
    private int pagesCount;

    // Sealing and encryption (docs/FORMAT.md §17); null when the image is neither.
    private ImageHash sealHash;
    /** SHA-256 of the bytes before the CIPHER record, while they are written (encrypted images). */
    private MessageDigest headHash;
    private RecordCipher cipher;
    /** An encrypted PAGES record is staged in the payload buffer (the ciphertext goes to staging). */
    private boolean pagesInPayload;

    /** @param writerThread write on a thread of its own (see {@link Staging}); call {@link #close} at the end */
    ImageWriter(WritableByteChannel channel, int maxRecordSize, boolean writerThread, Duration stallTimeout) {
        this.maxRecordSize = maxRecordSize;
        this.payload = new PayloadBuffer(maxRecordSize);
        this.staging = Staging.open(channel, writerThread, stallTimeout);
        this.writerThread = writerThread;
    }

    /**
     * Hashes every byte from the magic on for a seal ({@link #seal}), where the bytes pass on
     * their way to the channel: on the writer thread when there is one. Before {@link #writeMagic}.
     */
    void sealed() {
        sealHash = new ImageHash(writerThread);
        staging.observer(sealHash);
    }

    /** Hashes the bytes before the CIPHER record for its head tag ({@link #startEncryption}). Before {@link #writeMagic}. */
    void encrypted() {
        headHash = ImageHash.sha256();
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

    /** Whether the channel failed or the writing was interrupted: then nothing more may be written. */
    boolean broken() {
        return staging.broken();
    }

    void writeMagic() throws IOException {
        emit(ByteBuffer.wrap(Format.MAGIC), true);
    }

    @Override
    public PayloadWriter begin(int type, int flags) throws IOException {
        end();
        ChannelIo.checkInterrupt("checkpoint");
        if (!RecordTypes.isCore(type) && !archTypes.contains(type)) {
            throw new IllegalArgumentException("record type " + RecordTypes.name(type)
                    + " is neither a core type nor declared by the active ArchProvider");
        }
        if ((flags & ~RecordOutput.FLAG_OPTIONAL) != 0) {
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
        writeRecord(type, openFlags, payload.view());
    }

    /** Drops the open record, if any, without writing it (after a failure inside a provider). */
    void discardOpen() {
        openType = -1;
        pagesInPayload = false;
        if (pagesHeaderAt >= 0) {
            pagesBuf.position(pagesHeaderAt);
            pagesHeaderAt = -1;
        }
    }

    private void writeRecord(int type, int flags, ByteBuffer body) throws IOException {
        int length = body.remaining();
        boolean encrypt = cipher != null && type != RecordTypes.SEAL && type != RecordTypes.TAIL;
        if (encrypt) {
            flags |= Format.FLAG_ENCRYPTED;
            length += RecordCipher.TAG_LENGTH;
        }
        if (length > maxRecordSize) {
            throw new CheckpointException("record " + RecordTypes.name(type) + " of " + length
                    + " bytes exceeds maxRecordSize " + maxRecordSize);
        }
        if (encrypt) {
            header.clear();
            header.putInt(type).putInt(flags).putInt(length).flip();
            body = cipher.encrypt(records, header, body);
        }
        header.clear();
        header.putInt(type).putInt(flags).putInt(length);
        recordCrc.reset();
        recordCrc.update(header.array(), 0, 12);
        boolean combine = length >= Crc32c.COMBINE_THRESHOLD;
        int bodyCrc = 0;
        if (combine) {
            bodyCrc = Crc32c.of(body);
            header.putInt(Crc32c.combine((int) recordCrc.getValue(), bodyCrc, length));
        } else {
            recordCrc.update(body.duplicate());
            header.putInt((int) recordCrc.getValue());
        }
        header.flip();
        recordStart = bytes;
        if (Log.RW.isTraceEnabled()) {
            Log.RW.trace("write {} len={} at offset {}", RecordTypes.name(type), length, recordStart);
        }
        emit(header, true);
        if (combine) {
            imageCrc.append(bodyCrc, length);
            emit(body, false);
        } else {
            emit(body, true);
        }
        int pad = Format.padding(length);
        if (pad > 0) {
            emit(ByteBuffer.wrap(ZEROS, 0, pad), true);
        }
        records++;
    }

    // ---- PAGES, staged page by page ----------------------------------------------------------

    /**
     * Starts a PAGES record at {@code address}: makes room in the staging buffer for the
     * largest record ({@code maxPages} pages of {@code pageSize}) and reserves its header and prefix.
     */
    void pagesBegin(long address, int maxPages, int pageSize) throws IOException {
        end();
        ChannelIo.checkInterrupt("checkpoint");
        if (cipher != null) {
            // Encrypted: the plaintext is staged in the payload buffer, the ciphertext goes to staging.
            payload.reset();
            payload.u64(address).u32(0).u32(0);
            pagesInPayload = true;
            pagesCount = 0;
            return;
        }
        int most = Format.HEADER_SIZE + 16 + maxPages * pageSize + Format.ALIGN;
        if (staging.current().remaining() < most) {
            staging.rotate();
        }
        pagesBuf = staging.current();
        pagesHeaderAt = pagesBuf.position();
        pagesBuf.position(pagesHeaderAt + Format.HEADER_SIZE + 16);
        pagesCrcDone = pagesBuf.position();
        pagesCrc.reset();
        pagesAddress = address;
        pagesCount = 0;
    }

    /** Copies one page (the remaining bytes of {@code page}) into the open PAGES record. */
    void pagesAppend(ByteBuffer page) {
        if (pagesInPayload) {
            payload.bytes(page);
            pagesCount++;
            return;
        }
        pagesBuf.put(page);
        pagesCount++;
        if (pagesBuf.position() - pagesCrcDone >= CRC_BATCH) {
            crcStagedPages();
        }
    }

    int pagesCount() {
        return pagesCount;
    }

    private void crcStagedPages() {
        int to = pagesBuf.position();
        pagesCrc.update(pagesBuf.duplicate().limit(to).position(pagesCrcDone));
        pagesCrcDone = to;
    }

    /** Completes the open PAGES record: prefix, header with its checksum, padding. */
    void pagesEnd() throws IOException {
        if (pagesInPayload) {
            pagesInPayload = false;
            payload.putU32(8, pagesCount);
            writeRecord(RecordTypes.PAGES, 0, payload.view());
            return;
        }
        crcStagedPages();
        int n = pagesBuf.position() - (pagesHeaderAt + Format.HEADER_SIZE + 16);
        int length = 16 + n;
        int at = pagesHeaderAt + Format.HEADER_SIZE;
        pagesBuf.order(ByteOrder.LITTLE_ENDIAN);
        pagesBuf.putLong(at, pagesAddress).putInt(at + 8, pagesCount).putInt(at + 12, 0);
        // CRC of the record: header[0..12] + prefix, then the pages (combined, not re-read).
        pagesBuf.putInt(pagesHeaderAt, RecordTypes.PAGES).putInt(pagesHeaderAt + 4, 0)
                .putInt(pagesHeaderAt + 8, length);
        recordCrc.reset();
        recordCrc.update(pagesBuf.duplicate().limit(pagesHeaderAt + 12).position(pagesHeaderAt));
        recordCrc.update(pagesBuf.duplicate().limit(at + 16).position(at));
        int pagesValue = (int) pagesCrc.getValue();
        pagesBuf.putInt(pagesHeaderAt + 12, Crc32c.combine((int) recordCrc.getValue(), pagesValue, n));
        CRC32C prefixCrc = new CRC32C();
        prefixCrc.update(pagesBuf.duplicate().limit(at + 16).position(at));
        imageCrc.update(pagesBuf.duplicate().limit(pagesHeaderAt + Format.HEADER_SIZE).position(pagesHeaderAt));
        imageCrc.append(Crc32c.combine((int) prefixCrc.getValue(), pagesValue, n), length);
        int pad = Format.padding(length);
        pagesBuf.put(ZEROS, 0, pad);
        imageCrc.update(ZEROS, 0, pad);
        recordStart = bytes;
        bytes += Format.HEADER_SIZE + length + pad;
        records++;
        pagesHeaderAt = -1;
        if (Log.RW.isTraceEnabled()) {
            Log.RW.trace("write PAGES len={} at offset {}", length, recordStart);
        }
    }

    /** Offset of the last record written. */
    long lastRecordStart() {
        return recordStart;
    }

    /** Copies {@code src} into staging, rotating buffers as they fill. */
    private void emit(ByteBuffer src, boolean checksum) throws IOException {
        ByteBuffer s = src.duplicate();
        if (checksum) {
            imageCrc.update(s.duplicate());
        }
        if (headHash != null) {
            headHash.update(s.duplicate());
        }
        bytes += s.remaining();
        while (s.hasRemaining()) {
            ByteBuffer out = staging.current();
            if (!out.hasRemaining()) {
                staging.rotate();
                continue;
            }
            int k = Math.min(out.remaining(), s.remaining());
            out.put(s.slice(s.position(), k));
            s.position(s.position() + k);
        }
    }

    // ---- sealing and encryption (docs/FORMAT.md §17) -------------------------------------------

    /**
     * Writes the opening CIPHER record — a fresh data key wrapped under {@code kek}, and the
     * head tag binding every byte before it — and encrypts every record after it but SEAL and TAIL.
     */
    void startEncryption(Keys.CipherKey kek, SecureRandom random) throws IOException {
        end();
        byte[] headDigest = headHash.digest();
        headHash = null;
        SecretKey dataKey = RecordCipher.newDataKey(random);
        RecordCipher rc = new RecordCipher(dataKey);
        byte[] prefix = SealRecords.cipherPrefix(kek.keyId(), RecordCipher.wrap(kek.key(), dataKey));
        byte[] header12 = SealRecords.header12(RecordTypes.CIPHER, 0, prefix.length + RecordCipher.TAG_LENGTH);
        byte[] tag = rc.tag(records, SealRecords.headAad(headDigest, header12, prefix));
        writeRecord(RecordTypes.CIPHER, 0, ByteBuffer.allocate(prefix.length + tag.length).put(prefix).put(tag).flip());
        cipher = rc;
    }

    /** Writes the closing CIPHER record: an encrypted empty payload, whose nonce fixes how many records precede it. */
    void endEncryption() throws IOException {
        end();
        writeRecord(RecordTypes.CIPHER, 0, ByteBuffer.allocate(0));
    }

    /**
     * Writes the SEAL record: waits until every byte before it has been hashed (on the writer
     * thread, if there is one), then tags the digest of those bytes, the SEAL header's type,
     * flags and length, and its payload before the tag.
     */
    void seal(Keys.SealingKey key) throws IOException {
        end();
        staging.flush();
        int tagLength = key.algorithm().tagLength;
        byte[] prefix = SealRecords.sealPrefix(key.algorithm().code, tagLength, key.keyId());
        byte[] header12 = SealRecords.header12(RecordTypes.SEAL, SealRecords.SEAL_FLAGS, prefix.length + tagLength);
        byte[] tag = SealRecords.sealTag(key, sealHash.finish(header12, prefix));
        writeRecord(RecordTypes.SEAL, SealRecords.SEAL_FLAGS,
                ByteBuffer.allocate(prefix.length + tag.length).put(prefix).put(tag).flip());
    }

    /** Everything emitted so far reaches the channel. */
    void flush() throws IOException {
        staging.flush();
    }

    /** Ends the writing (and the writer thread, if any); staging buffers return to the pool. */
    void close() {
        staging.close();
        if (sealHash != null) {
            try {
                sealHash.abandon();
            } catch (java.io.InterruptedIOException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
