package org.ckpt;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * How a chain restart opens the parent an incremental image names
 * ({@link Restarter.Builder#parents}). Called from the restarting thread, newest link first,
 * once per link, before anything of the chain is restored; the restart reads the channel
 * returned strictly sequentially, verifies the image completely (its id, its tail against the
 * child's pin, architecture, page size, policy, depth) and closes it.
 *
 * @since 0.3 (evolving)
 */
@FunctionalInterface
public interface ParentResolver {
    /**
     * A channel positioned at the first byte of the image {@code link} names, or {@code null}
     * if this resolver does not know it (the restart then fails, naming the link). The channel
     * must be in blocking mode; the restart closes it.
     */
    ReadableByteChannel open(ParentLink link) throws IOException;

    /** No parent can be found: a restart of an incremental image fails naming its parent. */
    static ParentResolver none() {
        return link -> null;
    }

    /**
     * Image files in {@code dir} (not its subdirectories): the parent is the regular file whose
     * head carries the link's checkpoint id. When several do (a merged image keeps the id of the
     * last image it merged), the one whose tail matches the link's pin is taken; when none
     * matches, the first in name order is taken and the restart reports the mismatch. The
     * resolver remembers the heads it read and the directory's last listing: while the
     * directory is unchanged, a link whose pinned parent it remembers costs a stat of the
     * directory and of that file, not a listing (keep one resolver for many restarts).
     */
    static ParentResolver directory(Path dir) {
        Objects.requireNonNull(dir, "dir");
        return ImageHeads.directory(dir, new ImageHeads());
    }

    /**
     * The image files {@code images} (a chain named on a command line): the parent is the one
     * whose head carries the link's checkpoint id, chosen among several as {@link #directory}
     * chooses. Files that are not images are ignored.
     *
     * @since 0.3 (evolving)
     */
    static ParentResolver files(Collection<Path> images) {
        List<Path> all = List.copyOf(images);
        ImageHeads heads = new ImageHeads();
        return link -> heads.open(all, link);
    }

    /**
     * The file among {@code images} that holds the parent {@code link} names, as
     * {@link #files} and {@link #directory} choose it (for a tool that shows which file that
     * is): the files whose head carries the link's checkpoint id, in path order, the first whose
     * tail matches the link's pin, else the first of them; null if none. Files that are not
     * images are ignored; nothing is verified (the restart does).
     *
     * @since 0.3 (evolving)
     */
    static Path find(Collection<Path> images, ParentLink link) {
        return new ImageHeads().find(images, link);
    }
}
