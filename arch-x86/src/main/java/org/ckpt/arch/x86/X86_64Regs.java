package org.ckpt.arch.x86;

/**
 * The general registers of a 64-bit task, exactly Linux's x86_64
 * {@code struct user_regs_struct} (and the {@code pr_reg} of an {@code NT_PRSTATUS}
 * note), in its order. Every field takes any 64-bit value: an emulator's guest at reset
 * (CS 0, RFLAGS 0x2), a kernel-half RIP or GS base, any RFLAGS bit. The six selectors are
 * 16-bit registers held in 64-bit fields as the kernel holds them; both restore policies
 * require them to fit 16 bits, and {@link org.ckpt.spi.RestorePolicy#LINUX_USER} adds the
 * rules of a Linux user task (docs/FORMAT.md §11.11).
 *
 * <p>Build one with {@link #builder()}, naming the registers you have; the others take
 * the builder's documented defaults.
 *
 * @param origRax the syscall number the task was in, or -1 if none (syscall restart)
 * @param fsBase  the FS segment base (glibc's TLS pointer)
 * @param gsBase  the GS segment base
 * @since 0.1 (stable)
 */
public record X86_64Regs(
        long r15, long r14, long r13, long r12, long rbp, long rbx, long r11, long r10, long r9, long r8,
        long rax, long rcx, long rdx, long rsi, long rdi, long origRax, long rip, long cs, long eflags,
        long rsp, long ss, long fsBase, long gsBase, long ds, long es, long fs, long gs) implements X86Regs {

    /** Number of 64-bit words, as in {@code user_regs_struct}. */
    public static final int WORDS = 27;
    /** The code selector of a 64-bit Linux user task ({@code __USER_CS}). @since 0.2 */
    public static final int USER_CS = 0x33;
    /** The data and stack selector of a Linux user task ({@code __USER_DS}). @since 0.2 */
    public static final int USER_DS = 0x2b;
    /** RFLAGS with only bit 1 set, which always reads as one: the value after reset. @since 0.2 */
    public static final long RESET_FLAGS = 0x2;

    @Override
    public String architecture() {
        return X86_64State.ARCH;
    }

    @Override
    public long ip() {
        return rip;
    }

    @Override
    public long sp() {
        return rsp;
    }

    @Override
    public long flags() {
        return eflags;
    }

    /** The registers in {@code user_regs_struct} order. */
    public long[] toArray() {
        return new long[] {r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, origRax,
            rip, cs, eflags, rsp, ss, fsBase, gsBase, ds, es, fs, gs};
    }

    /** Builds the registers from {@link #WORDS} words in {@code user_regs_struct} order. */
    public static X86_64Regs fromArray(long[] w) {
        if (w.length != WORDS) {
            throw new IllegalArgumentException("x86_64 user_regs_struct has " + WORDS + " words, got " + w.length);
        }
        return new X86_64Regs(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12],
                w[13], w[14], w[15], w[16], w[17], w[18], w[19], w[20], w[21], w[22], w[23], w[24], w[25], w[26]);
    }

    /**
     * A builder with every register 0 except {@code eflags} = {@link #RESET_FLAGS} (0x2) and
     * {@code origRax} = -1 (not in a syscall). A Linux user task also needs
     * {@code cs(USER_CS)} and {@code ss(USER_DS)} to pass {@code LINUX_USER}.
     *
     * @since 0.2
     */
    public static Builder builder() {
        long[] w = new long[WORDS];
        w[I_EFLAGS] = RESET_FLAGS;
        w[I_ORIG_RAX] = -1;
        return new Builder(w);
    }

    /** A builder holding these registers. @since 0.2 */
    public Builder toBuilder() {
        return new Builder(toArray());
    }

    /** A copy with another flags register. */
    public X86_64Regs withEflags(long v) {
        return toBuilder().eflags(v).build();
    }

    /** A copy with another instruction pointer. @since 0.2 */
    public X86_64Regs withRip(long v) {
        return toBuilder().rip(v).build();
    }

    /** A copy with other segment selectors. */
    public X86_64Regs withSelectors(long cs, long ss, long ds, long es, long fs, long gs) {
        return toBuilder().cs(cs).ss(ss).ds(ds).es(es).fs(fs).gs(gs).build();
    }

    private static final int I_ORIG_RAX = 15;
    private static final int I_EFLAGS = 18;

    /**
     * Collects registers by name; {@link #build()} may be called any number of times.
     * Defaults: see {@link X86_64Regs#builder()}.
     *
     * @since 0.2
     */
    public static final class Builder {
        private final long[] w;

        private Builder(long[] w) {
            this.w = w;
        }

        private Builder set(int i, long v) {
            w[i] = v;
            return this;
        }

        public Builder r15(long v) {
            return set(0, v);
        }

        public Builder r14(long v) {
            return set(1, v);
        }

        public Builder r13(long v) {
            return set(2, v);
        }

        public Builder r12(long v) {
            return set(3, v);
        }

        public Builder rbp(long v) {
            return set(4, v);
        }

        public Builder rbx(long v) {
            return set(5, v);
        }

        public Builder r11(long v) {
            return set(6, v);
        }

        public Builder r10(long v) {
            return set(7, v);
        }

        public Builder r9(long v) {
            return set(8, v);
        }

        public Builder r8(long v) {
            return set(9, v);
        }

        public Builder rax(long v) {
            return set(10, v);
        }

        public Builder rcx(long v) {
            return set(11, v);
        }

        public Builder rdx(long v) {
            return set(12, v);
        }

        public Builder rsi(long v) {
            return set(13, v);
        }

        public Builder rdi(long v) {
            return set(14, v);
        }

        /** The syscall number the task was in, or -1 (the default) if none. */
        public Builder origRax(long v) {
            return set(I_ORIG_RAX, v);
        }

        public Builder rip(long v) {
            return set(16, v);
        }

        public Builder cs(long v) {
            return set(17, v);
        }

        /** RFLAGS, all 64 bits as they are. Default {@link #RESET_FLAGS}. */
        public Builder eflags(long v) {
            return set(I_EFLAGS, v);
        }

        public Builder rsp(long v) {
            return set(19, v);
        }

        public Builder ss(long v) {
            return set(20, v);
        }

        public Builder fsBase(long v) {
            return set(21, v);
        }

        public Builder gsBase(long v) {
            return set(22, v);
        }

        public Builder ds(long v) {
            return set(23, v);
        }

        public Builder es(long v) {
            return set(24, v);
        }

        public Builder fs(long v) {
            return set(25, v);
        }

        public Builder gs(long v) {
            return set(26, v);
        }

        public X86_64Regs build() {
            return fromArray(w);
        }
    }
}
