package org.ckpt.internal;

import org.ckpt.spi.RestorePolicy;

/**
 * The address limits of the architectures ckpt ships providers for, for images whose tasks
 * have no CPU state and that are therefore written and read without an architecture
 * provider (HEAD flag NO_ARCH). The values equal the providers' own, so an image checks the
 * same with or without the provider's jar; any other architecture name is bounded only by a
 * 64-bit address space.
 */
final class KnownArchitectures {
    private KnownArchitectures() {
    }

    static long addressLimit(String architecture, RestorePolicy policy) {
        boolean exact = policy == RestorePolicy.EXACT;
        return switch (architecture) {
            case "i386" -> exact ? 1L << 32 : 0xFFFF_E000L;
            case "x86_64" -> exact ? -1L : 0x7FFF_FFFF_F000L;
            case "ppc32" -> exact ? 1L << 32 : 0xFFFF_F000L;
            case "ppc64" -> exact ? -1L : 1L << 52;
            default -> -1L;
        };
    }
}
