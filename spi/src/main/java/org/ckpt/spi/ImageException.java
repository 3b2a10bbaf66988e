package org.ckpt.spi;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Root of every failure caused by the bytes of an image: corrupt, truncated,
 * hostile, or written by a producer this reader cannot follow.
 *
 * <p>The message always says <em>what</em> was wrong, <em>where</em> (the record
 * type and the absolute byte offset in the image, when known) and <em>why</em>.
 * As the failure travels up through nested records each level adds a breadcrumb
 * ({@link #addTrace}), so the final message reads like
 * {@code task 2 › mm › vma 0x7f0000000000: page run outside the area}.
 *
 * <p>A restart that throws this exception has not changed its target.
 *
 * @since 0.1 (stable)
 */
public class ImageException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String recordType;
    private final long offset;
    private final String reason;
    private final Deque<String> trace = new ArrayDeque<>();

    /**
     * @param recordType name of the record being read, or {@code null} when the
     *                   failure is not inside a record (e.g. the file magic)
     * @param offset     absolute byte offset in the image, or {@code -1} if unknown
     * @param reason     what is wrong and why, including the offending value
     */
    public ImageException(String recordType, long offset, String reason) {
        this(recordType, offset, reason, null);
    }

    public ImageException(String recordType, long offset, String reason, Throwable cause) {
        super(reason, cause);
        this.recordType = recordType;
        this.offset = offset;
        this.reason = reason;
    }

    /** Name of the record type the failure was found in, or {@code null}. */
    public String recordType() {
        return recordType;
    }

    /** Absolute byte offset in the image where the failure was found, or {@code -1}. */
    public long offset() {
        return offset;
    }

    /** The bare reason, without location and trail. */
    public String reason() {
        return reason;
    }

    /** Prepends one breadcrumb (outermost last) and returns this exception for rethrowing. */
    public ImageException addTrace(String where) {
        trace.addFirst(where);
        return this;
    }

    /** The breadcrumb trail, outermost first, joined with " › ". */
    public String trail() {
        return String.join(" \u203a ", trace);
    }

    @Override
    public String getMessage() {
        StringBuilder sb = new StringBuilder();
        if (!trace.isEmpty()) {
            sb.append(trail()).append(": ");
        }
        sb.append(reason);
        if (recordType != null || offset >= 0) {
            sb.append(" [");
            if (recordType != null) {
                sb.append("record ").append(recordType);
            }
            if (offset >= 0) {
                if (recordType != null) {
                    sb.append(", ");
                }
                sb.append("offset ").append(offset);
            }
            sb.append(']');
        }
        return sb.toString();
    }
}
