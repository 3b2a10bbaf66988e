package org.ckpt;

/**
 * Told how a checkpoint or restart advances, from the thread doing it. Called
 * after each task and at least every few megabytes of page data; keep it cheap.
 *
 * @since 0.1 (stable)
 */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param tasksDone  tasks completely written or read
     * @param tasksTotal tasks in the image
     * @param bytes      image bytes written or read so far
     * @param pages      pages written or read so far
     */
    void progress(int tasksDone, int tasksTotal, long bytes, long pages);
}
