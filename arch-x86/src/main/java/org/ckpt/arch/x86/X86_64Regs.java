package org.ckpt.arch.x86;

/**
 * The general registers of a 64-bit task, exactly Linux's x86_64
 * {@code struct user_regs_struct} (and the {@code pr_reg} of an {@code NT_PRSTATUS}
 * note), in its order. Selectors are held in 64-bit fields as the kernel does; the
 * check phase requires them to fit 16 bits.
 *
 * @param origRax the syscall number the task was in, or -1 if none (syscall restart)
 * @param fsBase  the FS segment base (glibc's TLS pointer)
 * @param gsBase  the GS segment base
 * @since 0.1 (stable)
 */
public record X86_64Regs(
        long r15, long r14, long r13, long r12, long rbp, long rbx, long r11, long r10, long r9, long r8,
        long rax, long rcx, long rdx, long rsi, long rdi, long origRax, long rip, long cs, long eflags,
        long rsp, long ss, long fsBase, long gsBase, long ds, long es, long fs, long gs) {

    /** Number of 64-bit words, as in {@code user_regs_struct}. */
    public static final int WORDS = 27;

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

    /** A copy with another flags register. */
    public X86_64Regs withEflags(long v) {
        long[] w = toArray();
        w[18] = v;
        return fromArray(w);
    }

    /** A copy with other segment selectors. */
    public X86_64Regs withSelectors(long cs, long ss, long ds, long es, long fs, long gs) {
        long[] w = toArray();
        w[17] = cs;
        w[20] = ss;
        w[23] = ds;
        w[24] = es;
        w[25] = fs;
        w[26] = gs;
        return fromArray(w);
    }
}
