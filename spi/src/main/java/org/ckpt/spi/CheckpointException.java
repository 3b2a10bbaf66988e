package org.ckpt.spi;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A checkpoint could not be taken from the task the host handed in: an object
 * type with no {@link ObjectOps}, a file outside the checkpoint root, a dead task,
 * a value the image format cannot carry, or a limit exceeded. When thrown after
 * writing began, the image already ends with an error record carrying this message.
 *
 * @since 0.1 (stable)
 */
public class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
        this.reason = message;
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
        this.reason = message;
    }

    private String reason;
    private final Deque<String> trace = new ArrayDeque<>();

    /** Prepends one breadcrumb ({@code task 0 (pid 42)}, {@code fd 3}) and returns this exception. */
    public CheckpointException addTrace(String where) {
        trace.addFirst(where);
        return this;
    }

    /** The bare reason, without the trail. */
    public String reason() {
        return reason;
    }

    @Override
    public String getMessage() {
        return trace.isEmpty() ? reason : String.join(" \u203a ", trace) + ": " + reason;
    }
}
