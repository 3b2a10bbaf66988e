package org.ckpt.arch.powerpc;

import java.util.ArrayList;
import java.util.List;

/**
 * Names and numbers of the PowerPC provider: architecture names, the feature bits of
 * the image, the target feature names a {@link org.ckpt.spi.TargetCpu} declares, the
 * register bits a host composes XER and MSR from, and the Linux register values the
 * {@link org.ckpt.spi.RestorePolicy#LINUX_USER} rules apply.
 *
 * <p>The MSR and DABR values are Linux's (Book3S, big-endian), from
 * {@code arch/powerpc/include/asm/reg.h} and {@code ptrace_set_debugreg} in
 * {@code arch/powerpc/kernel/ptrace/ptrace.c}; the limits from
 * {@code arch/powerpc/include/asm/task_size_64.h}. The image format document,
 * {@code docs/FORMAT.md} §12, explains each and lists the rules of both restore policies.
 *
 * @since 0.1 (evolving)
 */
public final class PowerPc {
    /** Architecture name of 32-bit tasks (Linux {@code EM_PPC}). */
    public static final String PPC32 = "ppc32";
    /** Architecture name of 64-bit big-endian tasks (Linux {@code EM_PPC64}). */
    public static final String PPC64 = "ppc64";

    /** Feature bit: the FP section (fpr[32], fpscr, fpexc_mode) follows. */
    public static final long FEATURE_FP = 1L;
    /** Feature bit: the DEBUG section (DABR and further debug registers) follows. */
    public static final long FEATURE_DEBUG = 1L << 1;
    /** Feature bit: the ALTIVEC section (vr[32], vscr, vrsave) follows. */
    public static final long FEATURE_ALTIVEC = 1L << 2;
    /** Feature bit: the SPE section (evr[32], acc, spefscr) follows. */
    public static final long FEATURE_SPE = 1L << 3;
    /** Feature bit: the VSX section (doubleword 1 of vs0–vs31) follows. */
    public static final long FEATURE_VSX = 1L << 4;
    /** Every feature bit this version knows; any other bit in an image is rejected. */
    public static final long KNOWN_FEATURES = FEATURE_FP | FEATURE_DEBUG | FEATURE_ALTIVEC | FEATURE_SPE | FEATURE_VSX;

    /** Target feature: the CPU has AltiVec/VMX (required by images with {@link #FEATURE_ALTIVEC}). */
    public static final String TARGET_ALTIVEC = "altivec";
    /** Target feature: the CPU has the e500 SPE (required by images with {@link #FEATURE_SPE}). */
    public static final String TARGET_SPE = "spe";
    /** Target feature: the CPU has VSX (required by images with {@link #FEATURE_VSX}). */
    public static final String TARGET_VSX = "vsx";
    /**
     * Target feature: the target runs 64-bit tasks. Implied by a target of architecture
     * {@code ppc64}; a {@code ppc32} target without it is a 32-bit kernel.
     */
    public static final String TARGET_PPC64 = "ppc64";

    /**
     * MSR bit 63 (Linux {@code MSR_SF}): 64-bit mode. Under {@code LINUX_USER} the only MSR bit
     * read from an image (it must match the architecture); under {@code EXACT} a {@code ppc64}
     * state may have it clear (a 64-bit CPU running 32-bit code) and a {@code ppc32} state never
     * has it (its MSR is 32 bits wide).
     */
    public static final long MSR_SF = 1L << 63;
    /** MSR bit 60 ({@code MSR_HV}): hypervisor state, part of Linux's 64-bit {@code MSR_}. */
    public static final long MSR_HV = 1L << 60;
    /** MSR bit 25 ({@code MSR_VEC}): AltiVec available (the same bit is {@code MSR_SPE} on e500). */
    public static final long MSR_VEC = 1L << 25;
    /** MSR bit 23 ({@code MSR_VSX}): VSX available. */
    public static final long MSR_VSX = 1L << 23;
    /** MSR bit 15 ({@code MSR_EE}): external interrupts enabled. */
    public static final long MSR_EE = 1L << 15;
    /** MSR bit 14 ({@code MSR_PR}): problem state (user mode). */
    public static final long MSR_PR = 1L << 14;
    /** MSR bit 13 ({@code MSR_FP}): floating point available. */
    public static final long MSR_FP = 1L << 13;
    /** MSR bit 12 ({@code MSR_ME}): machine check enabled. */
    public static final long MSR_ME = 1L << 12;
    /** MSR bit 11 ({@code MSR_FE0}): floating-point exception mode 0. */
    public static final long MSR_FE0 = 1L << 11;
    /** MSR bit 8 ({@code MSR_FE1}): floating-point exception mode 1. */
    public static final long MSR_FE1 = 1L << 8;
    /** MSR bit 5 ({@code MSR_IR}): instruction relocation. */
    public static final long MSR_IR = 1L << 5;
    /** MSR bit 4 ({@code MSR_DR}): data relocation. */
    public static final long MSR_DR = 1L << 4;
    /** MSR bit 1 ({@code MSR_RI}): recoverable interrupt. */
    public static final long MSR_RI = 1L << 1;
    /** MSR bit 0 ({@code MSR_LE}): little-endian mode (part of {@code MSR_} on ppc64le kernels only). */
    public static final long MSR_LE = 1L;

    /**
     * Linux's {@code MSR_USER32} on a 64-bit Book3S big-endian kernel:
     * {@code ME | RI | IR | DR | HV | PR | EE} = {@code 0x100000000000d032}: the MSR the
     * hardware holds while a 64-bit kernel runs a 32-bit task. No 32-bit view shows it (32-bit
     * ptrace and 32-bit core dumps report its low word, {@link #MSR_USER_PPC32}), so no
     * {@code ppc32} state carries it.
     */
    public static final long MSR_USER32 = MSR_ME | MSR_RI | MSR_IR | MSR_DR | MSR_HV | MSR_PR | MSR_EE;
    /** Linux's {@code MSR_USER64}: {@code MSR_USER32 | MSR_SF} = {@code 0x900000000000d032}. */
    public static final long MSR_USER64 = MSR_USER32 | MSR_SF;
    /**
     * The user MSR of a 32-bit task as a 32-bit view shows it: {@code ME | RI | IR | DR | PR | EE}
     * = {@code 0xd032}. It is Linux's {@code MSR_USER} on a 32-bit Book3S kernel (where
     * {@code MSR_HV} and {@code MSR_SF} are 0) and the low word of {@link #MSR_USER32} that a
     * 64-bit kernel reports to 32-bit ptrace and writes into a 32-bit core dump, so it is what a
     * {@code LINUX_USER} restart gives every {@code ppc32} state, whatever the target's
     * bitness: a 32-bit task stays 32-bit (its kernel supplies the upper MSR bits itself).
     */
    public static final long MSR_USER_PPC32 = MSR_ME | MSR_RI | MSR_IR | MSR_DR | MSR_PR | MSR_EE;
    /** The bits {@code fpexc_mode} may hold: Linux keeps the prctl FP exception mode as MSR FE0/FE1. */
    public static final long FPEXC_MASK = MSR_FE0 | MSR_FE1;

    /** XER bit 31 ({@code XER_SO}, bit 32 in the architecture's 64-bit numbering): summary overflow. */
    public static final long XER_SO = 1L << 31;
    /** XER bit 30 ({@code XER_OV}): overflow. */
    public static final long XER_OV = 1L << 30;
    /** XER bit 29 ({@code XER_CA}): carry. */
    public static final long XER_CA = 1L << 29;
    /** XER bit 19 ({@code XER_OV32}, POWER9 and later): overflow of the low 32-bit result. */
    public static final long XER_OV32 = 1L << 19;
    /** XER bit 18 ({@code XER_CA32}, POWER9 and later): carry out of the low 32-bit result. */
    public static final long XER_CA32 = 1L << 18;
    /** XER bits 0–6: the byte count of {@code lswx}/{@code stswx}. */
    public static final long XER_BYTE_COUNT = 0x7FL;

    /** DABR bit 2 ({@code DABR_TRANSLATION}): the breakpoint matches translated (user) addresses. */
    public static final long DABR_TRANSLATION = 1L << 2;
    /** The three DABR flag bits (read, write, translation); the rest is the address. */
    public static final long DABR_FLAGS = 0x7L;

    /**
     * Exclusive user address limit of {@code ppc64}: {@code TASK_SIZE_USER64} of a Book3S
     * 64-bit kernel with 64 KiB pages, {@code TASK_SIZE_4PB} = 2^52, the largest any Linux
     * ppc64 task has (4 KiB-page kernels give 2^46).
     */
    public static final long USER_LIMIT_PPC64 = 0x0010_0000_0000_0000L;
    /**
     * Exclusive user address limit of {@code ppc32}: {@code TASK_SIZE_USER32} of a 64-bit
     * kernel with 4 KiB pages, 2^32 − 4096, the largest any Linux 32-bit powerpc task has
     * (native 32-bit kernels use {@code CONFIG_TASK_SIZE}, 0xc0000000 by default).
     */
    public static final long USER_LIMIT_PPC32 = 0xFFFF_F000L;

    private PowerPc() {
    }

    /** Whether {@code architecture} is {@link #PPC32} or {@link #PPC64}. */
    public static boolean isArchitecture(String architecture) {
        return PPC32.equals(architecture) || PPC64.equals(architecture);
    }

    /** The exclusive user address limit of {@code architecture}. */
    public static long userAddressLimit(String architecture) {
        return switch (architecture) {
            case PPC32 -> USER_LIMIT_PPC32;
            case PPC64 -> USER_LIMIT_PPC64;
            default -> throw new IllegalArgumentException("not a PowerPC architecture: " + architecture);
        };
    }

    /** The name of one feature bit ({@code "FP"}, {@code "ALTIVEC"}, …) or its hex value if unknown. */
    public static String featureName(long bit) {
        if (bit == FEATURE_FP) {
            return "FP";
        } else if (bit == FEATURE_DEBUG) {
            return "DEBUG";
        } else if (bit == FEATURE_ALTIVEC) {
            return "ALTIVEC";
        } else if (bit == FEATURE_SPE) {
            return "SPE";
        } else if (bit == FEATURE_VSX) {
            return "VSX";
        }
        return "0x" + Long.toHexString(bit);
    }

    /** The names of the bits of {@code mask}, e.g. {@code "FP|ALTIVEC"}, or {@code "none"}. */
    public static String featureNames(long mask) {
        if (mask == 0) {
            return "none";
        }
        List<String> names = new ArrayList<>();
        for (long m = mask; m != 0; m &= m - 1) {
            names.add(featureName(Long.lowestOneBit(m)));
        }
        return String.join("|", names);
    }

    /**
     * The target feature name a section needs, or {@code null} for sections every
     * target can restore (FP — Linux emulates a missing FPU — and DEBUG).
     */
    public static String targetFeature(long bit) {
        if (bit == FEATURE_ALTIVEC) {
            return TARGET_ALTIVEC;
        } else if (bit == FEATURE_SPE) {
            return TARGET_SPE;
        } else if (bit == FEATURE_VSX) {
            return TARGET_VSX;
        }
        return null;
    }
}
