package org.ckpt.spi;

/**
 * A value breaks a semantic rule: overlapping or unaligned areas, a bad descriptor, a path escaping the root, a register a user may not set, bytes after the tail.
 *
 * @since 0.1 (stable)
 */
public class InvalidImageException extends ImageException {
    private static final long serialVersionUID = 1L;

    public InvalidImageException(String recordType, long offset, String reason) {
        super(recordType, offset, reason);
    }
}
