package org.ckpt.arch.x86;

import java.util.List;
import java.util.Objects;

/**
 * The CPU state of one 32-bit task ({@code "i386"}), whether it ran under a native
 * i386 kernel (user code selector 0x73), in compat mode under an x86_64 kernel
 * (0x23), or in an emulator (any selector).
 *
 * @param regs  general registers
 * @param fpu   the x87/SSE state
 * @param xsave extended state, or {@code null}
 * @param debug debug registers (32-bit values zero-extended), or {@code null} if unknown
 * @param tls   the three GDT TLS descriptors as {@code NT_386_TLS} lists them, or
 *              {@code null} if unknown (a core without {@code NT_386_TLS}, as gdb writes)
 * @since 0.1 (stable; debug and tls nullable since 0.2)
 */
public record I386State(I386Regs regs, FxSave fpu, XSave xsave, X86DebugRegs debug, List<UserDesc> tls)
        implements X86CpuState {
    public static final String ARCH = "i386";
    /** Number of GDT TLS entries (GDT_ENTRY_TLS_ENTRIES). */
    public static final int TLS_ENTRIES = 3;

    public I386State {
        Objects.requireNonNull(regs, "regs");
        Objects.requireNonNull(fpu, "fpu");
        if (tls != null) {
            tls = List.copyOf(tls);
            if (tls.size() != TLS_ENTRIES) {
                throw new IllegalArgumentException("i386 has " + TLS_ENTRIES + " TLS descriptors, got " + tls.size());
            }
        }
    }

    /**
     * A state of {@code regs} with the x87/SSE state after FNINIT ({@link FxSave#initial()}),
     * no XSAVE state, debug registers and TLS descriptors unknown: change the rest with the
     * withers.
     *
     * @since 0.2
     */
    public static I386State of(I386Regs regs) {
        return new I386State(regs, FxSave.initial(), null, null, null);
    }

    /** @since 0.2 */
    public I386State withRegs(I386Regs v) {
        return new I386State(v, fpu, xsave, debug, tls);
    }

    /** @since 0.2 */
    public I386State withFpu(FxSave v) {
        return new I386State(regs, v, xsave, debug, tls);
    }

    /** {@code null}: no XSAVE state. @since 0.2 */
    public I386State withXsave(XSave v) {
        return new I386State(regs, fpu, v, debug, tls);
    }

    /** {@code null}: debug registers unknown. @since 0.2 */
    public I386State withDebug(X86DebugRegs v) {
        return new I386State(regs, fpu, xsave, v, tls);
    }

    /** {@code null}: TLS descriptors unknown. @since 0.2 */
    public I386State withTls(List<UserDesc> v) {
        return new I386State(regs, fpu, xsave, debug, v);
    }

    @Override
    public String architecture() {
        return ARCH;
    }
}
