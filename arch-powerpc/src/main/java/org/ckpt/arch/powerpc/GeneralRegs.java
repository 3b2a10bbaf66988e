package org.ckpt.arch.powerpc;

import java.util.Arrays;
import java.util.Objects;

/**
 * The user register set as Linux's {@code struct pt_regs} (its {@code user_pt_regs}
 * part) holds it, every field 64 bits wide whatever the task's bitness. For a
 * {@code ppc32} task the values are the 32-bit registers zero-extended (a 64-bit kernel
 * may also report non-zero upper halves of a 32-bit task's GPRs; they are carried).
 *
 * @param gpr      r0–r31 (32 values; copied in and out)
 * @param nip      next instruction address
 * @param msr      machine state register as the producer saw it; a restart keeps only
 *                 {@link PowerPc#MSR_SF} from it and rebuilds the rest
 * @param origGpr3 r3 at system call entry (for system call restart)
 * @param ctr      count register
 * @param link     link register
 * @param xer      fixed-point exception register
 * @param ccr      condition register
 * @param softe    ppc64: interrupt soft-enable state; ppc32: the word in this slot is
 *                 {@code mq} (POWER 601 only)
 * @param trap     vector of the interrupt that entered the kernel
 * @param dar      data address of the last storage interrupt
 * @param dsisr    cause of the last storage interrupt
 * @param result   system call result
 * @since 0.1 (evolving)
 */
public record GeneralRegs(long[] gpr, long nip, long msr, long origGpr3, long ctr, long link, long xer, long ccr,
                          long softe, long trap, long dar, long dsisr, long result) {
    /** Number of general-purpose registers. */
    public static final int GPR_COUNT = 32;
    /** Number of 64-bit words in the image: gpr[32] and the 12 further fields. */
    public static final int WORDS = 44;

    public GeneralRegs {
        Objects.requireNonNull(gpr, "gpr");
        if (gpr.length != GPR_COUNT) {
            throw new IllegalArgumentException("gpr must hold 32 registers, not " + gpr.length);
        }
        gpr = gpr.clone();
    }

    /** All registers zero. */
    public static GeneralRegs zero() {
        return fromWords(new long[WORDS]);
    }

    /** Builds the registers from the 44 words in {@code pt_regs} order (gpr0..31, nip, msr, …, result). */
    public static GeneralRegs fromWords(long[] words) {
        if (words.length != WORDS) {
            throw new IllegalArgumentException("pt_regs has 44 words, not " + words.length);
        }
        return new GeneralRegs(Arrays.copyOf(words, GPR_COUNT), words[32], words[33], words[34], words[35],
                words[36], words[37], words[38], words[39], words[40], words[41], words[42], words[43]);
    }

    /** The 44 words in {@code pt_regs} order. */
    public long[] toWords() {
        long[] w = Arrays.copyOf(gpr, WORDS);
        w[32] = nip;
        w[33] = msr;
        w[34] = origGpr3;
        w[35] = ctr;
        w[36] = link;
        w[37] = xer;
        w[38] = ccr;
        w[39] = softe;
        w[40] = trap;
        w[41] = dar;
        w[42] = dsisr;
        w[43] = result;
        return w;
    }

    /** Name of word {@code index} in {@code pt_regs} order, e.g. {@code "gpr3"}, {@code "nip"}. */
    public static String wordName(int index) {
        if (index >= 0 && index < GPR_COUNT) {
            return "gpr" + index;
        }
        return switch (index) {
            case 32 -> "nip";
            case 33 -> "msr";
            case 34 -> "orig_gpr3";
            case 35 -> "ctr";
            case 36 -> "link";
            case 37 -> "xer";
            case 38 -> "ccr";
            case 39 -> "softe";
            case 40 -> "trap";
            case 41 -> "dar";
            case 42 -> "dsisr";
            case 43 -> "result";
            default -> throw new IllegalArgumentException("no pt_regs word " + index);
        };
    }

    /** A copy of r0–r31. */
    @Override
    public long[] gpr() {
        return gpr.clone();
    }

    /** Register r{@code n}. */
    public long gpr(int n) {
        return gpr[n];
    }

    /** A copy with r{@code n} replaced. */
    public GeneralRegs withGpr(int n, long value) {
        long[] g = gpr.clone();
        g[n] = value;
        return new GeneralRegs(g, nip, msr, origGpr3, ctr, link, xer, ccr, softe, trap, dar, dsisr, result);
    }

    /** A copy with {@code nip} replaced. */
    public GeneralRegs withNip(long value) {
        return new GeneralRegs(gpr, value, msr, origGpr3, ctr, link, xer, ccr, softe, trap, dar, dsisr, result);
    }

    /** A copy with {@code msr} replaced. */
    public GeneralRegs withMsr(long value) {
        return new GeneralRegs(gpr, nip, value, origGpr3, ctr, link, xer, ccr, softe, trap, dar, dsisr, result);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GeneralRegs r && Arrays.equals(toWords(), r.toWords());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(toWords());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("GeneralRegs[");
        long[] w = toWords();
        for (int i = 0; i < WORDS; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(wordName(i)).append("=0x").append(Long.toHexString(w[i]));
        }
        return sb.append(']').toString();
    }
}
