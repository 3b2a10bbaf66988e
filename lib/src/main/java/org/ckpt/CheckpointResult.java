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
 * @since 0.1 (stable)
 */
public record CheckpointResult(long checkpointId, long bytesWritten, long recordsWritten, long pagesWritten,
                               long zeroPagesSkipped, long cleanPagesSkipped, Duration elapsed) {
}
