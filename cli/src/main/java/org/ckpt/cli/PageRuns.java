package org.ckpt.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.ckpt.model.PageData;

/** Maximal runs of consecutive pages of a {@link PageData}, for summaries. */
final class PageRuns {
    record Run(long address, long pages, int pageSize) {
        long end() {
            return address + pages * pageSize;
        }

        @Override
        public String toString() {
            return Fmt.hex(address) + "-" + Fmt.hex(end()) + " (" + Fmt.plural(pages, "page") + ")";
        }
    }

    private PageRuns() {
    }

    static List<Run> of(PageData data, int pageSize) {
        List<Run> runs = new ArrayList<>();
        try {
            data.forEachRun((address, bytes, clean) -> {
                long n = bytes.remaining() / pageSize;
                int last = runs.size() - 1;
                if (last >= 0 && runs.get(last).end() == address) {
                    Run r = runs.get(last);
                    runs.set(last, new Run(r.address(), r.pages() + n, pageSize));
                } else {
                    runs.add(new Run(address, n, pageSize));
                }
            });
        } catch (IOException e) {
            // a restarted model holds its pages in memory: nothing to fail
            throw new UncheckedIOException(e);
        }
        return runs;
    }

    static long pages(List<Run> runs) {
        long n = 0;
        for (Run r : runs) {
            n += r.pages();
        }
        return n;
    }
}
