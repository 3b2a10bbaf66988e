package org.ckpt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.ckpt.Inspection;
import org.ckpt.spi.ImageException;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.OpenFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/** {@code ckpt diff}: what differs between two images. */
final class DiffCommand implements Command {
    static final Spec SPEC = new Spec("diff", "Show what differs between two images.")
            .describe("Show what differs between two images: head, task fields and info, CPU registers, memory areas "
                    + "added/removed/changed, pages changed (count and first addresses), descriptors and files.")
            .describe("Tasks are paired by pid, areas by start address, descriptors by number. Both images are "
                    + "validated first; an invalid one is named (A or B) and exits 1. Exit 0 whether or not they "
                    + "differ.")
            .param("A", "The first image: a file, '-' for standard input, or s3://BUCKET/KEY.")
            .param("B", "The second image.")
            .storeOptions(false)
            .describe("Incremental images are read with their chains (parents in each image's directory, or "
                    + "--parents): what is compared is what each restarts to. When one image descends from the other, "
                    + "the first line says so.")
            .flag("Print the differences as JSON.", "--json")
            .option("PATH", "Where the parents of incremental images are: a directory, or an image file (default: "
                    + "each image's directory).", "--parents")
            .option("KEYS", "Trust seals by these keys, and only them (several joined by commas): both images and "
                    + "their chains must be sealed by one of them. " + KeyOptions.FORMATS + ".", "--trust-key")
            .option("KEYS", "Decrypt with these AES-256 keys (several joined by commas), for both images and their "
                    + "chains. " + KeyOptions.FORMATS + ".", "--decrypt-key")
            .option("N", "Changed page addresses listed per area (default 8).", "--addresses");

    @Override
    public Spec spec() {
        return SPEC;
    }

    private int addresses;
    private String a;
    private String b;

    private final List<Map<String, Object>> changes = new ArrayList<>();
    private final Map<Object, Object> comparedObjects = new IdentityHashMap<>();
    private Inspection ia;
    private Inspection ib;
    private int pageSize;

    @Override
    public int run(Spec.Parsed args, Io io) throws Exception {
        a = args.param(0);
        b = args.param(1);
        boolean json = args.has("--json");
        long n = args.number("--addresses", 8);
        if (n < 0 || n > 1_000_000) {
            throw SPEC.usage("--addresses must be between 0 and 1000000");
        }
        addresses = (int) n;
        String parents = args.string("--parents");
        KeyOptions.Reading keys = KeyOptions.Reading.of(args);
        ia = inspect("A", a, io, parents, keys);
        ib = inspect("B", b, io, parents, keys);
        pageSize = ia.image().info().pageSize();
        String relation = relation();
        compareMaps("head", Values.flatten(ImageTree.head(ia.image().info())),
                Values.flatten(ImageTree.head(ib.image().info())));
        tasks();
        PrintWriter out = io.out;
        if (json) {
            Map<String, Object> tree = new LinkedHashMap<>();
            tree.put("a", a);
            tree.put("b", b);
            tree.put("identical", changes.isEmpty());
            tree.put("chain_a", ia.chain().size());
            tree.put("chain_b", ib.chain().size());
            tree.put("relation", relation);
            tree.put("differences", changes);
            out.println(Tree.json(tree));
        } else {
            out.println("--- " + a);
            out.println("+++ " + b);
            if (relation != null) {
                out.println(relation);
            }
            for (Map<String, Object> c : changes) {
                out.println(c.get("where") + ": " + describe(c));
            }
            out.println(changes.isEmpty() ? "no differences" : Fmt.plural(changes.size(), "difference"));
        }
        out.flush();
        return Main.OK;
    }

    /** Whether one image descends from the other (their chains read), or null. */
    private String relation() {
        String down = descends(ib, ia, "B", "A");
        return down != null ? down : descends(ia, ib, "A", "B");
    }

    private static String descends(Inspection child, Inspection ancestor, String c, String p) {
        long id = ancestor.image().info().checkpointId();
        List<org.ckpt.ImageInfo> chain = child.chain();
        for (int i = 1; i < chain.size(); i++) {
            if (chain.get(i).checkpointId() == id) {
                return c + " is an incremental image on " + p + " (" + (i == 1 ? "its parent" : "its ancestor, "
                        + i + " links up") + "; " + c + "'s chain has " + chain.size() + " images)";
            }
        }
        return null;
    }

    private static Inspection inspect(String which, String file, Io io, String parents, KeyOptions.Reading keys)
            throws Exception {
        try {
            return Images.inspect(file, io, null, null, keys, Chains.resolver(file, parents));
        } catch (ImageException e) {
            throw CliException.failed(which + " (" + file + ") is an invalid image: " + e.getMessage());
        } catch (CliException e) {
            throw new CliException(e.exitCode(), which + ": " + e.getMessage());
        }
    }

    private static String describe(Map<String, Object> c) {
        if (c.containsKey("note")) {
            return String.valueOf(c.get("note"));
        }
        return c.get("a") + " -> " + c.get("b");
    }

    private void change(String where, Object va, Object vb) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("where", where);
        m.put("a", va);
        m.put("b", vb);
        changes.add(m);
    }

    private void note(String where, String note) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("where", where);
        m.put("note", note);
        changes.add(m);
    }

    private void compareMaps(String where, Map<String, Object> ma, Map<String, Object> mb) {
        for (String k : ordered(ma, mb)) {
            Object va = ma.get(k);
            Object vb = mb.get(k);
            if (!Objects.equals(va, vb)) {
                change(where + " " + k, ma.containsKey(k) ? va : "(none)", mb.containsKey(k) ? vb : "(none)");
            }
        }
    }

    private static List<String> ordered(Map<String, Object> ma, Map<String, Object> mb) {
        List<String> keys = new ArrayList<>(ma.keySet());
        for (String k : mb.keySet()) {
            if (!ma.containsKey(k)) {
                keys.add(k);
            }
        }
        return keys;
    }

    private void tasks() {
        Map<Integer, Integer> inB = new LinkedHashMap<>();
        List<Task> tb = ib.imageTasks();
        for (int i = 0; i < tb.size(); i++) {
            inB.putIfAbsent(tb.get(i).pid(), i);
        }
        List<Task> ta = ia.imageTasks();
        for (int i = 0; i < ta.size(); i++) {
            Task x = ta.get(i);
            Integer j = inB.remove(x.pid());
            String where = "task pid " + x.pid();
            if (j == null) {
                note(where, "only in A (" + x.comm() + ")");
                continue;
            }
            Task y = tb.get(j);
            Map<String, Object> fa = ImageTree.task(i, x, ia);
            Map<String, Object> fb = ImageTree.task(j, y, ib);
            for (String k : List.of("index", "mm", "files", "cpu_state", "info", "extensions")) {
                fa.remove(k);
                fb.remove(k);
            }
            compareMaps(where, fa, fb);
            Map<String, Object> infoA = new LinkedHashMap<>(TaskInfo.of(x));
            Map<String, Object> infoB = new LinkedHashMap<>(TaskInfo.of(y));
            compareMaps(where + " info", infoA, infoB);
            Object ca = x.cpu() == null ? Map.of("cpu", "absent") : Values.tree(x.cpu());
            Object cb = y.cpu() == null ? Map.of("cpu", "absent") : Values.tree(y.cpu());
            compareMaps(where + " cpu", Values.flatten(ca), Values.flatten(cb));
            if ((x.mm() == null) != (y.mm() == null)) {
                change(where + " mm", x.mm() == null ? "none" : "present", y.mm() == null ? "none" : "present");
            } else if (x.mm() != null && comparedObjects.put(x.mm(), y.mm()) == null) {
                mm(x.mm(), y.mm());
            }
            if ((x.files() == null) != (y.files() == null)) {
                change(where + " files", x.files() == null ? "none" : "present", y.files() == null ? "none" : "present");
            } else if (x.files() != null && comparedObjects.put(x.files(), y.files()) == null) {
                files(x.files(), y.files());
            }
        }
        for (Map.Entry<Integer, Integer> e : inB.entrySet()) {
            note("task pid " + e.getKey(), "only in B (" + tb.get(e.getValue()).comm() + ")");
        }
    }

    private void mm(AddressSpace x, AddressSpace y) {
        compareMaps("mm layout", layout(x), layout(y));
        Map<Long, Vma> vb = new LinkedHashMap<>();
        for (Vma v : y.vmas()) {
            vb.put(v.start(), v);
        }
        for (Vma v : x.vmas()) {
            Vma w = vb.remove(v.start());
            String where = "vma " + Fmt.hex(v.start()) + "-" + Fmt.hex(v.end());
            if (w == null) {
                note(where, "removed (only in A)");
                continue;
            }
            compareMaps("vma " + Fmt.hex(v.start()), vmaFields(v), vmaFields(w));
            pages(v, w);
        }
        for (Vma w : vb.values()) {
            note("vma " + Fmt.hex(w.start()) + "-" + Fmt.hex(w.end()), "added (only in B)");
        }
    }

    private static Map<String, Object> layout(AddressSpace m) {
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("start_code", Fmt.hex(m.startCode()));
        l.put("end_code", Fmt.hex(m.endCode()));
        l.put("start_data", Fmt.hex(m.startData()));
        l.put("end_data", Fmt.hex(m.endData()));
        l.put("start_brk", Fmt.hex(m.startBrk()));
        l.put("brk", Fmt.hex(m.brk()));
        l.put("start_stack", Fmt.hex(m.startStack()));
        l.put("arg_start", Fmt.hex(m.argStart()));
        l.put("arg_end", Fmt.hex(m.argEnd()));
        l.put("env_start", Fmt.hex(m.envStart()));
        l.put("env_end", Fmt.hex(m.envEnd()));
        l.put("flags", Fmt.hex(m.flags()));
        return l;
    }

    private static Map<String, Object> vmaFields(Vma v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("end", Fmt.hex(v.end()));
        m.put("prot", Fmt.prot(v.prot()));
        m.put("flags", ImageTree.vmaFlags(v));
        m.put("pgoff", v.pgoff());
        m.put("file", v.file() instanceof GenericFile g ? g.path() : v.file() == null ? "none" : v.file().toString());
        return m;
    }

    /** Pages are compared where both areas overlap; a page absent from one side differs from a present one. */
    private void pages(Vma v, Vma w) {
        long from = Math.max(v.start(), w.start());
        long to = Math.min(v.end(), w.end());
        TreeMap<Long, ByteBuffer> pa = pageMap(v.pages(), from, to);
        TreeMap<Long, ByteBuffer> pb = pageMap(w.pages(), from, to);
        TreeSet<Long> all = new TreeSet<>(pa.keySet());
        all.addAll(pb.keySet());
        long changed = 0;
        long onlyA = 0;
        long onlyB = 0;
        List<String> first = new ArrayList<>();
        for (long addr : all) {
            ByteBuffer x = pa.get(addr);
            ByteBuffer y = pb.get(addr);
            boolean differs;
            if (x != null && y != null) {
                differs = x.mismatch(y) >= 0;
            } else {
                differs = true;
                if (x != null) {
                    onlyA++;
                } else {
                    onlyB++;
                }
            }
            if (differs) {
                changed++;
                if (first.size() < addresses) {
                    first.add(Fmt.hex(addr));
                }
            }
        }
        if (changed > 0) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("where", "vma " + Fmt.hex(v.start()) + " pages");
            m.put("note", Fmt.plural(changed, "page") + (changed == 1 ? " differs (" : " differ (") + onlyA + " only in A, " + onlyB
                    + " only in B); first: " + String.join(" ", first));
            m.put("changed", changed);
            m.put("only_in_a", onlyA);
            m.put("only_in_b", onlyB);
            m.put("first", first);
            changes.add(m);
        }
    }

    private TreeMap<Long, ByteBuffer> pageMap(PageData data, long from, long to) {
        TreeMap<Long, ByteBuffer> pages = new TreeMap<>();
        try {
            data.forEachRun((address, bytes, clean) -> {
                int n = bytes.remaining() / pageSize;
                for (int i = 0; i < n; i++) {
                    long at = address + (long) i * pageSize;
                    if (at >= from && at < to) {
                        int p = bytes.position() + i * pageSize;
                        pages.put(at, bytes.duplicate().limit(p + pageSize).position(p));
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pages;
    }

    private void files(FileTable x, FileTable y) {
        Map<Integer, FileTable.Entry> eb = new TreeMap<>();
        for (FileTable.Entry e : y.entries()) {
            eb.put(e.fd(), e);
        }
        for (FileTable.Entry e : x.entries()) {
            FileTable.Entry f = eb.remove(e.fd());
            String where = "fd " + e.fd();
            if (f == null) {
                note(where, "closed (only in A: " + path(e.file()) + ")");
                continue;
            }
            Map<String, Object> fa = fileFields(e);
            Map<String, Object> fb = fileFields(f);
            compareMaps(where, fa, fb);
        }
        for (FileTable.Entry f : eb.values()) {
            note("fd " + f.fd(), "opened (only in B: " + path(f.file()) + ")");
        }
    }

    private static String path(OpenFile f) {
        return f instanceof GenericFile g ? g.path() : f.getClass().getSimpleName();
    }

    private static Map<String, Object> fileFields(FileTable.Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("close_on_exec", e.closeOnExec());
        if (e.file() instanceof GenericFile g) {
            m.put("kind", g.kind().name());
            m.put("path", g.path());
            m.put("flags", Fmt.octal(g.flags()));
            m.put("mode", Fmt.octal(g.mode()));
            m.put("position", g.position());
            m.put("deleted", g.isDeleted());
            if (g.isDeleted()) {
                m.put("saved_bytes", g.deletedContents().remaining());
                m.put("saved_crc32c", crc(g.deletedContents()));
            }
        } else {
            m.put("file", String.valueOf(e.file()));
        }
        return m;
    }

    private static String crc(ByteBuffer b) {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(b.duplicate());
        return String.format("%08x", c.getValue());
    }
}
