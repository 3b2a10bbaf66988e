package org.ckpt.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.ckpt.internal.StableRuns;

/** {@link PageData#withChangedSinceParent}: a host's page data with its answer of what changed. */
class ChangedSinceParent implements PageData {
    private final PageData pages;
    private final PageRanges changed;

    ChangedSinceParent(PageData pages, PageRanges changed) {
        this.pages = pages;
        this.changed = changed;
    }

    @Override
    public void forEachRun(RunVisitor visitor) throws IOException {
        pages.forEachRun(visitor);
    }

    @Override
    public void read(long address, ByteBuffer dst) throws IOException {
        pages.read(address, dst);
    }

    @Override
    public PageRanges changedSinceParent() {
        return changed;
    }

    @Override
    public String toString() {
        return pages + " changed " + changed;
    }

    /** Of the library's own page data, whose runs stay valid for the whole checkpoint ({@link StableRuns}). */
    static final class Stable extends ChangedSinceParent implements StableRuns {
        Stable(PageData pages, PageRanges changed) {
            super(pages, changed);
        }
    }
}
