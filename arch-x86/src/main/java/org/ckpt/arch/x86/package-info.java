/**
 * CPU state of x86 tasks ({@code i386} and {@code x86_64}) as a host builds it for
 * {@code org.ckpt.model.Task#cpu()}, and conversions from and to the register notes
 * of Linux ELF core files ({@link org.ckpt.arch.x86.ElfNotes}).
 *
 * <p>Every type here is an immutable value; constructors check widths and shapes
 * (a field wider than its hardware register, a wrong array length) and throw
 * {@link java.lang.IllegalArgumentException}. Whether a state is <em>safe to run</em>
 * (user selectors, user addresses, flags) is decided by the provider's check phase
 * on restart, not here: a host can describe any state a real process can be in.
 *
 * <p>The byte layout these types take in an image is in {@code FORMAT-x86.md}.
 *
 * @since 0.1
 */
package org.ckpt.arch.x86;
