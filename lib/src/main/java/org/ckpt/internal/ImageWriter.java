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
 * ({@link Staging}), which keep the running CRC32C over every byte for the tail.
 *
 * <p>Every byte is copied into a staging buffer before it is checksummed, and the checksum is
 * taken of the copy: the image's checksums cover exactly the bytes that reach the channel,
 * whatever the host does to its pages meanwhile. Page runs are copied page by page right
 * after the zero scan read them, and checksummed from the staging buffer in cache-sized
 * batches (or, when the writer thread has time, by the writer thread before it writes the
 * buffer), so the host's memory is read once. The library's own page data ({@link StableRuns})
 * is the exception, when the writer thread has time: its pages are zero-scanned here and
 * copied, then checksummed, by the writer when it seals the buffer ({@link #stableSource}).
 */
final class ImageWriter implements RecordOutput {
    private static final byte[] ZEROS = new byte[Format.ALIGN];
    /** Staged page bytes are checksummed in batches of this size, while they are still in cache. */
    private static final int CRC_BATCH = 64 << 10;
    /** A PAGES record's header and prefix. */
    private static final int PAGES_HEAD = Staging.PAGES_HEAD;

    private final Staging staging;
    /** The header of a record (and the prefix of a PAGES record) as it is assembled. */
    private final byte[] head = new byte[PAGES_HEAD];
    private final ByteBuffer headBuf = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C recordCrc = new CRC32C();
    private final CRC32C pagesCrc = new CRC32C();
    private final PayloadBuffer payload;
    private final int maxRecordSize;
    private final boolean writerThread;
    private RecordTypeSet archTypes = RecordTypeSet.NONE;
    private int openType = -1;
    private int openFlags;
    private long bytes;
    private long records;
    private long recordStart;

    // The PAGES record being staged (pagesBegin … pagesEnd).
    private ByteBuffer pagesBuf;
    /** A view of pagesBuf for checksumming staged ranges (made once per staging buffer, not per batch). */
    private ByteBuffer crcView;
    private ByteBuffer crcViewOf;
    private int pagesHeaderAt = -1;
    /** The open PAGES record's pages are checksummed at sealing, not here. */
    private boolean pagesDeferred;
    /**
     * The host run the open record's pages are copied from when its buffer is sealed (its pages
     * from {@link #pagesSourceAt} on), or null: copied as they are appended.
     */
    private ByteBuffer pagesSource;
    private int pagesSourceAt;
    /** The host run being written, if its pages may be copied at sealing ({@link #stableSource}). */
    private ByteBuffer stableSource;
    private int pagesCrcDone;
    private long pagesAddress;
    private int pagesCount;
    /** Where an outgrown PAGES record is held while its buffer is sent (a pooled buffer, taken on first use). */
    private ByteBuffer relocation;

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
        this.archTypes = new RecordTypeSet(types);
    }

    long bytes() {
        return bytes;
    }

    long records() {
        return records;
    }

    /**
     * The CRC32C of every byte written so far (the open record ended first): everything is
     * flushed to the channel for it.
     */
    long imageCrc() throws IOException {
        end();
        staging.flush();
        return staging.imageCrc();
    }

    /** Whether the channel failed or the writing was interrupted: then nothing more may be written. */
    boolean broken() {
        return staging.broken();
    }

    void writeMagic() throws IOException {
        put(Format.MAGIC, 0, Format.MAGIC.length);
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
        writeRecord(type, openFlags);
    }

    /** Drops the open record, if any, without writing it (after a failure inside a provider). */
    void discardOpen() {
        openType = -1;
        pagesInPayload = false;
        if (pagesHeaderAt >= 0) {
            pagesBuf.position(pagesHeaderAt);
            pagesHeaderAt = -1;
        }
        pagesSource = null;
    }

    /**
     * Writes the payload as a record of {@code type}. The payload is the engine's own copy of
     * what the providers wrote, so its checksum is taken from it before it is staged.
     */
    private void writeRecord(int type, int flags) throws IOException {
        writeRecord(type, flags, payload.array(), 0, payload.size());
    }

    /** {@link #writeRecord(int, int, byte[], int, int)} of a heap buffer's remaining bytes. */
    private void writeRecord(int type, int flags, ByteBuffer body) throws IOException {
        writeRecord(type, flags, body.array(), body.arrayOffset() + body.position(), body.remaining());
    }

    /**
     * Writes {@code len} bytes of {@code body} from {@code off} as the payload of a record of
     * {@code type}; after the opening CIPHER record, encrypted (all but SEAL and TAIL).
     */
    private void writeRecord(int type, int flags, byte[] body, int off, int len) throws IOException {
        int length = len;
        boolean encrypt = cipher != null && type != RecordTypes.SEAL && type != RecordTypes.TAIL;
        if (encrypt) {
            flags |= Format.FLAG_ENCRYPTED;
            length += RecordCipher.TAG_LENGTH;
        }
        if (length > maxRecordSize) {
            throw new CheckpointException("record " + RecordTypes.name(type) + " of " + length
                    + " bytes exceeds maxRecordSize " + maxRecordSize);
        }
        headBuf.putInt(0, type).putInt(4, flags).putInt(8, length);
        if (encrypt) {
            ByteBuffer sealed = cipher.encrypt(records, ByteBuffer.wrap(head, 0, 12), ByteBuffer.wrap(body, off, len));
            body = sealed.array();
            off = sealed.arrayOffset() + sealed.position();
        }
        recordCrc.reset();
        recordCrc.update(head, 0, 12);
        recordCrc.update(body, off, length);
        headBuf.putInt(12, (int) recordCrc.getValue());
        recordStart = bytes;
        if (Log.RW.isTraceEnabled()) {
            Log.RW.trace("write {} len={} at offset {}", RecordTypes.name(type), length, recordStart);
        }
        int pad = Format.padding(length);
        put(head, 0, Format.HEADER_SIZE);
        put(body, off, length);
        put(ZEROS, 0, pad);
        records++;
    }

    // ---- PAGES, staged page by page ----------------------------------------------------------

    /**
     * Starts a PAGES record at {@code address}: makes room in the staging buffer for the
     * largest record ({@code maxPages} pages of {@code pageSize}) and reserves its header and prefix.
     */
    void pagesBegin(long address, int pageSize) throws IOException {
        end();
        ChannelIo.checkInterrupt("checkpoint");
        pagesAddress = address;
        if (cipher != null) {
            // Encrypted: the plaintext is staged in the payload buffer, the ciphertext goes to staging.
            payload.reset();
            payload.u64(address).u32(0).u32(0);
            pagesInPayload = true;
            pagesCount = 0;
            return;
        }
        if (staging.current().remaining() < PAGES_HEAD + pageSize + Format.ALIGN) {
            staging.rotate();
        }
        pagesBuf = staging.current();
        viewCurrent();
        pagesSource = stableSource != null && staging.deferCopy() ? stableSource : null;
        pagesDeferred = pagesSource != null || staging.deferCrc();
        pagesHeaderAt = pagesBuf.position();
        pagesBuf.position(pagesHeaderAt + PAGES_HEAD);
        pagesCrcDone = pagesBuf.position();
        pagesCrc.reset();
        pagesAddress = address;
        pagesCount = 0;
    }

    private void viewCurrent() {
        if (crcViewOf != pagesBuf) {
            crcView = pagesBuf.duplicate();
            crcViewOf = pagesBuf;
        }
    }

    /**
     * The open PAGES record has outgrown its staging buffer: it moves, as staged so far, to the
     * start of the next buffer, and the buffer is sent without it. A record begins wherever a
     * page fits and moves at most once per buffer, so buffers go to the channel full. (Reserving
     * room for the largest record at its start instead sent them once less than 1 MiB was free:
     * at ~97 KB on average for a many-task checkpoint, ~306 KB for mem-1g.) The record's bytes
     * and its checksum so far are unchanged by the move.
     */
    private void relocatePages() throws IOException {
        int from = pagesHeaderAt;
        int len = pagesBuf.position() - from;
        // A record whose pages are copied at sealing has nothing staged yet but its room: only that moves.
        boolean staged = pagesSource == null;
        if (staged) {
            if (relocation == null) {
                relocation = Staging.take();
            }
            relocation.clear().put(0, pagesBuf, from, len);
        }
        pagesBuf.position(from);
        staging.rotate();
        pagesBuf = staging.current();
        viewCurrent();
        if (pagesBuf.remaining() < len + PAGES_HEAD + Format.ALIGN) {
            throw new IllegalStateException("a PAGES record of " + len + " bytes does not fit a staging buffer");
        }
        int at = pagesBuf.position();
        if (staged) {
            pagesBuf.put(at, relocation, 0, len);
        }
        pagesBuf.position(at + len);
        pagesCrcDone = at + (pagesCrcDone - from);
        pagesHeaderAt = at;
    }

    /** Copies one page (the remaining bytes of {@code page}) into the open PAGES record. */
    void pagesAppend(ByteBuffer page) throws IOException {
        if (pagesInPayload) {
            payload.bytes(page);
            pagesCount++;
            return;
        }
        if (pagesBuf.remaining() < page.remaining() + Format.ALIGN) {
            relocatePages();
        }
        if (pagesSource != null) {
            if (pagesCount == 0) {
                pagesSourceAt = page.position();
            } else if (page.position() != pagesSourceAt + pagesBuf.position() - (pagesHeaderAt + PAGES_HEAD)) {
                throw new IllegalStateException("a PAGES record's pages are not consecutive in the host's run");
            }
            pagesBuf.position(pagesBuf.position() + page.remaining());
            pagesCount++;
            return;
        }
        pagesBuf.put(page);
        pagesCount++;
        if (!pagesDeferred && pagesBuf.position() - pagesCrcDone >= CRC_BATCH) {
            crcStagedPages();
        }
    }

    /**
     * The host run whose pages {@link #pagesAppend} is given next ({@code run}'s own positions),
     * if they may be copied into staging when their buffer is sealed, on the thread that writes
     * it, rather than as they are appended: a run of {@link StableRuns} in a heap buffer, in a
     * buffer begun while no other waited for the writer thread. The copy, and with it the
     * checksum, then leaves the filling thread, and the writer reads memory no other CPU just
     * wrote. Null when the run is written, and for every other run.
     */
    void stableSource(ByteBuffer run) {
        stableSource = run;
    }

    /** Returns once every page staged so far has been copied from the host's memory ({@link Staging#copyPending}). */
    void copyPending() {
        staging.copyPending();
    }

    int pagesCount() {
        return pagesCount;
    }

    private void crcStagedPages() {
        int to = pagesBuf.position();
        crcView.limit(to).position(pagesCrcDone);
        pagesCrc.update(crcView);
        pagesCrcDone = to;
    }

    /**
     * Completes the open PAGES record: prefix, header with its checksum (or, deferred, a
     * placeholder the sealing fills in), padding. An encrypted one is encrypted and staged now,
     * its checksum (of the ciphertext) taken here.
     */
    void pagesEnd() throws IOException {
        stagedEnd(RecordTypes.PAGES, pagesAddress, pagesCount);
    }

    /**
     * Starts a PAGE_RUNS record (docs/FORMAT.md §15.8): staged as a PAGES record is, its run
     * table and then its pages appended with {@link #pagesAppend}, its prefix filled in by
     * {@link #runsEnd}. The caller keeps the payload within a PAGES record's.
     */
    void runsBegin(int pageSize) throws IOException {
        pagesBegin(0, pageSize);
    }

    /** Completes the open PAGE_RUNS record with its prefix: {@code parent_mm}, {@code run_count}. */
    void runsEnd(long parentMm, int runCount) throws IOException {
        stagedEnd(RecordTypes.PAGE_RUNS, parentMm, runCount);
    }

    /** Ends the staged record: a 16-byte prefix of a u64, a u32 and a reserved u32 (0) before the staged bytes. */
    private void stagedEnd(int type, long prefix0, int prefix8) throws IOException {
        if (pagesInPayload) {
            pagesInPayload = false;
            payload.putU64(0, prefix0);
            payload.putU32(8, prefix8);
            writeRecord(type, 0);
            return;
        }
        int n = pagesBuf.position() - (pagesHeaderAt + PAGES_HEAD);
        int length = 16 + n;
        int headCrc = stagedHead(head, headBuf, recordCrc, type, length, prefix0, prefix8);
        if (pagesDeferred) {
            headBuf.putInt(12, 0);
            staging.pages(pagesHeaderAt, n, headCrc, pagesSource, pagesSourceAt);
            pagesSource = null;
        } else {
            crcStagedPages();
            int pagesValue = (int) pagesCrc.getValue();
            headBuf.putInt(12, Crc32c.combine(headCrc, pagesValue, n));
            staging.pages(pagesHeaderAt, n, pagesValue, true);
        }
        pagesBuf.put(pagesHeaderAt, head, 0, PAGES_HEAD);
        int pad = Format.padding(length);
        pagesBuf.put(ZEROS, 0, pad);
        recordStart = bytes;
        bytes += Format.HEADER_SIZE + length + pad;
        records++;
        pagesHeaderAt = -1;
        if (Log.RW.isTraceEnabled()) {
            Log.RW.trace("write {} len={} at offset {}", RecordTypes.name(type), length, recordStart);
        }
    }

    /**
     * Whether a run of {@code bytes} bytes of pages may be written by {@link #pagesInParallel}
     * now: a writer thread runs (or starts for it), no record is open, and records are plain (not
     * encrypted).
     */
    boolean parallelPages(long bytes) {
        return cipher == null && headHash == null && !pagesInPayload && pagesHeaderAt < 0 && staging.parallel(bytes);
    }

    /**
     * Writes the pages of a host run as PAGES records, as the calling thread would (the same
     * bytes: records end at zero pages and at multiples of {@code window} bytes of address), but
     * window by window on both threads ({@link Staging#inParallel}). Returns {pages written, zero
     * pages skipped}. {@code progress} (null: none) hears, on the calling thread, the image bytes
     * and pages of the run written so far.
     */
    long[] pagesInParallel(long address, ByteBuffer bytes, int ps, long window, boolean keepZero, ByteBuffer zero,
                           RunProgress progress) throws IOException {
        end();
        int pages = bytes.remaining() / ps;
        long firstEnd = address - Long.remainderUnsigned(address, window) + window;
        long firstPages = Math.min(pages, (firstEnd - address) / ps);
        int perWindow = (int) (window / ps);
        int n = 1 + (int) ((pages - firstPages + perWindow - 1) / perWindow);
        long[][] counts = new long[n][];
        Lane[] lanes = {new Lane(bytes, zero), new Lane(bytes, zero)};
        int base = bytes.position();
        long[] sofar = new long[3];  // windows, bytes, pages counted
        // The most a window stages: its pages and, at worst, a record per two pages.
        int windowMax = (int) window + (perWindow / 2 + 1) * (PAGES_HEAD + Format.ALIGN);
        staging.inParallel(n, (w, into, lane) -> {
            int from = w == 0 ? 0 : (int) (firstPages + (long) (w - 1) * perWindow);
            int to = w == 0 ? (int) firstPages : Math.min(pages, from + perWindow);
            int staged = into.buf.position();  // window 0 may follow bytes staged before the run
            long[] c = lanes[lane].fill(into, address, base, from, to, ps, keepZero);
            c[3] -= staged;
            c[4] -= staged;
            counts[w] = c;
        }, progress == null ? null : windows -> {
            if (windows == 0) {
                return;  // the bytes before the run may not have reached the channel yet
            }
            // counts[k] for k < windows were stored before the window's turn passed: visible here.
            for (int k = (int) sofar[0]; k < windows; k++) {
                sofar[1] += counts[k][4];
                sofar[2] += counts[k][0];
            }
            sofar[0] = windows;
            progress.written(sofar[1], sofar[2]);
        }, windowMax);
        long written = 0;
        long zeros = 0;
        for (long[] c : counts) {
            if (c[2] > 0) {
                recordStart = bytes() + c[3];
            }
            written += c[0];
            zeros += c[1];
            records += c[2];
            this.bytes += c[4];
        }
        return new long[] {written, zeros};
    }

    /** Told how much of a run {@link #pagesInParallel} writes is written. */
    interface RunProgress {
        void written(long bytes, long pages) throws IOException;
    }

    /** One thread's scratch state for filling windows of a run ({@link #pagesInParallel}). */
    private static final class Lane {
        private final ByteBuffer page;
        private final ByteBuffer zero;
        private final byte[] head = new byte[PAGES_HEAD];
        private final ByteBuffer headBuf = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32C recordCrc = new CRC32C();
        private final CRC32C pagesCrc = new CRC32C();

        Lane(ByteBuffer bytes, ByteBuffer zero) {
            this.page = bytes.duplicate();
            this.zero = zero.duplicate();
        }

        /**
         * Pages {@code from} to {@code to} (indexes into the run at {@code address}) into {@code into}
         * as PAGES records; returns {pages written, zero pages, records, offset of the last record, bytes}.
         */
        long[] fill(Staging.Block into, long address, int base, int from, int to, int ps, boolean keepZero) {
            ByteBuffer out = into.buf;
            ByteBuffer view = out.duplicate();
            long written = 0;
            long zeros = 0;
            long records = 0;
            long last = 0;
            int at = -1;
            int count = 0;
            long recordAddress = 0;
            int crcDone = 0;
            for (int i = from; i < to; i++) {
                page.limit(base + (i + 1) * ps).position(base + i * ps);
                if (!keepZero && page.mismatch(zero) < 0) {
                    zeros++;
                    if (at >= 0) {
                        last = at;
                        end(into, view, at, recordAddress, count, ps, crcDone);
                        records++;
                        written += count;
                        at = -1;
                    }
                    continue;
                }
                if (at < 0) {
                    at = out.position();
                    out.position(at + PAGES_HEAD);
                    crcDone = out.position();
                    pagesCrc.reset();
                    recordAddress = address + (long) i * ps;
                    count = 0;
                }
                out.put(page);
                count++;
                if (out.position() - crcDone >= CRC_BATCH) {
                    pagesCrc.update(view.limit(out.position()).position(crcDone));
                    crcDone = out.position();
                }
            }
            if (at >= 0) {
                last = at;
                end(into, view, at, recordAddress, count, ps, crcDone);
                records++;
                written += count;
            }
            return new long[] {written, zeros, records, last, out.position()};
        }

        /** Completes the record at {@code at} as {@link ImageWriter#stagedEnd} does, its checksum known. */
        private void end(Staging.Block into, ByteBuffer view, int at, long recordAddress, int count, int ps,
                         int crcDone) {
            ByteBuffer out = into.buf;
            pagesCrc.update(view.limit(out.position()).position(crcDone));
            int n = count * ps;
            int length = 16 + n;
            int headCrc = stagedHead(head, headBuf, recordCrc, RecordTypes.PAGES, length, recordAddress, count);
            int pagesValue = (int) pagesCrc.getValue();
            headBuf.putInt(12, Crc32c.combine(headCrc, pagesValue, n));
            into.pages(at, n, pagesValue, true);
            out.put(at, head, 0, PAGES_HEAD);
            out.put(ZEROS, 0, Format.padding(length));
        }
    }

    /**
     * Assembles a staged record's header and 16-byte prefix (a u64, a u32, a reserved u32) in
     * {@code head}, all but its checksum; returns the CRC32C of header[0..12] and the prefix, which
     * the pages' checksum is combined into (they are not read again).
     */
    private static int stagedHead(byte[] head, ByteBuffer headBuf, CRC32C crc, int type, int length, long prefix0,
                                  int prefix8) {
        headBuf.putInt(0, type).putInt(4, 0).putInt(8, length)
                .putLong(16, prefix0).putInt(24, prefix8).putInt(28, 0);
        crc.reset();
        crc.update(head, 0, 12);
        crc.update(head, Format.HEADER_SIZE, 16);
        return (int) crc.getValue();
    }

    /** Offset of the last record written. */
    long lastRecordStart() {
        return recordStart;
    }

    /** Copies {@code len} bytes of {@code src} into staging, rotating buffers as they fill. */
    private void put(byte[] src, int off, int len) throws IOException {
        if (headHash != null) {
            headHash.update(src, off, len);
        }
        bytes += len;
        while (len > 0) {
            ByteBuffer out = staging.current();
            if (!out.hasRemaining()) {
                staging.rotate();
                continue;
            }
            int k = Math.min(out.remaining(), len);
            out.put(src, off, k);
            off += k;
            len -= k;
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
        if (relocation != null) {
            Staging.give(relocation);
            relocation = null;
        }
        if (sealHash != null) {
            try {
                sealHash.abandon();
            } catch (java.io.InterruptedIOException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
