package org.ckpt.testkit.arch;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.ckpt.arch.x86.FxSave;
import org.ckpt.arch.x86.I386Regs;
import org.ckpt.arch.x86.I386State;
import org.ckpt.arch.x86.UserDesc;
import org.ckpt.arch.x86.X86CpuState;
import org.ckpt.arch.x86.X86DebugRegs;
import org.ckpt.arch.x86.X86_64Regs;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.arch.x86.XFeature;
import org.ckpt.arch.x86.XSave;

/**
 * jqwik generators of x86 CPU states.
 *
 * <p>{@link #x86_64()}, {@link #i386()}, {@link #any()} and {@link #cpu(String)} give
 * states that pass the x86 provider's {@code LINUX_USER} rules unchanged on a target of
 * their own architecture that declares every feature (the in-memory restart): user
 * selectors, user addresses, eflags already within ptrace's FLAG_MASK plus 0x202, MXCSR
 * within its mask, valid XCR0 values, well-formed DR7 and TLS descriptors; the x87 state
 * sometimes carries FCS/FDS and a full tag word other than the derived one. So a
 * checkpoint and restart of a generated state, under either policy, must give it back bit
 * for bit. {@link #anyCpu(String)} gives states from the full range of every field, for
 * the policy-agreement property of {@code ArchProviderContract}.
 *
 * @since 0.1 (evolving)
 */
public final class X86States {
    /** Exclusive user limit of x86_64 (TASK_SIZE_MAX, 4-level paging). */
    public static final long LIMIT_X86_64 = 0x7FFF_FFFF_F000L;
    /** Addresses below this are user addresses under both i386 layouts (3G/1G native, compat). */
    public static final long LIMIT_I386 = 0xC000_0000L;

    private static final long FLAG_MASK_64 = 0x54DD5L;
    private static final int FLAG_MASK_32 = 0x50DD5;
    private static final List<Long> XCR0S = List.of(0x3L, 0x7L, 0x207L, 0x1FL, 0xE7L, 0x2E7L, 0x2FFL, 0x602E7L, 0x602FFL);
    /** Every XCR0 value XSETBV accepts over the features this library knows. */
    private static final List<Long> ALL_XCR0S = allXcr0s();

    private X86States() {
    }

    /** Any valid state of either architecture, every optional part present. */
    public static Arbitrary<X86CpuState> any() {
        return Arbitraries.oneOf(x86_64(), i386());
    }

    /** Valid 64-bit states, debug registers present. */
    public static Arbitrary<X86_64State> x86_64() {
        return Combinators.combine(regs64(), fxSave(), xsave(), debug(LIMIT_X86_64, true, false))
                .as(X86_64State::new);
    }

    /** Valid 32-bit states, under either kernel layout (compat: CS 0x23, native: CS 0x73), debug registers and TLS present. */
    public static Arbitrary<I386State> i386() {
        return Arbitraries.of(true, false).flatMap(compat -> Combinators.combine(regs32(compat), fxSave(), xsave(),
                debug(LIMIT_I386, compat, true), tls(compat)).as(I386State::new));
    }

    /**
     * Valid states of {@code architecture} as {@link #x86_64()} and {@link #i386()} give them,
     * with the optional parts (debug registers; i386 TLS descriptors) sometimes unknown.
     *
     * @since 0.2
     */
    public static Arbitrary<X86CpuState> cpu(String architecture) {
        return switch (architecture) {
            case X86_64State.ARCH -> Combinators.combine(x86_64(), Arbitraries.integers().between(0, 3))
                    .as((s, k) -> (X86CpuState) (k == 0 ? s.withDebug(null) : s));
            case I386State.ARCH -> Combinators.combine(i386(), Arbitraries.integers().between(0, 7))
                    .as((s, k) -> (X86CpuState) ((k & 3) == 0 ? s.withDebug(null) : (k & 3) == 1 ? s.withTls(null)
                            : k == 2 ? s.withDebug(null).withTls(null) : s));
            default -> throw new IllegalArgumentException("not an x86 architecture: " + architecture);
        };
    }

    /**
     * States of {@code architecture} from the full range of every field: every register any
     * value of its type (selectors any 64-bit or 32-bit value, so some do not fit 16 bits;
     * i386 debug registers any 64-bit value), optional parts present or absent, any valid
     * XCR0 with any XSTATE_BV and contents, any tag words. The values at the boundaries of
     * both policies' rules (user limits, user selectors, flag masks, DR7 bits, MXCSR masks,
     * TLS descriptor rules) are drawn often. A third of the states have every field
     * drawn so; half are valid states ({@link #cpu}) with one to three fields drawn so,
     * the rest valid states as they are: both policies' acceptance and refusal of each
     * rule occur.
     *
     * @since 0.2
     */
    public static Arbitrary<X86CpuState> anyCpu(String architecture) {
        Arbitrary<X86CpuState> base = cpu(architecture);
        return Combinators.combine(base, Arbitraries.longs(), Arbitraries.integers().between(0, 5))
                .as((s, seed, k) -> wild(s, new SplittableRandom(seed), k))
                .withoutEdgeCases();
    }

    // ---- full range ----

    /** {@code k} 0: the valid state; 1-3: k fields replaced; 4-5: every field replaced. */
    private static X86CpuState wild(X86CpuState s, SplittableRandom rnd, int k) {
        if (s instanceof X86_64State x) {
            List<BiFunction<X86_64State, SplittableRandom, X86_64State>> m = mutators64();
            if (k >= 4) {
                for (BiFunction<X86_64State, SplittableRandom, X86_64State> f : m) {
                    x = f.apply(x, rnd);
                }
            } else {
                for (int i = 0; i < k; i++) {
                    x = m.get(rnd.nextInt(m.size())).apply(x, rnd);
                }
            }
            return x;
        }
        I386State x = (I386State) s;
        List<BiFunction<I386State, SplittableRandom, I386State>> m = mutators32();
        if (k >= 4) {
            for (BiFunction<I386State, SplittableRandom, I386State> f : m) {
                x = f.apply(x, rnd);
            }
        } else {
            for (int i = 0; i < k; i++) {
                x = m.get(rnd.nextInt(m.size())).apply(x, rnd);
            }
        }
        return x;
    }

    private static final long[] SELECTORS = {0, 3, 0x10, 0x13, 0x23, 0x2b, 0x33, 0x3b, 0x63, 0x6b, 0x73, 0x7b, 0x0F,
        0x1007, 0xFFFF, 0x1_0000, 0x1_0033, 0xFFFF_002BL, -1};
    private static final long[] ADDRESSES = {0, 0xBFFF_FFFFL, 0xC000_0000L, 0xFFFF_DFFFL, 0xFFFF_E000L, 0xFFFF_FFFFL,
        0x1_0000_0000L, LIMIT_X86_64 - 8, LIMIT_X86_64 - 1, LIMIT_X86_64, 0x8000_0000_0000L, 0xFFFF_8000_0000_0000L,
        0xFFFF_FFFF_FF60_0000L, -1};
    private static final long[] FLAGS = {0x2, 0x202, 0x47, 0x246, 0x202 | FLAG_MASK_64, 0x3202, 0x20202, 0x200002,
        0xFFFF_FFFFL, 0x1_0000_0202L, -1};
    private static final long[] DR7S = {0, 0x400, 0x2000, 0x2_0001, 0xC_0001, 0xD_0001, 0x9_0001, 0xB0_0004,
        0x1_0000_0000L, 0xFFFF_FFFF_0000_0400L, -1};
    private static final long[] DR6S = {0, 0xFFFF_0FF0L, 0x1_FFFF_0FF0L, -1};
    private static final int[] MXCSRS = {0x1F80, 0x3FC0, 0xFFFF, 0x1_1F80, 0x2_1F80, 0x2_FFFF, -1};
    private static final int[] MXCSR_MASKS = {0, 0xFFFF, 0xFFBF, 0x2_FFFF, 0x3_FFFF, -1};

    private static long pick(SplittableRandom rnd, long[] edges) {
        if (edges == SELECTORS) {
            // Mostly 16-bit values: a random wider one fails the width rule before any other.
            int k = rnd.nextInt(6);
            return k == 0 ? rnd.nextLong() : k <= 2 ? rnd.nextInt(0x10000) : edges[rnd.nextInt(edges.length)];
        }
        return rnd.nextInt(3) == 0 ? rnd.nextLong() : edges[rnd.nextInt(edges.length)];
    }

    private static int pick32(SplittableRandom rnd, long[] edges) {
        return (int) pick(rnd, edges);
    }

    private static int pick(SplittableRandom rnd, int[] edges) {
        return rnd.nextInt(3) == 0 ? rnd.nextInt() : edges[rnd.nextInt(edges.length)];
    }

    private static long[] edges64(int word) {
        return switch (word) {
            case 16, 21, 22 -> ADDRESSES; // rip, fs_base, gs_base
            case 17, 20, 23, 24, 25, 26 -> SELECTORS;
            case 18 -> FLAGS;
            default -> new long[] {0, -1, 1L << 63};
        };
    }

    private static long[] edges32(int word) {
        return switch (word) {
            case 12 -> ADDRESSES; // eip
            case 7, 8, 9, 10, 13, 16 -> SELECTORS;
            case 14 -> FLAGS;
            default -> new long[] {0, -1, 1L << 31};
        };
    }

    private static List<BiFunction<X86_64State, SplittableRandom, X86_64State>> mutators64() {
        List<BiFunction<X86_64State, SplittableRandom, X86_64State>> m = new ArrayList<>();
        for (int i = 0; i < X86_64Regs.WORDS; i++) {
            int word = i;
            m.add((s, rnd) -> {
                long[] w = s.regs().toArray();
                w[word] = pick(rnd, edges64(word));
                return s.withRegs(X86_64Regs.fromArray(w));
            });
        }
        for (BiFunction<FxSave, SplittableRandom, FxSave> f : fpuMutators()) {
            m.add((s, rnd) -> s.withFpu(f.apply(s.fpu(), rnd)));
        }
        m.add((s, rnd) -> s.withXsave(wildXsave(rnd)));
        m.add((s, rnd) -> s.withDebug(wildDebug(rnd)));
        return m;
    }

    private static List<BiFunction<I386State, SplittableRandom, I386State>> mutators32() {
        List<BiFunction<I386State, SplittableRandom, I386State>> m = new ArrayList<>();
        for (int i = 0; i < I386Regs.WORDS; i++) {
            int word = i;
            m.add((s, rnd) -> {
                int[] w = s.regs().toArray();
                w[word] = pick32(rnd, edges32(word));
                return s.withRegs(I386Regs.fromArray(w));
            });
        }
        for (BiFunction<FxSave, SplittableRandom, FxSave> f : fpuMutators()) {
            m.add((s, rnd) -> s.withFpu(f.apply(s.fpu(), rnd)));
        }
        m.add((s, rnd) -> s.withXsave(wildXsave(rnd)));
        m.add((s, rnd) -> s.withDebug(wildDebug(rnd)));
        m.add((s, rnd) -> s.withTls(wildTls(rnd)));
        return m;
    }

    private static List<BiFunction<FxSave, SplittableRandom, FxSave>> fpuMutators() {
        return List.of(
            (f, rnd) -> f.toBuilder().fcw(rnd.nextInt(0x10000)).fsw(rnd.nextInt(0x10000)).build(),
            (f, rnd) -> f.toBuilder().fop(rnd.nextInt(0x10000)).fip(rnd.nextLong()).fdp(rnd.nextLong()).build(),
            (f, rnd) -> f.toBuilder().fcs(rnd.nextInt(0x10000)).fds(rnd.nextInt(0x10000)).build(),
            (f, rnd) -> rnd.nextBoolean() ? f.withTagWord(rnd.nextInt(0x10000))
                    : f.toBuilder().ftw(rnd.nextInt(0x100)).build(),
            (f, rnd) -> f.withMxcsr(pick(rnd, MXCSRS), pick(rnd, MXCSR_MASKS)),
            (f, rnd) -> f.toBuilder().st(randomBytes(rnd, FxSave.ST_BYTES)).xmm(randomBytes(rnd, FxSave.XMM_BYTES))
                    .build());
    }

    private static XSave wildXsave(SplittableRandom rnd) {
        if (rnd.nextInt(4) == 0) {
            return null;
        }
        long xcr0 = ALL_XCR0S.get(rnd.nextInt(ALL_XCR0S.size()));
        List<XSave.Component> c = new ArrayList<>();
        for (XFeature f : XFeature.extended(xcr0)) {
            c.add(new XSave.Component(f, randomBytes(rnd, f.size())));
        }
        return new XSave(xcr0, rnd.nextLong() & xcr0, c);
    }

    private static X86DebugRegs wildDebug(SplittableRandom rnd) {
        if (rnd.nextInt(4) == 0) {
            return null;
        }
        return new X86DebugRegs(pick(rnd, ADDRESSES), pick(rnd, ADDRESSES), pick(rnd, ADDRESSES),
                pick(rnd, ADDRESSES), pick(rnd, DR6S), pick(rnd, DR7S));
    }

    private static final long[] TLS_ENTRIES = {6, 7, 8, 12, 13, 14, 0, -1};
    private static final long[] TLS_LIMITS = {0, 0xFFFFF, 0x10_0000, -1};
    private static final long[] TLS_FLAGS = {0x28, 0, 0x51, 0x50, 0x55, 0x71, 0x151, 0x53, -1};

    private static List<UserDesc> wildTls(SplittableRandom rnd) {
        if (rnd.nextInt(4) == 0) {
            return null;
        }
        List<UserDesc> l = new ArrayList<>();
        for (int i = 0; i < I386State.TLS_ENTRIES; i++) {
            l.add(new UserDesc(pick32(rnd, TLS_ENTRIES), rnd.nextInt(), pick32(rnd, TLS_LIMITS),
                    pick32(rnd, TLS_FLAGS)));
        }
        return l;
    }

    private static byte[] randomBytes(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i += 8) {
            long v = rnd.nextLong();
            for (int k = 0; k < 8 && i + k < n; k++) {
                b[i + k] = (byte) (v >>> (8 * k));
            }
        }
        return b;
    }

    private static List<Long> allXcr0s() {
        long[] groups = {XFeature.SSE.mask(), XFeature.AVX.mask(), XFeature.BNDREGS.mask() | XFeature.BNDCSR.mask(),
            XFeature.OPMASK.mask() | XFeature.ZMM_HI256.mask() | XFeature.HI16_ZMM.mask(), XFeature.PKRU.mask(),
            XFeature.XTILECFG.mask() | XFeature.XTILEDATA.mask()};
        List<Long> out = new ArrayList<>();
        for (int set = 0; set < 1 << groups.length; set++) {
            long xcr0 = XFeature.X87.mask();
            for (int g = 0; g < groups.length; g++) {
                if ((set & (1 << g)) != 0) {
                    xcr0 |= groups[g];
                }
            }
            if (XFeature.xcr0Problem(xcr0) == null) {
                out.add(xcr0);
            }
        }
        return List.copyOf(out);
    }

    // ---- registers ----

    private static Arbitrary<X86_64Regs> regs64() {
        Arbitrary<long[]> words = Arbitraries.longs().array(long[].class).ofSize(X86_64Regs.WORDS);
        Arbitrary<List<Long>> addresses = Arbitraries.longs().between(0, LIMIT_X86_64 - 1).list().ofSize(3);
        Arbitrary<Long> eflags = Arbitraries.longs().map(v -> 0x202L | (v & FLAG_MASK_64));
        Arbitrary<List<Long>> selectors = selector().map(Integer::longValue).list().ofSize(4);
        return Combinators.combine(words, addresses, eflags, selectors).as((w, a, f, s) -> {
            long[] v = w.clone();
            v[16] = a.get(0);
            v[17] = 0x33;
            v[18] = f;
            v[20] = 0x2b;
            v[21] = a.get(1);
            v[22] = a.get(2);
            v[23] = s.get(0);
            v[24] = s.get(1);
            v[25] = s.get(2);
            v[26] = s.get(3);
            return X86_64Regs.fromArray(v);
        });
    }

    /** Null, or any selector with RPL 3. */
    private static Arbitrary<Integer> selector() {
        return Arbitraries.integers().between(0, 0xFFFF).map(v -> v < 8 ? 0 : v | 3);
    }

    private static Arbitrary<I386Regs> regs32(boolean compat) {
        int cs = compat ? 0x23 : 0x73;
        int ds = compat ? 0x2b : 0x7b;
        int tls = compat ? 12 : 6;
        Arbitrary<Integer> data = Arbitraries.of(0, ds, ((tls) << 3) | 3, ((tls + 1) << 3) | 3, ((tls + 2) << 3) | 3,
                0x0F, 0x1007);
        Arbitrary<int[]> words = Arbitraries.integers().array(int[].class).ofSize(I386Regs.WORDS);
        Arbitrary<Long> eip = Arbitraries.longs().between(0, LIMIT_I386 - 1);
        Arbitrary<Integer> eflags = Arbitraries.integers().map(v -> 0x202 | (v & FLAG_MASK_32));
        return Combinators.combine(words, eip, eflags, data.list().ofSize(4)).as((w, ip, f, s) -> {
            int[] v = w.clone();
            v[7] = s.get(0);
            v[8] = s.get(1);
            v[9] = s.get(2);
            v[10] = s.get(3);
            v[12] = (int) (long) ip;
            v[13] = cs;
            v[14] = f;
            v[16] = ds;
            return I386Regs.fromArray(v);
        });
    }

    private static Arbitrary<List<UserDesc>> tls(boolean compat) {
        int min = compat ? 12 : 6;
        Arbitrary<int[]> one = Combinators.combine(Arbitraries.integers(), Arbitraries.integers().between(0, 0xFFFFF),
                Arbitraries.integers().between(0, 15), Arbitraries.of(true, false)).as((base, limit, bits, empty) ->
                empty ? null : new int[] {base, limit, 1 | ((bits & 1) << 1) | ((bits & 2) << 2) | ((bits & 4) << 2)
                    | ((bits & 8) << 3)});
        return one.injectNull(0.0).list().ofSize(3).map(l -> {
            List<UserDesc> out = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int[] d = l.get(i);
                out.add(d == null ? UserDesc.empty(min + i) : new UserDesc(min + i, d[0], d[1], d[2]));
            }
            return out;
        });
    }

    // ---- FPU ----

    /**
     * FXSAVE images as a CPU writes them, and now and then what only an emulator holds:
     * FCS/FDS beside 64-bit pointers, a full tag word other than the derived one.
     */
    private static Arbitrary<FxSave> fxSave() {
        Arbitrary<int[]> words = Combinators.combine(Arbitraries.integers().between(0, 0xFFFF),
                Arbitraries.integers().between(0, 0xFFFF), Arbitraries.integers().between(0, 0xFF),
                Arbitraries.integers().between(0, 0x7FF)).as((a, b, c, d) -> new int[] {a, b, c, d});
        Arbitrary<int[]> mxcsr = Combinators.combine(Arbitraries.of(0, 0xFFFF, 0xFFBF, 0x2FFFF),
                Arbitraries.integers()).as((mask, v) -> new int[] {v & (mask == 0 ? 0xFFFF : mask) & 0xFFFF, mask});
        Arbitrary<FxSave> image = Combinators.combine(words, Arbitraries.longs(), Arbitraries.longs(), mxcsr,
                bytes(FxSave.ST_BYTES), bytes(FxSave.XMM_BYTES)).as((w, fip, fdp, m, st, xmm) ->
                new FxSave(w[0], w[1], w[2], w[3], fip, fdp, m[0], m[1], st, xmm));
        Arbitrary<int[]> ext = Combinators.combine(Arbitraries.integers().between(0, 0xFFFF),
                Arbitraries.integers().between(0, 0xFFFF), Arbitraries.integers().between(0, 0xFFFF))
                .as((cs, ds, tags) -> new int[] {cs, ds, tags});
        return Arbitraries.frequencyOf(Tuple.of(3, image), Tuple.of(1, Combinators.combine(image, ext)
                .as((f, e) -> f.withSelectors(e[0], e[1]).withTagWord(e[2]))));
    }

    private static Arbitrary<byte[]> bytes(int n) {
        return Arbitraries.bytes().array(byte[].class).ofSize(n);
    }

    private static Arbitrary<XSave> xsave() {
        return Arbitraries.of(XCR0S).<XSave>flatMap(xcr0 -> {
            List<XFeature> fs = XFeature.extended(xcr0);
            Arbitrary<List<byte[]>> data = fs.isEmpty() ? Arbitraries.just(List.of())
                    : Combinators.combine(fs.stream().map(f -> bytes(f.size())).toList()).as(l -> l);
            return Combinators.combine(Arbitraries.longs(), data).as((bv, d) -> {
                List<XSave.Component> c = new ArrayList<>();
                for (int i = 0; i < fs.size(); i++) {
                    c.add(new XSave.Component(fs.get(i), d.get(i)));
                }
                return new XSave(xcr0, bv & xcr0, c);
            });
        }).injectNull(0.2);
    }

    // ---- debug registers ----

    private static Arbitrary<X86DebugRegs> debug(long limit, boolean len8, boolean is32) {
        Arbitrary<List<Long>> addresses = Arbitraries.longs().between(0, (limit - 8) / 8).map(v -> v * 8).list()
                .ofSize(4);
        Arbitrary<List<Integer>> slots = Arbitraries.integers().between(0, 63).list().ofSize(4);
        Arbitrary<Long> dr6 = is32 ? Arbitraries.longs().between(0, 0xFFFF_FFFFL)
                : Arbitraries.longs().between(0, 0xFFFF_FFFFL);
        Arbitrary<X86DebugRegs> some = Combinators.combine(addresses, slots, dr6).as((a, s, d6) -> {
            long dr7 = 0;
            for (int i = 0; i < 4; i++) {
                int v = s.get(i);
                int enable = v & 3;
                int rw = new int[] {0, 1, 3, 3}[(v >> 2) & 3];
                int len = new int[] {0, 1, 3, len8 ? 2 : 3}[(v >> 4) & 3];
                if (rw == 0) {
                    len = 0;
                }
                dr7 |= (long) enable << (2 * i);
                dr7 |= (long) (rw | (len << 2)) << (16 + 4 * i);
            }
            return new X86DebugRegs(a.get(0), a.get(1), a.get(2), a.get(3), d6, dr7);
        });
        return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(X86DebugRegs.NONE)), Tuple.of(3, some));
    }
}
