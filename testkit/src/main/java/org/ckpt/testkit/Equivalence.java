package org.ckpt.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
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
 * pages of private file-backed areas are not carried and read as zero), and in a
 * private file-backed area, where an absent page is the backing file's, presence
 * too (a page present on one side must be present, zero or not, on the other; since
 * 0.3), objects
 * compared structurally, and sharing compared as a bijection (two references to
 * one original object must be two references to one restored object, and only
 * then). Objects of a host's own types (extension objects, further open-file types)
 * are compared field by field ({@link HostDifference#fieldByField()}) unless another
 * {@link HostDifference} is given. Reports the first difference with its path, e.g.
 * {@code task 0 › extension 1 › EmulatorDevice.registers[3]: expected 1016, was 0}.
 *
 * @since 0.1 (evolving)
 */
public final class Equivalence {
    private final Map<Object, Object> forward = new IdentityHashMap<>();
    private final Map<Object, Object> backward = new IdentityHashMap<>();
    private final HostDifference host;

    private Equivalence(HostDifference host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    /**
     * The first difference between {@code expected} and {@code actual}, as "path: what", or
     * empty; host objects compared field by field.
     */
    public static Optional<String> firstDifference(List<Task> expected, List<Task> actual) {
        return firstDifference(expected, actual, HostDifference.fieldByField());
    }

    /**
     * As {@link #firstDifference(List, List)}, comparing objects that are not part of the
     * library's model (extension objects, a host's own open-file types) with {@code host}
     * ({@code HostDifference.of(equality)} for an equality predicate; before 0.2 this method
     * took a {@code BiPredicate}).
     *
     * @since 0.2
     */
    public static Optional<String> firstDifference(List<Task> expected, List<Task> actual, HostDifference host) {
        try {
            return Optional.ofNullable(new Equivalence(host).tasks(expected, actual));
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
            {"cpu", e.cpu(), a.cpu()}, {"info", e.info(), a.info()}};
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
        if (d != null) {
            return d.startsWith("files") ? d : "files \u203a " + d;
        }
        return extensions(e.extensions(), a.extensions());
    }

    private String extensions(List<Object> e, List<Object> a) throws IOException {
        if (e.size() != a.size()) {
            return "extension count: expected " + e.size() + ", was " + a.size();
        }
        for (int i = 0; i < e.size(); i++) {
            Object x = e.get(i);
            Object y = a.get(i);
            String d = shared("object", x, y);
            if (d == null && !seenBefore(x)) {
                d = x instanceof OpenFile fx && y instanceof OpenFile fy ? file(fx, fy) : host(x, y);
            }
            if (d != null) {
                return "extension " + i + " \u203a " + d;
            }
        }
        return null;
    }

    private String host(Object e, Object a) {
        if (e.getClass() != a.getClass()) {
            return "object: expected a " + e.getClass().getName() + ", was a " + a.getClass().getName();
        }
        Optional<String> d = host.between(e, a);
        if (d.isEmpty()) {
            return null;
        }
        String what = d.get();
        String type = e.getClass().getSimpleName();
        return what.startsWith("expected ") ? type + ": " + what : type + "." + what;
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
        NavigableMap<Long, ByteBuffer> want = runs(e.pages(), dropClean);
        NavigableMap<Long, ByteBuffer> got = runs(a.pages(), dropClean);
        if (dropClean) {
            // There an absent page is the file's, not zero: presence is part of the contents.
            d = presence(want, got);
            if (d != null) {
                return d;
            }
        }
        // Only chunks some run covers can differ: elsewhere both read as zero. Areas may be huge.
        TreeSet<Long> chunks = new TreeSet<>();
        for (NavigableMap<Long, ByteBuffer> m : List.of(want, got)) {
            m.forEach((address, bytes) -> {
                for (long c = address & -CHUNK; c < address + bytes.remaining(); c += CHUNK) {
                    chunks.add(c);
                }
            });
        }
        byte[] w = new byte[CHUNK];
        byte[] g = new byte[CHUNK];
        for (long c : chunks) {
            read(want, c, w);
            read(got, c, g);
            int m = Arrays.mismatch(w, g);
            if (m >= 0) {
                return "page 0x" + Long.toHexString(c) + " byte " + m + ": expected 0x"
                        + Integer.toHexString(w[m] & 0xFF) + ", was 0x" + Integer.toHexString(g[m] & 0xFF);
            }
        }
        return null;
    }

    private static final int CHUNK = 4096;

    /** The first page present on one side only (runs are page-aligned in areas of 4 KiB pages), or null. */
    private static String presence(NavigableMap<Long, ByteBuffer> want, NavigableMap<Long, ByteBuffer> got) {
        List<long[]> w = merged(want);
        List<long[]> g = merged(got);
        for (int i = 0; i < Math.max(w.size(), g.size()); i++) {
            long[] x = i < w.size() ? w.get(i) : null;
            long[] y = i < g.size() ? g.get(i) : null;
            if (x != null && y != null && x[0] == y[0] && x[1] == y[1]) {
                continue;
            }
            // the lowest address where the two sets differ
            long at;
            if (x == null || y == null) {
                at = x == null ? y[0] : x[0];
            } else if (x[0] != y[0]) {
                at = Math.min(x[0], y[0]);
            } else {
                at = Math.min(x[1], y[1]);
            }
            boolean expectedPresent = x != null && x[0] <= at && at < x[1];
            return "page 0x" + Long.toHexString(at) + ": expected "
                    + (expectedPresent ? "present" : "absent (the file's)") + ", was "
                    + (expectedPresent ? "absent (the file's)" : "present");
        }
        return null;
    }

    /** The runs' address ranges, adjacent ones joined. */
    private static List<long[]> merged(NavigableMap<Long, ByteBuffer> runs) {
        List<long[]> out = new java.util.ArrayList<>();
        runs.forEach((address, bytes) -> {
            long end = address + bytes.remaining();
            if (bytes.remaining() == 0) {
                return;
            }
            if (!out.isEmpty() && out.get(out.size() - 1)[1] == address) {
                out.get(out.size() - 1)[1] = end;
            } else {
                out.add(new long[] {address, end});
            }
        });
        return out;
    }

    private static NavigableMap<Long, ByteBuffer> runs(PageData pages, boolean dropClean) throws IOException {
        NavigableMap<Long, ByteBuffer> out = new TreeMap<>();
        pages.forEachRun((address, bytes, clean) -> {
            if (!(clean && dropClean)) {
                ByteBuffer copy = ByteBuffer.allocate(bytes.remaining());
                copy.put(bytes.duplicate()).flip();
                out.put(address, copy);
            }
        });
        return out;
    }

    /** The 4 KiB at {@code chunk}, zero where no run covers it. */
    private static void read(NavigableMap<Long, ByteBuffer> runs, long chunk, byte[] dst) {
        Arrays.fill(dst, (byte) 0);
        Map.Entry<Long, ByteBuffer> lower = runs.floorEntry(chunk);
        var candidates = lower == null ? runs.subMap(chunk, true, chunk + CHUNK, false)
                : runs.subMap(lower.getKey(), true, chunk + CHUNK, false);
        candidates.forEach((address, bytes) -> {
            long from = Math.max(address, chunk);
            long to = Math.min(address + bytes.remaining(), chunk + CHUNK);
            for (long x = from; x < to; x++) {
                dst[(int) (x - chunk)] = bytes.get((int) (x - address));
            }
        });
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

    private String file(OpenFile e, OpenFile a) {
        if (e instanceof GenericFile && a instanceof GenericFile) {
            return field("file", e, a);
        }
        String d = host(e, a);
        return d == null ? null : "file \u203a " + d;
    }
}
