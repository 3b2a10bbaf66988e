/**
 * x86 architecture provider ({@code i386}, {@code x86_64}). Exports only the value
 * types a host needs to build CPU state and the ELF core-note conversions
 * ({@code org.ckpt.arch.x86}); the provider itself is found through ServiceLoader.
 */
@SuppressWarnings("module") // the name org.ckpt.arch.x86 is fixed by the architecture document
module org.ckpt.arch.x86 {
    requires transitive org.ckpt.spi;

    exports org.ckpt.arch.x86;

    provides org.ckpt.spi.ArchProvider with org.ckpt.arch.x86.internal.X86ArchProvider;
}
