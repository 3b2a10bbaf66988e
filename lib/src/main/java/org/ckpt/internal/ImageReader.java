package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.CharsetDecoder;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.ckpt.ImageRecord;
import org.ckpt.spi.AbortedImageException;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.DecryptionException;
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
 * Reads framed records from a channel, verifying each record's checksum and keeping the
 * running CRC32C that the tail must match.
 *
 * <p>Every byte a restart keeps is a copy it owns, checksummed as it is copied: record
 * payloads land in a reused buffer that grows only as bytes actually arrive (a hostile
 * length costs what the image really contains), and page bytes land straight in the buffer
 * the page destination supplies, in chunks small enough that the checksum reads them from
 * cache. The channel is read strictly sequentially, so files, pipes, FIFOs and sockets all
 * work alike; only the page bytes of large PAGES records of a large image file may be read
 * where they lie, on a thread of their own ({@link PageReads}), each byte still once.
 *
 * <p>Only with the mapped opt-in ({@code mapped != null}) are page bytes views of a mapped
 * file; there every access to the mapping is a bulk copy (the checksum runs on the copy),
 * because a fault in a copy is an {@link InternalError} the reader turns into an
 * {@link ImageException}, while a fault inside the checksum intrinsic would kill the JVM.
 */
final class ImageReader implements RecordInput {
    private static final int BUFFER = 64 << 10;
    /** Page bytes are read and checksummed in chunks of this size, so the checksum reads them from cache. */
    private static final int CHUNK = 256 << 10;
    /** Mapping windows of the image file (mapped opt-in); a window maps at least this much so that slices share it. */
    private static final long WINDOW = 64L << 20;
    /**
     * Image files at least this large are read ahead on a thread of their own ({@link ReadAhead}).
     * Below it the thread's start, hand-overs and stop cost more than the overlap of the kernel's
     * copy gains (~0.7 ms for 5 MB here): measured on the 5 MB children of a ten-link chain of
     * mem-1g, read ahead 2.6-3.0 ms each on average, read on the calling thread 2.2 ms. A chain
     * whose files together reach it is read ahead on one thread ({@link #readAheadTogether}).
     */
    static final long READ_AHEAD_MIN = 8L << 20;
    /**
     * The read-ahead starts once this much of the image is read: the prologue (magic, HEAD,
     * ARCH_HEAD, PARENT) is read on the calling thread. A chain reads every image's prologue
     * before any body; started at the first byte, each would hold a thread and its pooled
     * buffers for the whole chain restart, more than the pool keeps, so a chain of ten allocated
     * fresh direct memory on every restart.
     */
    static final long READ_AHEAD_AFTER = BUFFER;

    private final ReadableByteChannel channel;
    private final ChannelIo io;
    private final Duration stallTimeout;
    /** Whether the channel is a large image file, read ahead by {@link #readAhead} (started at the first read). */
    private final boolean readsAhead;
    private ReadAhead readAhead;
    /** The page bytes of large PAGES records, read on a thread of their own ({@link #readPagesInParallel}), or null. */
    private PageReads pageReads;
    /** The file position of the image's offset 0, while {@link #pageReads} is on. */
    private long fileBase;
    /**
     * Where the restart is (outermost first: a task, an object, an area), as the breadcrumbs a
     * failure collects on its way out ({@link ImageException#addTrace}): a failure found later on
     * the {@link PageReads} thread gets them from here. Kept as kinds and values, formatted only
     * for a record handed to that thread.
     */
    private int trailDepth;
    private int[] trailKind = new int[8];
    private long[] trailValue = new long[8];
    private String[] trailName = new String[8];
    static final int TRAIL_TASK = 0;
    static final int TRAIL_OBJECT = 1;
    static final int TRAIL_VMA = 2;

    /** The breadcrumb of a failure inside what {@link #enter} entered. */
    static String trailLabel(int kind, long value, String name) {
        return switch (kind) {
            case TRAIL_TASK -> "task " + value;
            case TRAIL_OBJECT -> "object " + Long.toUnsignedString(value) + " (" + name + ")";
            default -> "vma 0x" + Long.toHexString(value);
        };
    }

    /** The restart enters a task, object or area ({@link #trailLabel}); {@link #leave} when it is done. */
    void enter(int kind, long value, String name) {
        if (trailDepth == trailKind.length) {
            trailKind = java.util.Arrays.copyOf(trailKind, trailDepth * 2);
            trailValue = java.util.Arrays.copyOf(trailValue, trailDepth * 2);
            trailName = java.util.Arrays.copyOf(trailName, trailDepth * 2);
        }
        trailKind[trailDepth] = kind;
        trailValue[trailDepth] = value;
        trailName[trailDepth] = name;
        trailDepth++;
    }

    void leave() {
        trailName[--trailDepth] = null;
    }

    private String[] trail() {
        String[] t = new String[trailDepth];
        for (int i = 0; i < trailDepth; i++) {
            t[i] = trailLabel(trailKind[i], trailValue[i], trailName[i]);
        }
        return t;
    }

    /** The channel was just moved past page bytes read elsewhere: refill {@link #in} with a little only. */
    private boolean afterSkip;
    private static final int AFTER_SKIP = 4096;
    /** The chain's read-ahead, whose segment {@link #segment} is this image's rest; not ours to close. */
    private ReadAhead shared;
    private int segment;
    private boolean closed;
    /** The image file when the host opted in to mapping it, else null. */
    private FileChannel mapped;
    private long mappedBase;
    /** Unread bytes: the read-ahead buffer of the channel, or the current mapped window. */
    private ByteBuffer in;
    private final ByteBuffer header = ByteBuffer.allocate(Format.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer prefix = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    private final Crc32c.Running imageCrc = new Crc32c.Running();
    private final CRC32C recordCrc = new CRC32C();
    private final CRC32C pagesCrc = new CRC32C();
    private final ByteBuffer padding = ByteBuffer.allocate(Format.ALIGN);
    private final CharsetDecoder decoder = PayloadCursor.strictUtf8();
    /** The cursor of every record's payload, reset per record (a payload is valid until the next record). */
    private final PayloadCursor cursor = new PayloadCursor(ByteBuffer.allocate(0), 0, null, false, decoder);
    /** Names of the architecture's record types, made once each (not once per record). */
    private final String[] archNames = new String[RecordTypes.ARCH_LAST - RecordTypes.ARCH_FIRST + 1];
    private final int maxRecordSize;
    private final int maxStringLength;
    private ByteBuffer payload = ByteBuffer.allocate(4096);
    private byte[] scratch;
    private RecordTypeSet archTypes = RecordTypeSet.NONE;
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
    private long pagesAt;
    /** Bytes after the prefix of a record begun with beginRuns that readPart has read. */
    private int partsDone;
    private PayloadCursor current;
    private Consumer<ImageRecord> listener;

    // Sealing and encryption (docs/FORMAT.md §17).
    /** Hashes every byte up to the seal for its verification; null unless the restart checks seals. */
    private ImageHash sealHash;
    /** SHA-256 of the bytes before the CIPHER record, for its head tag; until {@link #headDigest}. */
    private MessageDigest headHash = ImageHash.sha256();
    /** Header bytes are hashed by {@link #readHeader} itself: the SEAL header's CRC field is not sealed. */
    private boolean headerPending;
    /** The bytes being filled are the page destination's: stable until commit, hashed without a copy. */
    private boolean stableFill;
    /** After the opening CIPHER: records but SEAL and TAIL must be encrypted. */
    private boolean encryptedRecords;
    /** Decrypts them; null in a scan without the key (payloads stay ciphertext). */
    private RecordCipher cipher;
    private final ByteBuffer aad = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);

    /**
     * @param mapFile map the channel if it is a seekable file (the host's immutable-file opt-in)
     */
    ImageReader(ReadableByteChannel channel, int maxRecordSize, int maxStringLength, Duration stallTimeout,
                boolean mapFile) throws IOException {
        ChannelIo.requireBlocking(channel, "the image channel");
        this.channel = channel;
        this.io = new ChannelIo(stallTimeout, "the image channel");
        this.maxRecordSize = maxRecordSize;
        this.maxStringLength = maxStringLength;
        if (mapFile && channel instanceof FileChannel f) {
            try {
                mappedBase = f.position();
                mapped = f;
            } catch (IOException e) {
                // A FIFO or a pipe opened as a FileChannel cannot seek, so it cannot be mapped: stream it.
                Log.RW.debug("image channel is not seekable, reading it as a stream: {}", e.toString());
            }
        }
        this.stallTimeout = stallTimeout;
        readsAhead = mapped == null && channel instanceof FileChannel f && isLargeFile(f);
        in = mapped != null ? ByteBuffer.allocate(0) : ByteBuffer.allocate(BUFFER).flip();
    }

    /** Whether {@code f} is a seekable file with at least {@link #READ_AHEAD_MIN} bytes left (not a FIFO). */
    private static boolean isLargeFile(FileChannel f) {
        try {
            return f.size() - f.position() >= READ_AHEAD_MIN;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The bytes this reader has not yet taken from its channel, if another reader's thread may
     * read them ahead ({@link #readAheadTogether}): a file, not mapped, not read ahead yet; else -1.
     */
    private long unreadFileBytes() {
        if (mapped != null || readAhead != null || shared != null || eof || closed
                || !(channel instanceof FileChannel f)) {
            return -1;
        }
        try {
            long size = f.size();
            long position = f.position();
            // Size 0 after a prologue was read from it: a device (/dev/zero reports 0), not a file.
            return size == 0 || size < position ? -1 : size - position;
        } catch (IOException e) {
            return -1;  // not seekable: a FIFO opened as a FileChannel, whose reads may wait for a peer
        }
    }

    /**
     * Starts one read-ahead thread for the bodies of {@code readers} (a chain's images, oldest
     * first, prologues read), if every one is a file it may read ahead and together they hold
     * at least {@link #READ_AHEAD_MIN} bytes; returns it (the caller closes it after the last
     * body) or null. From then on each reader's channel is read by that thread alone, from its
     * current position, as segment {@code i} for the {@code i}th reader.
     */
    static ReadAhead readAheadTogether(List<ImageReader> readers) {
        long bytes = 0;
        List<ReadableByteChannel> channels = new ArrayList<>(readers.size());
        for (ImageReader r : readers) {
            long n = r.unreadFileBytes();
            if (n < 0) {
                return null;
            }
            bytes += n;
            channels.add(r.channel);
        }
        if (readers.size() < 2 || bytes < READ_AHEAD_MIN) {
            return null;
        }
        ReadAhead ahead = new ReadAhead(channels, readers.get(0).stallTimeout);
        for (int i = 0; i < readers.size(); i++) {
            readers.get(i).shared = ahead;
            readers.get(i).segment = i;
        }
        return ahead;
    }

    /**
     * Ends the reading: stops the read-ahead thread, if any, and returns its buffers. Nothing
     * is read after this.
     */
    void close() {
        closed = true;
        if (pageReads != null) {
            pageReads.close();
        }
        if (readAhead != null || shared != null) {
            // The buffer in hand is the read-ahead's (a chain's takes it back at its next call).
            in = ByteBuffer.allocate(0);
            eof = true;
            shared = null;
        }
        if (readAhead != null) {
            readAhead.close();
            readAhead = null;
        }
    }

    /** Hashes every byte from the magic on, until a SEAL header, for {@link #sealDigest}. Before {@link #readMagic}. */
    void hashForSeal(boolean threaded) {
        sealHash = new ImageHash(threaded);
    }

    /**
     * The SHA-256 digest of everything read so far, to be called right after ARCH_HEAD: what
     * the head tag of a CIPHER record that follows authenticates. Stops that hashing.
     */
    byte[] headDigest() {
        byte[] d = headHash.digest();
        headHash = null;
        return d;
    }

    /**
     * From the next record on, every record but SEAL and TAIL must be encrypted; {@code c}
     * decrypts them (null: leave them ciphertext, for a scan without the key).
     */
    void encryptedRecords(RecordCipher c) {
        encryptedRecords = true;
        cipher = c;
    }

    /** Whether the record last peeked or returned is encrypted. */
    boolean recordEncrypted() {
        return (flags & Format.FLAG_ENCRYPTED) != 0;
    }

    /**
     * After the SEAL record has been read: the digest of what its seal covers — every byte
     * before it, its header's type, flags and length, and {@code prefix} (its payload before
     * the tag). Null when the reader does not hash for seals.
     */
    byte[] sealDigest(byte[] prefix) {
        return sealHash == null ? null : sealHash.finish(prefix);
    }

    /** A failed restart: stops hashing, and returns once no thread reads the page destination's bytes. */
    void abandonHash() throws java.io.InterruptedIOException {
        if (sealHash != null) {
            sealHash.abandon();
        }
    }

    void archTypes(Set<Integer> types) {
        this.archTypes = new RecordTypeSet(types);
    }

    long offset() {
        return offset;
    }

    /** Told of every record once its checksum and padding verified, before it is interpreted. */
    void recordListener(Consumer<ImageRecord> l) {
        this.listener = l;
    }

    boolean isMapped() {
        return mapped != null;
    }

    long records() {
        return records;
    }

    /** Name of the type of the record last returned by {@link #next} or peeked. */
    String recordName() {
        return name(type);
    }

    /** {@link RecordTypes#name}, without making a new string for each architecture record. */
    private String name(int t) {
        if (t < RecordTypes.ARCH_FIRST || t > RecordTypes.ARCH_LAST) {
            return RecordTypes.name(t);
        }
        String n = archNames[t - RecordTypes.ARCH_FIRST];
        if (n == null) {
            n = RecordTypes.name(t);
            archNames[t - RecordTypes.ARCH_FIRST] = n;
        }
        return n;
    }

    /** Offset of the record last returned by {@link #next} or peeked. */
    long recordOffset() {
        return recordOffset;
    }

    /** Flags of the record last peeked or returned, as stored. */
    int recordFlags() {
        return flags;
    }

    /** Reads the record last peeked, whatever its type; its payload need not be consumed (scans). */
    PayloadReader skipPeeked() throws IOException {
        PayloadCursor c = readPayload();
        current = null;
        return c;
    }

    /** Payload length of the record last peeked or returned. */
    int recordLength() {
        return length;
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
        int got = fill(ByteBuffer.wrap(magic), true);
        if (got < magic.length) {
            throw new TruncatedImageException(null, 0, "image of " + got + " bytes is shorter than the 8-byte magic");
        }
        if (!java.util.Arrays.equals(magic, Format.MAGIC)) {
            throw new UnsupportedImageException(null, 0, "not a ckpt image: wrong magic "
                    + java.util.HexFormat.of().formatHex(magic));
        }
    }

    private void readHeader() throws IOException {
        if (peeked) {
            return;
        }
        if (pageReads != null && imageCrc.firstPendingFailed()) {
            // A record read on the page reader thread failed: it lies before this one, so it is
            // what a sequential read reports; stop now rather than read (and keep a block of the
            // image CRC for) every record up to the tail. settle() puts its failure in place.
            throw new PageReadFailed();
        }
        recordsBefore = records;
        recordOffset = offset;
        header.clear();
        headerPending = true;
        int got;
        try {
            got = fill(header, false);
        } finally {
            headerPending = false;
        }
        hashHeader(got);
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
            // Waits for the page bytes still being read (PageReads): the tail checks them all.
            crcBeforeRecord = imageCrc.valueAwaiting();
        }
        imageCrc.update(header.array(), 0, Format.HEADER_SIZE);
        flags = header.getInt(4);
        long len = header.getInt(8) & 0xFFFF_FFFFL;
        crc = header.getInt(12);
        if ((flags & ~Format.KNOWN_RECORD_FLAGS) != 0) {
            throw new InvalidImageException(RecordTypes.name(type), recordOffset,
                    "record flags 0x" + Integer.toHexString(flags) + " have unknown bits set");
        }
        boolean mustEncrypt = encryptedRecords && type != RecordTypes.SEAL && type != RecordTypes.TAIL;
        if (((flags & Format.FLAG_ENCRYPTED) != 0) != mustEncrypt) {
            throw new InvalidImageException(RecordTypes.name(type), recordOffset, mustEncrypt
                    ? "record " + RecordTypes.name(type) + " is not encrypted (flag ENCRYPTED clear) in an"
                            + " encrypted image, where every record after CIPHER but SEAL and TAIL is"
                    : "record flags 0x" + Integer.toHexString(flags) + " say ENCRYPTED, but "
                            + (encryptedRecords ? "SEAL and TAIL are never encrypted"
                                    : "nothing is encrypted here (no CIPHER record before it)"));
        }
        if (mustEncrypt && len < RecordCipher.TAG_LENGTH) {
            throw new InvalidImageException(RecordTypes.name(type), recordOffset, "encrypted record of " + len
                    + " bytes is shorter than its 16-byte AES-GCM tag");
        }
        if (len > maxRecordSize) {
            throw new ImageLimitException(RecordTypes.name(type), recordOffset,
                    "record length " + len + " exceeds the limit maxRecordSize = " + maxRecordSize);
        }
        length = (int) len;
        peeked = true;
    }

    /**
     * Hashes the header just read: all 16 bytes, but of a SEAL header only type, flags and
     * length — the seal covers the SEAL record up to its tag, except the CRC field that depends
     * on the tag — after which seal hashing stops (the SEAL's payload prefix is added by
     * {@link #sealDigest}).
     */
    private void hashHeader(int got) {
        if (got >= 12 && header.getInt(0) == RecordTypes.SEAL && sealHash != null) {
            sealHash.update(header.array(), 0, 12);
            sealHash.close();
        }
        observe(header.array(), 0, got);
    }

    /** Every byte read from the image, once, in order: into the seal's hash and the head's. */
    private void observe(byte[] b, int off, int len) {
        if (sealHash != null) {
            sealHash.update(b, off, len);
        }
        if (headHash != null) {
            headHash.update(b, off, len);
        }
    }

    private void observe(ByteBuffer b) {
        if (sealHash != null) {
            sealHash.update(b, stableFill);
        }
        if (headHash != null) {
            headHash.update(b.duplicate());
        }
    }

    @Override
    public int peekType() throws IOException {
        ensureConsumed();
        while (true) {
            readHeader();
            if (type == RecordTypes.ERROR) {
                // A producer that failed midway ends its image with ERROR wherever it was.
                long at = recordOffset;
                boolean secret = recordEncrypted() && cipher == null;
                PayloadCursor p = readPayload();
                if (secret) {
                    throw new AbortedImageException("ERROR", at, "the checkpoint failed while writing"
                            + " (its message is encrypted)");
                }
                String message = Records.readError(p, maxStringLength);
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
    public PayloadCursor next(int expectedType) throws IOException {
        int t = peekType();
        if (t != expectedType) {
            throw unexpected(t, RecordTypes.name(expectedType));
        }
        return readPayload();
    }

    /** Reads the peeked record's payload and padding into the reused buffer and verifies both. */
    private PayloadCursor readPayload() throws IOException {
        String name = name(type);
        long payloadOffset = offset;
        int pad = Format.padding(length);
        int total = length + pad;
        ByteBuffer bytes = readIntoPayload(name, total);
        byte[] a = bytes.array();
        recordCrc.reset();
        recordCrc.update(header.array(), 0, 12);
        int payloadCrc;
        if (length >= Crc32c.COMBINE_THRESHOLD) {
            pagesCrc.reset();
            pagesCrc.update(a, 0, length);
            int c = (int) pagesCrc.getValue();
            imageCrc.append(c, length);
            imageCrc.update(a, length, pad);
            payloadCrc = Crc32c.combine((int) recordCrc.getValue(), c, length);
        } else {
            imageCrc.update(a, 0, total);
            recordCrc.update(a, 0, length);
            payloadCrc = (int) recordCrc.getValue();
        }
        verify(name, payloadCrc);
        checkPadding(name, bytes, length, total, payloadOffset);
        finishRecord();
        if (listener != null) {
            listener.accept(new ImageRecord(type, name, flags, recordOffset, length,
                    bytes.slice(0, length).asReadOnlyBuffer()));
        }
        if (Log.RW.isTraceEnabled()) {
            Log.RW.trace("read {} len={} at offset {}", name, length, recordOffset);
        }
        // The cursor reads the reused buffer (or the cipher's reused plaintext buffer) itself:
        // it is valid until the next record is read.
        ByteBuffer body = bytes.limit(length).position(0);
        if (recordEncrypted() && cipher != null) {
            body = decrypt(name, body);
        }
        current = cursor.reset(body, payloadOffset, name);
        return current;
    }

    /** The plaintext of the encrypted payload just verified (ciphertext offsets are plaintext offsets). */
    private ByteBuffer decrypt(String name, ByteBuffer sealed) throws DecryptionException {
        aad.clear();
        aad.put(header.array(), 0, 12).flip();
        try {
            return cipher.decrypt(recordsBefore, aad, sealed);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new DecryptionException(DecryptionException.Kind.TAMPERED, name, recordOffset, "record " + name
                    + " does not decrypt (AES-GCM tag mismatch): its ciphertext, its header or its position in the"
                    + " image was changed, or encrypted records were removed before it");
        }
    }

    private void verify(String name, int payloadCrc) throws ChecksumException {
        if (payloadCrc != crc) {
            throw new ChecksumException(name, recordOffset, String.format(
                    "record checksum mismatch: header says %08x, payload gives %08x", crc, payloadCrc));
        }
    }

    private static void checkPadding(String name, ByteBuffer bytes, int from, int to, long payloadOffset)
            throws InvalidImageException {
        for (int i = from; i < to; i++) {
            if (bytes.get(i) != 0) {
                throw new InvalidImageException(name, payloadOffset + i, "record padding byte is not zero");
            }
        }
    }

    private void finishRecord() {
        peeked = false;
        records++;
    }

    /** Reads {@code total} bytes into the reused payload buffer, which grows only as bytes arrive. */
    private ByteBuffer readIntoPayload(String name, int total) throws IOException {
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
            payload.limit(payload.position() + want);
            int n = fill(payload, false);
            payload.limit(payload.capacity());
            got += n;
            if (n < want) {
                throw new TruncatedImageException(name, recordOffset, "image ends inside record " + name + " after "
                        + Math.min(got, length) + " of " + length + " payload bytes");
            }
        }
        payload.flip();
        return payload;
    }

    // ---- PAGES: the fused copy into the page destination --------------------------------------

    /**
     * Reads the 16-byte prefix of the peeked PAGES record ({@code address}, {@code page_count},
     * reserved), not yet verified; the page bytes follow. False when the record is too short
     * to hold a prefix or a listener wants whole payloads: the caller then reads the record
     * with {@link #next}. The prefix's fields are {@link #prefixU64} … {@link #pageBytes}.
     */
    boolean beginPages() throws IOException {
        return beginStaged(RecordTypes.PAGES);
    }

    /**
     * {@link #beginPages} of a PAGE_RUNS record (docs/FORMAT.md §15.8): its prefix
     * ({@code parent_mm}, {@code run_count}, reserved) read, its run table and pages to be read
     * in order with {@link #readPart}, then {@link #endParts}.
     */
    boolean beginRuns() throws IOException {
        return beginStaged(RecordTypes.PAGE_RUNS);
    }

    private boolean beginStaged(int expected) throws IOException {
        if (peekType() != expected) {
            throw unexpected(type, RecordTypes.name(expected));
        }
        if (length < 16 || listener != null || recordEncrypted()) {
            return false;
        }
        String name = RecordTypes.name(expected);
        pagesAt = offset;
        prefix.clear();
        if (fill(prefix, false) < 16) {
            throw new TruncatedImageException(name, recordOffset, "image ends inside record " + name + " after "
                    + prefix.position() + " of " + length + " payload bytes");
        }
        prefix.flip();
        pagesCrc.reset();
        partsDone = 0;
        return true;
    }

    /** The prefix's u32 at offset 8, unsigned (PAGES: page_count; PAGE_RUNS: run_count). */
    long prefixU32() {
        return prefix.getInt(8) & 0xFFFF_FFFFL;
    }

    /** The prefix's u64 at offset 0 (PAGES: address; PAGE_RUNS: parent_mm). */
    long prefixU64() {
        return prefix.getLong(0);
    }

    /**
     * The next {@code dst.remaining()} bytes of the record begun with {@link #beginRuns} into
     * {@code dst} (position and limit unchanged), checksummed as they land. {@code stable}: the
     * bytes are the page destination's, unchanged until commit, so a seal's hash may read them
     * where they are (a table in a reused buffer is not).
     */
    void readPart(ByteBuffer dst, boolean stable) throws IOException {
        int n = dst.remaining();
        if (n > length - 16 - partsDone) {
            throw new IllegalStateException("a part of " + n + " bytes where " + (length - 16 - partsDone) + " remain");
        }
        int base = dst.position();
        int limit = dst.limit();
        try {
            for (int done = 0; done < n; ) {
                int k = Math.min(CHUNK, n - done);
                dst.limit(base + done + k).position(base + done);
                int got;
                stableFill = stable;
                try {
                    got = fill(dst, false);
                } finally {
                    stableFill = false;
                }
                if (got < k) {
                    String name = RecordTypes.name(type);
                    throw new TruncatedImageException(name, recordOffset, "image ends inside record " + name
                            + " after " + (16 + partsDone + done + got) + " of " + length + " payload bytes");
                }
                pagesCrc.update(dst.position(base + done));
                done += k;
            }
        } finally {
            dst.limit(limit).position(base);
        }
        partsDone += n;
    }

    /** After the last {@link #readPart}: verifies the record's checksum and padding. */
    void endParts() throws IOException {
        if (partsDone != length - 16) {
            throw new IllegalStateException((length - 16 - partsDone) + " bytes of the record are unread");
        }
        endPages((int) pagesCrc.getValue());
    }

    /** The prefix's reserved field. */
    int pagesReserved() {
        return prefix.getInt(12);
    }

    /** Image offset of the PAGES payload (its prefix). */
    long pagesAt() {
        return pagesAt;
    }

    /** Bytes of pages after the prefix. */
    int pageBytes() {
        return length - 16;
    }

    /**
     * Copies the page bytes of the PAGES record begun with {@link #beginPages} into
     * {@code dst} (its remaining bytes, exactly {@code pageBytes} of them; position and limit
     * unchanged), checksumming each chunk as it lands, then verifies the record checksum and
     * padding. A mismatch is a {@link ChecksumException}: the destination then holds bytes
     * that must not be used.
     */
    void readPageBytes(ByteBuffer dst) throws IOException {
        int n = length - 16;
        if (dst.remaining() != n) {
            throw new IllegalStateException("page destination returned " + dst.remaining() + " bytes for a run of "
                    + n);
        }
        if (delegating && n >= PARALLEL_MIN) {
            largePageBytes += n;
            if (!eof && n - in.remaining() >= PARALLEL_MIN && pageReads.hasRoom()) {
                readPageBytesLater(dst);
                return;
            }
        }
        // The page destination's bytes: stable until commit, so the seal's hash may read them later.
        readPart(dst, true);
        endParts();
    }

    /**
     * Page bytes of a record at least this large (beyond what is buffered already) go to the
     * {@link PageReads} thread when it has room. Each hand-over costs a seek, a short refill
     * and a wake-up; on mem-1g, 32, 64 and 128 KiB measured alike within the noise (a restart
     * in one JVM, ninth session: 49.0 ms with 32 KiB and 52.8 with 128 KiB, four records in
     * hand; 49.4 with 64 KiB and eight), and smaller records are most of the
     * records of many small areas, which are read ahead instead ({@link #decide}).
     */
    static final int PARALLEL_MIN = 64 << 10;

    /**
     * Reads page bytes on a thread of their own from now on ({@link PageReads}): a large image
     * file, read on the calling thread so far, whose page bytes nothing reads before the tail
     * (no seal, no encryption, no record listener, no hashing of pages; the caller knows the
     * last). Returns whether it does.
     */
    boolean readPagesInParallel() {
        if (!readsAhead || readAhead != null || shared != null || mapped != null || closed || eof
                || sealHash != null || headHash != null || encryptedRecords || listener != null
                || !(channel instanceof FileChannel f)) {
            return false;
        }
        try {
            fileBase = f.position() - offset - in.remaining();
        } catch (IOException e) {
            return false;
        }
        pageReads = new PageReads(f);
        delegating = true;
        delegatingFrom = offset;
        return true;
    }

    /**
     * Large page records are handed to {@link PageReads} ({@link #delegating}) until the first
     * {@link #DECIDE_AFTER} bytes of the body show that they hold less than half of its bytes;
     * then the rest of the image is read ahead ({@link ReadAhead}) as before. Many small areas
     * (bench's many-small) are mostly small records and other records, which a read-ahead
     * thread overlaps with their parsing, and the page reader thread cannot: read that way their
     * restart took 107 ms instead of 69 (bench/run --quick, into host memory).
     */
    private void decide() {
        if (offset - delegatingFrom >= DECIDE_AFTER) {
            decided = true;
            if (largePageBytes * 2 < offset - delegatingFrom) {
                delegating = false;
                Log.RW.debug("large page records hold {} of the first {} bytes: the rest is read ahead",
                        largePageBytes, offset - delegatingFrom);
            }
        }
    }

    /** Whether large page records go to {@link #pageReads} (see {@link #decide}). */
    private boolean delegating;
    private boolean decided;
    private long delegatingFrom;
    private long largePageBytes;
    static final long DECIDE_AFTER = 16L << 20;

    /**
     * {@link #readPageBytes} on the {@link PageReads} thread: the buffered bytes are copied here,
     * the rest is read there where it lies in the file, and this reader moves on past it. The
     * record's verdict joins the image CRC in order; its padding is checked here.
     */
    private void readPageBytesLater(ByteBuffer dst) throws IOException {
        String name = RecordTypes.name(type);
        int n = length - 16;
        int base = dst.position();
        int k = in.remaining();
        dst.put(base, in, in.position(), k);
        in.position(in.position() + k);
        offset += k;
        long at = fileBase + offset;
        PageReads.Job job = new PageReads.Job(dst.duplicate(), k, at, headCrc(), crc, name, recordOffset, length,
                trail());
        // As ChannelIo.read: an interrupt ends the read with an InterruptedIOException, and
        // must not close the host's channel through position() (ClosedByInterruptException).
        ChannelIo.checkInterrupt("reading the image channel");
        pageReads.submit(job);
        offset += n - k;
        try {
            ((FileChannel) channel).position(at + (n - k));
        } catch (java.nio.channels.ClosedByInterruptException e) {
            throw ChannelIo.interrupted("reading the image channel", e);
        }
        afterSkip = true;
        imageCrc.update(prefix.array(), 0, 16);
        imageCrc.appendLater(job, n);
        int pad = Format.padding(length);
        long padAt = readPadding(name, pad);
        checkPadding(name, padding, 0, pad, padAt);
        finishRecord();
        if (Log.RW.isTraceEnabled()) {
            Log.RW.trace("read {} len={} at offset {} (page bytes on the page reader thread)", name, length,
                    recordOffset);
        }
    }

    /** Thrown where a record the page reader thread read is known to have failed; {@link #settle} replaces it. */
    private static final class PageReadFailed extends IOException {
        private static final long serialVersionUID = 1L;

        PageReadFailed() {
            super("a record read on the page reader thread failed");
        }
    }

    /** Blocks of the image CRC not folded yet ({@link Crc32c.Running#blocks}), for tests. */
    int crcBlocks() {
        return imageCrc.blocks();
    }

    /**
     * A read that failed with {@code failure}: stops the {@link PageReads} thread (after it
     * the page destination is not written any more) and returns what failed first in file
     * order: a record whose page bytes that thread read, before the one that failed here, or
     * {@code failure} itself.
     */
    Throwable settle(Throwable failure) {
        if (pageReads == null) {
            return failure;
        }
        boolean stoppedForIt = false;
        Throwable c = failure;
        for (int depth = 0; c != null && depth < 16 && !stoppedForIt; depth++, c = c.getCause()) {
            // (also when a provider wrapped it, e.g. in an UncheckedIOException)
            stoppedForIt = c instanceof PageReadFailed;
        }
        pageReads.close();
        for (Crc32c.PendingCrc p : imageCrc.pending()) {
            PageReads.Job j = (PageReads.Job) p;
            IOException f = null;
            if (pageReads.isDone(j)) {
                j.readHere();  // a record the thread could not write: read in order, it would have failed first
                f = j.failure();
            }
            if (f == failure) {
                return failure;
            }
            if (f != null && stoppedForIt) {
                return f;
            }
            if (f != null) {
                // A record the thread found damaged lies before whatever failed here: read in
                // order, its failure comes first, whatever failed later (the host, an interrupt).
                // A plain IOException of the thread's (not the image's: most often the interrupt or
                // close that also ended this thread's read) comes second to a failure here that is
                // not the image's either, and is kept as suppressed.
                if (f instanceof ImageException || failure instanceof ImageException
                        || failure instanceof java.io.EOFException) {
                    f.addSuppressed(failure);
                    return f;
                }
                failure.addSuppressed(f);
                return failure;
            }
        }
        return failure;
    }

    /**
     * The mapped opt-in's version of {@link #readPageBytes}: the page bytes as a read-only
     * view of the mapped file, checksummed through copies so a fault cannot crash the JVM.
     */
    ByteBuffer mappedPageBytes() throws IOException {
        int n = length - 16;
        int pad = Format.padding(length);
        if (in.remaining() < n + pad && !map(n + pad)) {
            // Shorter than the record: read through the copying path, which reports the truncation.
            ByteBuffer copy = ByteBuffer.allocate(n);
            readPageBytes(copy);
            return copy;
        }
        ByteBuffer view = in.slice(in.position(), n).asReadOnlyBuffer();
        pagesCrc.reset();
        byte[] s = scratch();
        for (int done = 0; done < n; ) {
            int k = Math.min(s.length, n - done);
            guardedGet(in, in.position() + done, s, k);
            pagesCrc.update(s, 0, k);
            observe(s, 0, k);
            done += k;
        }
        in.position(in.position() + n);
        offset += n;
        endPages((int) pagesCrc.getValue());
        return view;
    }

    private void endPages(int crcOfPages) throws IOException {
        String name = RecordTypes.name(type);
        int n = length - 16;
        int pad = Format.padding(length);
        imageCrc.update(prefix.array(), 0, 16);
        imageCrc.append(crcOfPages, n);
        int recordValue = Crc32c.combine(headCrc(), crcOfPages, n);
        long padAt = readPadding(name, pad);
        verify(name, recordValue);
        checkPadding(name, padding, 0, pad, padAt);
        finishRecord();
        if (Log.RW.isTraceEnabled()) {
            Log.RW.trace("read {} len={} at offset {}", name, length, recordOffset);
        }
    }

    /** CRC32C of the record header's first 12 bytes and the 16-byte prefix: where a staged record's checksum begins. */
    private int headCrc() {
        recordCrc.reset();
        recordCrc.update(header.array(), 0, 12);
        recordCrc.update(prefix.array(), 0, 16);
        return (int) recordCrc.getValue();
    }

    /** Reads the {@code pad} bytes of padding after a staged record's payload into {@link #padding}; returns their offset. */
    private long readPadding(String name, int pad) throws IOException {
        padding.clear().limit(pad);
        long padAt = offset;
        if (fill(padding, true) < pad) {
            throw new TruncatedImageException(name, recordOffset, "image ends inside the padding of record " + name);
        }
        return padAt;
    }

    /**
     * The prefix of the PAGES record begun with {@link #beginPages} breaks a rule: reads the
     * rest of the record through its checksum, so that a damaged record is reported as a
     * checksum failure (as every other record is) and only an intact one as {@code problem}.
     */
    ImageException abandonPages(ImageException problem) throws IOException {
        // What readPart read is in the running checksum: the rest continues it.
        int n = length - 16;
        byte[] s = scratch();
        ByteBuffer b = ByteBuffer.wrap(s);
        for (int done = partsDone; done < n; ) {
            int k = Math.min(s.length, n - done);
            b.clear().limit(k);
            if (fill(b, false) < k) {
                String name = RecordTypes.name(type);
                return new TruncatedImageException(name, recordOffset, "image ends inside record " + name + " after "
                        + (16 + done + b.position()) + " of " + length + " payload bytes");
            }
            pagesCrc.update(s, 0, k);
            done += k;
        }
        try {
            endPages((int) pagesCrc.getValue());
        } catch (ImageException e) {
            return e;
        }
        return problem;
    }

    private byte[] scratch() {
        if (scratch == null) {
            scratch = new byte[BUFFER];
        }
        return scratch;
    }

    // ---- the end --------------------------------------------------------------------------------

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
        if (fill(one, false) != 0) {
            throw new InvalidImageException(null, offset - 1, "bytes after the tail, starting at offset " + (offset - 1));
        }
        if (mapped != null) {
            // Read through mappings, the channel has not moved: leave it after the image, as a read would.
            mapped.position(mappedBase + offset);
        }
    }

    // ---- bytes ------------------------------------------------------------------------------------

    /**
     * Reads until {@code dst} is full or the image ends; returns bytes read.
     *
     * @param checksum whether to fold these bytes into the image CRC here (callers that
     *                 checksum a whole payload at once pass false)
     */
    private int fill(ByteBuffer dst, boolean checksum) throws IOException {
        int start = dst.position();
        while (dst.hasRemaining()) {
            if (in.hasRemaining()) {
                int n = Math.min(in.remaining(), dst.remaining());
                if (mapped != null) {
                    guardedPut(dst, n);
                } else {
                    dst.put(dst.position(), in, in.position(), n);
                    dst.position(dst.position() + n);
                }
                in.position(in.position() + n);
                offset += n;
                continue;
            }
            if (eof) {
                break;
            }
            if (mapped != null) {
                eof = !map(1);
                continue;
            }
            if (delegating && !decided) {
                decide();
            }
            if (shared != null || readsAhead && !delegating && (readAhead != null || offset >= READ_AHEAD_AFTER)) {
                ByteBuffer next;
                if (shared != null) {
                    next = shared.next(segment);
                } else {
                    if (closed) {
                        throw new IllegalStateException("the image reader is closed");
                    }
                    if (readAhead == null) {
                        readAhead = new ReadAhead(channel, stallTimeout);
                    }
                    next = readAhead.next();
                }
                if (next == null) {
                    eof = true;
                    in = ByteBuffer.allocate(0);
                } else {
                    in = next;
                }
                continue;
            }
            if (dst.remaining() >= BUFFER) {
                // Large reads go straight into their destination: no read-ahead copy.
                int n = io.read(channel, dst);
                if (n > 0) {
                    offset += n;
                }
                eof = n < 0;
                continue;
            }
            in.clear();
            if (afterSkip) {
                // Past page bytes the PageReads thread reads: most likely a header and the next
                // record's page bytes follow, which that thread should read, not this one.
                in.limit(AFTER_SKIP);
                afterSkip = false;
            }
            int n = io.read(channel, in);
            in.flip();
            eof = n < 0;
        }
        int got = dst.position() - start;
        if (checksum && got > 0) {
            if (dst.hasArray()) {
                imageCrc.update(dst.array(), dst.arrayOffset() + start, got);
            } else {
                imageCrc.update(dst.duplicate().position(start).limit(start + got));
            }
        }
        if (got > 0 && !headerPending && (sealHash != null || headHash != null)) {
            observe(dst.duplicate().position(start).limit(start + got));
        }
        return got;
    }

    /**
     * Maps the next window of the file, starting at the first unread byte and holding at
     * least {@code atLeast} bytes where the file has them. False at the end of the file.
     */
    private boolean map(int atLeast) throws IOException {
        long at = mappedBase + offset;
        long size = mapped.size();
        long len = Math.min(Math.max(0, size - at), Math.max(WINDOW, atLeast));
        if (len < Math.max(1, atLeast)) {
            return false;
        }
        try {
            in = mapped.map(FileChannel.MapMode.READ_ONLY, at, len);
        } catch (UnsupportedOperationException e) {
            throw new IOException("the image file cannot be mapped (mapImmutableFiles): " + e.getMessage(), e);
        } catch (IOException e) {
            if (mapped.size() < at + len) {
                // It shrank between size() and map(): another process truncated it under us.
                throw fileChanged(e);
            }
            throw e;
        }
        return true;
    }

    /** Copies {@code n} mapped bytes into {@code dst}; a fault (the file shrank) becomes an ImageException. */
    private void guardedPut(ByteBuffer dst, int n) throws ImageException {
        try {
            dst.put(dst.position(), in, in.position(), n);
            dst.position(dst.position() + n);
        } catch (InternalError e) {
            throw fileChanged(e);
        }
    }

    private void guardedGet(ByteBuffer src, int at, byte[] dst, int n) throws ImageException {
        try {
            src.get(at, dst, 0, n);
        } catch (InternalError e) {
            throw fileChanged(e);
        }
    }

    /** The exception for a fault on the mapped image file. */
    ImageException fileChanged(Throwable fault) {
        return new TruncatedImageException(RecordTypes.name(type), offset,
                "the image file was truncated or replaced while it was being read (a fault on its mapping: "
                        + fault.getMessage() + ")", fault);
    }
}
