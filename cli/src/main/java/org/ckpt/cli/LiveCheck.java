package org.ckpt.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/**
 * Compares a restored address space with the live process it was dumped from:
 * the same areas, and every page equal — pages in the image byte for byte, pages
 * absent from it zero in the process too (the process's page table says so without
 * reading where it can). Clean pages of private file mappings come from the file
 * and are not compared. Equal for a process that has not run since it was dumped.
 */
final class LiveCheck {
    /** Differences listed before the rest is only counted. */
    static final int SHOWN = 10;

    long areas;
    long pagesEqual;
    long absentZero;
    long fromFile;
    long unreadable;
    long pagesDiffering;
    final List<String> differences = new ArrayList<>();
    private long differenceCount;

    boolean ok() {
        return differenceCount == 0;
    }

    long differenceCount() {
        return differenceCount;
    }

    private void differ(String what) {
        differenceCount++;
        if (differences.size() < SHOWN) {
            differences.add(what);
        }
    }

    static LiveCheck run(Task task, long pid, int pageSize) throws IOException, CliException {
        ProcFs.requireProcess(pid);
        LiveCheck c = new LiveCheck();
        c.chunk = ByteBuffer.allocateDirect(ProcMemory.CHUNK_PAGES * pageSize);
        AddressSpace mm = task.mm();
        List<ProcFs.MapsEntry> live = ProcFs.maps(pid);
        Map<Long, ProcFs.MapsEntry> byStart = new HashMap<>();
        for (ProcFs.MapsEntry e : live) {
            byStart.put(e.start(), e);
        }
        if (mm == null) {
            if (!live.isEmpty()) {
                c.differ("the image has no address space, the process has " + live.size() + " areas");
            }
            return c;
        }
        try (ProcMemory mem = ProcMemory.open((int) pid, pageSize)) {
            for (Vma v : mm.vmas()) {
                ProcFs.MapsEntry e = byStart.remove(v.start());
                if (e == null) {
                    c.differ("area " + Fmt.hex(v.start()) + "-" + Fmt.hex(v.end()) + " is not mapped in the process");
                    continue;
                }
                if (e.end() != v.end() || e.prot() != v.prot() || e.shared() != v.isShared()) {
                    c.differ("area " + Fmt.hex(v.start()) + ": image " + Fmt.hex(v.end()) + " " + Fmt.prot(v.prot())
                            + ", process " + Fmt.hex(e.end()) + " " + e.perms());
                    continue;
                }
                c.areas++;
                c.pages(mem, v, pageSize);
            }
        }
        for (ProcFs.MapsEntry e : byStart.values()) {
            if (!ProcFs.isSpecialUnreadable(e)) {
                c.differ("area " + e.label() + " is mapped in the process but not in the image");
            }
        }
        return c;
    }

    private ByteBuffer chunk;

    /** Reads up to {@code buf.remaining()} bytes at {@code at}; returns the whole pages read before a failure. */
    private static int read(ProcMemory mem, long at, ByteBuffer buf, int ps) {
        int start = buf.position();
        try {
            mem.readRuns(new long[] {at}, new ByteBuffer[] {buf}, 1);
        } catch (ProcMemory.ReadFailure f) {
            return (int) ((f.address - at) / ps);
        }
        return (buf.position() - start) / ps;
    }

    private void pages(ProcMemory mem, Vma v, int ps) throws IOException {
        boolean privateFile = v.file() != null && !v.isShared();
        PageData data = v.pages();
        if (v.isShared() && v.file() instanceof GenericFile g && g.isDeleted()) {
            // a shared mapping of a deleted (memfd) file: its pages are the file object's contents
            ByteBuffer all = g.deletedContents();
            long from = v.pgoff() * ps;
            int len = (int) Math.max(0, Math.min(v.end() - v.start(), all.remaining() - from));
            len -= len % ps;
            data = len == 0 ? PageData.none()
                    : PageData.of(v.start(), all.duplicate().position((int) from).limit((int) from + len).slice());
        }
        long[] next = {v.start()};
        data.forEachRun((address, bytes, clean) -> {
            absent(mem, v, next[0], address, privateFile, ps);
            present(mem, address, bytes, ps);
            next[0] = address + bytes.remaining();
        });
        absent(mem, v, next[0], v.end(), privateFile, ps);
    }

    /** One run of the image against the process, a chunk at a time. */
    private void present(ProcMemory mem, long address, ByteBuffer run, int ps) {
        int pages = run.remaining() / ps;
        for (int done = 0; done < pages; done += ProcMemory.CHUNK_PAGES) {
            int n = Math.min(ProcMemory.CHUNK_PAGES, pages - done);
            long at = address + (long) done * ps;
            ByteBuffer buf = chunk;
            buf.clear().limit(n * ps);
            int got = read(mem, at, buf, ps);
            for (int i = 0; i < n; i++) {
                long page = at + (long) i * ps;
                if (i >= got) {
                    unreadable++;
                    differ("page " + Fmt.hex(page) + " is in the image but cannot be read in the process");
                    continue;
                }
                int from = run.position() + (done + i) * ps;
                ByteBuffer restored = run.duplicate().limit(from + ps).position(from);
                ByteBuffer liveBytes = buf.duplicate().limit((i + 1) * ps).position(i * ps);
                if (restored.mismatch(liveBytes) >= 0) {
                    pagesDiffering++;
                    differ("page " + Fmt.hex(page) + " differs");
                } else {
                    pagesEqual++;
                }
            }
        }
    }

    /** Pages not in the image: zero in the process too, except clean pages of a private file mapping. */
    private void absent(ProcMemory mem, Vma v, long from, long to, boolean privateFile, int ps) throws IOException {
        long[] entries = new long[ProcMemory.CHUNK_PAGES];
        for (long at = from; at < to; at += (long) ProcMemory.CHUNK_PAGES * ps) {
            int n = (int) Math.min(ProcMemory.CHUNK_PAGES, (to - at) / ps);
            mem.pagemap(at, n, entries);
            for (int i = 0; i < n; i++) {
                long page = at + (long) i * ps;
                long e = entries[i];
                boolean inRam = (e & (ProcMemory.PRESENT | ProcMemory.SWAPPED)) != 0;
                if (privateFile && ((e & ProcMemory.SWAPPED) == 0
                        && (!inRam || (e & ProcMemory.FILE_OR_SHARED) != 0))) {
                    fromFile++;
                    continue;
                }
                if (!inRam && v.file() == null && !v.isShared()) {
                    absentZero++;
                    continue;
                }
                ByteBuffer buf = chunk;
                buf.clear().limit(ps);
                if (read(mem, page, buf, ps) < 1) {
                    unreadable++;
                    continue;
                }
                buf.flip();
                boolean zero = true;
                while (buf.remaining() >= 8) {
                    if (buf.getLong() != 0) {
                        zero = false;
                        break;
                    }
                }
                if (zero) {
                    absentZero++;
                } else {
                    pagesDiffering++;
                    differ("page " + Fmt.hex(page) + " is not in the image (zero) but is not zero in the process");
                }
            }
        }
    }

    String summary(long pid) {
        return "compared with live pid " + pid + ": " + Fmt.plural(areas, "area") + " match; "
                + Fmt.count(pagesEqual) + " pages of the image equal the process's memory, " + Fmt.count(absentZero)
                + " pages absent from the image are zero in the process too, " + Fmt.count(fromFile)
                + " clean file pages not compared (they come from the file)"
                + (unreadable > 0 ? ", " + Fmt.count(unreadable) + " unreadable in the process" : "");
    }
}
