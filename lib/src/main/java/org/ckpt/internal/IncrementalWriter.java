package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.ckpt.model.PageRanges;
import org.ckpt.model.Vma;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RecordTypes;

/**
 * The page runs of one area in an incremental image or an image with page digests
 * (docs/FORMAT.md §15): unchanged pages become {@code PAGES_PARENT} runs, the others are
 * written as a full checkpoint writes them (zero pages of areas where absent means zero are
 * left out, clean pages of private file-backed areas too), and the digests of the area's
 * present pages follow in {@code PAGE_DIGESTS} records.
 *
 * <p>What is unchanged comes from the host ({@code PageData.changedSinceParent}: those pages are
 * never read) or, without it, from comparing each page's digest with the parent's digest at the
 * same address. A run taken from the parent lies in one parent area; where an absent page means
 * the file's contents (either side private file-backed), it covers only pages the parent holds.
 */
final class IncrementalWriter {
    private final CheckpointSession s;
    private final ParentIndex parent;
    private final boolean digests;
    private final int ps;
    private final ByteBuffer zeroPage;
    /** A child's PAGE_RUNS collector, shared by its areas (one is written at a time); null without a parent. */
    private final Runs runs;

    IncrementalWriter(CheckpointSession s, ParentIndex parent, boolean digests, ByteBuffer zeroPage) {
        this.s = s;
        this.parent = parent;
        this.digests = digests;
        this.ps = s.pageSize();
        this.zeroPage = zeroPage;
        // The pages of one PAGES record of this image (its GCM tag accounted for when encrypted).
        this.runs = parent == null ? null : new Runs((long) s.pagesPerRecord() * ps);
    }

    /**
     * The PAGE_RUNS record being collected (docs/FORMAT.md §15.8): the runs of one area, in
     * address order, each taken from the parent or carried (small runs of changed pages, as
     * positions in the host's current run, copied only when the record is staged). A child of
     * scattered changed pages is then a few records per area, not two per changed page.
     * Reused from area to area.
     */
    private final class Runs {
        /** Runs per record: a table of at most 64 KiB. */
        static final int MAX_RUNS = 4096;
        /** Longer runs of changed pages go to PAGES records, as in a full image (and are read without a table). */
        static final int MAX_CARRIED_RUN = 16;
        /** Bytes of table and pages a record may carry: a PAGES record's pages. */
        final long budget;
        // Grown to MAX_RUNS as records need: a child of a few thousand changed pages has tens of runs
        // per record, and 160 KB of tables per checkpoint, zeroed in fresh heap, cost a child of
        // mem-1g about a tenth of its time (perf, a loop of child checkpoints).
        long[] address = new long[64];
        long[] count = new long[64];
        /** The host buffer of a carried run, null for a run taken from the parent. */
        ByteBuffer[] buf = new ByteBuffer[64];
        int[] off = new int[64];
        ByteBuffer table = ByteBuffer.allocate(16 * 64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int n;
        int dataPages;
        long parentMm;

        Runs(long budget) {
            this.budget = budget;
        }

        Runs reset(long pMm) {
            n = 0;
            dataPages = 0;
            parentMm = pMm;
            return this;
        }

        /** Whether a carried run of {@code pages} may go into a PAGE_RUNS record at all. */
        boolean fits(int pages) {
            return pages <= MAX_CARRIED_RUN && 16 + (long) pages * ps <= budget;
        }

        private long size(int runs, long pages) {
            return 16L * runs + pages * ps;
        }

        /**
         * A run taken from the parent, within one parent area (the callers' runs are maximal
         * there; runs of two parent areas that touch stay two runs, as §15.3 requires).
         */
        void parent(long from, long pages) throws IOException {
            long at = from;
            long left = pages;
            while (left > 0) {
                long k = Math.min(left, 0xFFFF_FFFFL);
                if (n == MAX_RUNS || size(n + 1, dataPages) > budget) {
                    emit();
                }
                room();
                address[n] = at;
                count[n] = k;
                buf[n] = null;
                n++;
                at += k * ps;
                left -= k;
            }
        }

        void data(long at, ByteBuffer host, int offset, int pages) throws IOException {
            if (n == MAX_RUNS || size(n + 1, dataPages + pages) > budget) {
                emit();
            }
            room();
            address[n] = at;
            count[n] = pages;
            buf[n] = host;
            off[n] = offset;
            n++;
            dataPages += pages;
        }

        /** Room for run n (n < MAX_RUNS: the callers emit at MAX_RUNS). */
        private void room() {
            if (n == address.length) {
                int cap = Math.min(MAX_RUNS, 2 * n);
                address = java.util.Arrays.copyOf(address, cap);
                count = java.util.Arrays.copyOf(count, cap);
                buf = java.util.Arrays.copyOf(buf, cap);
                off = java.util.Arrays.copyOf(off, cap);
                table = ByteBuffer.allocate(16 * cap).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            }
        }

        /** Stages the record collected so far, if any. */
        void emit() throws IOException {
            if (n == 0) {
                return;
            }
            boolean fromParent = false;
            table.clear();
            for (int i = 0; i < n; i++) {
                table.putLong(address[i]).putInt((int) count[i]).putInt(buf[i] == null ? Format.RUN_PARENT
                        : Format.RUN_CARRIED);
                fromParent |= buf[i] == null;
            }
            ImageWriter out = s.imageWriter();
            out.runsBegin(ps);
            boolean open = true;
            try {
                out.pagesAppend(table.flip());
                for (int i = 0; i < n; i++) {
                    if (buf[i] != null) {
                        ByteBuffer b = buf[i].duplicate();
                        b.limit(off[i] + (int) count[i] * ps).position(off[i]);
                        out.pagesAppend(b);
                        buf[i] = null;
                    }
                }
                out.runsEnd(fromParent ? parentMm : 0, n);
                open = false;
            } finally {
                if (open) {
                    out.discardOpen();
                }
            }
            s.countWritten(dataPages);
            n = 0;
            dataPages = 0;
        }
    }

    /** Writes the area's page records (after its VMA); returns its digests, or null when not asked for. */
    DigestIndex writeArea(Vma v, int taskIndex) throws IOException {
        List<ParentIndex.Area> pAreas = parent == null ? null : parent.mmOfTask(taskIndex);
        long pMm = pAreas == null ? 0 : parent.taskMms()[taskIndex];
        Area a = new Area(v, pAreas, pMm);
        long[] next = {v.start()};
        v.pages().forEachRun((address, bytes, clean) -> {
            int n = AddressSpaceOps.checkHostRun(address, bytes, ps, next[0], v);
            a.run(address, bytes, clean);
            next[0] = address + n;
        });
        a.finish();
        return a.digests == null ? null : a.digests.build();
    }

    /** One area being written. */
    private final class Area {
        final Vma v;
        final boolean privateFile;
        final List<ParentIndex.Area> pAreas;
        final long pMm;
        final DigestIndex.Builder digests;
        /** Host path: ranges taken from the parent (start, end pairs), each within one parent area. */
        long[] plan;
        int planLen;
        int planNext;
        /** Per plan range: the parent area it lies in. */
        int[] planArea;
        /** Host path without parent digests: hash the host's pages of plan ranges for our own digests. */
        boolean hashPlanned;
        /** Digest path: compare each page's digest with the parent's. */
        boolean compare;
        // the pending PAGES_PARENT run of the digest path
        long refStart = -1;
        long refEnd;
        // the pending batch of pages to write (within the current host run)
        ByteBuffer batchRun;
        long batchRunAddress;
        int batchFrom = -1;
        int batchTo;
        /** A child's pending PAGE_RUNS record; null in a full image with digests (PAGES only). */
        final Runs runs;
        // the parent area and digest cursor of the digest path
        int pIdx = -1;
        int dIdx;

        Area(Vma v, List<ParentIndex.Area> pAreas, long pMm) {
            this.runs = parent == null ? null : IncrementalWriter.this.runs.reset(pMm);
            this.v = v;
            this.privateFile = v.file() != null && !v.isShared();
            this.pAreas = pAreas;
            this.pMm = pMm;
            this.digests = IncrementalWriter.this.digests ? new DigestIndex.Builder() : null;
            if (pAreas == null) {
                return;
            }
            PageRanges changed = v.pages().changedSinceParent();
            if (changed != null) {
                plan(changed);
            } else {
                for (ParentIndex.Area p : pAreas) {
                    if (p.digests() != null && Long.compareUnsigned(p.start(), v.end()) < 0
                            && Long.compareUnsigned(p.end(), v.start()) > 0) {
                        compare = true;
                        break;
                    }
                }
            }
        }

        /** The host path's plan: the area minus what changed, cut by the parent's areas and, where it matters, presence. */
        private void plan(PageRanges changed) {
            plan = new long[16];
            planArea = new int[8];
            boolean missingDigests = false;
            for (int pi = 0; pi < pAreas.size(); pi++) {
                ParentIndex.Area p = pAreas.get(pi);
                long from = Long.compareUnsigned(p.start(), v.start()) > 0 ? p.start() : v.start();
                long to = Long.compareUnsigned(p.end(), v.end()) < 0 ? p.end() : v.end();
                if (Long.compareUnsigned(from, to) >= 0) {
                    continue;
                }
                boolean presenceMatters = privateFile || !p.zeroAbsent();
                if (presenceMatters && p.digests() == null) {
                    continue;
                }
                missingDigests |= p.digests() == null;
                // [from, to) minus the changed ranges
                long at = from;
                int ci = changed.index(at);
                ci = ci >= 0 ? ci : -ci - 1;
                while (Long.compareUnsigned(at, to) < 0) {
                    long cs = ci < changed.size() ? changed.start(ci) : to;
                    if (Long.compareUnsigned(cs, at) <= 0) {
                        at = changed.end(ci);
                        ci++;
                        continue;
                    }
                    long end = Long.compareUnsigned(cs, to) < 0 ? cs : to;
                    if (presenceMatters) {
                        addPresent(pi, p.digests(), at, end);
                    } else {
                        add(pi, at, end);
                    }
                    at = end;
                }
            }
            hashPlanned = digests != null && missingDigests;
        }

        /** Adds the maximal runs of parent-present pages of [from, to). */
        private void addPresent(int pi, DigestIndex d, long from, long to) {
            int i = d.ceiling(from);
            long runStart = -1;
            long runEnd = 0;
            while (i < d.size() && Long.compareUnsigned(d.address(i), to) < 0) {
                long a = d.address(i);
                if (runStart != -1 && a == runEnd) {
                    runEnd += ps;
                } else {
                    if (runStart != -1) {
                        add(pi, runStart, runEnd);
                    }
                    runStart = a;
                    runEnd = a + ps;
                }
                i++;
            }
            if (runStart != -1) {
                add(pi, runStart, runEnd);
            }
        }

        private void add(int pi, long from, long to) {
            if (planLen + 2 > plan.length) {
                plan = java.util.Arrays.copyOf(plan, plan.length * 2);
            }
            if (planLen / 2 + 1 > planArea.length) {
                planArea = java.util.Arrays.copyOf(planArea, planArea.length * 2);
            }
            planArea[planLen / 2] = pi;
            plan[planLen++] = from;
            plan[planLen++] = to;
        }

        /** Emits the plan ranges that end at or before {@code address}. */
        private void emitPlanBefore(long address) throws IOException {
            while (plan != null && planNext < planLen && Long.compareUnsigned(plan[planNext + 1], address) <= 0) {
                flushBatch();
                emitPlanned(plan[planNext], plan[planNext + 1]);
                planNext += 2;
            }
        }

        /** Writes [from, to) of the current plan range as taken from the parent, with the parent's digests. */
        private void emitPlanned(long from, long to) throws IOException {
            ParentIndex.Area p = pAreas.get(planArea[planNext / 2]);
            writeParentRun(from, to);
            if (digests != null && p.digests() != null) {
                DigestIndex d = p.digests();
                for (int i = d.ceiling(from); i < d.size() && Long.compareUnsigned(d.address(i), to) < 0; i++) {
                    digests.add(d.address(i), d.digest(i));
                }
            }
        }

        /**
         * Takes [from, to) out of the current plan range (which contains it): what precedes it is
         * written as taken from the parent now, the rest of the range stays planned.
         */
        private void cutPlan(long from, long to) throws IOException {
            flushBatch();
            flushRef();
            if (Long.compareUnsigned(plan[planNext], from) < 0) {
                emitPlanned(plan[planNext], from);
            }
            plan[planNext] = to;
            if (plan[planNext] == plan[planNext + 1]) {
                planNext += 2;
            }
        }

        /** The end of the plan range containing {@code address}, or -1. */
        private long planEndAt(long address) {
            if (plan != null && planNext < planLen && Long.compareUnsigned(plan[planNext], address) <= 0
                    && Long.compareUnsigned(address, plan[planNext + 1]) < 0) {
                return plan[planNext + 1];
            }
            return -1;
        }

        void run(long address, ByteBuffer bytes, boolean clean) throws IOException {
            int n = bytes.remaining() / ps;
            int base = bytes.position();
            ByteBuffer page = bytes.duplicate();
            batchRun = bytes;
            batchRunAddress = address;
            int i = 0;
            while (i < n) {
                long a = address + (long) i * ps;
                emitPlanBefore(a);
                long planEnd = planEndAt(a);
                if (planEnd != -1) {
                    int upTo = (int) Math.min(n, i + (planEnd - a) / ps);
                    if (clean && privateFile) {
                        // The host says these pages are the file's: left out as a full image leaves
                        // them out, even where the parent holds them (it may have held them where an
                        // absent page meant zero, so written): absent means the file's, in the chain too.
                        cutPlan(a, address + (long) upTo * ps);
                        s.countClean(upTo - i);
                        i = upTo;
                        continue;
                    }
                    flushBatch();
                    if (hashPlanned && !pAreaHasDigests(planNext)) {
                        for (; i < upTo; i++) {
                            page.limit(base + (i + 1) * ps).position(base + i * ps);
                            if (page.mismatch(zeroPage) >= 0) {
                                digests.add(address + (long) i * ps, Xxh64.hash(page));
                            }
                        }
                    }
                    i = upTo;
                    continue;
                }
                if (clean && privateFile) {
                    flushBatch();
                    flushRef();
                    s.countClean(1);
                    i++;
                    continue;
                }
                page.limit(base + (i + 1) * ps).position(base + i * ps);
                if (!privateFile && page.mismatch(zeroPage) < 0) {
                    flushBatch();
                    flushRef();
                    s.countZero(1);
                    i++;
                    continue;
                }
                long h = digests != null || compare ? Xxh64.hash(page) : 0;
                if (compare && parentHas(a, h)) {
                    flushBatch();
                    if (refStart != -1 && refEnd == a) {
                        refEnd += ps;
                    } else {
                        flushRef();
                        refStart = a;
                        refEnd = a + ps;
                    }
                } else {
                    flushRef();
                    if (batchFrom < 0) {
                        batchFrom = i;
                    }
                    batchTo = i + 1;
                }
                if (digests != null) {
                    digests.add(a, h);
                }
                i++;
            }
            flushBatch();
            if (runs != null && runs.dataPages > 0) {
                // The host's buffer is valid only during its run: its pages leave now, with the
                // parent's ranges that end within the run (so they need no record of their own).
                emitPlanBefore(address + (long) n * ps);
                runs.emit();
            }
            batchRun = null;
        }

        private boolean pAreaHasDigests(int planIndex) {
            return pAreas.get(planArea[planIndex / 2]).digests() != null;
        }

        /** Whether the parent holds a page at {@code a} with digest {@code h} (ascending calls). */
        private boolean parentHas(long a, long h) throws IOException {
            if (pIdx < 0 || !contains(pAreas.get(pIdx), a)) {
                int found = ParentIndex.areaAt(pAreas, a);
                if (found != pIdx) {
                    flushRef();
                }
                pIdx = found;
                if (pIdx < 0) {
                    return false;
                }
                DigestIndex d = pAreas.get(pIdx).digests();
                dIdx = d == null ? 0 : d.ceiling(a);
            }
            DigestIndex d = pAreas.get(pIdx).digests();
            if (d == null) {
                return false;
            }
            while (dIdx < d.size() && Long.compareUnsigned(d.address(dIdx), a) < 0) {
                dIdx++;
            }
            return dIdx < d.size() && d.address(dIdx) == a && d.digest(dIdx) == h;
        }

        private boolean contains(ParentIndex.Area p, long a) {
            return Long.compareUnsigned(p.start(), a) <= 0 && Long.compareUnsigned(a, p.end()) < 0;
        }

        private void flushBatch() throws IOException {
            if (batchFrom < 0) {
                return;
            }
            long at = batchRunAddress + (long) batchFrom * ps;
            int pages = batchTo - batchFrom;
            int off = batchRun.position() + batchFrom * ps;
            batchFrom = -1;
            if (runs != null && runs.fits(pages)) {
                runs.data(at, batchRun, off, pages);
                return;
            }
            if (runs != null) {
                runs.emit();
            }
            ByteBuffer b = batchRun.duplicate();
            b.limit(off + pages * ps).position(off);
            s.writePageRun(at, b, false, true);
        }

        private void flushRef() throws IOException {
            if (refStart == -1) {
                return;
            }
            long from = refStart;
            refStart = -1;
            writeParentRun(from, refEnd);
        }

        private void writeParentRun(long from, long to) throws IOException {
            long count = (to - from) / ps;
            if (runs != null) {
                runs.parent(from, count);
            } else {
                RecordOutput out = s.output();
                out.begin(RecordTypes.PAGES_PARENT).u64(from).u64(count).u64(pMm);
                out.end();
            }
            s.countFromParent(count);
        }

        void finish() throws IOException {
            flushBatch();
            flushRef();
            emitPlanBefore(-1L);
            if (runs != null) {
                runs.emit();
            }
            if (digests != null) {
                writeDigests(digests.build());
            }
        }

        /** PAGE_DIGESTS records (optional): entries of consecutive pages, as many records as the size limit needs. */
        private void writeDigests(DigestIndex d) throws IOException {
            int max = s.limits().maxRecordSize();
            RecordOutput out = s.output();
            PayloadWriter w = out.begin(RecordTypes.PAGE_DIGESTS, RecordOutput.FLAG_OPTIONAL);
            w.u32(Format.DIGEST_XXH64).u32(0);
            int i = 0;
            while (i < d.size()) {
                if (w.size() + 24 > max) {
                    out.end();
                    w = out.begin(RecordTypes.PAGE_DIGESTS, RecordOutput.FLAG_OPTIONAL);
                    w.u32(Format.DIGEST_XXH64).u32(0);
                }
                int room = (max - w.size() - 16) / 8;
                int j = i + 1;
                while (j < d.size() && j - i < room && d.address(j) == d.address(j - 1) + ps) {
                    j++;
                }
                w.u64(d.address(i)).u32(j - i).u32(0);
                for (int k = i; k < j; k++) {
                    w.u64(d.digest(k));
                }
                i = j;
            }
            out.end();
        }
    }
}
