package org.ckpt.testkit.arch;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.ckpt.arch.powerpc.AltivecRegs;
import org.ckpt.arch.powerpc.PowerPcDebugRegs;
import org.ckpt.arch.powerpc.FpRegs;
import org.ckpt.arch.powerpc.GeneralRegs;
import org.ckpt.arch.powerpc.PowerPc;
import org.ckpt.arch.powerpc.PowerPcCpuState;
import org.ckpt.arch.powerpc.SpeRegs;
import org.ckpt.arch.powerpc.Vector128;
import org.ckpt.arch.powerpc.VsxRegs;

/**
 * jqwik generators of PowerPC CPU states.
 *
 * <p>{@link #cpu(String)} and friends give states a checkpoint under
 * {@link org.ckpt.spi.RestorePolicy#LINUX_USER} (the default policy) accepts: every combination of sections the
 * hardware allows (FP, DEBUG, ALTIVEC, SPE on ppc32 only, VSX with FP and ALTIVEC), MSR with
 * random bits but the mode bit {@link PowerPc#MSR_SF} matching the architecture, nip below the
 * user limit, {@code fpexc_mode} within FE0|FE1, DABR zero or translated and below the limit.
 * A LINUX_USER restart rebuilds the MSR; compare a restored state with
 * {@link #withUserMsr(PowerPcCpuState)} of the generated one.
 *
 * <p>{@link #exactCpu(String)} gives states {@link org.ckpt.spi.RestorePolicy#EXACT} accepts
 * and returns bit for bit (a {@code ppc32} one is a 32-bit register file);
 * {@link #anyCpu(String)} states from the full range of every field, valid or not under
 * either policy, with the boundaries of both policies' rules among the values, for
 * {@code ArchProviderContract.anyStates}.
 *
 * @since 0.1 (evolving)
 */
public final class PowerPcStates {
    private PowerPcStates() {
    }

    /** ppc32 or ppc64 states. */
    public static Arbitrary<PowerPcCpuState> any() {
        return Arbitraries.oneOf(ppc32(), ppc64());
    }

    /** ppc32 states with any valid combination of FP, DEBUG, ALTIVEC, SPE and VSX. */
    public static Arbitrary<PowerPcCpuState> ppc32() {
        return cpu(PowerPc.PPC32);
    }

    /** ppc64 states with any valid combination of FP, DEBUG, ALTIVEC and VSX. */
    public static Arbitrary<PowerPcCpuState> ppc64() {
        return cpu(PowerPc.PPC64);
    }

    /** States of {@code architecture} with any valid feature mask. */
    public static Arbitrary<PowerPcCpuState> cpu(String architecture) {
        return featureMasks(architecture).flatMap(mask -> cpu(architecture, mask));
    }

    /** The feature masks a task of {@code architecture} can have (see {@link PowerPcCpuState#combinationProblem}). */
    public static Arbitrary<Long> featureMasks(String architecture) {
        return Arbitraries.longs().between(0, PowerPc.KNOWN_FEATURES)
                .filter(m -> PowerPcCpuState.combinationProblem(architecture, m) == null);
    }

    /** States of {@code architecture} with exactly the sections of {@code mask}. */
    public static Arbitrary<PowerPcCpuState> cpu(String architecture, long mask) {
        String problem = PowerPcCpuState.combinationProblem(architecture, mask);
        if (problem != null || (mask & ~PowerPc.KNOWN_FEATURES) != 0) {
            throw new IllegalArgumentException("no " + architecture + " state has features 0x"
                    + Long.toHexString(mask) + (problem != null ? ": " + problem : ""));
        }
        return sections(architecture, mask, generalRegs(architecture), fpRegs(), debugRegs(architecture));
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
    public static Arbitrary<PowerPcDebugRegs> debugRegs(String architecture) {
        long limit = PowerPc.userAddressLimit(architecture);
        Arbitrary<Long> set = Combinators.combine(Arbitraries.longs().between(0, limit - 1),
                        Arbitraries.longs().between(0, 3))
                .as((address, rw) -> (address & ~PowerPc.DABR_FLAGS) | PowerPc.DABR_TRANSLATION | rw);
        return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0L)), Tuple.of(4, set)).map(PowerPcDebugRegs::of);
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
     * {@code c} as a {@code LINUX_USER} restart commits it, on any target: the MSR replaced by
     * Linux's user MSR for the task's mode ({@code MSR_USER64} for ppc64; for ppc32 the 32-bit
     * value {@code MSR_USER_PPC32} a 32-bit view shows, whatever the target's bitness) ORed
     * with the FE0/FE1 bits of {@code fpexc_mode}; everything else unchanged.
     *
     * @since 0.2 (replaces {@code withUserMsr(PowerPcCpu, boolean)})
     */
    public static PowerPcCpuState withUserMsr(PowerPcCpuState c) {
        long msr = c.is64Bit() ? PowerPc.MSR_USER64 : PowerPc.MSR_USER_PPC32;
        if (c.fp() != null) {
            msr |= c.fp().fpexcMode() & PowerPc.FPEXC_MASK;
        }
        return c.withRegs(c.regs().withMsr(msr));
    }

    // ---- EXACT and the full range ------------------------------------------------------------

    /**
     * States {@code EXACT} accepts and gives back bit for bit, with any valid feature mask: a
     * ppc64 state with any register values (MSR_SF set or clear); a ppc32 state with every
     * general register and DABR within 32 bits; no further debug registers.
     *
     * @since 0.2
     */
    public static Arbitrary<PowerPcCpuState> exactCpu(String architecture) {
        boolean is64 = PowerPc.PPC64.equals(architecture);
        return featureMasks(architecture).flatMap(mask -> {
            Arbitrary<Long> word = is64 ? anyWord() : word32();
            Arbitrary<GeneralRegs> regs = word.array(long[].class).ofSize(GeneralRegs.WORDS)
                    .map(GeneralRegs::fromWords);
            Arbitrary<PowerPcDebugRegs> debug = word.map(PowerPcDebugRegs::of);
            return sections(architecture, mask, regs, anyFpRegs(), debug);
        }).withoutEdgeCases();
    }

    /**
     * States of {@code architecture} from the full range of every field, valid or not under
     * either policy: each register random over its whole width, 32-bit values and the
     * boundaries of the rules (user limits, MSR_SF, FE0/FE1, DABR_TRANSLATION, 2^32) mixed in;
     * every valid feature mask; sometimes further debug registers (which no version defines).
     * Sections outside the combination rules are not generated: the value type refuses them.
     *
     * @since 0.2
     */
    public static Arbitrary<PowerPcCpuState> anyCpu(String architecture) {
        return featureMasks(architecture).flatMap(mask -> sections(architecture, mask, anyGeneralRegs(architecture),
                anyFpRegs(), anyDebugRegs(architecture))).withoutEdgeCases();
    }

    /**
     * General registers from the full range: either a 32-bit register file or words of any
     * width, with nip and MSR drawn around the rules' boundaries most of the time.
     *
     * @since 0.2
     */
    public static Arbitrary<GeneralRegs> anyGeneralRegs(String architecture) {
        Arbitrary<long[]> words = Arbitraries.oneOf(word32().array(long[].class).ofSize(GeneralRegs.WORDS),
                anyWord().array(long[].class).ofSize(GeneralRegs.WORDS));
        // nip and MSR mostly from their own generators, which aim at the rules' boundaries.
        Arbitrary<Integer> keep = Arbitraries.integers().between(0, 15);
        return Combinators.combine(words, anyNip(architecture), anyMsr(architecture), keep)
                .as((w, nip, msr, k) -> {
                    long[] c = w.clone();
                    if (k >= 2) {
                        c[32] = nip;
                    }
                    if (k % 8 != 0) {
                        c[33] = msr;
                    }
                    return GeneralRegs.fromWords(c);
                });
    }

    /**
     * FP sections from the full range: any register images and FPSCR, {@code fpexc_mode}
     * mostly one of the four Linux modes, sometimes any value.
     *
     * @since 0.2
     */
    public static Arbitrary<FpRegs> anyFpRegs() {
        Arbitrary<Long> fpexc = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(0L, PowerPc.MSR_FE1, PowerPc.MSR_FE0, PowerPc.FPEXC_MASK)),
                Tuple.of(1, Arbitraries.longs()),
                Tuple.of(1, Arbitraries.of(1L, 0x8000L, PowerPc.FPEXC_MASK | 1, PowerPc.MSR_SF, -1L)));
        return Combinators.combine(Arbitraries.longs().array(long[].class).ofSize(FpRegs.FPR_COUNT),
                Arbitraries.longs(), fpexc).as(FpRegs::new);
    }

    /**
     * DEBUG sections from the full range: DABR zero, valid for Linux, at the rules' boundaries
     * or any value; sometimes with further debug registers of any id.
     *
     * @since 0.2
     */
    public static Arbitrary<PowerPcDebugRegs> anyDebugRegs(String architecture) {
        long limit = PowerPc.userAddressLimit(architecture);
        Arbitrary<Long> valid = Combinators.combine(Arbitraries.longs().between(0, limit - 1),
                        Arbitraries.longs().between(0, 3))
                .as((address, rw) -> (address & ~PowerPc.DABR_FLAGS) | PowerPc.DABR_TRANSLATION | rw);
        Arbitrary<Long> dabr = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0L)), Tuple.of(3, valid),
                Tuple.of(2, Arbitraries.longs()), Tuple.of(1, word32()),
                Tuple.of(1, Arbitraries.of(limit | PowerPc.DABR_TRANSLATION, (limit - 8) | 7, limit - 8 + 3,
                        (1L << 32) | PowerPc.DABR_TRANSLATION, 0x1000_0003L, -1L)));
        Arbitrary<PowerPcDebugRegs.Entry> entry = Combinators.combine(Arbitraries.integers(), Arbitraries.longs())
                .as(PowerPcDebugRegs.Entry::new);
        Arbitrary<List<PowerPcDebugRegs.Entry>> extra = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(List.<PowerPcDebugRegs.Entry>of())),
                Tuple.of(1, entry.list().ofMinSize(1).ofMaxSize(3)));
        return Combinators.combine(dabr, extra).as(PowerPcDebugRegs::new);
    }

    private static Arbitrary<PowerPcCpuState> sections(String architecture, long mask, Arbitrary<GeneralRegs> regs,
                                                       Arbitrary<FpRegs> fpRegs,
                                                       Arbitrary<PowerPcDebugRegs> debugRegs) {
        Arbitrary<FpRegs> fp = (mask & PowerPc.FEATURE_FP) != 0 ? fpRegs : absent();
        Arbitrary<PowerPcDebugRegs> debug = (mask & PowerPc.FEATURE_DEBUG) != 0 ? debugRegs : absent();
        Arbitrary<AltivecRegs> altivec = (mask & PowerPc.FEATURE_ALTIVEC) != 0 ? altivecRegs() : absent();
        Arbitrary<SpeRegs> spe = (mask & PowerPc.FEATURE_SPE) != 0 ? speRegs() : absent();
        Arbitrary<VsxRegs> vsx = (mask & PowerPc.FEATURE_VSX) != 0 ? vsxRegs() : absent();
        return Combinators.combine(regs, fp, debug, altivec, spe, vsx)
                .as((r, f, d, a, s, v) -> new PowerPcCpuState(architecture, r, f, d, a, s, v));
    }

    /** Any 64-bit word: random, 32-bit, or a boundary of the rules. */
    private static Arbitrary<Long> anyWord() {
        return Arbitraries.frequencyOf(Tuple.of(5, Arbitraries.longs()),
                Tuple.of(3, Arbitraries.longs().between(0, 0xFFFF_FFFFL)), Tuple.of(2, boundaries()));
    }

    /** A word within 32 bits, sometimes at its edges. */
    private static Arbitrary<Long> word32() {
        return Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.longs().between(0, 0xFFFF_FFFFL)),
                Tuple.of(1, Arbitraries.of(0L, 1L, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_EFFCL, 0xFFFF_F000L,
                        0xFFFF_FFFCL, 0xFFFF_FFFFL)));
    }

    private static Arbitrary<Long> boundaries() {
        return Arbitraries.of(0L, 1L, -1L, 0xFFFF_FFFFL, 1L << 32, (1L << 32) | 1, PowerPc.USER_LIMIT_PPC32,
                PowerPc.USER_LIMIT_PPC32 - 4, PowerPc.USER_LIMIT_PPC64, PowerPc.USER_LIMIT_PPC64 - 4, PowerPc.MSR_SF,
                Long.MAX_VALUE, 0xFFFF_FFFF_0000_0000L);
    }

    /** nip: any, any 32-bit, a user address of either architecture, or at a limit. */
    private static Arbitrary<Long> anyNip(String architecture) {
        long limit = PowerPc.userAddressLimit(architecture);
        return Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.longs()),
                Tuple.of(2, Arbitraries.longs().between(0, 0xFFFF_FFFFL)),
                Tuple.of(3, Arbitraries.longs().between(0, limit - 1).map(v -> v & ~3L)),
                Tuple.of(2, Arbitraries.of(limit - 4, limit, limit + 4, 0xFFFF_FFFCL, 1L << 32, -4L, 0L,
                        0xFFF0_0100L)));
    }

    /**
     * MSR: mostly of the architecture's width and mode (ppc64 with MSR_SF, ppc32 within 32 bits),
     * else any value, the other mode, or one of Linux's user values and the reset values.
     */
    private static Arbitrary<Long> anyMsr(String architecture) {
        Arbitrary<Long> native_ = PowerPc.PPC64.equals(architecture)
                ? Arbitraries.longs().map(v -> v | PowerPc.MSR_SF) : Arbitraries.longs().between(0, 0xFFFF_FFFFL);
        return Arbitraries.frequencyOf(Tuple.of(4, native_), Tuple.of(2, Arbitraries.longs()),
                Tuple.of(1, Arbitraries.longs().map(v -> v | PowerPc.MSR_SF)),
                Tuple.of(1, Arbitraries.longs().between(0, 0xFFFF_FFFFL)),
                Tuple.of(2, Arbitraries.of(PowerPc.MSR_USER32, PowerPc.MSR_USER64, PowerPc.MSR_USER_PPC32, 0x2040L,
                        0x40L, PowerPc.MSR_SF, 0L, PowerPc.MSR_USER64 | PowerPc.FPEXC_MASK)));
    }

    private static <T> Arbitrary<T> absent() {
        return Arbitraries.create(() -> null);
    }
}
