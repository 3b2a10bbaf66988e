/**
 * The PowerPC architecture provider of ckpt: CPU state of {@code ppc32} and
 * {@code ppc64} tasks, its image records, the restart check phase, and conversions
 * to and from the Linux ELF core notes.
 *
 * <p>Exports only {@code org.ckpt.arch.powerpc}, the immutable values a host builds
 * CPU state from; the provider itself is found through {@link java.util.ServiceLoader}.
 */
module org.ckpt.arch.powerpc {
    requires transitive org.ckpt.spi;

    exports org.ckpt.arch.powerpc;

    provides org.ckpt.spi.ArchProvider with org.ckpt.arch.powerpc.internal.PowerPcArchProvider;
}
