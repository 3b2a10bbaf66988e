package org.ckpt.spi;

import java.io.IOException;
import java.util.Set;

/**
 * Per-architecture CPU state: its records, the arch head, and the check phase a
 * restart runs before it commits anything. Discovered through
 * {@link java.util.ServiceLoader}; two providers naming the same architecture is an
 * error. Implementations are stateless, thread-safe, and have a public no-argument
 * constructor.
 *
 * @since 0.1 (evolving)
 */
public interface ArchProvider {
    /** Architecture names handled, e.g. {@code "i386"}, {@code "x86_64"}. */
    Set<String> architectures();

    /**
     * Record types this provider writes and reads, all within
     * {@link RecordTypes#ARCH_FIRST}..{@link RecordTypes#ARCH_LAST}. A reader treats
     * them as known while this provider is active.
     */
    Set<Integer> recordTypes();

    /**
     * Exclusive upper bound of user-space addresses for {@code architecture}. Every
     * memory area and layout address in an image must lie below it.
     */
    long userAddressLimit(String architecture);

    /** The arch head a checkpoint of {@code architecture} writes: sizes and feature masks. */
    ArchHead archHead(String architecture);

    /** Writes {@code head} into the {@code ARCH_HEAD} payload. */
    void writeArchHead(ArchHead head, PayloadWriter out) throws IOException;

    /** Reads and checks the {@code ARCH_HEAD} payload written by {@link #writeArchHead}. */
    ArchHead readArchHead(String architecture, PayloadReader in) throws IOException;

    /**
     * Writes the thread and CPU state of one task through {@code ctx.output()}.
     *
     * @throws CheckpointException if {@code state} is not of this provider's type or architecture
     */
    void checkpointCpu(CpuState state, CkptContext ctx) throws IOException;

    /** Reads back what {@link #checkpointCpu} wrote, through {@code ctx.input()}. */
    CpuState restoreCpu(CkptContext ctx) throws IOException;

    /**
     * The check phase: validates {@code state} against the image's arch head and
     * {@code ctx.target()}, and returns the state as it would be committed (sanitised:
     * registers a user could abuse are rebuilt or masked). Must not change anything;
     * throws an {@link ImageException} naming the register, its value and the rule.
     */
    CpuState check(CpuState state, CkptContext ctx) throws ImageException;
}
