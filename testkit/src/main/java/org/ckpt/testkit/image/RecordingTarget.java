package org.ckpt.testkit.image;

import java.util.Objects;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.spi.TargetCpu;

/**
 * A {@link RestartTarget} that only remembers what it was given, so that a test can
 * assert a failed restart never committed to it, and a successful one exactly once.
 *
 * @since 0.1 (evolving)
 */
public final class RecordingTarget implements RestartTarget {
    private final TargetCpu cpu;
    private int commits;
    private RestartResult committed;

    public RecordingTarget(TargetCpu cpu) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
    }

    @Override
    public TargetCpu cpu() {
        return cpu;
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
