package org.ckpt.arch.x86;

import org.ckpt.spi.CpuState;

/**
 * The CPU state of one x86 task: general registers, the FXSAVE area, optionally the
 * extended XSAVE state, and the debug registers. {@link I386State} adds the three
 * TLS descriptors; {@link X86_64State} carries fs_base/gs_base in its registers.
 *
 * @since 0.1 (evolving: permitted subtypes may grow)
 */
public sealed interface X86CpuState extends CpuState permits I386State, X86_64State {
    /** The x87/SSE state as the 512-byte FXSAVE image holds it. */
    FxSave fpu();

    /** The extended state (AVX and beyond), or {@code null} if the task had none. */
    XSave xsave();

    /** DR0–DR3, DR6, DR7. */
    DebugRegs debug();

    /** Whether the task runs 64-bit code ({@code x86_64}). */
    default boolean is64Bit() {
        return this instanceof X86_64State;
    }
}
