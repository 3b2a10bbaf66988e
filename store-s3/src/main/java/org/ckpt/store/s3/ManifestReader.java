package org.ckpt.store.s3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.spi.UnsupportedImageException;

/**
 * A chunked image read back: the manifest is read front to back, its literal bytes are passed on
 * and its chunk references become ranged GETs of the packs, up to {@code concurrency × partSize}
 * bytes ahead of the reader, each chunk checked against its SHA-256 as it arrives. The reader gets
 * exactly the image bytes that were written, or an exception: a chunk whose digest differs is a
 * {@link ChecksumException}, a manifest cut short a {@link TruncatedImageException}, a malformed one
 * an {@link InvalidImageException}; the manifest's own CRC32C and the image length are checked
 * before the end of the channel is reported.
 */
final class ManifestReader implements ReadableByteChannel {
    private static final String RECORD = "MANIFEST";

    /** Image bytes ready or on their way, in order: literal bytes, or a slice of a fetched pack range. */
    private record Segment(long imageOffset, int length, byte[] literal, Future<byte[]> fetch, int offset) {
    }

    /** Chunks of one CHUNKS entry (at most a part's worth), parsed but not yet fetched. */
    private record Piece(String packKey, long from, int length, int chunkLength, byte[] digests, long imageOffset) {
        long to() {
            return from + length;
        }
    }

    /** Reads of one pack closer than this are merged into one ranged GET (the gap is read and dropped). */
    private static final int MERGE_GAP = 256 << 10;

    private final S3ImageStore store;
    private final String key;
    private final RangedReader in;
    private final CRC32C crc = new CRC32C();
    private final List<String> packs = new ArrayList<>();
    private final ArrayDeque<Segment> queue = new ArrayDeque<>();
    private final long aheadLimit;
    private long queuedBytes;
    private long manifestOffset;
    private long imageOffset;   // image bytes queued so far
    private boolean ended;
    private boolean closed;
    private Segment current;
    private ByteBuffer currentBytes;

    ManifestReader(S3ImageStore store, String key, RangedReader in) throws IOException {
        this.store = store;
        this.key = key;
        this.in = in;
        this.aheadLimit = (long) store.concurrency * store.partSize;
        byte[] h = bytes(16);
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        int major = b.getShort(8) & 0xFFFF;
        if (major != Manifest.MAJOR) {
            throw new UnsupportedImageException(RECORD, 8, "manifest of " + store.objectUri(key) + " has major version "
                    + major + "; this reader knows " + Manifest.MAJOR);
        }
        if (b.getInt(12) != 0) {
            throw new InvalidImageException(RECORD, 12, "manifest flags 0x" + Integer.toHexString(b.getInt(12))
                    + " unknown");
        }
    }

    /** Exactly {@code n} manifest bytes (CRC kept); the manifest ending first is Truncated. */
    private byte[] bytes(int n) throws IOException {
        byte[] b = new byte[n];
        ByteBuffer bb = ByteBuffer.wrap(b);
        while (bb.hasRemaining()) {
            if (in.read(bb) < 0) {
                throw new TruncatedImageException(RECORD, manifestOffset + bb.position(), "the manifest of "
                        + store.objectUri(key) + " ends without its END entry");
            }
        }
        crc.update(b);
        manifestOffset += n;
        return b;
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Reads manifest entries until enough is queued or the END, once less than half the read-ahead
     * is queued; the chunks of one batch are fetched with as few ranged GETs as their places allow.
     */
    private void parse() throws IOException {
        if (ended || queuedBytes >= aheadLimit / 2) {
            return;
        }
        List<Object> batch = new ArrayList<>();
        parseInto(batch);
        plan(batch);
    }

    private void parseInto(List<Object> batch) throws IOException {
        while (!ended && queuedBytes < aheadLimit) {
            long at = manifestOffset;
            long crcBefore = crc.getValue();
            int tag = bytes(1)[0] & 0xFF;
            switch (tag) {
                case Manifest.LITERAL -> {
                    long n = le(bytes(4)).getInt() & 0xFFFF_FFFFL;
                    if (n == 0 || n > Manifest.MAX_LITERAL) {
                        throw new InvalidImageException(RECORD, at, "LITERAL of " + n + " bytes (1 to "
                                + Manifest.MAX_LITERAL + ")");
                    }
                    batch.add(new Segment(imageOffset, (int) n, bytes((int) n), null, 0));
                    queuedBytes += n;
                    imageOffset += n;
                }
                case Manifest.PACK -> {
                    ByteBuffer b = le(bytes(6));
                    long no = b.getInt() & 0xFFFF_FFFFL;
                    int len = b.getShort() & 0xFFFF;
                    if (no != packs.size() || no >= Manifest.MAX_PACKS) {
                        throw new InvalidImageException(RECORD, at, "PACK number " + no + " where " + packs.size()
                                + " comes next");
                    }
                    String name = new String(bytes(len), StandardCharsets.UTF_8);
                    if (!name.startsWith(store.chunkPrefix) && !name.contains("/packs/")) {
                        throw new InvalidImageException(RECORD, at, "PACK key '" + name + "' is not a pack");
                    }
                    packs.add(name);
                }
                case Manifest.CHUNKS -> chunks(at, batch);
                case Manifest.END -> {
                    long expected = crcBefore;
                    ByteBuffer b = le(bytes(16));
                    long length = b.getLong();
                    int stored = b.getInt();
                    int reserved = b.getInt();
                    if ((int) expected != stored) {
                        throw new ChecksumException(RECORD, at, String.format("manifest of %s: CRC32C 0x%08x, END says 0x%08x",
                                store.objectUri(key), (int) expected, stored));
                    }
                    if (reserved != 0 || length != imageOffset) {
                        throw new InvalidImageException(RECORD, at, "END says the image has " + length
                                + " bytes, the manifest describes " + imageOffset);
                    }
                    if (in.read(ByteBuffer.allocate(1)) >= 0) {
                        throw new InvalidImageException(RECORD, manifestOffset, "bytes after the manifest's END");
                    }
                    ended = true;
                }
                default -> throw new InvalidImageException(RECORD, at, "unknown manifest entry 0x"
                        + Integer.toHexString(tag));
            }
        }
    }

    private void chunks(long at, List<Object> batch) throws IOException {
        ByteBuffer b = le(bytes(20));
        long pack = b.getInt() & 0xFFFF_FFFFL;
        long offset = b.getLong();
        long length = b.getInt() & 0xFFFF_FFFFL;
        long count = b.getInt() & 0xFFFF_FFFFL;
        if (pack >= packs.size()) {
            throw new InvalidImageException(RECORD, at, "CHUNKS of pack " + pack + ", which no PACK defined");
        }
        if (length == 0 || length > Manifest.MAX_CHUNK || count == 0 || count > Manifest.MAX_RUN || offset < 0) {
            throw new InvalidImageException(RECORD, at, "CHUNKS of " + count + " chunks of " + length
                    + " bytes at " + offset + " (1 to " + Manifest.MAX_RUN + " chunks of 1 to " + Manifest.MAX_CHUNK + ")");
        }
        byte[] digests = bytes((int) count * Manifest.DIGEST);
        String packKey = packs.get((int) pack);
        int perPiece = (int) Math.max(1, store.partSize / length);
        for (int first = 0; first < count; first += perPiece) {
            int n = (int) Math.min(perPiece, count - first);
            int bytes = (int) (n * length);
            batch.add(new Piece(packKey, offset + first * length, bytes, (int) length,
                    Arrays.copyOfRange(digests, first * Manifest.DIGEST, (first + n) * Manifest.DIGEST), imageOffset));
            queuedBytes += bytes;
            imageOffset += bytes;
        }
    }

    /** Turns a batch into segments: the pieces of each pack sorted and merged into ranged GETs. */
    private void plan(List<Object> batch) {
        Map<String, List<Piece>> byPack = new HashMap<>();
        for (Object o : batch) {
            if (o instanceof Piece p) {
                byPack.computeIfAbsent(p.packKey, k -> new ArrayList<>()).add(p);
            }
        }
        Map<Piece, Segment> segments = new IdentityHashMap<>();
        for (List<Piece> pieces : byPack.values()) {
            pieces.sort(Comparator.comparingLong(Piece::from));
            int i = 0;
            while (i < pieces.size()) {
                long start = pieces.get(i).from;
                long end = pieces.get(i).to();
                int j = i + 1;
                while (j < pieces.size() && pieces.get(j).from - end <= MERGE_GAP
                        && Math.max(end, pieces.get(j).to()) - start <= store.partSize) {
                    end = Math.max(end, pieces.get(j).to());
                    j++;
                }
                List<Piece> group = List.copyOf(pieces.subList(i, j));
                long from = start;
                int len = (int) (end - start);
                String packKey = group.get(0).packKey;
                Future<byte[]> f = store.pool.submit(() -> {
                    byte[] got = RangedReader.fetch(store, packKey, from, len, null, new byte[len]);
                    for (Piece p : group) {
                        verify(got, (int) (p.from - from), p);
                    }
                    return got;
                });
                for (Piece p : group) {
                    segments.put(p, new Segment(p.imageOffset, p.length, null, f, (int) (p.from - from)));
                }
                i = j;
            }
        }
        for (Object o : batch) {
            queue.add(o instanceof Piece p ? segments.get(p) : (Segment) o);
        }
    }

    private void verify(byte[] got, int at, Piece p) throws ChecksumException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] d = new byte[Manifest.DIGEST];
        int length = p.chunkLength;
        for (int i = 0; i < p.digests.length / Manifest.DIGEST; i++) {
            sha.update(got, at + i * length, length);
            try {
                sha.digest(d, 0, d.length);
            } catch (java.security.DigestException e) {
                throw new IllegalStateException(e);
            }
            if (!Arrays.equals(d, 0, Manifest.DIGEST, p.digests, i * Manifest.DIGEST, (i + 1) * Manifest.DIGEST)) {
                throw new ChecksumException("chunk", p.imageOffset + (long) i * length, "the chunk at offset "
                        + (p.from + (long) i * length) + " of " + store.objectUri(p.packKey) + " has SHA-256 "
                        + Manifest.hex(d, 0, Manifest.DIGEST) + ", the manifest of " + store.objectUri(key)
                        + " names " + Manifest.hex(p.digests, i * Manifest.DIGEST, Manifest.DIGEST));
            }
        }
    }


    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        try {
            while (currentBytes == null || !currentBytes.hasRemaining()) {
                if (current != null) {
                    queuedBytes -= current.length;
                    current = null;
                    currentBytes = null;
                }
                parse();
                Segment s = queue.poll();
                if (s == null) {
                    return -1;
                }
                current = s;
                byte[] b = s.literal != null ? s.literal : S3ImageStore.await(s.fetch, "reading " + store.objectUri(key));
                currentBytes = ByteBuffer.wrap(b, s.offset, s.length);
                parse();
            }
            int n = Math.min(dst.remaining(), currentBytes.remaining());
            ByteBuffer part = currentBytes.slice();
            part.limit(n);
            dst.put(part);
            currentBytes.position(currentBytes.position() + n);
            return n;
        } catch (ImageException e) {
            close();
            throw e;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The pack keys a manifest references (for the garbage collector's mark), reading it whole. */
    static Set<String> packsOf(S3ImageStore store, String key, RangedReader in) throws IOException {
        ManifestReader r = new ManifestReader(store, key, in);
        Set<String> out = new LinkedHashSet<>();
        try {
            while (!r.ended) {
                long at = r.manifestOffset;
                long crcBefore = r.crc.getValue();
                int tag = r.bytes(1)[0] & 0xFF;
                switch (tag) {
                    case Manifest.LITERAL -> r.skip(le(r.bytes(4)).getInt() & 0xFFFF_FFFFL);
                    case Manifest.PACK -> {
                        ByteBuffer b = le(r.bytes(6));
                        b.getInt();
                        String name = new String(r.bytes(b.getShort() & 0xFFFF), StandardCharsets.UTF_8);
                        r.packs.add(name);
                        out.add(name);
                    }
                    case Manifest.CHUNKS -> {
                        ByteBuffer b = le(r.bytes(20));
                        b.position(16);
                        r.skip((b.getInt() & 0xFFFF_FFFFL) * Manifest.DIGEST);
                    }
                    case Manifest.END -> {
                        long expected = crcBefore;
                        ByteBuffer b = le(r.bytes(16));
                        b.getLong();
                        if (b.getInt() != (int) expected) {
                            throw new ChecksumException(RECORD, at, "manifest of " + store.objectUri(key)
                                    + ": CRC32C mismatch");
                        }
                        r.ended = true;
                    }
                    default -> throw new InvalidImageException(RECORD, at, "unknown manifest entry 0x"
                            + Integer.toHexString(tag));
                }
            }
        } finally {
            r.close();
        }
        return out;
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            int k = (int) Math.min(n, 1 << 16);
            bytes(k);
            n -= k;
        }
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Segment s : queue) {
            if (s.fetch != null) {
                s.fetch.cancel(true);
            }
        }
        queue.clear();
        in.close();
    }
}
