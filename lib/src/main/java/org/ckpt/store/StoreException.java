package org.ckpt.store;

import java.io.IOException;
import java.net.URI;

/**
 * The store failed (refused, timed out, answered with an error, ended a body early), as opposed to
 * an image being bad ({@link org.ckpt.spi.ImageException}). The message names the object and the
 * part or byte range, e.g. {@code s3://images/app.ckpt, part 3 (bytes 16777216-25165823): ...}.
 * A checkpoint that fails with it has left nothing visible; a restart that fails with it has
 * committed nothing.
 *
 * @since 0.2 (evolving)
 */
public class StoreException extends IOException {
    private static final long serialVersionUID = 1L;

    private final URI object;
    private final String where;

    /**
     * @param object the object the failure concerns (an image's or a chunk's URI)
     * @param where  which part or range, e.g. {@code "part 3 (bytes 16777216-25165823)"}, or {@code null}
     * @param reason what happened
     */
    public StoreException(URI object, String where, String reason, Throwable cause) {
        super(object + (where != null ? ", " + where : "") + ": " + reason, cause);
        this.object = object;
        this.where = where;
    }

    /** The object the failure concerns. */
    public URI object() {
        return object;
    }

    /** The part or byte range, or {@code null}. */
    public String where() {
        return where;
    }
}
