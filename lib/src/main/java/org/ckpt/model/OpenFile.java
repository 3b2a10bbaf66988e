package org.ckpt.model;

/**
 * An open file description: what a descriptor or a file-backed area refers to.
 * Shared by identity, like every object in an image. Each implementing class is
 * checkpointed by the {@link org.ckpt.spi.ObjectOps} registered for it, so a host
 * adds a file type (a pipe, a socket, a device) by implementing this interface and
 * registering its ops.
 *
 * @since 0.1 (stable)
 */
public interface OpenFile {
}
