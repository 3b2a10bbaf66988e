package org.ckpt.model;

/**
 * Exit state of a task, with the stable codes the image uses (Linux's EXIT_ZOMBIE, EXIT_DEAD).
 *
 * @since 0.1 (stable)
 */
public enum ExitState {
    NONE(0),
    ZOMBIE(16),
    /** Fully dead: cannot be checkpointed. */
    DEAD(32);

    private final int code;

    ExitState(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The exit state for an image code, or {@code null} if the code is unknown. */
    public static ExitState ofCode(long code) {
        for (ExitState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
