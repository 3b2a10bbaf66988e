package org.ckpt.model;

/**
 * An open file description: what a descriptor or a file-backed area refers to.
 * Shared by identity, like every object in an image. Each implementing class is
 * checkpointed by the {@link org.ckpt.spi.ObjectOps} registered for it, so a host
 * adds a file type (a pipe, a socket, a device) by implementing this interface and
 * registering its ops.
 *
 * <p>Why a marker at all: a descriptor or a file-backed area must refer to an open file,
 * never to an address space or a file table, and a restart enforces that on untrusted
 * images through this type (an objref naming anything else is an
 * {@link org.ckpt.spi.InvalidReferenceException}). It costs a host type one
 * {@code implements OpenFile}; a class the host cannot change is wrapped in one that does. The
 * layout and versioning of a host's own file type are in {@code docs/FORMAT.md} §6.4.
 *
 * @since 0.1 (stable)
 */
public interface OpenFile {
}
