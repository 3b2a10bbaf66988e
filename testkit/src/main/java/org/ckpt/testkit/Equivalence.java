package org.ckpt.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.OpenFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/**
 * Compares an original task set with what a restart gave back, the way a restart
 * is specified: contents compared page by page (absent pages read as zero; clean
 * pages of private file-backed areas are not carried and read as zero), objects
 * compared structurally, and sharing compared as a bijection (two references to
 * one original object must be two references to one restored object, and only
 * then). Reports the first difference with its path.
 *
 * @since 0.1 (evolving)
 */
public final class Equivalence {
    private final Map<Object, Object> forward = new IdentityHashMap<>();
    private final Map<Object, Object> backward = new IdentityHashMap<>();

    private Equivalence() {
    }

    /** The first difference between {@code expected} and {@code actual}, as "path: what", or empty. */
    public static Optional<String> firstDifference(List<Task> expected, List<Task> actual) {
        try {
            return Optional.ofNullable(new Equivalence().tasks(expected, actual));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String tasks(List<Task> e, List<Task> a) throws IOException {
        if (e.size() != a.size()) {
            return "task count: expected " + e.size() + ", was " + a.size();
        }
        for (int i = 0; i < e.size(); i++) {
            String d = task(e.get(i), a.get(i));
            if (d != null) {
                return "task " + i + " \u203a " + d;
            }
        }
        return null;
    }

    private static String field(String name, Object e, Object a) {
        return Objects.equals(e, a) ? null : name + ": expected " + e + ", was " + a;
    }

    private String task(Task e, Task a) throws IOException {
        Object[][] fields = {
            {"pid", e.pid(), a.pid()}, {"tgid", e.tgid(), a.tgid()}, {"state", e.state(), a.state()},
            {"exitState", e.exitState(), a.exitState()}, {"exitCode", e.exitCode(), a.exitCode()},
            {"exitSignal", e.exitSignal(), a.exitSignal()}, {"utime", e.utime(), a.utime()},
            {"stime", e.stime(), a.stime()}, {"utimescaled", e.utimescaled(), a.utimescaled()},
            {"stimescaled", e.stimescaled(), a.stimescaled()}, {"gtime", e.gtime(), a.gtime()},
            {"nvcsw", e.nvcsw(), a.nvcsw()}, {"nivcsw", e.nivcsw(), a.nivcsw()},
            {"startTime", e.startTime(), a.startTime()}, {"realStartTime", e.realStartTime(), a.realStartTime()},
            {"minFlt", e.minFlt(), a.minFlt()}, {"majFlt", e.majFlt(), a.majFlt()}, {"comm", e.comm(), a.comm()},
            {"cpu", e.cpu(), a.cpu()}};
        for (Object[] f : fields) {
            String d = field((String) f[0], f[1], f[2]);
            if (d != null) {
                return d;
            }
        }
        String d = shared("mm", e.mm(), a.mm());
        if (d == null && e.mm() != null && !seenBefore(e.mm())) {
            d = mm(e.mm(), a.mm());
        }
        if (d != null) {
            return d.startsWith("mm") ? d : "mm \u203a " + d;
        }
        d = shared("files", e.files(), a.files());
        if (d == null && e.files() != null && !seenBefore(e.files())) {
            d = files(e.files(), a.files());
        }
        return d == null || d.startsWith("files") ? d : "files \u203a " + d;
    }

    private final Map<Object, Boolean> compared = new IdentityHashMap<>();

    private boolean seenBefore(Object o) {
        return compared.put(o, Boolean.TRUE) != null;
    }

    /** Checks the sharing bijection; null if consistent. */
    private String shared(String what, Object e, Object a) {
        if (e == null || a == null) {
            return e == a ? null : what + ": expected " + e + ", was " + a;
        }
        Object prevA = forward.putIfAbsent(e, a);
        Object prevE = backward.putIfAbsent(a, e);
        if (prevA != null && prevA != a) {
            return what + ": one shared original object came back as two different objects";
        }
        if (prevE != null && prevE != e) {
            return what + ": two different original objects came back as one shared object";
        }
        return null;
    }

    private String mm(AddressSpace e, AddressSpace a) throws IOException {
        long[] le = {e.startCode(), e.endCode(), e.startData(), e.endData(), e.startBrk(), e.brk(), e.startStack(),
            e.argStart(), e.argEnd(), e.envStart(), e.envEnd(), e.flags()};
        long[] la = {a.startCode(), a.endCode(), a.startData(), a.endData(), a.startBrk(), a.brk(), a.startStack(),
            a.argStart(), a.argEnd(), a.envStart(), a.envEnd(), a.flags()};
        for (int i = 0; i < le.length; i++) {
            if (le[i] != la[i]) {
                return "layout field " + i + ": expected 0x" + Long.toHexString(le[i]) + ", was 0x"
                        + Long.toHexString(la[i]);
            }
        }
        if (e.vmas().size() != a.vmas().size()) {
            return "vma count: expected " + e.vmas().size() + ", was " + a.vmas().size();
        }
        for (int i = 0; i < e.vmas().size(); i++) {
            Vma ve = e.vmas().get(i);
            Vma va = a.vmas().get(i);
            String d = vma(ve, va);
            if (d != null) {
                return "vma 0x" + Long.toHexString(ve.start()) + " \u203a " + d;
            }
        }
        return null;
    }

    private String vma(Vma e, Vma a) throws IOException {
        String d = field("start", e.start(), a.start());
        d = d != null ? d : field("end", e.end(), a.end());
        d = d != null ? d : field("prot", e.prot(), a.prot());
        d = d != null ? d : field("flags", e.flags(), a.flags());
        d = d != null ? d : field("pgoff", e.pgoff(), a.pgoff());
        d = d != null ? d : shared("file", e.file(), a.file());
        if (d == null && e.file() != null && !seenBefore(e.file())) {
            d = file(e.file(), a.file());
        }
        if (d != null) {
            return d;
        }
        boolean dropClean = e.file() != null && !e.isShared();
        // Outside the runs of both sides both read as zero, so only the runs are compared:
        // an area may be far larger than the heap (or 2 GiB) while holding a few pages.
        List<long[]> ranges = new ArrayList<>();
        e.pages().forEachRun((address, bytes, clean) -> {
            if (!(clean && dropClean)) {
                ranges.add(new long[] {address, bytes.remaining()});
            }
        });
        a.pages().forEachRun((address, bytes, clean) -> ranges.add(new long[] {address, bytes.remaining()}));
        for (long[] r : ranges) {
            long from = Math.max(r[0], e.start());
            long to = Math.min(r[0] + r[1], e.end());
            if (from >= to) {
                continue;
            }
            ByteBuffer want = expectedContents(e.pages(), from, (int) (to - from), dropClean);
            ByteBuffer got = ByteBuffer.allocate((int) (to - from));
            a.pages().read(from, got);
            int m = want.clear().mismatch(got.clear());
            if (m >= 0) {
                long addr = from + m;
                return "page 0x" + Long.toHexString(addr & ~4095L) + " byte " + (addr & 4095) + ": expected 0x"
                        + Integer.toHexString(want.get(m) & 0xFF) + ", was 0x"
                        + Integer.toHexString(got.get(m) & 0xFF);
            }
        }
        return null;
    }

    /** The bytes of {@code [start, start + size)} that {@code pages} should restore to. */
    private static ByteBuffer expectedContents(PageData pages, long start, int size, boolean dropClean)
            throws IOException {
        ByteBuffer out = ByteBuffer.allocate(size);
        pages.forEachRun((address, bytes, clean) -> {
            long from = Math.max(address, start);
            long to = Math.min(address + bytes.remaining(), start + size);
            if (!(clean && dropClean) && from < to) {
                out.put((int) (from - start), bytes, bytes.position() + (int) (from - address), (int) (to - from));
            }
        });
        return out;
    }

    private String files(FileTable e, FileTable a) throws IOException {
        if (e.entries().size() != a.entries().size()) {
            return "descriptor count: expected " + e.entries().size() + ", was " + a.entries().size();
        }
        List<FileTable.Entry> se = e.entries().stream().sorted((x, y) -> Integer.compare(x.fd(), y.fd())).toList();
        for (int i = 0; i < se.size(); i++) {
            FileTable.Entry x = se.get(i);
            FileTable.Entry y = a.entries().get(i);
            String d = field("fd", x.fd(), y.fd());
            d = d != null ? d : field("closeOnExec", x.closeOnExec(), y.closeOnExec());
            d = d != null ? d : shared("file", x.file(), y.file());
            if (d == null && !seenBefore(x.file())) {
                d = file(x.file(), y.file());
            }
            if (d != null) {
                return "fd " + x.fd() + " \u203a " + d;
            }
        }
        return null;
    }

    private static String file(OpenFile e, OpenFile a) {
        if (e instanceof GenericFile && a instanceof GenericFile) {
            return field("file", e, a);
        }
        return e.equals(a) ? null : "file: expected " + e + ", was " + a;
    }
}
