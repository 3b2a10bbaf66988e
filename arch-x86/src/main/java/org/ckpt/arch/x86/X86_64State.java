package org.ckpt.arch.x86;

import java.util.Objects;

/**
 * The CPU state of one 64-bit task ({@code "x86_64"}).
 *
 * @param regs  general registers, fs_base and gs_base
 * @param fpu   the FXSAVE area
 * @param xsave extended state, or {@code null}
 * @param debug debug registers
 * @since 0.1 (stable)
 */
public record X86_64State(X86_64Regs regs, FxSave fpu, XSave xsave, DebugRegs debug) implements X86CpuState {
    public static final String ARCH = "x86_64";

    public X86_64State {
        Objects.requireNonNull(regs, "regs");
        Objects.requireNonNull(fpu, "fpu");
        Objects.requireNonNull(debug, "debug");
    }

    @Override
    public String architecture() {
        return ARCH;
    }
}
