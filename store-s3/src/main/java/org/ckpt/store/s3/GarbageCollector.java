package org.ckpt.store.s3;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.ckpt.spi.ImageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * One pass of the chunk garbage collector (docs/FORMAT.md §16.7): mark the packs the manifests
 * under the live prefix reference; an unreferenced pack older than the grace period leaves the
 * index (its index object moves to {@code gone/}, so no new checkpoint reuses it), one that has
 * been out of the index for the grace period and is still unreferenced is deleted, one out of the
 * index that is referenced again comes back into it.
 */
final class GarbageCollector {
    private static final Logger LOG = LoggerFactory.getLogger("org.ckpt.store.s3");

    private final S3ImageStore store;

    GarbageCollector(S3ImageStore store) {
        this.store = store;
    }

    GcReport run(String livePrefix, Duration grace) throws IOException {
        Instant cutoff = Instant.now().minus(grace);
        Set<String> marked = new HashSet<>();
        int manifests = 0;
        for (S3Object o : store.listObjects(livePrefix)) {
            if (o.key().startsWith(store.chunkPrefix) || o.size() < Manifest.MAGIC.length) {
                continue;
            }
            HeadObjectResponse head = store.head(o.key());
            if (head == null) {
                continue;  // deleted since the listing
            }
            RangedReader in = new RangedReader(store, o.key(), head.contentLength(), head.eTag());
            try {
                if (!Manifest.startsWithMagic(in.peek(Manifest.MAGIC.length))) {
                    continue;
                }
                marked.addAll(ManifestReader.packsOf(store, o.key(), in));
                manifests++;
            } catch (ImageException e) {
                // A damaged manifest cannot be marked from: keep everything rather than guess.
                throw new IOException("garbage collection stopped: cannot read the manifest "
                        + store.objectUri(o.key()) + ": " + e.getMessage(), e);
            } finally {
                in.close();
            }
        }
        Map<String, S3Object> index = byName(store.chunkPrefix + "index/");
        Map<String, S3Object> gone = byName(store.chunkPrefix + "gone/");
        Map<String, S3Object> packs = byName(store.chunkPrefix + "packs/");
        int live = 0;
        int unindexed = 0;
        int reindexed = 0;
        int deleted = 0;
        int kept = 0;
        long freed = 0;
        for (Map.Entry<String, S3Object> e : packs.entrySet()) {
            String name = e.getKey();
            S3Object pack = e.getValue();
            if (marked.contains(pack.key())) {
                live++;
                kept++;
                if (gone.containsKey(name) && !index.containsKey(name)) {
                    copy(store.goneKey(name), store.indexKey(name));
                    store.deleteObject(store.goneKey(name));
                    reindexed++;
                }
            } else if (pack.lastModified().isAfter(cutoff)) {
                kept++;
            } else if (index.containsKey(name)) {
                copy(store.indexKey(name), store.goneKey(name));
                store.deleteObject(store.indexKey(name));
                unindexed++;
                kept++;
            } else if (gone.containsKey(name)) {
                if (gone.get(name).lastModified().isAfter(cutoff)) {
                    kept++;
                } else {
                    store.deleteObject(pack.key());
                    store.deleteObject(store.goneKey(name));
                    deleted++;
                    freed += pack.size();
                }
            } else {
                store.deleteObject(pack.key());  // never indexed: an upload that did not commit
                deleted++;
                freed += pack.size();
            }
        }
        for (String name : gone.keySet()) {
            if (!packs.containsKey(name)) {
                store.deleteObject(store.goneKey(name));
            }
        }
        for (String name : index.keySet()) {
            if (!packs.containsKey(name)) {
                LOG.warn("the index object of the missing pack {} is removed", store.packKey(name));
                store.deleteObject(store.indexKey(name));
            }
        }
        GcReport r = new GcReport(manifests, live, unindexed, reindexed, deleted, freed, kept);
        LOG.debug("garbage collection of {}: {}", store.uri(), r);
        return r;
    }

    private Map<String, S3Object> byName(String prefix) throws IOException {
        Map<String, S3Object> out = new HashMap<>();
        for (S3Object o : store.listObjects(prefix)) {
            out.put(o.key().substring(prefix.length()), o);
        }
        return out;
    }

    private void copy(String from, String to) throws IOException {
        try {
            store.client.copyObject(r -> r.sourceBucket(store.bucket).sourceKey(from)
                    .destinationBucket(store.bucket).destinationKey(to));
        } catch (SdkException e) {
            throw store.failure(from, "copy to " + to, e);
        }
    }
}
