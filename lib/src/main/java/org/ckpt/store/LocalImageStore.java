package org.ckpt.store;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Images as files in a directory: key {@code app/1.ckpt} is the file {@code app/1.ckpt} under
 * it. An upload writes a temporary file ({@code .NAME.*.tmp}) next to the image, and the commit
 * forces it to the device, renames it over the image and forces the directory — as
 * {@code Checkpointer.checkpoint(tasks, Path)} does — so a reader sees the old image or the new,
 * never a part, and a failure leaves the old one untouched. New files are readable and writable
 * by the owner only where the file system has POSIX permissions. {@link #open} returns the
 * image's {@link FileChannel}, so {@code Restarter}'s file paths (and its mapping opt-in) apply.
 *
 * <p>The {@code file:} scheme of {@link ImageStores}: {@code file:///srv/images/app.ckpt} is key
 * {@code app.ckpt} of the store {@code /srv/images}.
 *
 * @since 0.2 (evolving)
 */
public final class LocalImageStore implements ImageStore {
    private static final Logger LOG = LoggerFactory.getLogger("org.ckpt.sys");

    private final Path dir;

    private LocalImageStore(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** The store of the images under {@code dir}; the directory is created with the first image. */
    public static LocalImageStore of(Path dir) {
        return new LocalImageStore(Objects.requireNonNull(dir, "dir"));
    }

    /** The directory. */
    public Path directory() {
        return dir;
    }

    /** The file of the image under {@code key}. */
    public Path path(String key) {
        return dir.resolve(ImageStores.requireValidKey(key));
    }

    @Override
    public URI uri() {
        String s = dir.toUri().toString();
        return URI.create(s.endsWith("/") ? s : s + "/");
    }

    @Override
    public ImageUpload create(String key) throws IOException {
        Path target = path(key);
        if (Files.isDirectory(target)) {
            throw new IOException("cannot write an image at " + target + ": it is a directory");
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + target.getFileName() + ".", ".tmp");
        try {
            return new Upload(key, target, tmp, FileChannel.open(tmp, WRITE));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    @Override
    public ReadableByteChannel open(String key) throws IOException {
        Path file = path(key);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no image under key '" + key + "' in " + uri());
        }
        return FileChannel.open(file, READ);
    }

    @Override
    public List<StoredImage> list(String prefix) throws IOException {
        ImageStores.requireValidPrefix(prefix);
        List<StoredImage> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                String name = p.getFileName().toString();
                if (!a.isRegularFile() || (name.startsWith(".") && name.endsWith(".tmp"))) {
                    continue;
                }
                String key = dir.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                if (key.startsWith(prefix)) {
                    out.add(new StoredImage(key, a.size(), a.lastModifiedTime().toInstant()));
                }
            }
        }
        out.sort(Comparator.comparing(StoredImage::key));
        return out;
    }

    @Override
    public boolean delete(String key) throws IOException {
        return Files.deleteIfExists(path(key));
    }

    /** Nothing to release. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "LocalImageStore[" + dir + "]";
    }

    private static final class Upload implements ImageUpload {
        private final String key;
        private final Path target;
        private final Path tmp;
        private final FileChannel out;
        private long written;
        private boolean done;

        Upload(String key, Path target, Path tmp, FileChannel out) {
            this.key = key;
            this.target = target;
            this.tmp = tmp;
            this.out = out;
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public long bytesWritten() {
            return written;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (done) {
                throw new ClosedChannelException();
            }
            try {
                int n = out.write(src);
                written += n;
                return n;
            } catch (IOException | RuntimeException e) {
                abort();
                throw e;
            }
        }

        @Override
        public boolean isOpen() {
            return !done;
        }

        @Override
        public void commit() throws IOException {
            if (done) {
                throw new ClosedChannelException();
            }
            boolean moved = false;
            try {
                out.force(true);
                out.close();
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("cannot replace " + target + " atomically: " + e.getMessage(), e);
                }
                moved = true;
                done = true;
                forceDirectory(target.getParent());
            } finally {
                if (!moved) {
                    abort();
                }
            }
        }

        @Override
        public void abort() {
            if (done) {
                return;
            }
            done = true;
            try {
                out.close();
            } catch (IOException e) {
                LOG.debug("closing {}: {}", tmp, e.toString());
            }
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                LOG.warn("could not remove the temporary file {}: {}", tmp, e.toString());
            }
        }

        @Override
        public void close() {
            abort();
        }

        private static void forceDirectory(Path dir) {
            try (FileChannel d = FileChannel.open(dir)) {
                d.force(true);
            } catch (IOException | UnsupportedOperationException e) {
                LOG.debug("could not force directory {}: {}", dir, e.toString());
            }
        }
    }

    /** The built-in {@code file:} provider. */
    static final class Provider implements ImageStoreProvider {
        @Override
        public String scheme() {
            return "file";
        }

        @Override
        public ImageStore open(URI uri, Map<String, ?> env) {
            Path p = Path.of(uri);
            return new LocalImageStore(names(uri) ? p.getParent() : p);
        }

        @Override
        public String key(URI uri) {
            Path p = Path.of(uri);
            return names(uri) ? p.getFileName().toString() : "";
        }

        /** Whether the URI names a file in its directory (else: a directory, ending in '/'). */
        private static boolean names(URI uri) {
            String path = uri.getPath();
            if (path == null) {
                throw new IllegalArgumentException("not a hierarchical file URI: " + uri);
            }
            return !path.endsWith("/") && Path.of(uri).getParent() != null;
        }
    }
}
