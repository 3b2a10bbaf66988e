package org.ckpt.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ckpt.store.ImageStore;
import org.ckpt.store.ImageUpload;
import org.ckpt.store.StoreException;
import org.ckpt.store.StoredImage;

/**
 * Where a command writes an image, all or nothing: a file (or {@code file:} URI), written by
 * {@link AtomicOutput} — a temporary file renamed over it — or a key of a store
 * ({@code s3://BUCKET/KEY}), an upload committed only when the writer returns. A writer that
 * throws (a failed check, a dying process, an interrupt from SIGINT or SIGTERM) leaves nothing new
 * and the previous image as it was. Standard output ({@code -}) is none of these: it cannot be
 * taken back.
 */
interface ImageOutput extends AutoCloseable {
    /** The output as the command line named it. */
    String name();

    /**
     * Checks, before anything is frozen, that the output can be written: the file's directory
     * exists and takes a file; the store is reachable with the credentials given and has the bucket.
     */
    void check() throws CliException;

    /** Writes the image with {@code body}; it is visible (and replaces a previous one) only once {@code body} returns. */
    <T> T write(AtomicOutput.Body<T> body) throws IOException, CliException;

    /** Whether an image was there before this command (and is still, until a write commits). */
    boolean hadPrevious();

    /** Releases what the output holds (a store's connections). */
    @Override
    void close();

    /** The output an {@code -o} argument names (not {@code -}). */
    static ImageOutput of(String arg, Stores stores) throws CliException {
        if (Stores.isFileUri(arg)) {
            try {
                return new FileOutput(arg, Path.of(Stores.uri(arg)));
            } catch (IllegalArgumentException e) {
                throw CliException.usage("not a file URI: " + arg + " (" + e.getMessage() + ")");
            }
        }
        if (Stores.isUri(arg)) {
            return new StoreOutput(arg, Stores.uri(arg), stores);
        }
        return file(Path.of(arg));
    }

    static ImageOutput file(Path path) {
        return new FileOutput(path.toString(), path);
    }

    /** A file, replaced atomically. */
    final class FileOutput implements ImageOutput {
        private final String name;
        private final Path path;

        FileOutput(String name, Path path) {
            this.name = name;
            this.path = path;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void check() throws CliException {
            DumpCommand.checkOutput(path);
        }

        @Override
        public <T> T write(AtomicOutput.Body<T> body) throws IOException, CliException {
            return AtomicOutput.write(path, body);
        }

        @Override
        public boolean hadPrevious() {
            return Files.exists(path);
        }

        @Override
        public void close() {
        }
    }

    /** An image under a key of a store: one upload per write, committed when the body returns. */
    final class StoreOutput implements ImageOutput {
        private final String name;
        private final URI uri;
        private final Stores stores;
        private ImageStore store;
        private String key;
        private boolean previous;

        StoreOutput(String name, URI uri, Stores stores) {
            this.name = name;
            this.uri = uri;
            this.stores = stores;
        }

        @Override
        public String name() {
            return name;
        }

        /** Opens the store and looks for the key: the bucket exists and the credentials work, before anything is frozen. */
        @Override
        public void check() throws CliException {
            if (store != null) {
                return;
            }
            key = stores.key(uri);
            ImageStore s = stores.store(uri, "write");
            try {
                previous = false;
                for (StoredImage i : s.list(key)) {
                    previous |= i.key().equals(key);
                }
            } catch (IllegalArgumentException e) {
                Stores.close(s);
                throw CliException.usage("cannot write " + uri + ": " + e.getMessage());
            } catch (IOException | RuntimeException e) {
                Stores.close(s);
                throw CliException.usage("cannot write " + uri + ": " + (e instanceof StoreException
                        ? e.getMessage() : Stores.reason(e)));
            }
            store = s;
        }

        @Override
        public <T> T write(AtomicOutput.Body<T> body) throws IOException, CliException {
            check();
            ImageUpload up;
            try {
                up = store.create(key);
            } catch (IllegalArgumentException e) {
                throw CliException.usage("cannot write " + uri + ": " + e.getMessage());
            }
            try (up) {
                T result = body.write(up);
                up.commit();
                return result;
            }
        }

        @Override
        public boolean hadPrevious() {
            return previous;
        }

        @Override
        public void close() {
            if (store != null) {
                Stores.close(store);
                store = null;
            }
        }
    }
}
