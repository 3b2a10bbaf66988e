package org.ckpt.arch.x86;

/**
 * The hardware debug registers as ptrace exposes them ({@code u_debugreg[0..3,6,7]}),
 * any 64-bit values. For i386 tasks each value is a 32-bit register zero-extended; both
 * restore policies require it to fit 32 bits. What {@code LINUX_USER} accepts beyond that
 * (user addresses, DR7 rules) is in docs/FORMAT.md §11.11.7. A state whose debug
 * registers are unknown (ELF cores carry none) holds {@code null} instead of this.
 *
 * @since 0.2 (stable; was {@code DebugRegs} in 0.1)
 */
public record X86DebugRegs(long dr0, long dr1, long dr2, long dr3, long dr6, long dr7) {
    /** No breakpoints: every register zero. */
    public static final X86DebugRegs NONE = new X86DebugRegs(0, 0, 0, 0, 0, 0);

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

    /** A copy with DR{@code i} ({@code i} in 0..3) set to {@code v}. */
    public X86DebugRegs withAddress(int i, long v) {
        return switch (i) {
            case 0 -> new X86DebugRegs(v, dr1, dr2, dr3, dr6, dr7);
            case 1 -> new X86DebugRegs(dr0, v, dr2, dr3, dr6, dr7);
            case 2 -> new X86DebugRegs(dr0, dr1, v, dr3, dr6, dr7);
            case 3 -> new X86DebugRegs(dr0, dr1, dr2, v, dr6, dr7);
            default -> throw new IndexOutOfBoundsException("DR" + i + " is not an address register");
        };
    }

    /** A copy with another DR6. */
    public X86DebugRegs withDr6(long v) {
        return new X86DebugRegs(dr0, dr1, dr2, dr3, v, dr7);
    }

    /** A copy with another DR7. */
    public X86DebugRegs withDr7(long v) {
        return new X86DebugRegs(dr0, dr1, dr2, dr3, dr6, v);
    }
}
