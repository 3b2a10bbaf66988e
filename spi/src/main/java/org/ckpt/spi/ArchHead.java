package org.ckpt.spi;

/**
 * What an {@link ArchProvider} read from an image's arch head: the sizes and
 * feature masks the rest of the image relies on. Immutable.
 *
 * @since 0.1 (stable)
 */
public interface ArchHead {
    /** The architecture the image was written for. */
    String architecture();
}
