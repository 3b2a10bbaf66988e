package org.ckpt.testkit.image;

import java.util.Objects;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;

/**
 * A {@link RestartTarget} that only remembers what it was given, so that a test can
 * assert a failed restart never committed to it, and a successful one exactly once.
 *
 * @since 0.1 (evolving)
 */
public final class RecordingTarget implements RestartTarget {
    private final TargetCpu cpu;
    private final RestorePolicy policy;
    private int commits;
    private RestartResult committed;

    /** A target of {@link RestorePolicy#LINUX_USER}. */
    public RecordingTarget(TargetCpu cpu) {
        this(cpu, RestorePolicy.LINUX_USER);
    }

    /** @since 0.2 */
    public RecordingTarget(TargetCpu cpu, RestorePolicy policy) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    @Override
    public TargetCpu cpu() {
        return cpu;
    }

    @Override
    public RestorePolicy policy() {
        return policy;
    }

    @Override
    public void commit(RestartResult image) {
        commits++;
        committed = image;
    }

    /** How many times {@link #commit} was called. */
    public int commits() {
        return commits;
    }

    /** What the last commit handed over, or {@code null} if there was none. */
    public RestartResult committed() {
        return committed;
    }
}
