package org.ckpt.spi;

/**
 * Which rules a restored task must pass, chosen by the host that will run it. A
 * {@code Checkpointer} configured with a policy applies exactly the rules a restart under
 * that policy applies, before it writes the first byte, so a checkpoint that succeeds is a
 * checkpoint that restarts. Each {@link ArchProvider} has one rule set per policy, used by
 * both directions ({@link ArchProvider#check}).
 *
 * <p>How to choose: a host that runs the restored task as a process on a real kernel
 * (a process manager, a sandbox on Linux) takes {@link #LINUX_USER}, which refuses or
 * rebuilds what a user-space process may not hold. A host that owns privilege itself — a
 * CPU emulator, a simulator, a debugger, a time-travel recorder — takes {@link #EXACT}, and
 * gets every register and every byte back exactly as saved.
 *
 * @since 0.2 (stable)
 */
public enum RestorePolicy {
    /**
     * Linux user-space rules, as the kernel checkpoint/restart series applied them: user
     * segment selectors and user-modifiable flag bits only (x86), the user MSR rebuilt for the
     * task's mode (PowerPC), code, data, breakpoints and memory areas below the
     * architecture's user address limit. Some registers come back rebuilt (x86 eflags gets IF,
     * PowerPC MSR is the kernel's user MSR); the architecture sections of docs/FORMAT.md list
     * every rule. The default.
     */
    LINUX_USER,
    /**
     * Every register and every byte comes back exactly as saved. The only checks are those
     * that keep the image self-consistent and representable: framing, sizes, register widths,
     * references, combinations the state's own layout forbids, and memory areas within the
     * architecture's address width. Images written under this policy say so in their head
     * (docs/FORMAT.md, HEAD flags).
     */
    EXACT
}
