package org.ckpt.spi;

/**
 * A record checksum or the whole-image CRC32C does not match the bytes.
 *
 * @since 0.1 (stable)
 */
public class ChecksumException extends ImageException {
    private static final long serialVersionUID = 1L;

    public ChecksumException(String recordType, long offset, String reason) {
        super(recordType, offset, reason);
    }
}
