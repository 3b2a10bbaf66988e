package org.ckpt.internal;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 over the bytes of an image as they pass, in image order: the digest a seal signs
 * (docs/FORMAT.md §16.2). It sees every byte once, where the bytes already pass — the
 * checkpoint's staging buffers on their way to the channel, the restart's copies as they land
 * — and stops at the point the seal covers up to. Used by one thread at a time; handing it
 * over (the writer thread, then the caller after a flush) goes through the staging lock.
 */
final class ImageHash {
    private final MessageDigest sha = sha256();
    private boolean open = true;

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Hashes the remaining bytes of {@code b} (its position is not moved), unless the hash has closed. */
    void update(ByteBuffer b) {
        if (open && b.hasRemaining()) {
            sha.update(b.duplicate());
        }
    }

    void update(byte[] b, int off, int len) {
        if (open) {
            sha.update(b, off, len);
        }
    }

    boolean isOpen() {
        return open;
    }

    /**
     * Hashes {@code last} parts (also after {@link #close}) and returns the digest; later bytes
     * are not hashed.
     */
    byte[] finish(byte[]... last) {
        for (byte[] b : last) {
            sha.update(b, 0, b.length);
        }
        open = false;
        return sha.digest();
    }

    /** Stops taking bytes: the point the seal covers up to has passed ({@link #finish} still adds its parts). */
    void close() {
        open = false;
    }
}
