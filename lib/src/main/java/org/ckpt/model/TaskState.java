package org.ckpt.model;

/**
 * Scheduler state of a task, with the stable codes the image uses.
 *
 * @since 0.1 (stable)
 */
public enum TaskState {
    RUNNING(0),
    INTERRUPTIBLE(1),
    UNINTERRUPTIBLE(2),
    STOPPED(4),
    TRACED(8),
    /** Being torn down: cannot be checkpointed, as the kernel series refused TASK_DEAD. */
    DEAD(64);

    private final int code;

    TaskState(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The state for an image code, or {@code null} if the code is unknown. */
    public static TaskState ofCode(long code) {
        for (TaskState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
