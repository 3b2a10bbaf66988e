package org.ckpt.store;

import java.time.Instant;
import java.util.Objects;

/**
 * An image in a store, as {@link ImageStore#list} reports it.
 *
 * @param key          its key
 * @param size         the bytes stored under the key (for an image in a store's chunked mode: its
 *                     manifest, without the chunks it shares)
 * @param lastModified when it was committed, as the store records it
 * @since 0.2 (evolving)
 */
public record StoredImage(String key, long size, Instant lastModified) {
    public StoredImage {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(lastModified, "lastModified");
    }
}
