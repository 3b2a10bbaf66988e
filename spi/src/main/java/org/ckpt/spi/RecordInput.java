package org.ckpt.spi;

import java.io.IOException;

/**
 * The stream of records a restart reads. Optional records of unknown types are
 * skipped transparently (after their checksum is verified); an unknown mandatory
 * type is an {@link UnsupportedImageException}; a known type other than the one
 * expected is an {@link InvalidImageException}.
 *
 * @since 0.1 (stable)
 */
public interface RecordInput {
    /** The type of the next record, without consuming it. */
    int peekType() throws IOException;

    /**
     * Reads the next record, which must be of {@code expectedType}, verifies its
     * checksum and returns its payload. The previous payload must have been
     * consumed exactly.
     */
    PayloadReader next(int expectedType) throws IOException;
}
