package org.ckpt.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.ckpt.internal.StableRuns;

/**
 * A {@link PageData} held as a list of runs; also what a restart produces. Its buffers are the
 * host's own, valid for as long as it is ({@link StableRuns}).
 */
final class RunList implements PageData, StableRuns {
    static final RunList EMPTY = new RunList(List.of());

    record Run(long address, ByteBuffer bytes, boolean clean) {
    }

    private final List<Run> runs;

    RunList(List<Run> runs) {
        this.runs = List.copyOf(runs);
    }

    @Override
    public void forEachRun(RunVisitor visitor) throws IOException {
        for (Run r : runs) {
            visitor.run(r.address, r.bytes.duplicate(), r.clean);
        }
    }

    @Override
    public String toString() {
        long bytes = 0;
        for (Run r : runs) {
            bytes += r.bytes.remaining();
        }
        return "PageData[" + runs.size() + " runs, " + bytes + " bytes]";
    }
}
