package org.ckpt.arch.x86;

/**
 * The hardware debug registers as ptrace exposes them ({@code u_debugreg[0..3,6,7]}).
 * For i386 tasks each value is a 32-bit register zero-extended. What a restart
 * accepts is documented in {@code FORMAT-x86.md} (user addresses, DR7 rules).
 *
 * @since 0.1 (stable)
 */
public record DebugRegs(long dr0, long dr1, long dr2, long dr3, long dr6, long dr7) {
    /** No breakpoints: every register zero. */
    public static final DebugRegs NONE = new DebugRegs(0, 0, 0, 0, 0, 0);

    /** DR{@code i} for {@code i} in 0..3. */
    public long address(int i) {
        return switch (i) {
            case 0 -> dr0;
            case 1 -> dr1;
            case 2 -> dr2;
            case 3 -> dr3;
            default -> throw new IndexOutOfBoundsException("DR" + i + " is not an address register");
        };
    }
}
