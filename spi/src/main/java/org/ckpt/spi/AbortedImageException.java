package org.ckpt.spi;

/**
 * The producer failed midway and wrote an error record; the message carries the producer's message.
 *
 * @since 0.1 (stable)
 */
public class AbortedImageException extends ImageException {
    private static final long serialVersionUID = 1L;

    public AbortedImageException(String recordType, long offset, String reason) {
        super(recordType, offset, reason);
    }
}
