package org.ckpt.arch.x86;

import java.util.List;
import java.util.Objects;

/**
 * The CPU state of one 32-bit task ({@code "i386"}), whether it ran under a native
 * i386 kernel (user code selector 0x73) or in compat mode under an x86_64 kernel
 * (0x23).
 *
 * @param regs  general registers
 * @param fpu   the FXSAVE area
 * @param xsave extended state, or {@code null}
 * @param debug debug registers (zero-extended 32-bit values)
 * @param tls   the three GDT TLS descriptors, as {@code NT_386_TLS} lists them
 * @since 0.1 (stable)
 */
public record I386State(I386Regs regs, FxSave fpu, XSave xsave, DebugRegs debug, List<UserDesc> tls)
        implements X86CpuState {
    public static final String ARCH = "i386";
    /** Number of GDT TLS entries (GDT_ENTRY_TLS_ENTRIES). */
    public static final int TLS_ENTRIES = 3;

    public I386State {
        Objects.requireNonNull(regs, "regs");
        Objects.requireNonNull(fpu, "fpu");
        Objects.requireNonNull(debug, "debug");
        tls = List.copyOf(tls);
        if (tls.size() != TLS_ENTRIES) {
            throw new IllegalArgumentException("i386 has " + TLS_ENTRIES + " TLS descriptors, got " + tls.size());
        }
    }

    @Override
    public String architecture() {
        return ARCH;
    }
}
