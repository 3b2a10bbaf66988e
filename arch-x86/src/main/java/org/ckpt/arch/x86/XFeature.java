package org.ckpt.arch.x86;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The user-state components of XSAVE this library knows: their XCR0 bit, the size of
 * their save area, their offset in the standard (non-compacted) layout as Intel CPUs
 * report it through CPUID leaf 0xD, and the target feature name a
 * {@link org.ckpt.spi.TargetCpu} must declare to restore them.
 *
 * <p>x87 and SSE live in the legacy FXSAVE area ({@link FxSave}) and are required by
 * every image; the others are components of an {@link XSave}.
 *
 * @since 0.1 (evolving: new components are added as CPUs gain them)
 */
public enum XFeature {
    X87(0, "x87", 0, 0),
    SSE(1, "sse", 0, 0),
    AVX(2, "avx", 256, 576),
    BNDREGS(3, "mpx", 64, 960),
    BNDCSR(4, "mpx", 64, 1024),
    OPMASK(5, "avx512", 64, 1088),
    ZMM_HI256(6, "avx512", 512, 1152),
    HI16_ZMM(7, "avx512", 1024, 1664),
    PKRU(9, "pkru", 8, 2688),
    XTILECFG(17, "amx", 64, 2752),
    XTILEDATA(18, "amx", 8192, 2816);

    /** XCR0 bits of x87 and SSE, which every image has. */
    public static final long LEGACY_MASK = 0x3;
    /** Every XCR0 bit this library knows ({@code 0x602ff}). */
    public static final long KNOWN_MASK;

    static {
        long m = 0;
        for (XFeature f : values()) {
            m |= f.mask();
        }
        KNOWN_MASK = m;
    }

    private final int bit;
    private final String targetFeature;
    private final int size;
    private final int standardOffset;

    XFeature(int bit, String targetFeature, int size, int standardOffset) {
        this.bit = bit;
        this.targetFeature = targetFeature;
        this.size = size;
        this.standardOffset = standardOffset;
    }

    /** The XCR0 / XSTATE_BV bit number. */
    public int bit() {
        return bit;
    }

    /** {@code 1L << bit()}. */
    public long mask() {
        return 1L << bit;
    }

    /** The {@link org.ckpt.spi.TargetCpu} feature name that covers this component. */
    public String targetFeature() {
        return targetFeature;
    }

    /** Bytes of the component's save area; 0 for x87 and SSE (they live in the FXSAVE area). */
    public int size() {
        return size;
    }

    /** Offset in the standard XSAVE layout as Intel CPUs report it (AMD CPUs may differ; see {@link XSaveLayout}). */
    public int standardOffset() {
        return standardOffset;
    }

    /** Whether it is saved outside the legacy FXSAVE area. */
    public boolean isExtended() {
        return size > 0;
    }

    /** The feature with XCR0 bit {@code bit}, or {@code null} if this library does not know it. */
    public static XFeature ofBit(int bit) {
        for (XFeature f : values()) {
            if (f.bit == bit) {
                return f;
            }
        }
        return null;
    }

    /** The known features whose bits are set in {@code mask}, in bit order. */
    public static Set<XFeature> of(long mask) {
        Set<XFeature> s = EnumSet.noneOf(XFeature.class);
        for (XFeature f : values()) {
            if ((mask & f.mask()) != 0) {
                s.add(f);
            }
        }
        return s;
    }

    /** The extended (non-legacy) features set in {@code mask}, in bit order. */
    public static List<XFeature> extended(long mask) {
        List<XFeature> l = new ArrayList<>();
        for (XFeature f : values()) {
            if (f.isExtended() && (mask & f.mask()) != 0) {
                l.add(f);
            }
        }
        return l;
    }

    /** Bytes of every extended component in {@code mask} together. */
    public static int extendedSize(long mask) {
        int n = 0;
        for (XFeature f : extended(mask)) {
            n += f.size;
        }
        return n;
    }

    /**
     * Why {@code xcr0} is not a value XSETBV would accept for user state, or {@code null}
     * if it is valid: x87 set; AVX needs SSE; MPX bits 3–4 together; AVX-512 bits 5–7
     * together and with AVX; AMX bits 17–18 together; no unknown bits.
     */
    public static String xcr0Problem(long xcr0) {
        long unknown = xcr0 & ~KNOWN_MASK;
        if (unknown != 0) {
            return "unknown XCR0 bits 0x" + Long.toHexString(unknown) + " (known: 0x" + Long.toHexString(KNOWN_MASK) + ")";
        }
        if ((xcr0 & X87.mask()) == 0) {
            return "XCR0 bit 0 (x87) must be set";
        }
        if ((xcr0 & AVX.mask()) != 0 && (xcr0 & SSE.mask()) == 0) {
            return "XCR0 enables AVX (bit 2) without SSE (bit 1)";
        }
        if (allOrNone(xcr0, BNDREGS.mask() | BNDCSR.mask())) {
            return "XCR0 bits 3 and 4 (MPX) must be set together";
        }
        long avx512 = OPMASK.mask() | ZMM_HI256.mask() | HI16_ZMM.mask();
        if (allOrNone(xcr0, avx512)) {
            return "XCR0 bits 5-7 (AVX-512) must be set together";
        }
        if ((xcr0 & avx512) != 0 && (xcr0 & AVX.mask()) == 0) {
            return "XCR0 enables AVX-512 (bits 5-7) without AVX (bit 2)";
        }
        if (allOrNone(xcr0, XTILECFG.mask() | XTILEDATA.mask())) {
            return "XCR0 bits 17 and 18 (AMX) must be set together";
        }
        return null;
    }

    private static boolean allOrNone(long v, long group) {
        long g = v & group;
        return g != 0 && g != group;
    }
}
