package org.ckpt.internal;

/**
 * A {@link org.ckpt.model.PageData} whose runs are views of buffers that stay valid, and keep
 * their contents, for the whole checkpoint call rather than only during the visitor's call: the
 * library's own ({@code PageData.of}, its builder, a restart's page data), whose buffers are
 * the host's arrays or the restart's. The page contract already binds the host not to change
 * them while a checkpoint reads them. The writer may then copy such pages into staging later,
 * on the thread that writes the staging buffer ({@link ImageWriter#stableSource}); only runs
 * in heap buffers, which no thread confinement can guard.
 */
public interface StableRuns {
}
