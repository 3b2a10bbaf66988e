package org.ckpt.arch.powerpc.internal;

import java.nio.ByteOrder;
import org.ckpt.arch.powerpc.PowerPc;
import org.ckpt.arch.powerpc.PowerPcArchHead;

/**
 * Record types, payload sizes and codes of the PowerPC image records: the one
 * constants class the writer and reader of {@link PowerPcArchProvider} share.
 * {@code docs/FORMAT.md} §12 gives every layout.
 */
final class Layout {
    /** General registers and the feature mask of the sections that follow. */
    static final int PPC_REGS = 0x0120;
    static final int PPC_FP = 0x0121;
    static final int PPC_DEBUG = 0x0122;
    static final int PPC_ALTIVEC = 0x0123;
    static final int PPC_SPE = 0x0124;
    static final int PPC_VSX = 0x0125;
    /** The PowerPC range; 0x0126–0x013F are reserved for later sections. */
    static final int FIRST = 0x0120;
    static final int LAST = 0x013F;

    static final int ARCH_HEAD_SIZE = 40;
    static final int REGS_SIZE = 16 + 44 * 8;
    static final int FP_SIZE = 8 + 32 * 8 + 8 + 8;
    static final int DEBUG_SIZE = 16;
    static final int DEBUG_ENTRY_SIZE = 16;
    static final int ALTIVEC_SIZE = 16 + 32 * 16;
    static final int SPE_SIZE = 16 + 32 * 4;
    static final int VSX_SIZE = 8 + 32 * 8;

    static final int BYTE_ORDER_BIG = 1;
    static final int BYTE_ORDER_LITTLE = 2;

    /** Sections a producer of this version may write, per architecture (no SPE on ppc64). */
    static final long FEATURES_PPC32 = PowerPc.KNOWN_FEATURES;
    static final long FEATURES_PPC64 = PowerPc.KNOWN_FEATURES & ~PowerPc.FEATURE_SPE;

    /** Features in the order their records follow {@code PPC_REGS}. */
    static final long[] SECTION_ORDER = {
        PowerPc.FEATURE_FP, PowerPc.FEATURE_DEBUG, PowerPc.FEATURE_ALTIVEC, PowerPc.FEATURE_SPE, PowerPc.FEATURE_VSX
    };

    private Layout() {
    }

    static String name(int type) {
        String n = switch (type) {
            case PPC_REGS -> "PPC_REGS";
            case PPC_FP -> "PPC_FP";
            case PPC_DEBUG -> "PPC_DEBUG";
            case PPC_ALTIVEC -> "PPC_ALTIVEC";
            case PPC_SPE -> "PPC_SPE";
            case PPC_VSX -> "PPC_VSX";
            default -> "PPC_?";
        };
        return String.format("%s (0x%04x)", n, type);
    }

    static int recordType(long featureBit) {
        if (featureBit == PowerPc.FEATURE_FP) {
            return PPC_FP;
        } else if (featureBit == PowerPc.FEATURE_DEBUG) {
            return PPC_DEBUG;
        } else if (featureBit == PowerPc.FEATURE_ALTIVEC) {
            return PPC_ALTIVEC;
        } else if (featureBit == PowerPc.FEATURE_SPE) {
            return PPC_SPE;
        } else if (featureBit == PowerPc.FEATURE_VSX) {
            return PPC_VSX;
        }
        throw new IllegalArgumentException("no record for feature bit 0x" + Long.toHexString(featureBit));
    }

    /** The arch head this version writes, and the only one it reads, for {@code architecture}. */
    static PowerPcArchHead head(String architecture) {
        boolean is64 = PowerPc.PPC64.equals(architecture);
        long features = is64 ? FEATURES_PPC64 : FEATURES_PPC32;
        return new PowerPcArchHead(architecture, ByteOrder.BIG_ENDIAN, is64 ? 8 : 4, features, REGS_SIZE,
                FP_SIZE, DEBUG_SIZE, DEBUG_ENTRY_SIZE, ALTIVEC_SIZE,
                (features & PowerPc.FEATURE_SPE) != 0 ? SPE_SIZE : 0, VSX_SIZE);
    }
}
