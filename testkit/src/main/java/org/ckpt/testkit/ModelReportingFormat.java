package org.ckpt.testkit;

import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.SampleReportingFormat;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.ExitState;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.Task;
import org.ckpt.model.TaskState;
import org.ckpt.model.Vma;

/**
 * How jqwik prints samples of the task model in its reports (registered in
 * {@code META-INF/services/net.jqwik.api.SampleReportingFormat}): a task as its fields that
 * differ from their defaults, an area and a file on one line each, a file table as one line
 * per descriptor; and any record with array or buffer components (a host's device, say) as its
 * components with the arrays' elements, not {@code [J@1bb564e2}.
 *
 * @since 0.2 (evolving)
 */
public final class ModelReportingFormat implements SampleReportingFormat {
    private static final int MAX_ELEMENTS = 16;

    @Override
    public boolean appliesTo(Object value) {
        return value instanceof Task || value instanceof AddressSpace || value instanceof Vma
                || value instanceof FileTable || value instanceof GenericFile || hasArrayComponents(value);
    }

    @Override
    public Optional<String> label(Object value) {
        return value instanceof Vma || value instanceof GenericFile ? Optional.empty()
                : Optional.of(value.getClass().getSimpleName());
    }

    @Override
    public Object report(Object value) {
        if (value instanceof Task t) {
            return task(t);
        }
        if (value instanceof AddressSpace mm) {
            return mm(mm);
        }
        if (value instanceof Vma v) {
            return SampleReportingFormat.plainLabel(vma(v));
        }
        if (value instanceof FileTable ft) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (FileTable.Entry e : ft.entries()) {
                out.put(key("fd " + e.fd() + (e.closeOnExec() ? " (cloexec)" : "")), e.file());
            }
            return out;
        }
        if (value instanceof GenericFile f) {
            return SampleReportingFormat.plainLabel(file(f));
        }
        Map<Object, Object> out = new LinkedHashMap<>();
        for (RecordComponent c : value.getClass().getRecordComponents()) {
            Object v = get(c, value);
            out.put(key(c.getName()), v != null && (v.getClass().isArray() || v instanceof ByteBuffer)
                    ? SampleReportingFormat.plainLabel(elements(v)) : v);
        }
        return out;
    }

    private static Map<Object, Object> task(Task t) {
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put(key("pid"), t.pid());
        if (t.tgid() != t.pid()) {
            m.put(key("tgid"), t.tgid());
        }
        m.put(key("comm"), t.comm());
        if (t.state() != TaskState.RUNNING) {
            m.put(key("state"), t.state());
        }
        if (t.exitState() != ExitState.NONE) {
            m.put(key("exitState"), t.exitState());
        }
        putNonZero(m, "exitCode", t.exitCode());
        putNonZero(m, "exitSignal", t.exitSignal());
        long[] counters = {t.utime(), t.stime(), t.utimescaled(), t.stimescaled(), t.gtime(), t.nvcsw(), t.nivcsw(),
            t.minFlt(), t.majFlt()};
        String[] names = {"utime", "stime", "utimescaled", "stimescaled", "gtime", "nvcsw", "nivcsw", "minFlt",
            "majFlt"};
        for (int i = 0; i < counters.length; i++) {
            putNonZero(m, names[i], counters[i]);
        }
        if (!Duration.ZERO.equals(t.startTime())) {
            m.put(key("startTime"), t.startTime());
        }
        if (!Duration.ZERO.equals(t.realStartTime())) {
            m.put(key("realStartTime"), t.realStartTime());
        }
        if (t.cpu() != null) {
            m.put(key("cpu"), t.cpu());
        }
        if (t.mm() != null) {
            m.put(key("mm"), t.mm());
        }
        if (t.files() != null) {
            m.put(key("files"), t.files());
        }
        if (!t.extensions().isEmpty()) {
            m.put(key("extensions"), t.extensions());
        }
        if (!t.info().isEmpty()) {
            m.put(key("info"), t.info());
        }
        return m;
    }

    private static void putNonZero(Map<Object, Object> m, String name, long v) {
        if (v != 0) {
            m.put(key(name), v);
        }
    }

    /** A map key printed without quotes. */
    private static Object key(String name) {
        return SampleReportingFormat.plainLabel(name);
    }

    private static Map<Object, Object> mm(AddressSpace a) {
        Map<Object, Object> m = new LinkedHashMap<>();
        long[] l = {a.startCode(), a.endCode(), a.startData(), a.endData(), a.startBrk(), a.brk(), a.startStack(),
            a.argStart(), a.argEnd(), a.envStart(), a.envEnd()};
        StringBuilder layout = new StringBuilder();
        String[] pairs = {"code", "data", "brk"};
        for (int i = 0; i < 3; i++) {
            layout.append(pairs[i]).append(" [").append(hex(l[2 * i])).append(", ").append(hex(l[2 * i + 1]))
                    .append(") ");
        }
        layout.append("stack ").append(hex(l[6])).append(" arg [").append(hex(l[7])).append(", ").append(hex(l[8]))
                .append(") env [").append(hex(l[9])).append(", ").append(hex(l[10])).append(')');
        m.put(key("layout"), SampleReportingFormat.plainLabel(layout.toString()));
        if (a.flags() != 0) {
            m.put(key("flags"), SampleReportingFormat.plainLabel(hex(a.flags())));
        }
        m.put(key("vmas"), a.vmas());
        return m;
    }

    static String vma(Vma v) {
        StringBuilder b = new StringBuilder("[").append(hex(v.start())).append(", ").append(hex(v.end())).append(") ");
        b.append((v.prot() & Vma.PROT_READ) != 0 ? 'r' : '-').append((v.prot() & Vma.PROT_WRITE) != 0 ? 'w' : '-')
                .append((v.prot() & Vma.PROT_EXEC) != 0 ? 'x' : '-').append(v.isShared() ? 's' : 'p');
        if ((v.flags() & Vma.STACK) != 0) {
            b.append(" stack");
        } else if ((v.flags() & Vma.GROWSDOWN) != 0) {
            b.append(" growsdown");
        }
        if (v.file() != null) {
            b.append(" file ").append(v.file() instanceof GenericFile g ? g.path() : v.file().toString())
                    .append(" pgoff ").append(v.pgoff());
        }
        List<String> runs = new ArrayList<>();
        try {
            v.pages().forEachRun((address, bytes, clean) -> {
                int pages = bytes.remaining() / Generators.PAGE;
                int nonZero = 0;
                for (int p = 0; p < pages; p++) {
                    ByteBuffer page = bytes.slice(bytes.position() + p * Generators.PAGE, Generators.PAGE);
                    if (page.mismatch(ByteBuffer.allocate(Generators.PAGE)) >= 0) {
                        nonZero++;
                    }
                }
                String zero = nonZero == 0 ? ", zero" : nonZero < pages ? ", " + (pages - nonZero) + " zero" : "";
                runs.add(pages + (pages == 1 ? " page at " : " pages at ") + hex(address) + zero
                        + (clean ? ", clean" : ""));
            });
        } catch (IOException e) {
            runs.add("(pages unreadable: " + e.getMessage() + ")");
        }
        b.append(runs.isEmpty() ? ", no pages" : ": " + String.join("; ", runs));
        return b.toString();
    }

    static String file(GenericFile f) {
        StringBuilder b = new StringBuilder(f.kind().toString()).append(' ').append(f.path())
                .append(" flags ").append(hex(f.flags())).append(" mode 0").append(Integer.toOctalString(f.mode()));
        if (f.position() != 0) {
            b.append(" pos ").append(f.position());
        }
        if (f.version() != 0) {
            b.append(" version ").append(f.version());
        }
        if (f.isDeleted()) {
            b.append(" deleted (").append(f.deletedContents().remaining()).append(" bytes)");
        }
        return b.toString();
    }

    private static boolean hasArrayComponents(Object value) {
        if (value == null || !value.getClass().isRecord()) {
            return false;
        }
        for (RecordComponent c : value.getClass().getRecordComponents()) {
            if (c.getType().isArray() || ByteBuffer.class.isAssignableFrom(c.getType())) {
                return true;
            }
        }
        return false;
    }

    private static Object get(RecordComponent c, Object record) {
        try {
            java.lang.reflect.Method m = c.getAccessor();
            m.setAccessible(true);
            return m.invoke(record);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** {@code [1, 2, 3]}, or for long arrays the first elements and the length. */
    private static String elements(Object array) {
        if (array instanceof ByteBuffer bb) {
            byte[] b = new byte[Math.min(bb.remaining(), MAX_ELEMENTS)];
            bb.duplicate().get(b);
            return (bb.remaining() > MAX_ELEMENTS ? bb.remaining() + " bytes " : "") + elements(b);
        }
        int n = Array.getLength(array);
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < Math.min(n, MAX_ELEMENTS); i++) {
            b.append(i == 0 ? "" : ", ").append(Array.get(array, i));
        }
        return b.append(n > MAX_ELEMENTS ? ", … (" + n + " elements)]" : "]").toString();
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
