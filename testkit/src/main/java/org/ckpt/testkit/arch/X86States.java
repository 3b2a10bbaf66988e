package org.ckpt.testkit.arch;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.ckpt.arch.x86.X86DebugRegs;
import org.ckpt.arch.x86.FxSave;
import org.ckpt.arch.x86.I386Regs;
import org.ckpt.arch.x86.I386State;
import org.ckpt.arch.x86.UserDesc;
import org.ckpt.arch.x86.X86CpuState;
import org.ckpt.arch.x86.X86_64Regs;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.arch.x86.XFeature;
import org.ckpt.arch.x86.XSave;

/**
 * jqwik generators of x86 CPU states that pass the x86 provider's check phase unchanged
 * on a target of their own architecture that declares every feature (the in-memory
 * restart): user selectors, user addresses, eflags already within ptrace's FLAG_MASK
 * plus 0x202, MXCSR within its mask, valid XCR0 values, well-formed DR7 and TLS
 * descriptors. So a checkpoint and restart of a generated state must give it back
 * bit for bit.
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

    private X86States() {
    }

    /** Any valid state of either architecture. */
    public static Arbitrary<X86CpuState> any() {
        return Arbitraries.oneOf(x86_64(), i386());
    }

    /** Valid 64-bit states. */
    public static Arbitrary<X86_64State> x86_64() {
        return Combinators.combine(regs64(), fxSave(), xsave(), debug(LIMIT_X86_64, true, false))
                .as(X86_64State::new);
    }

    /** Valid 32-bit states, under either kernel layout (compat: CS 0x23, native: CS 0x73). */
    public static Arbitrary<I386State> i386() {
        return Arbitraries.of(true, false).flatMap(compat -> Combinators.combine(regs32(compat), fxSave(), xsave(),
                debug(LIMIT_I386, compat, true), tls(compat)).as(I386State::new));
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

    private static Arbitrary<FxSave> fxSave() {
        Arbitrary<int[]> words = Combinators.combine(Arbitraries.integers().between(0, 0xFFFF),
                Arbitraries.integers().between(0, 0xFFFF), Arbitraries.integers().between(0, 0xFF),
                Arbitraries.integers().between(0, 0x7FF)).as((a, b, c, d) -> new int[] {a, b, c, d});
        Arbitrary<int[]> mxcsr = Combinators.combine(Arbitraries.of(0, 0xFFFF, 0xFFBF, 0x2FFFF),
                Arbitraries.integers()).as((mask, v) -> new int[] {v & (mask == 0 ? 0xFFFF : mask) & 0xFFFF, mask});
        return Combinators.combine(words, Arbitraries.longs(), Arbitraries.longs(), mxcsr, bytes(FxSave.ST_BYTES),
                bytes(FxSave.XMM_BYTES)).as((w, fip, fdp, m, st, xmm) ->
                new FxSave(w[0], w[1], w[2], w[3], fip, fdp, m[0], m[1], st, xmm));
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
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, Arbitraries.just(X86DebugRegs.NONE)),
                net.jqwik.api.Tuple.of(3, some));
    }
}
