package org.ckpt.testkit.arch;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.ckpt.arch.powerpc.AltivecRegs;
import org.ckpt.arch.powerpc.DebugRegs;
import org.ckpt.arch.powerpc.FpRegs;
import org.ckpt.arch.powerpc.GeneralRegs;
import org.ckpt.arch.powerpc.PowerPc;
import org.ckpt.arch.powerpc.PowerPcCpu;
import org.ckpt.arch.powerpc.SpeRegs;
import org.ckpt.arch.powerpc.Vector128;
import org.ckpt.arch.powerpc.VsxRegs;

/**
 * jqwik generators of valid PowerPC CPU states: every combination of sections the
 * hardware allows (FP, DEBUG, ALTIVEC, SPE on ppc32 only, VSX with FP and ALTIVEC),
 * every register value the checkpoint accepts — MSR with random bits but the mode
 * bit {@link PowerPc#MSR_SF} matching the architecture, nip below the user limit,
 * {@code fpexc_mode} within FE0|FE1, DABR zero or translated and below the limit.
 *
 * <p>A restart rebuilds the MSR; compare a restored state with
 * {@link #withUserMsr(PowerPcCpu, boolean)} of the generated one.
 *
 * @since 0.1 (evolving)
 */
public final class PowerPcStates {
    private PowerPcStates() {
    }

    /** ppc32 or ppc64 states. */
    public static Arbitrary<PowerPcCpu> any() {
        return Arbitraries.oneOf(ppc32(), ppc64());
    }

    /** ppc32 states with any valid combination of FP, DEBUG, ALTIVEC, SPE and VSX. */
    public static Arbitrary<PowerPcCpu> ppc32() {
        return cpu(PowerPc.PPC32);
    }

    /** ppc64 states with any valid combination of FP, DEBUG, ALTIVEC and VSX. */
    public static Arbitrary<PowerPcCpu> ppc64() {
        return cpu(PowerPc.PPC64);
    }

    /** States of {@code architecture} with any valid feature mask. */
    public static Arbitrary<PowerPcCpu> cpu(String architecture) {
        return featureMasks(architecture).flatMap(mask -> cpu(architecture, mask));
    }

    /** The feature masks a task of {@code architecture} can have (see {@link PowerPcCpu#combinationProblem}). */
    public static Arbitrary<Long> featureMasks(String architecture) {
        return Arbitraries.longs().between(0, PowerPc.KNOWN_FEATURES)
                .filter(m -> PowerPcCpu.combinationProblem(architecture, m) == null);
    }

    /** States of {@code architecture} with exactly the sections of {@code mask}. */
    public static Arbitrary<PowerPcCpu> cpu(String architecture, long mask) {
        String problem = PowerPcCpu.combinationProblem(architecture, mask);
        if (problem != null || (mask & ~PowerPc.KNOWN_FEATURES) != 0) {
            throw new IllegalArgumentException("no " + architecture + " state has features 0x"
                    + Long.toHexString(mask) + (problem != null ? ": " + problem : ""));
        }
        Arbitrary<FpRegs> fp = (mask & PowerPc.FEATURE_FP) != 0 ? fpRegs() : absent();
        Arbitrary<DebugRegs> debug = (mask & PowerPc.FEATURE_DEBUG) != 0 ? debugRegs(architecture) : absent();
        Arbitrary<AltivecRegs> altivec = (mask & PowerPc.FEATURE_ALTIVEC) != 0 ? altivecRegs() : absent();
        Arbitrary<SpeRegs> spe = (mask & PowerPc.FEATURE_SPE) != 0 ? speRegs() : absent();
        Arbitrary<VsxRegs> vsx = (mask & PowerPc.FEATURE_VSX) != 0 ? vsxRegs() : absent();
        return Combinators.combine(generalRegs(architecture), fp, debug, altivec, spe, vsx)
                .as((r, f, d, a, s, v) -> new PowerPcCpu(architecture, r, f, d, a, s, v));
    }

    /**
     * General registers of {@code architecture}: ppc64 any 64-bit values; ppc32 mostly
     * 32-bit values, sometimes with the upper halves a 64-bit kernel may show; msr random
     * except MSR_SF, which matches the architecture; nip a user address.
     */
    public static Arbitrary<GeneralRegs> generalRegs(String architecture) {
        boolean is64 = PowerPc.PPC64.equals(architecture);
        long limit = PowerPc.userAddressLimit(architecture);
        Arbitrary<Long> word = is64 ? Arbitraries.longs()
                : Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.longs().between(0, 0xFFFF_FFFFL)),
                        Tuple.of(1, Arbitraries.longs()));
        Arbitrary<long[]> words = word.array(long[].class).ofSize(GeneralRegs.WORDS);
        Arbitrary<Long> nip = Arbitraries.longs().between(0, limit - 1).map(v -> v & ~3L);
        Arbitrary<Long> msr = Arbitraries.longs().map(v -> is64 ? v | PowerPc.MSR_SF : v & ~PowerPc.MSR_SF);
        return Combinators.combine(words, nip, msr).as((w, n, m) -> {
            long[] c = w.clone();
            c[32] = n;
            c[33] = m;
            return GeneralRegs.fromWords(c);
        });
    }

    /** FP sections: any register images and FPSCR, {@code fpexc_mode} one of the four FE0/FE1 modes. */
    public static Arbitrary<FpRegs> fpRegs() {
        return Combinators.combine(Arbitraries.longs().array(long[].class).ofSize(FpRegs.FPR_COUNT),
                        Arbitraries.longs(), Arbitraries.of(0L, PowerPc.MSR_FE1, PowerPc.MSR_FE0, PowerPc.FPEXC_MASK))
                .as(FpRegs::new);
    }

    /** DEBUG sections: DABR zero, or a user address with DABR_TRANSLATION and any read/write bits. */
    public static Arbitrary<DebugRegs> debugRegs(String architecture) {
        long limit = PowerPc.userAddressLimit(architecture);
        Arbitrary<Long> set = Combinators.combine(Arbitraries.longs().between(0, limit - 1),
                        Arbitraries.longs().between(0, 3))
                .as((address, rw) -> (address & ~PowerPc.DABR_FLAGS) | PowerPc.DABR_TRANSLATION | rw);
        return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0L)), Tuple.of(4, set)).map(DebugRegs::of);
    }

    /** ALTIVEC sections with any vector, VSCR and VRSAVE values. */
    public static Arbitrary<AltivecRegs> altivecRegs() {
        Arbitrary<Vector128> vector = Combinators.combine(Arbitraries.longs(), Arbitraries.longs())
                .as(Vector128::new);
        Arbitrary<List<Vector128>> vr = vector.list().ofSize(AltivecRegs.VR_COUNT);
        return Combinators.combine(vr, Arbitraries.integers(), Arbitraries.integers()).as(AltivecRegs::new);
    }

    /** SPE sections with any values. */
    public static Arbitrary<SpeRegs> speRegs() {
        return Combinators.combine(Arbitraries.integers().array(int[].class).ofSize(SpeRegs.EVR_COUNT),
                Arbitraries.longs(), Arbitraries.integers()).as(SpeRegs::new);
    }

    /** VSX sections with any values. */
    public static Arbitrary<VsxRegs> vsxRegs() {
        return Arbitraries.longs().array(long[].class).ofSize(VsxRegs.COUNT).map(VsxRegs::new);
    }

    /**
     * {@code c} as a restart's check phase commits it: the MSR replaced by Linux's user
     * MSR for the task's mode ({@code MSR_USER64}; {@code MSR_USER32} for a 32-bit task on
     * a 64-bit target; a 32-bit kernel's {@code MSR_USER} otherwise) ORed with the FE0/FE1
     * bits of {@code fpexc_mode}; everything else unchanged.
     */
    public static PowerPcCpu withUserMsr(PowerPcCpu c, boolean target64) {
        long msr = c.is64Bit() ? PowerPc.MSR_USER64
                : target64 ? PowerPc.MSR_USER32 : PowerPc.MSR_USER_32BIT_KERNEL;
        if (c.fp() != null) {
            msr |= c.fp().fpexcMode() & PowerPc.FPEXC_MASK;
        }
        return c.withRegs(c.regs().withMsr(msr));
    }

    private static <T> Arbitrary<T> absent() {
        return Arbitraries.create(() -> null);
    }
}
