package org.ckpt.spi;

import java.util.Objects;

/**
 * An encrypted image cannot be decrypted: no decryption key is configured, none has the
 * image's key id, the key of that id is not the one the image was encrypted with, or an
 * encrypted record (or the clear head bound to them) was changed. Thrown before anything is
 * committed. {@link #kind()} says which, the message says it in words.
 *
 * @since 0.3 (evolving)
 */
public class DecryptionException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** Why the image cannot be decrypted. */
    public enum Kind {
        /** The image is encrypted and the reader has no decryption key at all. */
        NO_KEY,
        /** The reader has decryption keys, but none with the image's key id. */
        UNKNOWN_KEY,
        /** The key with the image's key id does not unwrap the image's data key: another key under that id. */
        WRONG_KEY,
        /**
         * A record does not decrypt (its AES-GCM tag does not match): its ciphertext, its header
         * or its position was changed, encrypted records were removed or reordered, or the clear
         * head they are bound to was changed.
         */
        TAMPERED
    }

    private final Kind kind;

    public DecryptionException(Kind kind, String recordType, long offset, String reason) {
        super(recordType, offset, reason);
        this.kind = Objects.requireNonNull(kind);
    }

    /** Why the image cannot be decrypted. */
    public Kind kind() {
        return kind;
    }
}
