package org.ckpt.spi;

import java.io.IOException;

/**
 * The stream of records a checkpoint writes. A provider calls {@link #begin} for
 * each record it writes, fills the returned payload, and either calls
 * {@link #end()} or simply begins the next record, which ends the current one.
 * Records are written in one sequential pass; nothing is ever rewritten.
 *
 * @since 0.1 (stable)
 */
public interface RecordOutput {
    /** Record flag: readers that do not know the type skip the record. */
    int FLAG_OPTIONAL = 1;

    /**
     * Starts a record of the given type. Types are the core's ({@link RecordTypes})
     * or ones the active {@link ArchProvider} declares in {@link ArchProvider#recordTypes()}.
     */
    PayloadWriter begin(int type, int flags) throws IOException;

    default PayloadWriter begin(int type) throws IOException {
        return begin(type, 0);
    }

    /** Ends the open record, if any: computes its checksum and writes it. */
    void end() throws IOException;
}
