package org.ckpt.spi;

/**
 * An objref is dangling, duplicated, or names an object of the wrong type.
 *
 * @since 0.1 (stable)
 */
public class InvalidReferenceException extends ImageException {
    private static final long serialVersionUID = 1L;

    public InvalidReferenceException(String recordType, long offset, String reason) {
        super(recordType, offset, reason);
    }
}
