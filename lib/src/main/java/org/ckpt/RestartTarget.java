package org.ckpt;

import java.io.IOException;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;

/**
 * Where a host wants a restart to land: an emulator's guest, a sandbox, a process
 * manager. {@link Restarter#restart(java.nio.channels.ReadableByteChannel, RestartTarget)}
 * reads and validates the whole image first, runs every architecture check of
 * {@link #policy()} against {@link #cpu()}, and only then calls {@link #commit} — once, with
 * everything. If anything fails before that, {@code commit} is never called and the buffers
 * {@link #pages()} handed out are released.
 *
 * @since 0.1 (evolving)
 */
public interface RestartTarget {
    /**
     * What the target can run. Called once, before the image is read; must not return
     * {@code null} (a restart refuses a target that does).
     */
    TargetCpu cpu();

    /**
     * The rules the restored task must pass: {@link RestorePolicy#LINUX_USER} for a host that
     * runs it as a process on a real kernel, {@link RestorePolicy#EXACT} for one that owns
     * privilege itself (an emulator, a simulator, a debugger) and needs every register back
     * as saved. Called once, before the image is read; must not return {@code null}.
     *
     * @since 0.2
     */
    RestorePolicy policy();

    /**
     * Where restored page contents go; by default fresh heap buffers
     * ({@link PageDestination#heap()}). An emulator returns buffers of its guest RAM here, so
     * the one copy a restart makes (fused with its checksum) lands where the guest reads it.
     *
     * @since 0.2
     */
    default PageDestination pages() {
        return PageDestination.heap();
    }

    /** Installs the validated tasks. Called at most once, after every check passed. */
    void commit(RestartResult image) throws IOException;
}
