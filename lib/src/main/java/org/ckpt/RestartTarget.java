package org.ckpt;

import java.io.IOException;
import org.ckpt.spi.TargetCpu;

/**
 * Where a host wants a restart to land: an emulator's guest, a sandbox, a process
 * manager. {@link Restarter#restart(java.nio.channels.ReadableByteChannel, RestartTarget)}
 * reads and validates the whole image first, runs every architecture check against
 * {@link #cpu()}, and only then calls {@link #commit} — once, with everything. If
 * anything fails before that, the target is never called.
 *
 * @since 0.1 (evolving)
 */
public interface RestartTarget {
    /**
     * What the target can run. Called during validation, possibly more than once;
     * must not change state.
     */
    TargetCpu cpu();

    /** Installs the validated tasks. Called at most once, after every check passed. */
    void commit(RestartResult image) throws IOException;
}
