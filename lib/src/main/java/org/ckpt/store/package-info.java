/**
 * Where images live: an {@link org.ckpt.store.ImageStore} holds images under keys (a local
 * directory, a bucket of S3-compatible object storage), {@link org.ckpt.store.ImageStores}
 * finds the store of a URI ({@code file:}, {@code s3:} …) through
 * {@link org.ckpt.store.ImageStoreProvider}s. An image written through a store becomes visible
 * only when its upload is committed: a failed or interrupted checkpoint leaves nothing behind.
 *
 * <pre>{@code
 * try (ImageStore store = ImageStores.builder().build().store(URI.create("s3://images/"))) {
 *     store.put("app/1.ckpt", out -> checkpointer.checkpoint(task, out));    // committed, or nothing
 *     try (ReadableByteChannel in = store.open("app/1.ckpt")) {
 *         restarter.restart(in, target);                                    // validate, then commit
 *     }
 * }
 * }</pre>
 *
 * @since 0.2 (evolving)
 */
package org.ckpt.store;
