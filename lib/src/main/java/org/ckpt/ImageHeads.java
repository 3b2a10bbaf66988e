package org.ckpt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The checkpoint ids and tails of image files, for finding a parent among them
 * ({@link ParentResolver#find}). A resolver keeps one for its life: a chain restart asks once
 * per link, and re-opening every file of the directory for every link made a restart of a
 * ten-link chain in a directory of N images open 10 N files. A file's entry is reused while its
 * size, modification time and file key are unchanged (one stat instead of an open and a read);
 * a stale answer can only pick a wrong file, which the restart's verification of the chain
 * then rejects, naming the link.
 */
final class ImageHeads {
    private record Entry(long size, FileTime modified, Object key, Long id, ImageTail tail, boolean tailRead) {
        boolean same(BasicFileAttributes a) {
            return a.size() == size && a.lastModifiedTime().equals(modified) && Objects.equals(a.fileKey(), key);
        }
    }

    /** A directory's files, in path order, as listed when the directory had these attributes. */
    private record Listing(FileTime modified, Object key, List<Path> files) {
        boolean same(BasicFileAttributes a) {
            return a.lastModifiedTime().equals(modified) && Objects.equals(a.fileKey(), key);
        }
    }

    /** Bounded: a resolver over a directory that keeps gaining images must not grow without end. */
    private static final int MAX_ENTRIES = 4096;
    private static final int MAX_LISTINGS = 64;

    private final Map<Path, Entry> cache = new ConcurrentHashMap<>();
    private final Map<Path, Listing> listings = new ConcurrentHashMap<>();
    /** Directory listings made (for tests). */
    private final java.util.concurrent.atomic.AtomicInteger listed = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * {@link ParentResolver#directory}'s resolver, remembering heads in {@code heads}: the
     * restarter keeps one for every restart from a path, so a host restarting chains from a
     * directory of many images stats them instead of opening each one on every restart. While
     * the directory is unchanged (its modification time and file key) a link is answered from
     * its last listing by the files whose remembered head carries the link's id, stated again,
     * if one of them has the pinned tail: a chain of ten links in a directory of N images costs
     * about ten stats of the directory and of the parents instead of ten listings and 10 N stats.
     * Anything else lists the directory again; a directory of more than {@link #MAX_ENTRIES}
     * files is not remembered (its listing would be held for good).
     */
    static ParentResolver directory(Path dir, ImageHeads heads) {
        return link -> {
            Path known = heads.fromListing(dir, link);
            if (known != null) {
                try {
                    return FileChannel.open(known);
                } catch (java.nio.file.NoSuchFileException e) {
                    // gone since it was stated: list the directory as it is now
                }
            }
            BasicFileAttributes before = attributes(dir);
            List<Path> all = new ArrayList<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    all.add(f);
                }
            }
            heads.listed.incrementAndGet();
            if (before != null && all.size() <= MAX_ENTRIES) {
                all.sort(null);
                if (heads.listings.size() >= MAX_LISTINGS) {
                    heads.listings.clear();
                }
                heads.listings.put(dir, new Listing(before.lastModifiedTime(), before.fileKey(), List.copyOf(all)));
            }
            return heads.open(all, link);
        };
    }

    /** How many times {@link #directory}'s resolvers over these heads listed a directory. */
    int listings() {
        return listed.get();
    }

    private static BasicFileAttributes attributes(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The parent from the last listing of {@code dir}, if the directory is unchanged since and a
     * file whose remembered head carries the link's id still does and has the pinned tail (the
     * first such in path order); else null. A file changed in place, or added within the
     * directory's timestamp granularity, is not seen here; it can only stand in for a file with
     * the same id and tail.
     */
    private Path fromListing(Path dir, ParentLink link) {
        Listing l = listings.get(dir);
        if (l == null) {
            return null;
        }
        BasicFileAttributes a = attributes(dir);
        if (a == null || !l.same(a)) {
            return null;
        }
        for (Path f : l.files()) {
            Entry e = cache.get(f);
            if (e == null || e.id() == null || e.id() != link.checkpointId()) {
                continue;
            }
            Entry now = entry(f);
            if (now != null && now.id() != null && now.id() == link.checkpointId()
                    && link.tail().equals(tail(f, now))) {
                return f;
            }
        }
        return null;
    }

    /** The file among {@code images} that {@link #find} chooses for {@code link}, opened; null if none. */
    ReadableByteChannel open(Collection<Path> images, ParentLink link) throws IOException {
        Path found = find(images, link);
        return found == null ? null : FileChannel.open(found);
    }

    /** See {@link ParentResolver#find}. */
    Path find(Collection<Path> images, ParentLink link) {
        // In path order: the first whose tail matches the pin, else the first.
        TreeMap<Path, Entry> candidates = new TreeMap<>();
        for (Path f : images) {
            Entry e = entry(f);
            if (e != null && e.id() != null && e.id() == link.checkpointId()) {
                candidates.put(f, e);
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        for (Map.Entry<Path, Entry> c : candidates.entrySet()) {
            if (link.tail().equals(tail(c.getKey(), c.getValue()))) {
                return c.getKey();
            }
        }
        return candidates.firstKey();
    }

    /** The entry of a regular file, its head read (or taken from the cache); null for anything else. */
    private Entry entry(Path f) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(f, BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
        if (!a.isRegularFile()) {
            return null;
        }
        Entry e = cache.get(f);
        if (e != null && e.same(a)) {
            return e;
        }
        e = new Entry(a.size(), a.lastModifiedTime(), a.fileKey(), headId(f), null, false);
        if (cache.size() >= MAX_ENTRIES) {
            cache.clear();
        }
        cache.put(f, e);
        return e;
    }

    /** The tail of {@code f}, whose entry (just checked against the file) is {@code e}. */
    private ImageTail tail(Path f, Entry e) {
        if (!e.tailRead()) {
            e = new Entry(e.size(), e.modified(), e.key(), e.id(), tailOf(f), true);
            cache.put(f, e);
        }
        return e.tail();
    }

    /** The checkpoint id in the head of an image file, or null if it is not one. */
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
