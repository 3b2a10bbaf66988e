package org.ckpt.arch.x86;

/**
 * The general registers of a 32-bit task, exactly Linux's i386
 * {@code struct user_regs_struct} (and the {@code pr_reg} of an i386
 * {@code NT_PRSTATUS} note), in its order. Every field is an unsigned 32-bit value
 * held in an {@code int}; selectors ({@code xds} … {@code xss} in the kernel) are
 * required by the check phase to fit 16 bits.
 *
 * @param origEax the syscall number the task was in, or -1 if none
 * @since 0.1 (stable)
 */
public record I386Regs(
        int ebx, int ecx, int edx, int esi, int edi, int ebp, int eax, int ds, int es, int fs, int gs,
        int origEax, int eip, int cs, int eflags, int esp, int ss) {

    /** Number of 32-bit words, as in {@code user_regs_struct}. */
    public static final int WORDS = 17;

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

    /** A copy with another flags register. */
    public I386Regs withEflags(int v) {
        int[] w = toArray();
        w[14] = v;
        return fromArray(w);
    }

    /** A copy with other segment selectors. */
    public I386Regs withSelectors(int cs, int ss, int ds, int es, int fs, int gs) {
        int[] w = toArray();
        w[13] = cs;
        w[16] = ss;
        w[7] = ds;
        w[8] = es;
        w[9] = fs;
        w[10] = gs;
        return fromArray(w);
    }
}
