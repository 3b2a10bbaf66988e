package org.ckpt.spi;

import java.util.Objects;

/**
 * The image is not one this host trusts: a restarter configured with trusted keys met an
 * image without a seal, sealed by a key it does not trust, or whose seal does not verify; or
 * the image is not the one the host expects (a replay of an older or another image). Thrown
 * before anything is committed. {@link #kind()} says which, the message says it in words.
 *
 * <p>A seal is a keyed tag (HMAC-SHA-256) or a signature (Ed25519) over every byte of the
 * image before it; see {@code docs/FORMAT.md}, "Sealed and encrypted images".
 *
 * @since 0.3 (evolving)
 */
public class SealException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** Why the image is not trusted. */
    public enum Kind {
        /** The image carries no seal, and the restarter trusts only sealed images. */
        MISSING,
        /** The image is sealed by a key id the restarter does not trust. */
        UNKNOWN_KEY,
        /**
         * The seal does not verify under the trusted key of its id: the image was changed after
         * it was sealed (or the seal was copied from another image), or sealed by another key
         * under the same id, or with another algorithm than the trusted key's.
         */
        INVALID,
        /** The head says another checkpoint than the one expected, or one older than accepted. */
        REPLAYED
    }

    private final Kind kind;

    public SealException(Kind kind, String recordType, long offset, String reason) {
        super(recordType, offset, reason);
        this.kind = Objects.requireNonNull(kind);
    }

    /** Why the image is not trusted. */
    public Kind kind() {
        return kind;
    }
}
