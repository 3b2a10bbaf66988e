package org.ckpt.arch.powerpc;

import java.util.Objects;
import org.ckpt.spi.CpuState;

/**
 * The CPU state of one PowerPC task: the general registers and the optional sections,
 * each present only when the task used that unit ({@code null} otherwise). Build one with
 * {@link #builder(String)}: general registers zero and every section absent unless set.
 *
 * <p>The constructor enforces what the hardware makes impossible:
 * <ul>
 *   <li>VSX needs FP and ALTIVEC (vs0–vs31 extend the FPRs, vs32–vs63 are the VRs);</li>
 *   <li>SPE excludes ALTIVEC (both use MSR bit 25; no core has both);</li>
 *   <li>SPE exists only on 32-bit e500 cores, so only in {@code ppc32} state.</li>
 * </ul>
 * Register <em>values</em> are checked by the rules of the restore policy, when the state is
 * checkpointed and again when it is restarted (docs/FORMAT.md §12): under
 * {@link org.ckpt.spi.RestorePolicy#EXACT} a state comes back exactly as built, and a
 * {@code ppc32} state must then be a 32-bit register file (every {@link GeneralRegs} word
 * within 32 bits); under {@link org.ckpt.spi.RestorePolicy#LINUX_USER} the MSR is rebuilt and
 * nip, DABR and {@code fpexc_mode} must be what a Linux user task may hold.
 *
 * @param architecture {@link PowerPc#PPC32} or {@link PowerPc#PPC64}
 * @param regs         the general registers
 * @param fp           the FP section, or {@code null}
 * @param debug        the DEBUG section, or {@code null}
 * @param altivec      the ALTIVEC section, or {@code null}
 * @param spe          the SPE section, or {@code null}
 * @param vsx          the VSX section, or {@code null}
 * @since 0.2 (evolving; was {@code PowerPcCpu} in 0.1)
 */
public record PowerPcCpuState(String architecture, GeneralRegs regs, FpRegs fp, PowerPcDebugRegs debug,
                              AltivecRegs altivec, SpeRegs spe, VsxRegs vsx) implements CpuState {

    public PowerPcCpuState {
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
    public static PowerPcCpuState of(String architecture, GeneralRegs regs) {
        return new PowerPcCpuState(architecture, regs, null, null, null, null, null);
    }

    /**
     * A builder of a state of {@code architecture} ({@link PowerPc#PPC32} or
     * {@link PowerPc#PPC64}): general registers all zero (so a {@code ppc64} MSR without
     * {@link PowerPc#MSR_SF}, which only {@code EXACT} accepts), every section absent.
     *
     * @throws IllegalArgumentException if {@code architecture} is not a PowerPC one
     * @since 0.2
     */
    public static Builder builder(String architecture) {
        if (!PowerPc.isArchitecture(architecture)) {
            throw new IllegalArgumentException("not a PowerPC architecture: '" + architecture + "'");
        }
        return new Builder(architecture, GeneralRegs.zero(), null, null, null, null, null);
    }

    /**
     * A builder holding this state.
     *
     * @since 0.2
     */
    public Builder toBuilder() {
        return new Builder(architecture, regs, fp, debug, altivec, spe, vsx);
    }

    /** The feature mask: one {@code PowerPc.FEATURE_*} bit per present section. */
    public long features() {
        return features(fp, debug, altivec, spe, vsx);
    }

    /** Whether this is a 64-bit task. */
    public boolean is64Bit() {
        return PowerPc.PPC64.equals(architecture);
    }

    public PowerPcCpuState withRegs(GeneralRegs v) {
        return new PowerPcCpuState(architecture, v, fp, debug, altivec, spe, vsx);
    }

    public PowerPcCpuState withFp(FpRegs v) {
        return new PowerPcCpuState(architecture, regs, v, debug, altivec, spe, vsx);
    }

    public PowerPcCpuState withDebug(PowerPcDebugRegs v) {
        return new PowerPcCpuState(architecture, regs, fp, v, altivec, spe, vsx);
    }

    public PowerPcCpuState withAltivec(AltivecRegs v) {
        return new PowerPcCpuState(architecture, regs, fp, debug, v, spe, vsx);
    }

    public PowerPcCpuState withSpe(SpeRegs v) {
        return new PowerPcCpuState(architecture, regs, fp, debug, altivec, v, vsx);
    }

    public PowerPcCpuState withVsx(VsxRegs v) {
        return new PowerPcCpuState(architecture, regs, fp, debug, altivec, spe, v);
    }

    private static long features(FpRegs fp, PowerPcDebugRegs debug, AltivecRegs altivec, SpeRegs spe, VsxRegs vsx) {
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

    /**
     * Builds a {@link PowerPcCpuState}; general registers are zero and every section absent
     * unless set. {@link #build()} applies the combination rules of the constructor.
     *
     * @since 0.2
     */
    public static final class Builder {
        private final String architecture;
        private GeneralRegs regs;
        private FpRegs fp;
        private PowerPcDebugRegs debug;
        private AltivecRegs altivec;
        private SpeRegs spe;
        private VsxRegs vsx;

        private Builder(String architecture, GeneralRegs regs, FpRegs fp, PowerPcDebugRegs debug,
                        AltivecRegs altivec, SpeRegs spe, VsxRegs vsx) {
            this.architecture = architecture;
            this.regs = regs;
            this.fp = fp;
            this.debug = debug;
            this.altivec = altivec;
            this.spe = spe;
            this.vsx = vsx;
        }

        /** The general registers. */
        public Builder regs(GeneralRegs v) {
            regs = Objects.requireNonNull(v, "regs");
            return this;
        }

        /** The FP section, or {@code null} for none. */
        public Builder fp(FpRegs v) {
            fp = v;
            return this;
        }

        /** The DEBUG section, or {@code null} for none. */
        public Builder debug(PowerPcDebugRegs v) {
            debug = v;
            return this;
        }

        /** The ALTIVEC section, or {@code null} for none. */
        public Builder altivec(AltivecRegs v) {
            altivec = v;
            return this;
        }

        /** The SPE section (ppc32 only), or {@code null} for none. */
        public Builder spe(SpeRegs v) {
            spe = v;
            return this;
        }

        /** The VSX section (needs FP and ALTIVEC), or {@code null} for none. */
        public Builder vsx(VsxRegs v) {
            vsx = v;
            return this;
        }

        /**
         * The state.
         *
         * @throws IllegalArgumentException if the sections cannot occur together
         */
        public PowerPcCpuState build() {
            return new PowerPcCpuState(architecture, regs, fp, debug, altivec, spe, vsx);
        }
    }
}
