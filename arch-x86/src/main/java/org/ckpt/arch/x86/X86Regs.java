package org.ckpt.arch.x86;

/**
 * The general registers of an x86 task: {@link X86_64Regs} or {@link I386Regs}, each exactly
 * Linux's {@code struct user_regs_struct} of its architecture (and the {@code pr_reg} of its
 * {@code NT_PRSTATUS} note). What {@link X86ElfNotes#readPrStatus} returns and
 * {@link X86CpuState#regs()} holds.
 *
 * @since 0.2 (evolving: permitted subtypes may grow)
 */
public sealed interface X86Regs permits X86_64Regs, I386Regs {
    /** {@code "x86_64"} or {@code "i386"}. */
    String architecture();

    /** The instruction pointer, zero-extended to 64 bits. */
    long ip();

    /** The stack pointer, zero-extended to 64 bits. */
    long sp();

    /** The flags register, zero-extended to 64 bits. */
    long flags();
}
