package org.ckpt;

/**
 * The seal of an image (docs/FORMAT.md §17): which key sealed it, with which algorithm, and
 * whether this reader verified it.
 *
 * @param algorithm {@code HMAC-SHA-256}, {@code Ed25519}, or {@code algorithm N} for one this
 *                  reader does not know
 * @param keyId     the key id the image names
 * @param verified  whether the seal verified under one of the reader's trusted keys; false when
 *                  the reader trusts no key, so that it could only read the seal
 * @since 0.3 (evolving)
 */
public record ImageSeal(String algorithm, String keyId, boolean verified) {
}
