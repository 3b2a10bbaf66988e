package org.ckpt;

/**
 * How an image's record payloads are encrypted (docs/FORMAT.md §17).
 *
 * @param cipher    {@code AES-256-GCM}
 * @param keyId     the id of the key that wraps the image's data key
 * @param decrypted whether this reader decrypted the payloads; false for a
 *                  {@link Restarter#scan scan} without the key
 * @since 0.3 (evolving)
 */
public record ImageEncryption(String cipher, String keyId, boolean decrypted) {
}
