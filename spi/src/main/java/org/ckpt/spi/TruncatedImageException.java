package org.ckpt.spi;

/**
 * The image ends before a record, field or the tail that must be there.
 *
 * @since 0.1 (stable)
 */
public class TruncatedImageException extends ImageException {
    private static final long serialVersionUID = 1L;

    public TruncatedImageException(String recordType, long offset, String reason) {
        super(recordType, offset, reason);
    }

    /** @since 0.2 */
    public TruncatedImageException(String recordType, long offset, String reason, Throwable cause) {
        super(recordType, offset, reason, cause);
    }
}
