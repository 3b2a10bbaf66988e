package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.ckpt.PageDestination;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.OpenFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Vma;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.InvalidReferenceException;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordTypes;

/**
 * Address spaces ("mm"): the OBJECT body holds the layout and the area count; a
 * VMA record per area follows, each followed by the PAGES records of its non-zero
 * pages. Writer and reader below mirror each other field for field.
 */
public final class AddressSpaceOps implements ObjectOps<AddressSpace> {
    static final String TYPE = "mm";
    private static final String[] LAYOUT = {"start_code", "end_code", "start_data", "end_data", "start_brk", "brk",
        "start_stack", "arg_start", "arg_end", "env_start", "env_end"};

    @Override
    public String typeName() {
        return TYPE;
    }

    @Override
    public Class<AddressSpace> type() {
        return AddressSpace.class;
    }

    @Override
    public void forEachReference(AddressSpace mm, BiConsumer<String, Object> refs) {
        for (Vma v : mm.vmas()) {
            if (v.file() != null) {
                refs.accept(vmaLabel(v.start()), v.file());
            }
        }
    }

    /** Layout fields that must not decrease, pairwise (start_code ≤ end_code, …). */
    private static final int[][] ORDERED = {{0, 1}, {2, 3}, {4, 5}, {7, 8}, {9, 10}};

    private static String vmaLabel(long start) {
        return ImageReader.trailLabel(ImageReader.TRAIL_VMA, start, null);
    }

    private static long[] layout(AddressSpace mm) {
        return new long[] {mm.startCode(), mm.endCode(), mm.startData(), mm.endData(), mm.startBrk(), mm.brk(),
            mm.startStack(), mm.argStart(), mm.argEnd(), mm.envStart(), mm.envEnd()};
    }

    /** Why a layout is unacceptable for this address limit, or null. Shared by both directions. */
    private static String layoutProblem(long[] l, long limit) {
        for (int i = 0; i < l.length; i++) {
            if (Long.compareUnsigned(l[i], limit) > 0) {
                return LAYOUT[i] + " 0x" + Long.toHexString(l[i]) + " is above the user address limit 0x"
                        + Long.toHexString(limit);
            }
        }
        for (int[] p : ORDERED) {
            if (Long.compareUnsigned(l[p[0]], l[p[1]]) > 0) {
                return LAYOUT[p[0]] + " 0x" + Long.toHexString(l[p[0]]) + " is above " + LAYOUT[p[1]] + " 0x"
                        + Long.toHexString(l[p[1]]);
            }
        }
        return null;
    }

    /** Why an area is unacceptable after {@code prevEnd}, or null. Shared by both directions. */
    private static String vmaProblem(long start, long end, long prot, long flags, long prevEnd, int pageSize,
                                     long limit) {
        long mask = pageSize - 1L;
        if ((start & mask) != 0 || (end & mask) != 0) {
            return "area [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                    + ") is not aligned to the page size " + pageSize;
        }
        if (Long.compareUnsigned(start, end) >= 0) {
            return "area [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ") is empty or inverted";
        }
        if (Long.compareUnsigned(end, limit) > 0) {
            return "area end 0x" + Long.toHexString(end) + " is above the user address limit 0x"
                    + Long.toHexString(limit);
        }
        if (Long.compareUnsigned(start, prevEnd) < 0) {
            return "area start 0x" + Long.toHexString(start) + " overlaps or precedes the previous area ending at 0x"
                    + Long.toHexString(prevEnd);
        }
        if ((prot & ~(long) Vma.PROT_MASK) != 0) {
            return "unknown protection bits 0x" + Long.toHexString(prot);
        }
        if ((flags & ~(long) Vma.FLAGS_MASK) != 0) {
            return "unknown area flags 0x" + Long.toHexString(flags);
        }
        return null;
    }

    // ---- checkpoint ------------------------------------------------------------

    /**
     * Why {@code mm} cannot be written (and so would not restart) under an address limit, or
     * null: the rules a restart applies to the layout and the areas, checked by a checkpoint
     * before it writes anything.
     */
    static CheckpointException problem(AddressSpace mm, int pageSize, long limit, int maxVmas) {
        String problem = layoutProblem(layout(mm), limit);
        if (problem != null) {
            return new CheckpointException(problem);
        }
        if (mm.vmas().size() > maxVmas) {
            return new CheckpointException(mm.vmas().size() + " areas exceed maxVmas " + maxVmas);
        }
        long prevEnd = 0;
        for (Vma v : mm.vmas()) {
            problem = vmaProblem(v.start(), v.end(), v.prot(), v.flags(), prevEnd, pageSize, limit);
            if (problem != null) {
                return new CheckpointException(problem).addTrace(vmaLabel(v.start()));
            }
            prevEnd = v.end();
        }
        return null;
    }

    @Override
    public void checkpoint(AddressSpace mm, CkptContext ctx, PayloadWriter body) throws IOException {
        CheckpointSession s = (CheckpointSession) ctx;
        CheckpointException problem = problem(mm, ctx.pageSize(), s.addressLimit(), ctx.limits().maxVmas());
        if (problem != null) {
            throw problem;
        }
        for (long v : layout(mm)) {
            body.u64(v);
        }
        body.u64(mm.flags()).u32(mm.vmas().size()).u32(0);
        for (Vma v : mm.vmas()) {
            long fileRef = ctx.checkpointObject(v.file());
            ctx.output().begin(RecordTypes.VMA)
                    .u64(v.start()).u64(v.end()).u32(v.prot()).u32(v.flags()).u64(v.pgoff()).u64(fileRef);
            ctx.output().end();
            try {
                s.writeAreaPages(mm, v);
            } catch (CheckpointException e) {
                throw e.addTrace(vmaLabel(v.start()));
            }
        }
    }

    /**
     * A run a host's page data gave a checkpoint: whole aligned pages, in order after
     * {@code next}, within the area. Returns its length in bytes.
     */
    static int checkHostRun(long address, ByteBuffer bytes, int ps, long next, Vma v) throws CheckpointException {
        int n = bytes.remaining();
        if ((address & (ps - 1)) != 0 || n % ps != 0 || n == 0) {
            throw new CheckpointException("page run at 0x" + Long.toHexString(address) + " of " + n
                    + " bytes is not a whole number of aligned pages of " + ps);
        }
        if (Long.compareUnsigned(address, next) < 0 || Long.compareUnsigned(address + n, v.end()) > 0) {
            throw new CheckpointException("page run [0x" + Long.toHexString(address) + ", 0x"
                    + Long.toHexString(address + n) + ") is outside the area or out of order");
        }
        return n;
    }

    static void writePages(CheckpointSession s, Vma v) throws IOException {
        int ps = s.pageSize();
        boolean privateFile = v.file() != null && !v.isShared();
        long[] next = {v.start()};
        boolean stable = v.pages() instanceof StableRuns;
        v.pages().forEachRun((address, bytes, clean) -> {
            int n = checkHostRun(address, bytes, ps, next[0], v);
            s.writePageRun(address, bytes, clean && privateFile, privateFile, stable);
            next[0] = address + n;
        });
    }

    // ---- restore ---------------------------------------------------------------

    @Override
    public AddressSpace restore(CkptContext ctx, PayloadReader body) throws IOException {
        RestartSession s = (RestartSession) ctx;
        long limit = s.addressLimit();
        long mmRef = s.currentObjref();
        long layoutAt = body.position();
        long[] l = new long[LAYOUT.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = body.u64(LAYOUT[i]);
        }
        String problem = layoutProblem(l, limit);
        if (problem != null) {
            throw new InvalidImageException(body.recordName(), layoutAt, problem);
        }
        long flags = body.u64("flags");
        int count = body.count("vma_count", ctx.limits().maxVmas(), "maxVmas");
        body.reserved32("reserved");
        List<Vma> vmas = new ArrayList<>(Math.min(count, 1024));
        long prevEnd = 0;
        for (int i = 0; i < count; i++) {
            Vma v = readVma(s, mmRef, prevEnd, limit);
            vmas.add(v);
            prevEnd = v.end();
        }
        return new AddressSpace(l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7], l[8], l[9], l[10], flags, vmas);
    }

    private static Vma readVma(RestartSession s, long mmRef, long prevEnd, long limit) throws IOException {
        PayloadReader r = s.input().next(RecordTypes.VMA);
        long at = r.position();
        long start = r.u64("start");
        long end = r.u64("end");
        long prot = r.u32("prot");
        long flags = r.u32("flags");
        long pgoff = r.u64("pgoff");
        long fileRef = r.u64("file_objref");
        String problem = vmaProblem(start, end, prot, flags, prevEnd, s.pageSize(), limit);
        try {
            if (problem != null) {
                throw new InvalidImageException("VMA", at, problem);
            }
            OpenFile file = s.restoreObject(fileRef, OpenFile.class, true, "file_objref");
            s.charge(RestartSession.COST_VMA, "VMA");
            Slices own;
            s.reader().enter(ImageReader.TRAIL_VMA, start, null);
            try {
                own = readPages(s, mmRef, start, end, (int) prot, (int) flags,
                        file != null && (flags & Vma.SHARED) == 0);
            } finally {
                s.reader().leave();
            }
            Vma v = new Vma(start, end, (int) prot, (int) flags, pgoff, file, own.isEmpty() ? PageData.none() : own);
            // The area's runs are also what a child's PAGES_PARENT takes slices of.
            if (s.indexesSlices()) {
                s.indexSlices(v, own);
            }
            return v;
        } catch (ImageException e) {
            throw e.addTrace(vmaLabel(start));
        }
    }

    private static Slices readPages(RestartSession s, long mmRef, long start, long end, int prot, int flags,
                                    boolean privateFile) throws IOException {
        Slices pages = Slices.empty();
        long next = start;
        while (true) {
            int type = s.input().peekType();
            if (type == RecordTypes.PAGES) {
                next = readPagesRecord(s, pages, mmRef, start, end, prot, flags, next);
            } else if (type == RecordTypes.PAGES_PARENT) {
                next = readParentRun(s, pages, start, end, privateFile, next);
            } else if (type == RecordTypes.PAGE_RUNS) {
                next = readRunsRecord(s, pages, mmRef, start, end, prot, flags, privateFile, next);
            } else {
                break;
            }
        }
        long[] digestNext = {start};
        while (s.input().peekType() == RecordTypes.PAGE_DIGESTS) {
            readDigests(s, mmRef, start, end, digestNext);
        }
        return pages;
    }

    /** One PAGES record: the fused copy into the page destination. Returns the end of the run. */
    private static long readPagesRecord(RestartSession s, Slices pages, long mmRef, long start, long end,
                                        int prot, int flags, long next) throws IOException {
        int ps = s.pageSize();
        ImageReader in = s.reader();
        s.charge(RestartSession.COST_PAGE_RUN, "PAGES");
        boolean prefixed = in.beginPages();
        PayloadReader whole = null;
        long address;
        long count;
        long at;
        if (!prefixed) {
            // Too short for a prefix, or an inspection that wants whole payloads: the plain path.
            whole = s.input().next(RecordTypes.PAGES);
            at = whole.position();
            address = whole.u64("address");
            count = whole.u32("page_count");
            whole.reserved32("reserved");
        } else {
            at = in.pagesAt();
            address = in.prefixU64();
            count = in.prefixU32();
        }
        long length = prefixed ? in.pageBytes() : whole.remaining();
        ImageException problem = prefixed && in.pagesReserved() != 0
                ? new InvalidImageException("PAGES", at + 12, "reserved field 'reserved' is "
                        + Integer.toUnsignedString(in.pagesReserved()) + ", must be 0")
                : runProblem(address, count, length, ps, next, start, end, at);
        if (problem != null) {
            throw prefixed ? in.abandonPages(problem) : problem;
        }
        long runEnd = address + count * ps;
        ByteBuffer bytes;
        if (prefixed && in.isMapped()) {
            bytes = in.mappedPageBytes();
        } else {
            bytes = allocate(s, new PageDestination.Run(mmRef, start, end, prot, flags, address, (int) length));
            if (prefixed) {
                in.readPageBytes(bytes);
            } else {
                bytes.duplicate().put(whole.slice("pages", (int) length));
            }
        }
        addPresent(s, pages, mmRef, start, address, count, bytes, "PAGES");
        return runEnd;
    }

    /** The page destination's storage for {@code run}, exactly its length (a host's mistake is not the image's). */
    private static ByteBuffer allocate(RestartSession s, PageDestination.Run run) throws IOException {
        ByteBuffer b = s.pageDestination().allocate(run);
        if (b == null || b.remaining() != run.length()) {
            throw new IllegalStateException("the page destination returned "
                    + (b == null ? "null" : b.remaining() + " bytes") + " for a run of " + run.length()
                    + " bytes at 0x" + Long.toHexString(run.address()));
        }
        return b;
    }

    /** A verified run of present pages: added to the area's index (and hashed, when the read keeps digests). */
    private static void addPresent(RestartSession s, Slices pages, long mmRef, long start, long address, long count,
                                   ByteBuffer bytes, String record) throws ImageException {
        if (s.hashing()) {
            int ps = s.pageSize();
            DigestIndex.Builder d = s.hashedDigests(mmRef, start);
            s.charge(16L * count, record);
            int base = bytes.position();
            for (int i = 0; i < count; i++) {
                d.add(address + (long) i * ps,
                        Xxh64.hash(bytes.duplicate().limit(base + (i + 1) * ps).position(base + i * ps)));
            }
        }
        pages.add(address, bytes);
        s.pagesRead((int) count);
    }

    /**
     * One PAGES_PARENT record (docs/FORMAT.md §15): the run takes the parent's pages at the same
     * addresses, as slices of the verified parent's own buffers. Returns the end of the run.
     */
    private static long readParentRun(RestartSession s, Slices pages, long start, long end,
                                      boolean privateFile, long next) throws IOException {
        int ps = s.pageSize();
        PayloadReader r = s.input().next(RecordTypes.PAGES_PARENT);
        long at = r.position();
        long address = r.u64("address");
        long count = r.u64("page_count");
        long mmAt = r.position();
        long parentMm = r.u64("parent_mm");
        if (s.parentLink() == null) {
            throw new InvalidImageException("PAGES_PARENT", at, "PAGES_PARENT in an image without a PARENT record");
        }
        if ((address & (ps - 1)) != 0) {
            throw new InvalidImageException("PAGES_PARENT", at,
                    "page run address 0x" + Long.toHexString(address) + " is not page aligned");
        }
        if (count == 0 || Long.compareUnsigned(address, next) < 0 || Long.compareUnsigned(address, end) >= 0
                || Long.compareUnsigned(count, (end - address) / ps) > 0) {
            throw new InvalidImageException("PAGES_PARENT", at, "page run at 0x" + Long.toHexString(address) + " of "
                    + Long.toUnsignedString(count) + " pages is empty, outside the area [0x" + Long.toHexString(start)
                    + ", 0x" + Long.toHexString(end) + ") or overlaps the previous run");
        }
        long runEnd = address + count * ps;
        if (parentMm == 0) {
            throw new InvalidReferenceException("PAGES_PARENT", mmAt, "parent_mm: objref 0 (none) where the"
                    + " parent's address space is required");
        }
        s.charge(RestartSession.COST_PAGE_RUN, "PAGES_PARENT");
        RestartSession parent = s.parentSession();
        if (parent != null) {
            takeFromParent(s, pages, parent, parentMm(s, parent, parentMm, "PAGES_PARENT", mmAt), address, runEnd,
                    privateFile, "PAGES_PARENT", at);
        }
        // Without a parent session: an index-only read; the structure is checked, the pages are the parent's business.
        return runEnd;
    }

    /** The parent's address space {@code parentMm} names (a record at {@code mmAt} of this image). */
    private static AddressSpace parentMm(RestartSession s, RestartSession parent, long parentMm, String record,
                                         long mmAt) throws ImageException {
        Object o = parent.objectAt(parentMm);
        if (!(o instanceof AddressSpace pm)) {
            throw new InvalidReferenceException(record, mmAt, "parent_mm: objref "
                    + Long.toUnsignedString(parentMm) + (o == null ? " is no object of " : " is not an address space of ")
                    + parentName(parent));
        }
        return pm;
    }

    /** Resolves a run taken from the parent (§15.3): adds the parent's present pages of [address, runEnd) as views. */
    private static void takeFromParent(RestartSession s, Slices pages, RestartSession parent, AddressSpace pm,
                                       long address, long runEnd, boolean privateFile, String record, long at)
            throws IOException {
        Vma pv = areaOf(pm.vmas(), address);
        if (pv == null || Long.compareUnsigned(runEnd, pv.end()) > 0) {
            throw new InvalidImageException(record, at, "page run [0x" + Long.toHexString(address) + ", 0x"
                    + Long.toHexString(runEnd) + ") does not lie within one area of the parent's address space in "
                    + parentName(parent));
        }
        Slices sl = parent.slices(pv);
        boolean parentZero = pv.file() == null || pv.isShared();
        if (privateFile || !parentZero) {
            long gap = sl.firstGap(address, runEnd);
            if (gap != -1) {
                throw new InvalidImageException(record, at, "page 0x" + Long.toHexString(gap)
                        + " of the run is absent in " + parentName(parent) + ", and in a private file-backed area ("
                        + (privateFile ? "this image's" : "the parent's") + ") an absent page is the file's, not zero:"
                        + " such a run may take only pages the parent holds");
            }
        }
        // Charged after the slicing: the views added are at most the parent's own runs, already charged to the
        // budget the chain shares; one pass over them instead of a count and a copy.
        s.charge((long) RestartSession.COST_PAGE_RUN * sl.addTo(pages, address, runEnd), record);
    }

    /**
     * One PAGE_RUNS record (docs/FORMAT.md §15.8): its prefix and run table checked whole before
     * any page is handed out (an intact record that breaks a rule is reported as such, a damaged
     * one as a checksum failure); the carried runs' pages read into the page destination in
     * order; after the record's checksum, the runs added in address order, those of the parent
     * resolved as PAGES_PARENT runs are. Returns the end of the last run.
     */
    private static long readRunsRecord(RestartSession s, Slices pages, long mmRef, long start, long end, int prot,
                                       int flags, boolean privateFile, long next) throws IOException {
        int ps = s.pageSize();
        ImageReader in = s.reader();
        s.charge(RestartSession.COST_PAGE_RUN, "PAGE_RUNS");
        boolean prefixed = in.beginRuns();
        PayloadReader whole = null;
        long at;
        long parentMm;
        long runCount;
        long reserved;
        long length;
        if (prefixed) {
            at = in.pagesAt();
            parentMm = in.prefixU64();
            runCount = in.prefixU32();
            reserved = in.pagesReserved() & 0xFFFF_FFFFL;
            length = 16L + in.pageBytes();
        } else {
            whole = s.input().next(RecordTypes.PAGE_RUNS);
            at = whole.position();
            length = whole.remaining();
            if (length < 16) {
                throw new org.ckpt.spi.TruncatedImageException("PAGE_RUNS", at, "a payload of " + length
                        + " bytes is shorter than the 16-byte prefix (parent_mm, run_count, reserved)");
            }
            parentMm = whole.u64("parent_mm");
            runCount = whole.u32("run_count");
            reserved = whole.u32("reserved");
        }
        ImageException problem = runsPrefixProblem(s, at, reserved, runCount, length);
        RunTable t = problem == null ? s.runTable((int) runCount) : null;
        if (problem == null) {
            if (prefixed) {
                in.readPart(t.bytes, false);
            } else {
                t.bytes.put(0, whole.slice("runs", t.bytes.remaining()), 0, t.bytes.remaining());
            }
            problem = t.check(s, at, parentMm, length - 16 - 16 * runCount, next, start, end);
        }
        if (problem != null) {
            throw prefixed ? in.abandonPages(problem) : problem;
        }
        int n = (int) runCount;
        // Pages that go nowhere in particular (the library's heap buffers): one buffer for the record's pages,
        // read and checksummed in one piece, sliced per run.
        ByteBuffer all = null;
        int allAt = 0;
        if (FreshHeap.is(s.pageDestination()) && length > 16 + 16 * runCount) {
            all = ByteBuffer.allocate((int) (length - 16 - 16 * runCount));
            if (prefixed) {
                in.readPart(all, true);
            } else {
                all.put(0, whole.slice("pages", all.capacity()), 0, all.capacity());
            }
        }
        for (int i = 0; i < n; i++) {
            if (t.source(i) != Format.RUN_CARRIED) {
                continue;
            }
            long address = t.address(i);
            int bytes = (int) (t.count(i) * ps);
            if (all != null) {
                t.carried[i] = all.slice(allAt, bytes);
                allAt += bytes;
                continue;
            }
            ByteBuffer dst = allocate(s, new PageDestination.Run(mmRef, start, end, prot, flags, address, bytes));
            if (prefixed) {
                in.readPart(dst, true);
            } else {
                dst.duplicate().put(whole.slice("pages", bytes));
            }
            t.carried[i] = dst;
        }
        if (prefixed) {
            in.endParts();
        }
        // Charged once the record is verified: the runs become entries of the area's index (a damaged
        // run_count is a checksum failure, not a budget one).
        s.charge((long) RestartSession.COST_PAGE_RUN * runCount, "PAGE_RUNS");
        RestartSession parent = s.parentSession();
        AddressSpace pm = null;
        for (int i = 0; i < n; i++) {
            long address = t.address(i);
            long count = t.count(i);
            long runEnd = address + count * ps;
            if (t.source(i) == Format.RUN_CARRIED) {
                ByteBuffer bytes = t.carried[i];
                t.carried[i] = null;
                addPresent(s, pages, mmRef, start, address, count, bytes, "PAGE_RUNS");
            } else if (parent != null) {
                if (pm == null) {
                    pm = parentMm(s, parent, parentMm, "PAGE_RUNS", at);
                }
                takeFromParent(s, pages, parent, pm, address, runEnd, privateFile, "PAGE_RUNS", at + 16 + 16L * i);
            }
            next = runEnd;
        }
        return next;
    }

    /** Why a PAGE_RUNS prefix is unacceptable (before its table is read), or null. */
    private static ImageException runsPrefixProblem(RestartSession s, long at, long reserved, long runCount,
                                                    long length) {
        if (s.parentLink() == null) {
            return new InvalidImageException("PAGE_RUNS", at, "PAGE_RUNS in an image without a PARENT record");
        }
        if (s.head().formatMinor() < Format.MINOR_PAGE_RUNS) {
            return new InvalidImageException("PAGE_RUNS", at, "PAGE_RUNS in a " + s.head().formatMajor() + "."
                    + s.head().formatMinor() + " image (it exists since 1." + Format.MINOR_PAGE_RUNS + ")");
        }
        if (reserved != 0) {
            return new InvalidImageException("PAGE_RUNS", at + 12, "reserved field 'reserved' is " + reserved
                    + ", must be 0");
        }
        if (runCount == 0 || 16 * runCount > length - 16) {
            return new InvalidImageException("PAGE_RUNS", at + 8, "run_count " + runCount + " needs " + 16 * runCount
                    + " bytes of run table; the record has " + (length - 16) + " after its prefix"
                    + (runCount == 0 ? " (and a record has at least one run)" : ""));
        }
        return null;
    }

    /**
     * The run table of the PAGE_RUNS record being read, in a buffer the session reuses, and
     * the page buffers of its carried runs until the record's checksum is verified.
     */
    static final class RunTable {
        ByteBuffer bytes = ByteBuffer.allocate(0);
        ByteBuffer[] carried = new ByteBuffer[0];

        /** Ready for a table of {@code runs} runs (bounded by the record's length, checked before). */
        RunTable reset(int runs) {
            if (bytes.capacity() < 16 * runs) {
                bytes = ByteBuffer.allocate(Math.max(16 * runs, 2 * bytes.capacity()))
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                carried = new ByteBuffer[bytes.capacity() / 16];
            }
            bytes.clear().limit(16 * runs);
            return this;
        }

        long address(int i) {
            return bytes.getLong(16 * i);
        }

        long count(int i) {
            return bytes.getInt(16 * i + 8) & 0xFFFF_FFFFL;
        }

        long source(int i) {
            return bytes.getInt(16 * i + 12) & 0xFFFF_FFFFL;
        }

        /**
         * Why the table breaks a rule of §15.8, or null: each run page-aligned, not empty, within
         * the area, after the previous; a known source; the carried runs' pages exactly the
         * {@code pageBytes} that follow; parent_mm set exactly when a run is the parent's.
         */
        ImageException check(RestartSession s, long at, long parentMm, long pageBytes, long next, long start,
                             long end) {
            int ps = s.pageSize();
            int n = bytes.limit() / 16;
            long carriedBytes = 0;
            boolean fromParent = false;
            long prev = next;
            for (int i = 0; i < n; i++) {
                long eAt = at + 16 + 16L * i;
                long address = address(i);
                long count = count(i);
                long source = source(i);
                if (source != Format.RUN_CARRIED && source != Format.RUN_PARENT) {
                    return new InvalidImageException("PAGE_RUNS", eAt + 12, "run " + i + ": unknown source " + source
                            + " (0 = carried in the record, 1 = the parent's)");
                }
                if ((address & (ps - 1)) != 0) {
                    return new InvalidImageException("PAGE_RUNS", eAt, "run " + i + ": address 0x"
                            + Long.toHexString(address) + " is not page aligned");
                }
                if (count == 0 || Long.compareUnsigned(address, prev) < 0 || Long.compareUnsigned(address, end) >= 0
                        || count > (end - address) / ps) {
                    return new InvalidImageException("PAGE_RUNS", eAt, "run " + i + " at 0x" + Long.toHexString(address)
                            + " of " + count + " pages is empty, outside the area [0x" + Long.toHexString(start)
                            + ", 0x" + Long.toHexString(end) + ") or overlaps the previous run");
                }
                if (source == Format.RUN_CARRIED) {
                    carriedBytes += count * ps;
                    if (carriedBytes > pageBytes) {
                        break;
                    }
                } else {
                    fromParent = true;
                }
                prev = address + count * ps;
            }
            if (carriedBytes != pageBytes) {
                return new InvalidImageException("PAGE_RUNS", at + 8, "the carried runs hold "
                        + (carriedBytes > pageBytes ? "more than " + pageBytes : String.valueOf(carriedBytes))
                        + " bytes of pages; the record has " + pageBytes + " after its run table");
            }
            if (fromParent && parentMm == 0) {
                return new InvalidReferenceException("PAGE_RUNS", at, "parent_mm: objref 0 (none) where a run takes"
                        + " the parent's pages");
            }
            if (!fromParent && parentMm != 0) {
                return new InvalidImageException("PAGE_RUNS", at, "parent_mm is objref " + Long.toUnsignedString(
                        parentMm) + " but no run takes the parent's pages (it must then be 0)");
            }
            return null;
        }
    }

    /** For messages only: a chain restart reads thousands of PAGES_PARENT records per image. */
    private static String parentName(RestartSession parent) {
        return "the parent image 0x" + Long.toHexString(parent.checkpointId());
    }

    /** The area of {@code vmas} (ascending) containing {@code address}, or null. */
    private static Vma areaOf(List<Vma> vmas, long address) {
        int lo = 0;
        int hi = vmas.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Vma v = vmas.get(mid);
            if (Long.compareUnsigned(v.end(), address) <= 0) {
                lo = mid + 1;
            } else if (Long.compareUnsigned(v.start(), address) > 0) {
                hi = mid - 1;
            } else {
                return v;
            }
        }
        return null;
    }

    /** One PAGE_DIGESTS record: checked whatever the read; kept by an index-only read. */
    private static void readDigests(RestartSession s, long mmRef, long start, long end, long[] next)
            throws IOException {
        int ps = s.pageSize();
        PayloadReader r = s.input().next(RecordTypes.PAGE_DIGESTS);
        long at = r.position();
        long algorithm = r.u32("algorithm");
        if (algorithm != Format.DIGEST_XXH64) {
            throw new InvalidImageException("PAGE_DIGESTS", at, "unknown digest algorithm " + algorithm
                    + " (1 = XXH64 is the only one)");
        }
        r.reserved32("reserved");
        DigestIndex.Builder keep = s.isIndexOnly() ? s.recordedDigests(mmRef, start) : null;
        while (r.remaining() > 0) {
            long eAt = r.position();
            long address = r.u64("address");
            long count = r.u32("page_count");
            r.reserved32("reserved");
            if (count * 8 > r.remaining()) {
                throw new org.ckpt.spi.TruncatedImageException("PAGE_DIGESTS", eAt, "page_count " + count
                        + " digests do not fit the " + r.remaining() + " bytes that follow");
            }
            if ((address & (ps - 1)) != 0 || count == 0 || Long.compareUnsigned(address, next[0]) < 0
                    || Long.compareUnsigned(address, end) >= 0 || count > (end - address) / ps) {
                throw new InvalidImageException("PAGE_DIGESTS", eAt, "digest run at 0x" + Long.toHexString(address)
                        + " of " + count + " pages is unaligned, empty, outside the area [0x" + Long.toHexString(start)
                        + ", 0x" + Long.toHexString(end) + ") or overlaps the previous run");
            }
            if (keep != null) {
                s.charge(16 * count, "PAGE_DIGESTS");
            }
            for (long k = 0; k < count; k++) {
                long d = r.u64("digest");
                if (keep != null) {
                    keep.add(address + k * ps, d);
                }
            }
            next[0] = address + count * ps;
        }
    }

    /** Why a run's prefix is unacceptable, or null. */
    private static ImageException runProblem(long address, long count, long length, int ps, long next, long start,
                                             long end, long at) {
        if ((address & (ps - 1)) != 0) {
            return new InvalidImageException("PAGES", at,
                    "page run address 0x" + Long.toHexString(address) + " is not page aligned");
        }
        if (count == 0 || count * ps != length) {
            return new InvalidImageException("PAGES", at + 8, "page_count " + count + " does not match the "
                    + length + " page bytes in the record");
        }
        long runEnd = address + count * ps;
        if (Long.compareUnsigned(address, next) < 0 || Long.compareUnsigned(runEnd, end) > 0
                || Long.compareUnsigned(runEnd, address) <= 0) {
            return new InvalidImageException("PAGES", at, "page run [0x" + Long.toHexString(address) + ", 0x"
                    + Long.toHexString(runEnd) + ") is outside the area [0x" + Long.toHexString(start) + ", 0x"
                    + Long.toHexString(end) + ") or overlaps the previous run");
        }
        return null;
    }
}
