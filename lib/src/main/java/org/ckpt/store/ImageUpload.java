package org.ckpt.store;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * An image being written into an {@link ImageStore}: write the image, then {@link #commit}.
 * Nothing is visible under the key before the commit returns. {@link #close} without a commit
 * aborts, so a try-with-resources block leaves nothing behind when the checkpoint in it throws:
 *
 * <pre>{@code
 * try (ImageUpload up = store.create("app.ckpt")) {
 *     checkpointer.checkpoint(task, up);
 *     up.commit();
 * }
 * }</pre>
 *
 * <p>Writes may block while the store is busy (a bounded amount of data is buffered); a write
 * after a failure of the store throws that failure, a {@link StoreException}. One thread writes
 * and commits; {@link #abort} and {@link #close} may come from any thread (a writer blocked in
 * {@code write} then fails).
 *
 * @since 0.2 (evolving)
 */
public interface ImageUpload extends WritableByteChannel {
    /** The key the image will be visible under. */
    String key();

    /** Bytes written so far. */
    long bytesWritten();

    /**
     * Makes everything written visible under the key, atomically, and closes the channel. If it
     * throws, nothing new is visible (the upload is aborted).
     *
     * @throws java.nio.channels.ClosedChannelException if the upload was aborted or closed before
     */
    void commit() throws IOException;

    /**
     * Discards everything written; nothing becomes visible. Idempotent, and a no-op after a
     * commit. Interrupting the thread that writes also aborts.
     */
    void abort() throws IOException;

    /** Aborts unless committed. */
    @Override
    void close() throws IOException;
}
