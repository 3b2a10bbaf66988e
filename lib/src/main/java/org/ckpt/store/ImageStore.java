package org.ckpt.store;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * A place that holds images under keys: a directory ({@link LocalImageStore}), a bucket of
 * S3-compatible object storage ({@code ckpt-store-s3}), or a host's own. A key is a
 * {@code /}-separated relative name ({@link ImageStores#requireValidKey the rules}).
 *
 * <p><b>Visibility.</b> An image written with {@link #create} is invisible to {@link #open} and
 * {@link #list} until its upload is {@link ImageUpload#commit committed}, and then appears
 * whole, replacing any earlier image under the key. An upload that is aborted, closed without a
 * commit, or fails leaves no image and does not disturb an earlier one.
 *
 * <p>A store is thread-safe: several uploads and reads may run at once. Closing it releases
 * what it holds (connections, threads); uploads and channels still open then fail.
 *
 * @since 0.2 (evolving)
 */
public interface ImageStore extends Closeable {
    /** Fills an upload: typically {@code out -> checkpointer.checkpoint(tasks, out)}. */
    @FunctionalInterface
    interface Writer<T> {
        T write(WritableByteChannel out) throws IOException;
    }

    /** The URI of the store itself, ending in {@code /}; {@code uri().resolve(key)} names an image. */
    URI uri();

    /** The URI of the image under {@code key}, as {@link ImageStores#store} and the {@code ckpt} command take it. */
    default URI uri(String key) {
        try {
            return uri().resolve(new URI(null, null, "./" + ImageStores.requireValidKey(key), null));
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("image key '" + key + "' makes no URI: " + e.getMessage(), e);
        }
    }

    /**
     * Starts writing an image under {@code key}. The caller writes the image to the returned
     * channel and commits it; until then nothing is visible under the key.
     *
     * @throws IllegalArgumentException if {@code key} breaks the key rules
     */
    ImageUpload create(String key) throws IOException;

    /**
     * Writes an image under {@code key} with {@code writer} and commits it; if the writer (or the
     * commit) fails, the upload is aborted and the exception propagates: nothing is left under
     * the key that was not there before.
     */
    default <T> T put(String key, Writer<T> writer) throws IOException {
        try (ImageUpload upload = create(key)) {
            T result = writer.write(upload);
            upload.commit();
            return result;
        }
    }

    /**
     * Opens the image under {@code key} for reading, as the bytes the committed upload was given.
     * The channel is blocking and sequential; hand it to {@code Restarter}, which validates every
     * byte before it commits anything. A failure of the store while reading is a
     * {@link StoreException}.
     *
     * @throws NoSuchFileException if there is no image under {@code key}
     */
    ReadableByteChannel open(String key) throws IOException;

    /** The committed images whose keys start with {@code prefix} ({@code ""}: all), in key order. */
    List<StoredImage> list(String prefix) throws IOException;

    /**
     * Removes the image under {@code key}.
     *
     * @return whether there was one
     */
    boolean delete(String key) throws IOException;
}
