package org.ckpt.arch.x86;

import java.util.HexFormat;

/** Formatting and argument checks shared by the value types. */
final class Hex {
    private static final HexFormat HEX = HexFormat.of();

    private Hex() {
    }

    static String of(long v) {
        return "0x" + Long.toHexString(v);
    }

    static String u32(int v) {
        return "0x" + Integer.toHexString(v);
    }

    static String bytes(byte[] b) {
        return HEX.formatHex(b);
    }

    static void u16(String field, int v) {
        if (v < 0 || v > 0xFFFF) {
            throw new IllegalArgumentException(field + " = " + u32(v) + " does not fit 16 bits");
        }
    }

    static void u8(String field, int v) {
        if (v < 0 || v > 0xFF) {
            throw new IllegalArgumentException(field + " = " + u32(v) + " does not fit 8 bits");
        }
    }

    static byte[] length(String field, byte[] b, int length) {
        if (b == null) {
            throw new NullPointerException(field);
        }
        if (b.length != length) {
            throw new IllegalArgumentException(field + " must be " + length + " bytes, got " + b.length);
        }
        return b.clone();
    }
}
