package org.ckpt.arch.x86;

import java.util.Objects;

/**
 * The CPU state of one 64-bit task ({@code "x86_64"}).
 *
 * @param regs  general registers, fs_base and gs_base
 * @param fpu   the x87/SSE state
 * @param xsave extended state, or {@code null}
 * @param debug debug registers, or {@code null} if unknown (not in the image)
 * @since 0.1 (stable; debug nullable since 0.2)
 */
public record X86_64State(X86_64Regs regs, FxSave fpu, XSave xsave, X86DebugRegs debug) implements X86CpuState {
    public static final String ARCH = "x86_64";

    public X86_64State {
        Objects.requireNonNull(regs, "regs");
        Objects.requireNonNull(fpu, "fpu");
    }

    /**
     * A state of {@code regs} with the x87/SSE state after FNINIT ({@link FxSave#initial()}),
     * no XSAVE state and the debug registers left out: change the rest with the withers.
     *
     * @since 0.2
     */
    public static X86_64State of(X86_64Regs regs) {
        return new X86_64State(regs, FxSave.initial(), null, null);
    }

    /** @since 0.2 */
    public X86_64State withRegs(X86_64Regs v) {
        return new X86_64State(v, fpu, xsave, debug);
    }

    /** @since 0.2 */
    public X86_64State withFpu(FxSave v) {
        return new X86_64State(regs, v, xsave, debug);
    }

    /** {@code null}: no XSAVE state. @since 0.2 */
    public X86_64State withXsave(XSave v) {
        return new X86_64State(regs, fpu, v, debug);
    }

    /** {@code null}: debug registers unknown. @since 0.2 */
    public X86_64State withDebug(X86DebugRegs v) {
        return new X86_64State(regs, fpu, xsave, v);
    }

    @Override
    public String architecture() {
        return ARCH;
    }
}
