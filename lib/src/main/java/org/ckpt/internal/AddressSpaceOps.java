package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.OpenFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Vma;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
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

    private static String vmaLabel(long start) {
        return "vma 0x" + Long.toHexString(start);
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
        int[][] pairs = {{0, 1}, {2, 3}, {4, 5}, {7, 8}, {9, 10}};
        for (int[] p : pairs) {
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

    @Override
    public void checkpoint(AddressSpace mm, CkptContext ctx, PayloadWriter body) throws IOException {
        CheckpointSession s = (CheckpointSession) ctx;
        long limit = s.userAddressLimit();
        long[] l = layout(mm);
        String problem = layoutProblem(l, limit);
        if (problem != null) {
            throw new CheckpointException(problem);
        }
        if (mm.vmas().size() > ctx.limits().maxVmas()) {
            throw new CheckpointException(mm.vmas().size() + " areas exceed maxVmas " + ctx.limits().maxVmas());
        }
        for (long v : l) {
            body.u64(v);
        }
        body.u64(mm.flags()).u32(mm.vmas().size()).u32(0);
        long prevEnd = 0;
        for (Vma v : mm.vmas()) {
            problem = vmaProblem(v.start(), v.end(), v.prot(), v.flags(), prevEnd, ctx.pageSize(), limit);
            if (problem != null) {
                throw new CheckpointException(problem).addTrace(vmaLabel(v.start()));
            }
            long fileRef = ctx.checkpointObject(v.file());
            ctx.output().begin(RecordTypes.VMA)
                    .u64(v.start()).u64(v.end()).u32(v.prot()).u32(v.flags()).u64(v.pgoff()).u64(fileRef);
            ctx.output().end();
            try {
                writePages(s, v);
            } catch (CheckpointException e) {
                throw e.addTrace(vmaLabel(v.start()));
            }
            prevEnd = v.end();
        }
    }

    private static void writePages(CheckpointSession s, Vma v) throws IOException {
        int ps = s.pageSize();
        boolean privateFile = v.file() != null && !v.isShared();
        long[] next = {v.start()};
        v.pages().forEachRun((address, bytes, clean) -> {
            int n = bytes.remaining();
            if ((address & (ps - 1)) != 0 || n % ps != 0 || n == 0) {
                throw new CheckpointException("page run at 0x" + Long.toHexString(address) + " of " + n
                        + " bytes is not a whole number of aligned pages of " + ps);
            }
            if (Long.compareUnsigned(address, next[0]) < 0 || Long.compareUnsigned(address + n, v.end()) > 0) {
                throw new CheckpointException("page run [0x" + Long.toHexString(address) + ", 0x"
                        + Long.toHexString(address + n) + ") is outside the area or out of order");
            }
            s.writePageRun(address, bytes, clean && privateFile, privateFile);
            next[0] = address + n;
        });
    }

    // ---- restore ---------------------------------------------------------------

    @Override
    public AddressSpace restore(CkptContext ctx, PayloadReader body) throws IOException {
        RestartSession s = (RestartSession) ctx;
        long limit = s.userAddressLimit();
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
            Vma v = readVma(s, prevEnd, limit);
            vmas.add(v);
            prevEnd = v.end();
        }
        return new AddressSpace(l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7], l[8], l[9], l[10], flags, vmas);
    }

    private static Vma readVma(RestartSession s, long prevEnd, long limit) throws IOException {
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
            PageData pages = readPages(s, start, end);
            return new Vma(start, end, (int) prot, (int) flags, pgoff, file, pages);
        } catch (ImageException e) {
            throw e.addTrace(vmaLabel(start));
        }
    }

    private static PageData readPages(RestartSession s, long start, long end) throws IOException {
        int ps = s.pageSize();
        PageData.Builder pages = PageData.builder();
        long next = start;
        boolean any = false;
        while (s.input().peekType() == RecordTypes.PAGES) {
            PayloadReader r = s.input().next(RecordTypes.PAGES);
            long at = r.position();
            long address = r.u64("address");
            long countAt = r.position();
            long count = r.u32("page_count");
            r.reserved32("reserved");
            if ((address & (ps - 1)) != 0) {
                throw new InvalidImageException("PAGES", at,
                        "page run address 0x" + Long.toHexString(address) + " is not page aligned");
            }
            if (count == 0 || count * ps != r.remaining()) {
                throw new InvalidImageException("PAGES", countAt, "page_count " + count + " does not match the "
                        + r.remaining() + " page bytes in the record");
            }
            long runEnd = address + count * ps;
            if (Long.compareUnsigned(address, next) < 0 || Long.compareUnsigned(runEnd, end) > 0
                    || Long.compareUnsigned(runEnd, address) <= 0) {
                throw new InvalidImageException("PAGES", at, "page run [0x" + Long.toHexString(address) + ", 0x"
                        + Long.toHexString(runEnd) + ") is outside the area [0x" + Long.toHexString(start) + ", 0x"
                        + Long.toHexString(end) + ") or overlaps the previous run");
            }
            ByteBuffer src = r.slice("pages", r.remaining());
            if (r instanceof PayloadCursor c && c.isStable()) {
                pages.run(address, src);
            } else {
                ByteBuffer copy = ByteBuffer.allocate(src.remaining());
                copy.put(src).flip();
                pages.run(address, copy);
            }
            next = runEnd;
            any = true;
            s.pagesRead((int) count);
        }
        return any ? pages.build() : PageData.none();
    }
}
