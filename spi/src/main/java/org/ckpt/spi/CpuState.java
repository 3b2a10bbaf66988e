package org.ckpt.spi;

/**
 * Marker for the CPU state of one task, as an {@link ArchProvider} defines it.
 * Implementations are immutable values.
 *
 * @since 0.1 (stable)
 */
public interface CpuState {
    /** The architecture name this state belongs to, one of its provider's {@link ArchProvider#architectures()}. */
    String architecture();
}
