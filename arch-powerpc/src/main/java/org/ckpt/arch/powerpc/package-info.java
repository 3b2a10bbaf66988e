/**
 * PowerPC CPU state for ckpt: the immutable values a host builds a task's CPU state
 * from ({@link org.ckpt.arch.powerpc.PowerPcCpu} with {@link org.ckpt.arch.powerpc.GeneralRegs}
 * and the optional {@link org.ckpt.arch.powerpc.FpRegs}, {@link org.ckpt.arch.powerpc.DebugRegs},
 * {@link org.ckpt.arch.powerpc.AltivecRegs}, {@link org.ckpt.arch.powerpc.SpeRegs} and
 * {@link org.ckpt.arch.powerpc.VsxRegs} sections), the arch head
 * ({@link org.ckpt.arch.powerpc.PowerPcArchHead}), the constants
 * ({@link org.ckpt.arch.powerpc.PowerPc}) and the conversions to and from Linux ELF core
 * notes ({@link org.ckpt.arch.powerpc.ElfNotes}).
 *
 * <p>Architecture names are {@code "ppc32"} and {@code "ppc64"}. A restart target
 * declares the features {@code "altivec"}, {@code "spe"}, {@code "vsx"} and {@code "ppc64"}
 * (see {@link org.ckpt.arch.powerpc.PowerPc}).
 *
 * @since 0.1 (evolving)
 */
package org.ckpt.arch.powerpc;
