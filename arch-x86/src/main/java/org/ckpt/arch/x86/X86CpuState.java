package org.ckpt.arch.x86;

import org.ckpt.spi.CpuState;

/**
 * The CPU state of one x86 task: general registers, the x87/SSE state, optionally the
 * extended XSAVE state, and optionally the debug registers. {@link I386State} adds the
 * three TLS descriptors (or "unknown"); {@link X86_64State} carries fs_base/gs_base in its
 * registers.
 *
 * <p>Optional parts are {@code null} when the host does not have them: no XSAVE state (a
 * task that never used AVX and beyond, a CPU without XSAVE), debug registers unknown (ELF
 * core files carry none; an image says so instead of inventing zeros), i386 TLS
 * descriptors unknown (gdb's cores have no {@code NT_386_TLS}). Each comes back from a
 * restart exactly as absent as it went in.
 *
 * @since 0.1 (evolving: permitted subtypes may grow)
 */
public sealed interface X86CpuState extends CpuState permits I386State, X86_64State {
    /** The general registers. @since 0.2 */
    X86Regs regs();

    /** The x87/SSE state. */
    FxSave fpu();

    /** The extended state (AVX and beyond), or {@code null} if the task had none. */
    XSave xsave();

    /** DR0–DR3, DR6, DR7, or {@code null} if unknown (left out of the image). */
    X86DebugRegs debug();

    /** Whether the task runs 64-bit code ({@code x86_64}). */
    default boolean is64Bit() {
        return this instanceof X86_64State;
    }
}
