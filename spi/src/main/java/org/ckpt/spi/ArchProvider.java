package org.ckpt.spi;

import java.io.IOException;
import java.util.Set;

/**
 * Per-architecture CPU state: its records, the arch head, and the check phase a
 * restart runs before it commits anything. Discovered through
 * {@link java.util.ServiceLoader}; two providers naming the same architecture is an
 * error. Implementations are thread-safe; one found through {@code ServiceLoader} needs a
 * public no-argument constructor, one registered by instance on a builder may be configured.
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
     * The address limit of {@code architecture} under {@code policy}, as an unsigned value:
     * every memory area of an image must end at or below it and every address-space layout
     * field ({@code start_code} … {@code env_end}) must be at or below it; a register holding
     * a code or data address must lie below it where the policy checks registers at all.
     * Both directions apply it: a checkpoint refuses an area beyond it, a restart rejects one.
     *
     * <p>Under {@link RestorePolicy#LINUX_USER} this is the user address limit of a Linux
     * task ({@code TASK_SIZE}); under {@link RestorePolicy#EXACT} the end of the
     * architecture's address space ({@code 1L << 32} for a 32-bit architecture, {@code -1L},
     * that is 2^64 − 1 unsigned, for a 64-bit one).
     */
    long addressLimit(String architecture, RestorePolicy policy);

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
     * The one rule set of {@code ctx.policy()}: validates {@code state} against the arch head
     * and {@code ctx.target()}, and returns the state as it would be committed. Under
     * {@link RestorePolicy#LINUX_USER} registers a user could abuse are rebuilt or masked;
     * under {@link RestorePolicy#EXACT} the state is returned unchanged (equal to
     * {@code state}) if it is accepted at all. Must not change anything; throws an
     * {@link ImageException} naming the record, the register, its value and the rule.
     *
     * <p>Called in both directions, so that a checkpoint that succeeds restarts: by a restart
     * after the whole image has verified, for each task's restored state, before anything is
     * committed; and by a checkpoint for each task's state, before the first byte is written
     * (then {@code ctx.direction()} is {@code CHECKPOINT}, {@code ctx.target()} is
     * {@link TargetCpu#anyFeatures} of the image's architecture, and a failure becomes the
     * checkpoint's {@link CheckpointException} with the same message). It must therefore
     * reject everything {@link #restoreCpu} would reject in what {@link #checkpointCpu} writes
     * for the state, so the two directions agree.
     */
    CpuState check(CpuState state, CkptContext ctx) throws ImageException;
}
