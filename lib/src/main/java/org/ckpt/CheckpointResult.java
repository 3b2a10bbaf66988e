package org.ckpt;

import java.time.Duration;

/**
 * What one checkpoint wrote.
 *
 * @param checkpointId     the id written into the head
 * @param bytesWritten     image size in bytes
 * @param recordsWritten   records, head and tail included
 * @param pagesWritten     pages whose bytes are in the image
 * @param zeroPagesSkipped pages reported present but all zero, not written
 * @param cleanPagesSkipped pages of private file-backed areas reported clean, not written
 * @param elapsed          wall-clock time of the checkpoint
 * @param pagesFromParent  pages an incremental image takes from its parent instead of carrying
 *                         them (the pages of its runs taken from the parent, {@code PAGE_RUNS} or
 *                         {@code PAGES_PARENT}); 0 for a full image.
 *                         @since 0.3
 * @param tail             what the image's tail says: what a child of this image pins. @since 0.3
 * @param asParent         this image as the parent of a next, incremental checkpoint
 *                         ({@link Checkpointer.Builder#parent}); {@code null} only in results made
 *                         by hand. @since 0.3
 * @since 0.1 (stable)
 */
public record CheckpointResult(long checkpointId, long bytesWritten, long recordsWritten, long pagesWritten,
                               long zeroPagesSkipped, long cleanPagesSkipped, Duration elapsed, long pagesFromParent,
                               ImageTail tail, ParentImage asParent) {
    /** The result of 0.2's fields; the incremental ones are 0 and {@code null}. */
    public CheckpointResult(long checkpointId, long bytesWritten, long recordsWritten, long pagesWritten,
                            long zeroPagesSkipped, long cleanPagesSkipped, Duration elapsed) {
        this(checkpointId, bytesWritten, recordsWritten, pagesWritten, zeroPagesSkipped, cleanPagesSkipped, elapsed, 0,
                null, null);
    }
}
