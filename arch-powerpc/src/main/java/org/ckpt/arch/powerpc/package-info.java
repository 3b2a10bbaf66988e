/**
 * PowerPC CPU state for ckpt: the immutable values a host builds a task's CPU state
 * from ({@link org.ckpt.arch.powerpc.PowerPcCpuState} with {@link org.ckpt.arch.powerpc.GeneralRegs}
 * and the optional {@link org.ckpt.arch.powerpc.FpRegs}, {@link org.ckpt.arch.powerpc.PowerPcDebugRegs},
 * {@link org.ckpt.arch.powerpc.AltivecRegs}, {@link org.ckpt.arch.powerpc.SpeRegs} and
 * {@link org.ckpt.arch.powerpc.VsxRegs} sections, each with a builder whose defaults are zero),
 * the arch head ({@link org.ckpt.arch.powerpc.PowerPcArchHead}), the constants
 * ({@link org.ckpt.arch.powerpc.PowerPc}) and the conversions to and from Linux ELF core
 * notes ({@link org.ckpt.arch.powerpc.PowerPcElfNotes}).
 *
 * <p>Architecture names are {@code "ppc32"} and {@code "ppc64"}. A restart target
 * declares the features {@code "altivec"}, {@code "spe"}, {@code "vsx"} and {@code "ppc64"}
 * (see {@link org.ckpt.arch.powerpc.PowerPc}).
 *
 * <p>Both restore policies apply: under {@link org.ckpt.spi.RestorePolicy#EXACT} (emulators,
 * simulators, debuggers) every register comes back exactly as saved, and a {@code ppc32}
 * state is a 32-bit register file; under {@link org.ckpt.spi.RestorePolicy#LINUX_USER} the
 * MSR is rebuilt as Linux's user MSR (the 32-bit value for a {@code ppc32} task) and nip,
 * DABR and {@code fpexc_mode} must be what a Linux user task may hold. A checkpoint applies the
 * same rules as its restart. The image layout and every rule are in docs/FORMAT.md §12.
 *
 * @since 0.1 (evolving)
 */
package org.ckpt.arch.powerpc;
