package org.ckpt.arch.x86.internal;

import org.ckpt.spi.ArchHead;

/**
 * The x86 arch head: the payload sizes of the CPU records and the XCR0 features the
 * image may use.
 *
 * @param xfeatures     XCR0 bits a CPU record of this image may set
 * @param xstateMaxSize bytes of every extended component of {@code xfeatures} together
 */
record X86ArchHead(String architecture, int regsSize, int fxsaveSize, int debugSize, int tlsEntries,
                   long xfeatures, int xstateMaxSize) implements ArchHead {

    boolean is64() {
        return X86Format.X86_64.equals(architecture);
    }

    static X86ArchHead current(String architecture) {
        boolean is64 = X86Format.X86_64.equals(architecture);
        return new X86ArchHead(architecture, is64 ? X86Format.REGS_X86_64_SIZE : X86Format.REGS_I386_SIZE,
                X86Format.FXSAVE_SIZE, X86Format.DEBUGREGS_SIZE, is64 ? 0 : X86Format.TLS_ENTRIES_I386,
                X86Format.XFEATURES, org.ckpt.arch.x86.XFeature.extendedSize(X86Format.XFEATURES));
    }
}
