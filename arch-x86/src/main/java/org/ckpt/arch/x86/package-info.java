/**
 * CPU state of x86 tasks ({@code i386} and {@code x86_64}) as a host builds it for
 * {@code org.ckpt.model.Task#cpu()}, and conversions from and to the register notes
 * of Linux ELF core files ({@link org.ckpt.arch.x86.X86ElfNotes}).
 *
 * <p>Every type here is an immutable value; constructors check widths and shapes
 * (a field wider than its field in the image, a wrong array length, tag words that
 * disagree) and throw {@link java.lang.IllegalArgumentException}. Every value a register
 * can hold is accepted — an emulator's guest at reset, a kernel-half address, any flag
 * bit. Whether a state is acceptable is decided by the provider's rules for the host's
 * restore policy ({@link org.ckpt.spi.RestorePolicy}), the same for a checkpoint and its
 * restart: {@code EXACT} gives every register back as saved, {@code LINUX_USER} applies
 * the rules of a Linux user task.
 *
 * <p>Values with many fields have builders with documented defaults ({@link
 * org.ckpt.arch.x86.X86_64Regs#builder()}, {@link org.ckpt.arch.x86.I386Regs#builder()},
 * {@link org.ckpt.arch.x86.FxSave#builder()}); states have {@code of(regs)} and withers.
 * Optional parts (XSAVE state, debug registers, i386 TLS descriptors) are {@code null}
 * when absent or unknown.
 *
 * <p>The byte layout these types take in an image, and the rules of both policies, are
 * in docs/FORMAT.md §11.
 *
 * @since 0.1
 */
package org.ckpt.arch.x86;
