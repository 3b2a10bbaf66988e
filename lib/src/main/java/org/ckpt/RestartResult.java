package org.ckpt;

import java.time.Duration;
import java.util.List;
import org.ckpt.model.Task;

/**
 * A fully validated image: its head and its tasks as the in-memory model, with
 * shared objects shared again and CPU states as the check phase sanitised them.
 *
 * @param info        the image head
 * @param tasks       the tasks, in image order
 * @param bytesRead   image size in bytes
 * @param recordsRead records, head and tail included
 * @param pagesRead   pages whose bytes were in the image
 * @param elapsed     wall-clock time of reading and validating
 * @since 0.1 (stable)
 */
public record RestartResult(ImageInfo info, List<Task> tasks, long bytesRead, long recordsRead, long pagesRead,
                            Duration elapsed) {
    public RestartResult {
        tasks = List.copyOf(tasks);
    }
}
