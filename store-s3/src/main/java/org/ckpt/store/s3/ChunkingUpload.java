package org.ckpt.store.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.zip.CRC32C;
import org.ckpt.store.ImageUpload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * A chunked image being written: the image byte stream is followed record by record; the page
 * contents of each PAGES record, and the carried pages of each PAGE_RUNS record, become chunks
 * (one page each), named by SHA-256, and everything else is kept verbatim. A chunk the bucket's
 * index or this image already holds is referenced;
 * a new one is appended to a pack (uploaded once full, in parallel, bounded like the parts of a
 * plain upload). The manifest (literal bytes and chunk references, docs/FORMAT.md §16) streams
 * into the key as a multipart upload. The commit waits for the packs, writes their index objects,
 * and only then completes the manifest: an image is never visible before every chunk it names.
 * An abort before that deletes the packs this upload wrote (nobody else can know them yet).
 */
final class ChunkingUpload implements ImageUpload {
    private static final Logger LOG = LoggerFactory.getLogger("org.ckpt.store.s3");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A chunk written by this upload: its pack (manifest number) and offset. */
    private record Mine(int pack, long offset) {
    }

    private record DigestKey(long a, long b, long c, long d) {
        static DigestKey of(byte[] x) {
            ByteBuffer b = ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN);
            return new DigestKey(b.getLong(), b.getLong(), b.getLong(), b.getLong());
        }
    }

    /** A pack this upload writes. */
    private static final class NewPack {
        final String key;
        final int number;
        final List<byte[]> digests = new ArrayList<>();
        final List<Integer> lengths = new ArrayList<>();
        Future<?> upload;

        NewPack(String key, int number) {
            this.key = key;
            this.number = number;
        }
    }

    private final S3ImageStore store;
    private final String key;
    private final ChunkIndex index;
    private final MultipartWriter manifest;
    private final MessageDigest sha;
    private final CRC32C crc = new CRC32C();
    private final Semaphore packPermits;
    private final ArrayDeque<byte[]> freePacks = new ArrayDeque<>();
    private final Map<DigestKey, Mine> mine = new HashMap<>();
    private final Map<String, Integer> packNumbers = new HashMap<>();
    private final List<NewPack> newPacks = new ArrayList<>();

    // the image stream: where we are in it
    private static final int MAGIC = 0;
    private static final int HEADER = 1;
    private static final int LITERAL_BYTES = 2;
    private static final int RUN_HEADER = 3;
    private static final int PAGE = 4;
    private static final int RUNS_PREFIX = 5;
    private static final int RUNS_TABLE = 6;
    private int state = MAGIC;
    private final byte[] head = new byte[16];
    /** {@link #head} read as little-endian fields (absolute gets only). */
    private final ByteBuffer fields = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    private int headFill;
    private long literalLeft;
    /** The current record's payload length (its header's u32). */
    private long recordLength;
    private int pageSize;
    private long pagesLeft;
    /** In a PAGE_RUNS record: table entries still to come, and the pages its carried runs hold. */
    private long runsLeft;
    private long runCount;
    private long carriedPages;
    private byte[] page = new byte[0];
    private int pageFill;

    // the manifest being produced
    private final ByteBuffer literal = ByteBuffer.allocate(Manifest.MAX_WRITTEN_LITERAL);
    private int runPack = -1;
    private long runOffset;
    private int runLength;
    private final List<byte[]> runDigests = new ArrayList<>();

    // the pack being filled
    private NewPack pack;
    private byte[] packBuf;
    private int packFill;

    private long written;
    private long chunksNew;
    private long chunksReused;
    private long bytesNew;
    private volatile Throwable failure;
    private boolean done;
    private boolean indexWritten;

    ChunkingUpload(S3ImageStore store, String key, ChunkIndex index) throws IOException {
        this.store = store;
        this.key = key;
        this.index = index;
        this.packPermits = new Semaphore(store.concurrency);
        try {
            this.sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        this.manifest = new MultipartWriter(store, key);
        byte[] h = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).put(Manifest.MAGIC)
                .putShort((short) Manifest.MAJOR).putShort((short) Manifest.MINOR).putInt(0).array();
        emit(ByteBuffer.wrap(h));
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public long bytesWritten() {
        return written;
    }

    /** Chunks this upload stored anew. */
    long chunksNew() {
        return chunksNew;
    }

    /** Chunks this upload referenced from earlier packs or from itself. */
    long chunksReused() {
        return chunksReused;
    }

    /** Bytes of new chunks. */
    long bytesNew() {
        return bytesNew;
    }

    @Override
    public boolean isOpen() {
        return !done;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (done) {
            throw new ClosedChannelException();
        }
        int n = src.remaining();
        try {
            checkFailure();
            while (src.hasRemaining()) {
                step(src);
            }
            written += n;
        } catch (IOException | RuntimeException | Error e) {
            abort();
            throw e;
        }
        return n;
    }

    /** Consumes some of {@code src} according to the state. */
    private void step(ByteBuffer src) throws IOException {
        switch (state) {
            case MAGIC, HEADER -> {
                boolean magic = state == MAGIC;
                if (!headFilled(src, magic ? 8 : 16)) {
                    return;
                }
                if (magic) {
                    state = HEADER;
                    return;
                }
                int type = fields.getInt(0);
                recordLength = fields.getInt(8) & 0xFFFF_FFFFL;
                if (type == Manifest.PAGES && fields.getInt(4) == 0 && recordLength >= 16 + 4096) {
                    state = RUN_HEADER;
                } else if (type == Manifest.PAGE_RUNS && fields.getInt(4) == 0 && recordLength >= 16 + 16 + 4096) {
                    state = RUNS_PREFIX;
                } else {
                    literalLeft = recordLength + recordPad();
                    state = LITERAL_BYTES;
                }
            }
            case RUN_HEADER -> {
                if (headFilled(src, 16)) {
                    long count = fields.getInt(8) & 0xFFFF_FFFFL;
                    pagesOrLiteral(recordLength - 16, count);
                }
            }
            case RUNS_PREFIX -> {
                if (headFilled(src, 16)) {
                    runCount = fields.getInt(8) & 0xFFFF_FFFFL;
                    runsLeft = runCount;
                    carriedPages = 0;
                    long body = recordLength - 16;
                    if (runCount == 0 || 16 * runCount > body - 4096) {
                        pagesOrLiteral(body, 0);  // no room for a page after the table: the rest as it is
                    } else {
                        state = RUNS_TABLE;
                    }
                }
            }
            case RUNS_TABLE -> {
                if (headFilled(src, 16)) {
                    if (fields.getInt(12) == 0) {  // source 0: the run's pages follow the table
                        carriedPages += fields.getInt(8) & 0xFFFF_FFFFL;
                    }
                    if (--runsLeft == 0) {
                        pagesOrLiteral(recordLength - 16 - 16 * runCount, carriedPages);
                    }
                }
            }
            case LITERAL_BYTES -> {
                int k = (int) Math.min(literalLeft, src.remaining());
                literal(src, k);
                literalLeft -= k;
                if (literalLeft == 0) {
                    state = HEADER;
                }
            }
            case PAGE -> {
                if (pagesLeft == 0) {
                    state = literalLeft > 0 ? LITERAL_BYTES : HEADER;
                    return;
                }
                if (pageFill == 0 && src.remaining() >= pageSize && src.hasArray()) {
                    chunk(src.array(), src.arrayOffset() + src.position());
                    src.position(src.position() + pageSize);
                } else {
                    int k = Math.min(pageSize - pageFill, src.remaining());
                    src.get(page, pageFill, k);
                    pageFill += k;
                    if (pageFill == pageSize) {
                        chunk(page, 0);
                        pageFill = 0;
                    }
                }
                if (pageFill == 0 && --pagesLeft == 0) {
                    state = literalLeft > 0 ? LITERAL_BYTES : HEADER;
                }
            }
            default -> throw new IllegalStateException("state " + state);
        }
    }

    /** The padding after the current record's payload. */
    private long recordPad() {
        return (8 - (recordLength & 7)) & 7;
    }

    /**
     * Reads into {@code head} until it holds {@code want} bytes; then they go to the manifest as
     * literal bytes and this returns true (with {@code head} still holding them).
     */
    private boolean headFilled(ByteBuffer src, int want) throws IOException {
        int k = Math.min(want - headFill, src.remaining());
        src.get(head, headFill, k);
        headFill += k;
        if (headFill < want) {
            return false;
        }
        literal(head, 0, want);
        headFill = 0;
        return true;
    }

    /**
     * The {@code rest} bytes of the record's payload still to come: {@code count} pages that become
     * chunks when they divide it into a chunkable page size, else literal bytes (docs/FORMAT.md §16.6).
     */
    private void pagesOrLiteral(long rest, long count) {
        long size = count > 0 && rest % count == 0 ? rest / count : 0;
        if (size >= 4096 && size <= Manifest.MAX_CHUNK && Long.bitCount(size) == 1) {
            pageSize = (int) size;
            pagesLeft = count;
            if (page.length != pageSize) {
                page = new byte[pageSize];
            }
            pageFill = 0;
            literalLeft = recordPad();
            state = PAGE;
        } else {
            literalLeft = rest + recordPad();
            state = LITERAL_BYTES;
        }
    }

    /** One page of {@code b} at {@code off}: referenced if known, else stored in the current pack. */
    private void chunk(byte[] b, int off) throws IOException {
        sha.update(b, off, pageSize);
        byte[] digest = sha.digest();
        DigestKey dk = DigestKey.of(digest);
        Mine m = mine.get(dk);
        if (m != null) {
            chunksReused++;
            reference(m.pack, m.offset, digest);
            return;
        }
        ChunkIndex.Location loc = index.find(digest);
        if (loc != null && loc.length() == pageSize) {
            chunksReused++;
            reference(packNumber(loc.packKey()), loc.offset(), digest);
            return;
        }
        if (pack == null || packFill + pageSize > store.packSize) {
            sealPack();
            startPack();
        }
        System.arraycopy(b, off, packBuf, packFill, pageSize);
        long at = packFill;
        packFill += pageSize;
        pack.digests.add(digest);
        pack.lengths.add(pageSize);
        mine.put(dk, new Mine(pack.number, at));
        chunksNew++;
        bytesNew += pageSize;
        reference(pack.number, at, digest);
    }

    /** The manifest's number of a pack, defining it (a PACK entry) on first use. */
    private int packNumber(String packKey) throws IOException {
        Integer n = packNumbers.get(packKey);
        if (n == null) {
            n = packNumbers.size();
            if (n >= Manifest.MAX_PACKS) {
                throw new IOException("an image may reference at most " + Manifest.MAX_PACKS + " packs");
            }
            packNumbers.put(packKey, n);
            flushRun();
            flushLiteral();
            byte[] name = packKey.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            emit(ByteBuffer.allocate(1 + 4 + 2 + name.length).order(ByteOrder.LITTLE_ENDIAN)
                    .put((byte) Manifest.PACK).putInt(n).putShort((short) name.length).put(name).flip());
        }
        return n;
    }

    private void startPack() throws IOException {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        String packKey = store.packKey(Manifest.hex(id, 0, 16));
        int n = packNumber(packKey);
        pack = new NewPack(packKey, n);
        newPacks.add(pack);
        try {
            packPermits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClosedByInterruptException();
        }
        synchronized (freePacks) {
            packBuf = freePacks.poll();
        }
        if (packBuf == null) {
            packBuf = new byte[store.packSize];
        }
        packFill = 0;
    }

    private void sealPack() {
        if (pack == null) {
            return;
        }
        NewPack p = pack;
        byte[] buf = packBuf;
        int len = packFill;
        pack = null;
        packBuf = null;
        p.upload = store.pool.submit(() -> {
            try {
                if (done && failure != null) {
                    return null;
                }
                store.client.putObject(r -> r.bucket(store.bucket).key(p.key).contentLength((long) len),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buf, 0, len), len,
                                "application/octet-stream"));
                return null;
            } catch (RuntimeException e) {
                IOException x = store.failure(p.key, "pack of " + p.digests.size() + " chunks, " + len + " bytes", e);
                failure = x;
                throw x;
            } finally {
                synchronized (freePacks) {
                    freePacks.push(buf);
                }
                packPermits.release();
            }
        });
    }

    private void reference(int packNo, long offset, byte[] digest) throws IOException {
        if (runPack == packNo && runLength == pageSize && runOffset + (long) runDigests.size() * runLength == offset
                && runDigests.size() < Manifest.MAX_RUN) {
            runDigests.add(digest);
            return;
        }
        flushRun();
        flushLiteral();
        runPack = packNo;
        runOffset = offset;
        runLength = pageSize;
        runDigests.add(digest);
    }

    private void flushRun() throws IOException {
        if (runDigests.isEmpty()) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 + 4 + 4 + runDigests.size() * Manifest.DIGEST)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) Manifest.CHUNKS).putInt(runPack).putLong(runOffset).putInt(runLength).putInt(runDigests.size());
        for (byte[] d : runDigests) {
            b.put(d);
        }
        runDigests.clear();
        runPack = -1;
        emit(b.flip());
    }

    private void literal(byte[] b, int off, int len) throws IOException {
        literal(ByteBuffer.wrap(b, off, len), len);
    }

    private void literal(ByteBuffer src, int len) throws IOException {
        if (len > 0) {
            flushRun();
        }
        while (len > 0) {
            int k = Math.min(len, literal.remaining());
            ByteBuffer part = src.slice();
            part.limit(k);
            literal.put(part);
            src.position(src.position() + k);
            len -= k;
            if (!literal.hasRemaining()) {
                flushLiteral();
            }
        }
    }

    private void flushLiteral() throws IOException {
        if (literal.position() == 0) {
            return;
        }
        literal.flip();
        ByteBuffer h = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN).put((byte) Manifest.LITERAL)
                .putInt(literal.remaining()).flip();
        emit(h);
        emit(literal);
        literal.clear();
    }

    /** Appends manifest bytes, keeping the manifest's CRC32C. */
    private void emit(ByteBuffer b) throws IOException {
        crc.update(b.duplicate());
        while (b.hasRemaining()) {
            manifest.write(b);
        }
    }

    private void checkFailure() throws IOException {
        Throwable f = failure;
        if (f instanceof IOException io) {
            throw io;
        }
        if (f != null) {
            throw new IOException(f);
        }
    }

    @Override
    public void commit() throws IOException {
        if (done) {
            throw new ClosedChannelException();
        }
        boolean ok = false;
        try {
            checkFailure();
            if (state == PAGE && pageFill > 0) {
                literal(page, 0, pageFill);  // the stream ended inside a page: keep the bytes as they are
                pageFill = 0;
            }
            if (headFill > 0) {
                literal(head, 0, headFill);
                headFill = 0;
            }
            flushRun();
            flushLiteral();
            sealPack();
            for (NewPack p : newPacks) {
                S3ImageStore.await(p.upload, "uploading " + store.objectUri(p.key));
            }
            List<Future<?>> indexes = new ArrayList<>();
            indexWritten = true;
            for (NewPack p : newPacks) {
                byte[] body = ChunkIndex.writeIndex(p.digests, lengths(p));
                String ik = store.indexKey(p.key.substring(store.packKey("").length()));
                indexes.add(store.pool.submit(() -> {
                    try {
                        store.client.putObject(r -> r.bucket(store.bucket).key(ik), RequestBody.fromBytes(body));
                    } catch (SdkException e) {
                        throw store.failure(ik, "pack index", e);
                    }
                    return null;
                }));
            }
            for (Future<?> f : indexes) {
                S3ImageStore.await(f, "writing the pack indexes of " + store.objectUri(key));
            }
            long crcValue = crc.getValue();
            ByteBuffer end = ByteBuffer.allocate(1 + 8 + 4 + 4).order(ByteOrder.LITTLE_ENDIAN)
                    .put((byte) Manifest.END).putLong(written).putInt((int) crcValue).putInt(0).flip();
            while (end.hasRemaining()) {
                manifest.write(end);
            }
            manifest.commit();
            done = true;
            ok = true;
            for (NewPack p : newPacks) {
                index.add(p.key, p.digests, lengths(p));
            }
            LOG.debug("committed chunked {}: {} bytes, {} chunks new ({} bytes in {} packs), {} reused",
                    store.objectUri(key), written, chunksNew, bytesNew, newPacks.size(), chunksReused);
        } finally {
            if (!ok) {
                abort();
            }
        }
    }

    private static int[] lengths(NewPack p) {
        int[] l = new int[p.lengths.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = p.lengths.get(i);
        }
        return l;
    }

    @Override
    public void abort() {
        if (done) {
            return;
        }
        done = true;
        if (failure == null) {
            failure = new ClosedChannelException();
        }
        manifest.abort();
        boolean interrupted = Thread.interrupted();
        for (NewPack p : newPacks) {
            if (p.upload == null) {
                continue;
            }
            while (true) {
                try {
                    p.upload.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (Exception e) {
                    break;
                }
            }
        }
        if (!indexWritten) {
            // Nobody can know these packs yet: their index objects are written only at the commit.
            for (NewPack p : newPacks) {
                try {
                    store.deleteObject(p.key);
                } catch (IOException e) {
                    LOG.warn("could not delete the pack {} of an aborted upload (garbage collection will): {}",
                            store.objectUri(p.key), e.getMessage());
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        abort();
    }
}
