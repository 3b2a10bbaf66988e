package org.ckpt.spi;

/**
 * The image is well formed but asks for something this reader cannot provide: wrong magic, an unknown major version, an unknown mandatory record type, an architecture, object type or CPU feature with no provider or not supported by the target.
 *
 * @since 0.1 (stable)
 */
public class UnsupportedImageException extends ImageException {
    private static final long serialVersionUID = 1L;

    public UnsupportedImageException(String recordType, long offset, String reason) {
        super(recordType, offset, reason);
    }
}
