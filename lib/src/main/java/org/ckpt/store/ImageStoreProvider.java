package org.ckpt.store;

import java.io.IOException;
import java.net.URI;
import java.util.Map;

/**
 * Opens the stores of one URI scheme. Found by {@link ImageStores} through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/org.ckpt.store.ImageStoreProvider},
 * or {@code provides} in a module) or registered by instance
 * ({@link ImageStores.Builder#register}). The library's own {@code file} provider is always present.
 *
 * @since 0.2 (evolving)
 */
public interface ImageStoreProvider {
    /**
     * The URI scheme this provider opens, lower case, e.g. {@code "s3"}. Two providers of one
     * scheme are an error when an {@link ImageStores} first looks for it (a registered instance
     * replaces a discovered one).
     */
    String scheme();

    /**
     * Opens the store that holds the image (or key prefix) {@code uri} names. Called by
     * {@link ImageStores#store} for each call; the caller closes the store.
     *
     * @param uri an absolute URI of {@link #scheme()}
     * @param env options, by name (for S3: {@code endpoint}, {@code region}, {@code profile},
     *            {@code partSize}, …); a provider rejects a value it cannot use and ignores names
     *            it does not know
     * @throws IllegalArgumentException if {@code uri} or an option is malformed
     */
    ImageStore open(URI uri, Map<String, ?> env) throws IOException;

    /**
     * The key {@code uri} names inside the store {@link #open} returns for it; {@code ""} if it
     * names the store itself (a URI ending in {@code /}). Pure: no I/O.
     */
    String key(URI uri);
}
