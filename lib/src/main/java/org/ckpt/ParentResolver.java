package org.ckpt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
     * matches, the first in name order is taken and the restart reports the mismatch.
     */
    static ParentResolver directory(Path dir) {
        Objects.requireNonNull(dir, "dir");
        return link -> {
            List<Path> all = new ArrayList<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    all.add(f);
                }
            }
            return open(all, link);
        };
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
        return link -> open(all, link);
    }

    private static ReadableByteChannel open(List<Path> files, ParentLink link) throws IOException {
        Path f = find(files, link);
        return f == null ? null : FileChannel.open(f);
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
        List<Path> candidates = new ArrayList<>();
        for (Path f : images) {
            Long id = Files.isRegularFile(f) ? headId(f) : null;
            if (id != null && id == link.checkpointId()) {
                candidates.add(f);
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        candidates.sort(null);
        for (Path f : candidates) {
            if (link.tail().equals(tailOf(f))) {
                return f;
            }
        }
        return candidates.get(0);
    }

    /** The checkpoint id in the head of an image file, or a value no link carries if it is not one. */
    private static Long headId(Path f) {
        // magic (8), HEAD header (16), major u16, minor u16, flags u32, checkpoint_id u64
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel in = FileChannel.open(f)) {
            while (b.hasRemaining() && in.read(b) >= 0) {
                // fill
            }
        } catch (IOException e) {
            return null;
        }
        if (b.position() < 40 || b.get(0) != (byte) 0x89 || b.get(1) != 'C' || b.getInt(8) != 1) {
            return null;
        }
        return b.getLong(32);
    }

    /** The tail of an image file (its last 48 bytes), or null. */
    private static ImageTail tailOf(Path f) {
        try (FileChannel in = FileChannel.open(f)) {
            long size = in.size();
            if (size < 56) {
                return null;
            }
            ByteBuffer b = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && in.read(b, size - 48 + b.position()) >= 0) {
                // fill
            }
            if (b.position() < 48 || b.getInt(0) != 3) {
                return null;
            }
            return new ImageTail(b.getLong(24), b.getLong(32), b.getInt(40));
        } catch (IOException e) {
            return null;
        }
    }
}
