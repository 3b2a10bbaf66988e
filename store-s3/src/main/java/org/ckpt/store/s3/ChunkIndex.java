package org.ckpt.store.s3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Where each chunk of the bucket's indexed packs lives: SHA-256 digest → pack, offset, length.
 * Compact: an open-addressing table keyed by the first 128 bits of the digest, 32 bytes a slot
 * (a 2^-128 chance per pair of chunks that two digests share the key; the manifest keeps the full
 * digest and a restart checks it, so a collision could never restore wrong bytes). Loaded from the
 * index objects under {@code CHUNK_PREFIX/index/} and refreshed before each chunked upload: new
 * packs are added, packs whose index object is gone (taken out by the garbage collector) are no
 * longer found.
 */
final class ChunkIndex {
    /** A chunk's place. */
    record Location(String packKey, long offset, int length) {
    }

    private long[] keys = new long[2 * 1024];
    private long[] vals = new long[2 * 1024];  // pack number << 32 | length, offset
    private int size;
    private final List<String> packs = new ArrayList<>();
    private final Map<String, Integer> packNumbers = new HashMap<>();
    private final Set<Integer> dead = new HashSet<>();
    private final Map<String, String> loaded = new HashMap<>();  // index key → its ETag

    synchronized Location find(byte[] digest) {
        long k0 = key0(digest);
        long k1 = key1(digest);
        int mask = keys.length / 2 - 1;
        for (int i = (int) mix(k0) & mask; ; i = (i + 1) & mask) {
            long v = vals[2 * i];
            if (v == 0) {
                return null;
            }
            if (keys[2 * i] == k0 && keys[2 * i + 1] == k1) {
                int pack = (int) (v >>> 32) - 1;
                if (dead.contains(pack)) {
                    return null;
                }
                return new Location(packs.get(pack), vals[2 * i + 1], (int) v);
            }
        }
    }

    synchronized int size() {
        return size;
    }

    /** Adds the chunks of one pack, in pack order: digests and lengths. */
    synchronized void add(String packKey, List<byte[]> digests, int[] lengths) {
        Integer n = packNumbers.get(packKey);
        if (n == null) {
            n = packs.size();
            packs.add(packKey);
            packNumbers.put(packKey, n);
        }
        dead.remove(n);
        long offset = 0;
        for (int c = 0; c < digests.size(); c++) {
            put(digests.get(c), n, offset, lengths[c]);
            offset += lengths[c];
        }
    }

    private void put(byte[] digest, int pack, long offset, int length) {
        if ((size + 1) * 4L > keys.length / 2 * 3L) {  // load factor 3/4
            grow();
        }
        long k0 = key0(digest);
        long k1 = key1(digest);
        int mask = keys.length / 2 - 1;
        long v = ((long) (pack + 1) << 32) | (length & 0xFFFF_FFFFL);
        for (int i = (int) mix(k0) & mask; ; i = (i + 1) & mask) {
            if (vals[2 * i] == 0) {
                keys[2 * i] = k0;
                keys[2 * i + 1] = k1;
                vals[2 * i] = v;
                vals[2 * i + 1] = offset;
                size++;
                return;
            }
            if (keys[2 * i] == k0 && keys[2 * i + 1] == k1) {
                if (dead.contains((int) (vals[2 * i] >>> 32) - 1)) {
                    vals[2 * i] = v;
                    vals[2 * i + 1] = offset;
                }
                return;
            }
        }
    }

    private void grow() {
        long[] ok = keys;
        long[] ov = vals;
        keys = new long[ok.length * 2];
        vals = new long[ov.length * 2];
        int mask = keys.length / 2 - 1;
        for (int j = 0; j < ok.length / 2; j++) {
            if (ov[2 * j] == 0) {
                continue;
            }
            for (int i = (int) mix(ok[2 * j]) & mask; ; i = (i + 1) & mask) {
                if (vals[2 * i] == 0) {
                    keys[2 * i] = ok[2 * j];
                    keys[2 * i + 1] = ok[2 * j + 1];
                    vals[2 * i] = ov[2 * j];
                    vals[2 * i + 1] = ov[2 * j + 1];
                    break;
                }
            }
        }
    }

    private static long key0(byte[] d) {
        return ByteBuffer.wrap(d, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static long key1(byte[] d) {
        return ByteBuffer.wrap(d, 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static long mix(long k) {
        return k ^ (k >>> 29) ^ (k >>> 47);
    }

    /** Loads index objects not seen yet, forgets packs whose index object is gone. */
    synchronized void refresh(S3ImageStore store) throws IOException {
        String prefix = store.chunkPrefix + "index/";
        List<S3Object> objects = store.listObjects(prefix);
        Set<String> present = new HashSet<>();
        List<S3Object> load = new ArrayList<>();
        for (S3Object o : objects) {
            present.add(o.key());
            if (!o.eTag().equals(loaded.get(o.key()))) {
                load.add(o);
            }
        }
        for (Map.Entry<String, String> e : new ArrayList<>(loaded.entrySet())) {
            if (!present.contains(e.getKey())) {
                loaded.remove(e.getKey());
                Integer n = packNumbers.get(store.packKey(e.getKey().substring(prefix.length())));
                if (n != null) {
                    dead.add(n);
                }
            }
        }
        List<Future<byte[]>> bodies = new ArrayList<>();
        for (S3Object o : load) {
            int len = (int) Math.min(Integer.MAX_VALUE - 8, o.size());
            bodies.add(store.pool.submit(() -> RangedReader.fetch(store, o.key(), 0, len, o.eTag(), new byte[len])));
        }
        for (int i = 0; i < load.size(); i++) {
            S3Object o = load.get(i);
            byte[] body = S3ImageStore.await(bodies.get(i), "loading the chunk index");
            String pack = o.key().substring(prefix.length());
            List<byte[]> digests = new ArrayList<>();
            int[] lengths = parseIndex(body, digests);
            if (lengths == null) {
                org.slf4j.LoggerFactory.getLogger("org.ckpt.store.s3").warn(
                        "ignoring the malformed chunk index {} (its chunks are not reused)", store.objectUri(o.key()));
                continue;
            }
            add(store.packKey(pack), digests, lengths);
            loaded.put(o.key(), o.eTag());
        }
    }

    /** An index object: magic, u32 count, u32 reserved, count × (digest, u32 length), u32 CRC32C of what precedes. */
    static byte[] writeIndex(List<byte[]> digests, int[] lengths) {
        int n = digests.size();
        ByteBuffer b = ByteBuffer.allocate(8 + 8 + n * (Manifest.DIGEST + 4) + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(Manifest.INDEX_MAGIC).putInt(n).putInt(0);
        for (int i = 0; i < n; i++) {
            b.put(digests.get(i)).putInt(lengths[i]);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** The lengths (and into {@code digests} the digests) of an index object, or null if it is malformed. */
    static int[] parseIndex(byte[] body, List<byte[]> digests) {
        if (body.length < 20 || !Arrays.equals(body, 0, 8, Manifest.INDEX_MAGIC, 0, 8)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        b.position(8);
        long n = b.getInt() & 0xFFFF_FFFFL;
        if (b.getInt() != 0 || body.length != 20 + n * (Manifest.DIGEST + 4)) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(body, 0, body.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(body, body.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()) {
            return null;
        }
        int[] lengths = new int[(int) n];
        for (int i = 0; i < n; i++) {
            byte[] d = new byte[Manifest.DIGEST];
            b.get(d);
            digests.add(d);
            lengths[i] = b.getInt();
            if (lengths[i] <= 0 || lengths[i] > Manifest.MAX_CHUNK) {
                return null;
            }
        }
        return lengths;
    }
}
