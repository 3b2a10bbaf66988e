package org.ckpt.spi;

/**
 * A length or count read from the image exceeds a configured {@link Limits} bound, or is negative.
 *
 * @since 0.1 (stable)
 */
public class ImageLimitException extends ImageException {
    private static final long serialVersionUID = 1L;

    public ImageLimitException(String recordType, long offset, String reason) {
        super(recordType, offset, reason);
    }
}
