package org.ckpt.arch.x86;

/**
 * The general registers of a 32-bit task, exactly Linux's i386
 * {@code struct user_regs_struct} (and the {@code pr_reg} of an i386
 * {@code NT_PRSTATUS} note), in its order. Every field is an unsigned 32-bit value
 * held in an {@code int}, any value allowed; the six selectors ({@code xds} … {@code xss}
 * in the kernel) are 16-bit registers, which both restore policies require to fit 16 bits.
 *
 * <p>Build one with {@link #builder()}, naming the registers you have; the others take
 * the builder's documented defaults.
 *
 * @param origEax the syscall number the task was in, or -1 if none
 * @since 0.1 (stable)
 */
public record I386Regs(
        int ebx, int ecx, int edx, int esi, int edi, int ebp, int eax, int ds, int es, int fs, int gs,
        int origEax, int eip, int cs, int eflags, int esp, int ss) implements X86Regs {

    /** Number of 32-bit words, as in {@code user_regs_struct}. */
    public static final int WORDS = 17;
    /** The user code selector of a 32-bit task under an x86_64 kernel ({@code __USER32_CS}). @since 0.2 */
    public static final int USER_CS_COMPAT = 0x23;
    /** The user data and stack selector under an x86_64 kernel ({@code __USER_DS}). @since 0.2 */
    public static final int USER_DS_COMPAT = 0x2b;
    /** The user code selector under a native i386 kernel ({@code __USER_CS}). @since 0.2 */
    public static final int USER_CS_NATIVE = 0x73;
    /** The user data and stack selector under a native i386 kernel ({@code __USER_DS}). @since 0.2 */
    public static final int USER_DS_NATIVE = 0x7b;
    /** EFLAGS with only bit 1 set, which always reads as one: the value after reset. @since 0.2 */
    public static final int RESET_FLAGS = 0x2;

    @Override
    public String architecture() {
        return I386State.ARCH;
    }

    @Override
    public long ip() {
        return Integer.toUnsignedLong(eip);
    }

    @Override
    public long sp() {
        return Integer.toUnsignedLong(esp);
    }

    @Override
    public long flags() {
        return Integer.toUnsignedLong(eflags);
    }

    /** The registers in {@code user_regs_struct} order. */
    public int[] toArray() {
        return new int[] {ebx, ecx, edx, esi, edi, ebp, eax, ds, es, fs, gs, origEax, eip, cs, eflags, esp, ss};
    }

    /** Builds the registers from {@link #WORDS} words in {@code user_regs_struct} order. */
    public static I386Regs fromArray(int[] w) {
        if (w.length != WORDS) {
            throw new IllegalArgumentException("i386 user_regs_struct has " + WORDS + " words, got " + w.length);
        }
        return new I386Regs(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12],
                w[13], w[14], w[15], w[16]);
    }

    /**
     * A builder with every register 0 except {@code eflags} = {@link #RESET_FLAGS} (0x2) and
     * {@code origEax} = -1 (not in a syscall). A Linux user task also needs a user
     * {@code cs}/{@code ss} pair ({@link #USER_CS_COMPAT}/{@link #USER_DS_COMPAT} or the
     * native ones) to pass {@code LINUX_USER}.
     *
     * @since 0.2
     */
    public static Builder builder() {
        int[] w = new int[WORDS];
        w[I_EFLAGS] = RESET_FLAGS;
        w[I_ORIG_EAX] = -1;
        return new Builder(w);
    }

    /** A builder holding these registers. @since 0.2 */
    public Builder toBuilder() {
        return new Builder(toArray());
    }

    /** A copy with another flags register. */
    public I386Regs withEflags(int v) {
        return toBuilder().eflags(v).build();
    }

    /** A copy with another instruction pointer. @since 0.2 */
    public I386Regs withEip(int v) {
        return toBuilder().eip(v).build();
    }

    /** A copy with other segment selectors. */
    public I386Regs withSelectors(int cs, int ss, int ds, int es, int fs, int gs) {
        return toBuilder().cs(cs).ss(ss).ds(ds).es(es).fs(fs).gs(gs).build();
    }

    private static final int I_ORIG_EAX = 11;
    private static final int I_EFLAGS = 14;

    /**
     * Collects registers by name; {@link #build()} may be called any number of times.
     * Defaults: see {@link I386Regs#builder()}.
     *
     * @since 0.2
     */
    public static final class Builder {
        private final int[] w;

        private Builder(int[] w) {
            this.w = w;
        }

        private Builder set(int i, int v) {
            w[i] = v;
            return this;
        }

        public Builder ebx(int v) {
            return set(0, v);
        }

        public Builder ecx(int v) {
            return set(1, v);
        }

        public Builder edx(int v) {
            return set(2, v);
        }

        public Builder esi(int v) {
            return set(3, v);
        }

        public Builder edi(int v) {
            return set(4, v);
        }

        public Builder ebp(int v) {
            return set(5, v);
        }

        public Builder eax(int v) {
            return set(6, v);
        }

        public Builder ds(int v) {
            return set(7, v);
        }

        public Builder es(int v) {
            return set(8, v);
        }

        public Builder fs(int v) {
            return set(9, v);
        }

        public Builder gs(int v) {
            return set(10, v);
        }

        /** The syscall number the task was in, or -1 (the default) if none. */
        public Builder origEax(int v) {
            return set(I_ORIG_EAX, v);
        }

        public Builder eip(int v) {
            return set(12, v);
        }

        public Builder cs(int v) {
            return set(13, v);
        }

        /** EFLAGS, all 32 bits as they are. Default {@link #RESET_FLAGS}. */
        public Builder eflags(int v) {
            return set(I_EFLAGS, v);
        }

        public Builder esp(int v) {
            return set(15, v);
        }

        public Builder ss(int v) {
            return set(16, v);
        }

        public I386Regs build() {
            return fromArray(w.clone());
        }
    }
}
