package org.ckpt.arch.powerpc;

import java.util.Arrays;
import java.util.Objects;

/**
 * The user register set as Linux's {@code struct pt_regs} (its {@code user_pt_regs}
 * part) holds it, every field 64 bits wide whatever the task's bitness. Build one by name
 * with {@link #builder()} (every register zero unless set) or change one with
 * {@link #toBuilder()}; the positional constructor and {@link #fromWords} exist for code
 * that already holds the words in {@code pt_regs} order.
 *
 * <p>For a {@code ppc32} task the values are the 32-bit registers, zero-extended. Under
 * {@link org.ckpt.spi.RestorePolicy#EXACT} every word of a {@code ppc32} state must fit in
 * 32 bits (a 32-bit register file, as a 32-bit CPU and the ppc32 {@code NT_PRSTATUS} hold
 * it); under {@link org.ckpt.spi.RestorePolicy#LINUX_USER} non-zero upper halves, which a
 * 64-bit kernel can show for a 32-bit task, are carried as before (such a state does not fit
 * a ppc32 core note). docs/FORMAT.md §12 lists the rules of both policies.
 *
 * @param gpr      r0–r31 (32 values; copied in and out)
 * @param nip      next instruction address (the program counter)
 * @param msr      machine state register; under {@code EXACT} it comes back as saved, under
 *                 {@code LINUX_USER} a restart keeps only {@link PowerPc#MSR_SF} from it and
 *                 rebuilds the rest
 * @param origGpr3 r3 at system call entry (for system call restart)
 * @param ctr      count register CTR
 * @param link     link register LR
 * @param xer      fixed-point exception register XER: {@link PowerPc#XER_SO},
 *                 {@link PowerPc#XER_OV}, {@link PowerPc#XER_CA} (and OV32/CA32 on
 *                 POWER9), the string byte count in bits 0–6
 * @param ccr      condition register CR (32 bits: CR0 is bits 28–31, CR7 bits 0–3;
 *                 see {@link #crField})
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
    /** Number of 4-bit fields of the condition register. */
    public static final int CR_FIELDS = 8;

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

    /**
     * A builder with every register zero.
     *
     * @since 0.2
     */
    public static Builder builder() {
        return new Builder(new long[WORDS]);
    }

    /**
     * A builder holding these registers.
     *
     * @since 0.2
     */
    public Builder toBuilder() {
        return new Builder(toWords());
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

    /**
     * Condition register field CR{@code n} (0–7) as a 4-bit value: LT (8), GT (4), EQ (2),
     * SO (1). CR0 is the most significant nibble of the low word of {@link #ccr}.
     *
     * @since 0.2
     */
    public int crField(int n) {
        Objects.checkIndex(n, CR_FIELDS);
        return (int) (ccr >>> (4 * (CR_FIELDS - 1 - n))) & 0xF;
    }

    /** A copy with r{@code n} replaced. */
    public GeneralRegs withGpr(int n, long value) {
        return toBuilder().gpr(n, value).build();
    }

    /** A copy with {@code nip} replaced. */
    public GeneralRegs withNip(long value) {
        return toBuilder().nip(value).build();
    }

    /** A copy with {@code msr} replaced. */
    public GeneralRegs withMsr(long value) {
        return toBuilder().msr(value).build();
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

    /**
     * Builds {@link GeneralRegs} by register name; every register is zero unless set. Not
     * thread-safe; {@link #build()} may be called more than once.
     *
     * @since 0.2
     */
    public static final class Builder {
        private final long[] w;

        private Builder(long[] words) {
            this.w = words;
        }

        /** Register r{@code n} (0–31). */
        public Builder gpr(int n, long value) {
            w[Objects.checkIndex(n, GPR_COUNT)] = value;
            return this;
        }

        /** r0–r31 at once (32 values, copied). */
        public Builder gpr(long[] values) {
            if (values.length != GPR_COUNT) {
                throw new IllegalArgumentException("gpr must hold 32 registers, not " + values.length);
            }
            System.arraycopy(values, 0, w, 0, GPR_COUNT);
            return this;
        }

        /** The next instruction address. */
        public Builder nip(long value) {
            w[32] = value;
            return this;
        }

        /** The machine state register. */
        public Builder msr(long value) {
            w[33] = value;
            return this;
        }

        /** r3 at system call entry. */
        public Builder origGpr3(long value) {
            w[34] = value;
            return this;
        }

        /** The count register CTR. */
        public Builder ctr(long value) {
            w[35] = value;
            return this;
        }

        /** The link register LR. */
        public Builder link(long value) {
            w[36] = value;
            return this;
        }

        /** XER (see {@link PowerPc#XER_SO} and the further XER bits). */
        public Builder xer(long value) {
            w[37] = value;
            return this;
        }

        /** The whole condition register CR. */
        public Builder ccr(long value) {
            w[38] = value;
            return this;
        }

        /**
         * Condition register field CR{@code n} (0–7) to the low 4 bits of {@code value}, the other
         * fields unchanged (for hosts that keep CR as eight fields).
         */
        public Builder crField(int n, int value) {
            int shift = 4 * (CR_FIELDS - 1 - Objects.checkIndex(n, CR_FIELDS));
            w[38] = (w[38] & ~(0xFL << shift)) | ((long) (value & 0xF) << shift);
            return this;
        }

        /** ppc64: the soft-enable state; ppc32: {@code mq}. */
        public Builder softe(long value) {
            w[39] = value;
            return this;
        }

        /** The interrupt vector that entered the kernel. */
        public Builder trap(long value) {
            w[40] = value;
            return this;
        }

        /** The data address register. */
        public Builder dar(long value) {
            w[41] = value;
            return this;
        }

        /** The data storage interrupt status register. */
        public Builder dsisr(long value) {
            w[42] = value;
            return this;
        }

        /** The system call result. */
        public Builder result(long value) {
            w[43] = value;
            return this;
        }

        public GeneralRegs build() {
            return fromWords(w);
        }
    }
}
