package org.ckpt.internal;

import java.nio.ByteBuffer;
import org.ckpt.PageDestination;

/**
 * {@link PageDestination#heap()}: fresh heap buffers, one per request. One instance, so that a
 * restart knows the pages go nowhere in particular and may take one buffer for many runs of a
 * record ({@code PAGE_RUNS}): one copy and checksum of the record's pages, sliced per run,
 * instead of a buffer allocated, zeroed and filled per page.
 */
public final class FreshHeap implements PageDestination {
    public static final FreshHeap INSTANCE = new FreshHeap();

    private FreshHeap() {
    }

    @Override
    public ByteBuffer allocate(Run run) {
        return ByteBuffer.allocate(run.length());
    }

    /** Whether {@code d} is this destination, as a restart of a chain wraps it or not. */
    static boolean is(PageDestination d) {
        return d == INSTANCE || d instanceof ChainRestart.Once o && o.inner() == INSTANCE;
    }

    @Override
    public String toString() {
        return "PageDestination.heap()";
    }
}
