package org.ckpt.arch.powerpc;

import java.util.Objects;
import org.ckpt.spi.CpuState;

/**
 * The CPU state of one PowerPC task: the general registers and the optional sections,
 * each present only when the task used that unit ({@code null} otherwise).
 *
 * <p>The constructor enforces what the hardware makes impossible:
 * <ul>
 *   <li>VSX needs FP and ALTIVEC (vs0–vs31 extend the FPRs, vs32–vs63 are the VRs);</li>
 *   <li>SPE excludes ALTIVEC (both use MSR bit 25; no core has both);</li>
 *   <li>SPE exists only on 32-bit e500 cores, so only in {@code ppc32} state.</li>
 * </ul>
 * Register <em>values</em> (MSR, DABR, fpexc_mode, nip) are checked when the state is
 * checkpointed and again when it is restarted, not here.
 *
 * @param architecture {@link PowerPc#PPC32} or {@link PowerPc#PPC64}
 * @param regs         the general registers
 * @param fp           the FP section, or {@code null}
 * @param debug        the DEBUG section, or {@code null}
 * @param altivec      the ALTIVEC section, or {@code null}
 * @param spe          the SPE section, or {@code null}
 * @param vsx          the VSX section, or {@code null}
 * @since 0.1 (evolving)
 */
public record PowerPcCpu(String architecture, GeneralRegs regs, FpRegs fp, DebugRegs debug, AltivecRegs altivec,
                         SpeRegs spe, VsxRegs vsx) implements CpuState {

    public PowerPcCpu {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(regs, "regs");
        if (!PowerPc.isArchitecture(architecture)) {
            throw new IllegalArgumentException("not a PowerPC architecture: '" + architecture + "'");
        }
        String problem = combinationProblem(architecture, features(fp, debug, altivec, spe, vsx));
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Only general registers. */
    public static PowerPcCpu of(String architecture, GeneralRegs regs) {
        return new PowerPcCpu(architecture, regs, null, null, null, null, null);
    }

    /** The feature mask: one {@code PowerPc.FEATURE_*} bit per present section. */
    public long features() {
        return features(fp, debug, altivec, spe, vsx);
    }

    /** Whether this is a 64-bit task. */
    public boolean is64Bit() {
        return PowerPc.PPC64.equals(architecture);
    }

    public PowerPcCpu withRegs(GeneralRegs v) {
        return new PowerPcCpu(architecture, v, fp, debug, altivec, spe, vsx);
    }

    public PowerPcCpu withFp(FpRegs v) {
        return new PowerPcCpu(architecture, regs, v, debug, altivec, spe, vsx);
    }

    public PowerPcCpu withDebug(DebugRegs v) {
        return new PowerPcCpu(architecture, regs, fp, v, altivec, spe, vsx);
    }

    public PowerPcCpu withAltivec(AltivecRegs v) {
        return new PowerPcCpu(architecture, regs, fp, debug, v, spe, vsx);
    }

    public PowerPcCpu withSpe(SpeRegs v) {
        return new PowerPcCpu(architecture, regs, fp, debug, altivec, v, vsx);
    }

    public PowerPcCpu withVsx(VsxRegs v) {
        return new PowerPcCpu(architecture, regs, fp, debug, altivec, spe, v);
    }

    private static long features(FpRegs fp, DebugRegs debug, AltivecRegs altivec, SpeRegs spe, VsxRegs vsx) {
        return (fp != null ? PowerPc.FEATURE_FP : 0) | (debug != null ? PowerPc.FEATURE_DEBUG : 0)
                | (altivec != null ? PowerPc.FEATURE_ALTIVEC : 0) | (spe != null ? PowerPc.FEATURE_SPE : 0)
                | (vsx != null ? PowerPc.FEATURE_VSX : 0);
    }

    /**
     * Why the known feature bits of {@code mask} cannot occur together in a task of
     * {@code architecture}, or {@code null} if they can.
     */
    public static String combinationProblem(String architecture, long mask) {
        if ((mask & PowerPc.FEATURE_VSX) != 0
                && (mask & (PowerPc.FEATURE_FP | PowerPc.FEATURE_ALTIVEC)) != (PowerPc.FEATURE_FP | PowerPc.FEATURE_ALTIVEC)) {
            return "feature VSX needs FP and ALTIVEC (vs0-vs31 extend the FPRs, vs32-vs63 are the VRs); mask is "
                    + PowerPc.featureNames(mask);
        }
        if ((mask & PowerPc.FEATURE_SPE) != 0 && (mask & PowerPc.FEATURE_ALTIVEC) != 0) {
            return "features SPE and ALTIVEC exclude each other (both use MSR bit 25); mask is "
                    + PowerPc.featureNames(mask);
        }
        if ((mask & PowerPc.FEATURE_SPE) != 0 && PowerPc.PPC64.equals(architecture)) {
            return "feature SPE exists only on 32-bit e500 cores, not in a ppc64 task";
        }
        return null;
    }
}
