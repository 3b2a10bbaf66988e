package org.ckpt.spi;

import java.io.IOException;

/**
 * The state of one checkpoint or one restart, handed to every provider. Never
 * shared between operations and not thread-safe: providers call it from the
 * thread that called them.
 *
 * <p>Methods of the other direction throw {@link IllegalStateException}: a
 * checkpoint has no {@link #input()}, a restart no {@link #output()}.
 *
 * @since 0.1 (stable)
 */
public interface CkptContext {
    /** Which way this operation goes. */
    enum Direction { CHECKPOINT, RESTART }

    Direction direction();

    /**
     * The restore policy this operation applies: a checkpoint's is its builder's, a restart's
     * its target's ({@code RestartTarget.policy()}), or for a restart into the model the
     * restarter's, by default the one the image was written under.
     *
     * @since 0.2
     */
    RestorePolicy policy();

    Limits limits();

    /**
     * The root directory file paths are relative to, as an absolute POSIX path
     * ({@code "/"} by default). A checkpoint refuses files outside it; a restart
     * resolves image paths under it.
     */
    String root();

    /** The image's architecture name, e.g. {@code "x86_64"}. */
    String architecture();

    /** The arch head read from or written to this image. */
    ArchHead archHead();

    /** Page size of every address space in the image, in bytes (a power of two). */
    int pageSize();

    /** The image's checkpoint id. */
    long checkpointId();

    /** Bytes written or read so far, including framing. */
    long bytes();

    /** Records written or read so far. */
    long records();

    /**
     * Checkpoint: returns the objref of {@code object}, writing the object's records
     * first if this is the first time it is met ({@code 0} for {@code null}). Providers
     * call this only for objects they listed in {@link ObjectOps#forEachReference}
     * or before they begin their own records.
     */
    long checkpointObject(Object object) throws IOException;

    /** Checkpoint: the record stream. */
    RecordOutput output();

    /**
     * Restart: the object restored under {@code objref}, which must already have
     * been read and must be an instance of {@code type}; {@code 0} yields
     * {@code null} only when {@code nullable}. Otherwise an {@link InvalidReferenceException}.
     *
     * @param what what holds the reference, for the message (e.g. {@code "fd 3"})
     */
    <T> T restoreObject(long objref, Class<T> type, boolean nullable, String what) throws ImageException;

    /** Restart: the record stream. */
    RecordInput input();

    /**
     * What the restart target declares it can run. During a checkpoint (when
     * {@link ArchProvider#check} runs before writing): {@link TargetCpu#anyFeatures} of the
     * image's architecture.
     */
    TargetCpu target();
}
