package org.ckpt.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.ImageInfo;
import org.ckpt.ImageRecord;
import org.ckpt.Inspection;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.ImageException;

/** {@code ckpt show}: what an image holds, as it holds it. */
final class ShowCommand implements Command {
    static final Spec SPEC = new Spec("show", "Show what an image holds: a summary, the full tree (--all), or JSON.")
            .describe("By default a summary: the head, and per process its threads with their registers' program "
                    + "counter and stack pointer, its areas and pages, its descriptors, and what the dump recorded "
                    + "but cannot restore (pipes, sockets, ttys, devices...). --all prints the whole tree, like "
                    + "CRIU's crit show: every object with its objref and users, every area with its page runs, "
                    + "every register, every task info entry.")
            .describe("What is shown is what the image holds, never a sanitised state: registers are printed as "
                    + "written, and whether they pass the restart's check phase is said on a line of its own. "
                    + "The image's bytes are validated completely first; an invalid image exits 1 (--records lists "
                    + "the records up to the bad one).")
            .param("FILE", "The image: a file, '-' for standard input, or s3://BUCKET/KEY.")
            .storeOptions(false)
            .flag("Print the whole tree.", "--all")
            .flag("Print the whole tree as JSON (numbers as numbers; addresses and registers as hex strings).",
                    "--json")
            .flag("List the records (offset, type, flags, length); works on invalid images up to the first bad one.",
                    "--records")
            .describe("A sealed or encrypted image (docs/FORMAT.md §17) shows by which key id it is sealed and whether "
                    + "the seal verified (with --trust-key), and under which key id it is encrypted. Without "
                    + "--decrypt-key for an encrypted image, what needs no key is shown: the head, the seal, the "
                    + "encryption, the records and their sizes.")
            .option("POLICY", "Check the registers under this restore policy (linux-user or exact) instead of the "
                    + "one the image was written under.", "--policy")
            .option("PATH", "Where the parents of an incremental image are: a directory, or an image file (default: "
                    + "the image's directory). The whole chain is read and verified (with the same --trust-key and "
                    + "--decrypt-key as the image); the summary lists it.",
                    "--parents")
            .option("KEYS", "Verify the seal with these keys, and accept only images sealed by one of them (several "
                    + "joined by commas). " + KeyOptions.FORMATS + ".", "--trust-key")
            .option("KEYS", "Decrypt with these AES-256 keys (several joined by commas). " + KeyOptions.FORMATS + ".",
                    "--decrypt-key");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Spec.Parsed a, Io io) throws Exception {
        String file = a.param(0);
        PrintWriter out = io.out;
        KeyOptions.Reading keys = KeyOptions.Reading.of(a);
        Chains.Parents parents = Chains.resolver(file, a.string("--parents"));
        if (a.has("--records")) {
            return records(file, a.has("--json"), io, keys, parents);
        }
        Inspection in;
        try {
            in = Images.inspect(file, io, null, Images.policy(a.string("--policy")), keys, parents);
        } catch (ImageException e) {
            if (!Images.missingKey(e)) {
                throw e;
            }
            return encrypted(file, a.has("--json") || a.has("--all") ? a.has("--json") : null, io, keys);
        }
        List<Chains.Link> chain = Chains.chain(file, in, parents);
        if (a.has("--json")) {
            out.println(Tree.json(ImageTree.build(file, in, chain)));
        } else if (a.has("--all")) {
            out.print(Tree.text(ImageTree.build(file, in, chain)));
        } else {
            summary(file, in, chain, out);
        }
        out.flush();
        return Main.OK;
    }

    /** About a screen for a simple process: the head, each process, its threads, what was left out. */
    static void summary(String file, Inspection in, List<Chains.Link> chain, PrintWriter out) {
        ImageInfo h = in.image().info();
        out.println(file + ": " + h.architecture() + " image, format " + h.formatMajor() + "." + h.formatMinor() + ", "
                + h.producerName() + " " + h.producerVersion() + ", created " + h.created() + ", "
                + Fmt.bytes(in.image().bytesRead()) + " in " + Fmt.plural(in.image().recordsRead(), "record") + ", "
                + Fmt.plural(in.imageTasks().size(), "task"));
        out.println("  machine: " + h.uname().nodename() + " " + h.uname().release() + " " + h.uname().machine()
                + "; page size " + h.pageSize() + "; restore policy " + h.policy());
        if (in.seal().isPresent() || in.encryption().isPresent()) {
            out.println("  " + Images.protection(in.seal(), in.encryption(), KeyOptions.Reading.NONE));
        }
        if (chain.size() > 1) {
            for (String line : Chains.describe(chain)) {
                out.println("  " + line);
            }
            String seals = Chains.seals(chain, in);
            if (seals != null) {
                out.println("  " + seals);
            }
            out.println("  pages below are the chain's: " + Fmt.plural(in.image().pagesRead(), "page")
                    + " written in this image, the others taken from its parents");
        }
        Map<Integer, List<Task>> byProcess = new LinkedHashMap<>();
        for (Task t : in.imageTasks()) {
            byProcess.computeIfAbsent(t.tgid(), k -> new ArrayList<>()).add(t);
        }
        Map<Object, Boolean> shownMm = new IdentityHashMap<>();
        Map<Object, Boolean> shownFiles = new IdentityHashMap<>();
        for (List<Task> threads : byProcess.values()) {
            Task leader = threads.get(0);
            for (Task t : threads) {
                if (t.pid() == t.tgid()) {
                    leader = t;
                }
            }
            Map<String, String> info = TaskInfo.of(leader);
            StringBuilder p = new StringBuilder("process ").append(leader.tgid()).append(" (").append(leader.comm())
                    .append("): ").append(Fmt.plural(threads.size(), "thread"));
            for (String k : List.of("ppid", "pgid", "sid")) {
                if (info.containsKey("linux." + k)) {
                    p.append(", ").append(k).append(' ').append(info.get("linux." + k));
                }
            }
            if (info.containsKey("linux.cmdline")) {
                p.append(", cmdline: ").append(clip(info.get("linux.cmdline"), 60));
            }
            out.println(p);
            if (leader.mm() != null) {
                out.println("  " + memory(leader.mm(), in, h.pageSize(), shownMm.put(leader.mm(), true) != null));
            }
            if (leader.files() != null) {
                out.println("  " + files(leader.files(), in, shownFiles.put(leader.files(), true) != null));
            }
            for (Task t : threads) {
                out.println("  thread " + t.pid() + ": " + t.state() + ", " + cpu(t));
            }
            List<String> omitted = new ArrayList<>();
            for (Task t : threads) {
                for (Map.Entry<String, String> e : TaskInfo.of(t).entrySet()) {
                    String k = e.getKey();
                    if (k.startsWith("ckpt.omitted.") && !k.contains(".data.")) {
                        omitted.add(k.substring("ckpt.omitted.".length()).replace('.', ' ') + ": "
                                + clip(e.getValue(), 110));
                    }
                }
            }
            if (!omitted.isEmpty()) {
                out.println("  recorded, not restorable (" + omitted.size() + "):");
                for (String o : omitted) {
                    out.println("    " + o);
                }
            }
        }
        out.println("check: " + ImageTree.check(in));
        out.println("(--all: every object, area, page run, register and info entry; --json: the same as JSON)");
    }

    private static String memory(AddressSpace mm, Inspection in, int ps, boolean again) {
        if (again) {
            return "memory: shared with the process above (objref " + in.objref(mm) + ")";
        }
        long pages = 0;
        long span = 0;
        for (Vma v : mm.vmas()) {
            pages += PageRuns.pages(PageRuns.of(v.pages(), ps));
            span += v.end() - v.start();
        }
        return "memory (objref " + in.objref(mm) + "): " + Fmt.plural(mm.vmas().size(), "area") + " spanning "
                + Fmt.bytes(span) + ", " + Fmt.plural(pages, "page") + " in the image (" + Fmt.bytes(pages * ps) + ")";
    }

    private static String files(FileTable ft, Inspection in, boolean again) {
        if (again) {
            return "descriptors: shared with the process above (objref " + in.objref(ft) + ")";
        }
        StringBuilder sb = new StringBuilder("descriptors (objref " + in.objref(ft) + "): "
                + ft.entries().size());
        if (!ft.entries().isEmpty()) {
            sb.append(" —");
        }
        int shown = 0;
        for (FileTable.Entry e : ft.entries()) {
            if (shown++ == 6) {
                sb.append(" ...");
                break;
            }
            String path = e.file() instanceof GenericFile g ? g.path() + (g.isDeleted() ? " (deleted, saved)" : "")
                    : e.file().getClass().getSimpleName();
            sb.append(" ").append(e.fd()).append(' ').append(path);
        }
        return sb.toString();
    }

    private static String cpu(Task t) {
        if (t.cpu() == null) {
            String why = TaskInfo.of(t).get("ckpt.cpu");
            return "no CPU state" + (why != null ? " (" + why + ")" : " (absent)");
        }
        long[] pcsp = CpuNotes.pcAndSp(t.cpu());
        String sig = TaskInfo.of(t).get("linux.sigmask");
        return t.cpu().architecture() + " registers" + (pcsp == null ? ""
                : ", pc " + Fmt.hex(pcsp[0]) + ", sp " + Fmt.hex(pcsp[1]))
                + (sig != null && !sig.isEmpty() ? ", blocked signals " + Signals.names(Long.parseUnsignedLong(sig, 16))
                : "");
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 3) + "...";
    }

    /**
     * An encrypted image without its key: the head, the seal (verified with --trust-key), the
     * encryption and the records, from a scan. {@code json}: null for the summary.
     */
    private static int encrypted(String file, Boolean json, Io io, KeyOptions.Reading keys) throws Exception {
        PrintWriter out = io.out;
        List<Object> records = new ArrayList<>();
        org.ckpt.ImageScan scan = Images.scan(file, io, r -> records.add(record(r)), keys);
        ImageInfo h = scan.info();
        if (json != null) {
            Map<String, Object> tree = new LinkedHashMap<>();
            tree.put("file", file);
            tree.put("head", ImageTree.head(h));
            tree.put("seal", ImageTree.seal(scan.seal()));
            tree.put("encryption", ImageTree.encryption(scan.encryption()));
            tree.put("records", records);
            Map<String, Object> tail = new LinkedHashMap<>();
            tail.put("records", scan.records());
            tail.put("bytes", scan.bytes());
            tail.put("verified", true);
            tree.put("tail", tail);
            out.print(json ? Tree.json(tree) + "\n" : Tree.text(tree));
        } else {
            out.println(file + ": " + h.architecture() + " image, format " + h.formatMajor() + "." + h.formatMinor()
                    + ", " + h.producerName() + " " + h.producerVersion() + ", created " + h.created() + ", "
                    + Fmt.bytes(scan.bytes()) + " in " + Fmt.plural(scan.records(), "record") + ", "
                    + Fmt.plural(h.taskCount(), "task"));
            out.println("  checkpoint id " + Fmt.hex(h.checkpointId()) + "; page size " + h.pageSize()
                    + "; restore policy " + h.policy());
            out.println("  " + Images.protection(scan.seal(), scan.encryption(), keys));
            out.println("framing, checksums and tail: valid; the records' contents are encrypted: give --decrypt-key "
                    + "to show them (--records lists them)");
        }
        out.flush();
        return Main.OK;
    }

    private static int records(String file, boolean json, Io io, KeyOptions.Reading keys, Chains.Parents parents)
            throws Exception {
        PrintWriter out = io.out;
        List<Object> list = new ArrayList<>();
        ImageException failure = null;
        try {
            Images.inspect(file, io, r -> list.add(record(r)), null, keys, parents);
        } catch (ImageException e) {
            if (Images.missingKey(e)) {
                // Encrypted, no key: the records are listed from a scan, which needs none.
                list.clear();
                try {
                    Images.scan(file, io, r -> list.add(record(r)), keys);
                } catch (ImageException s) {
                    failure = s;
                }
            } else {
                failure = e;
            }
        }
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("file", file);
        tree.put("records", list);
        tree.put("valid", failure == null);
        if (failure != null) {
            tree.put("error", failure.getMessage());
        }
        if (json) {
            out.println(Tree.json(tree));
        } else {
            out.printf("%-10s %-12s %-5s %10s%n", "offset", "type", "flags", "length");
            for (Object o : list) {
                Map<?, ?> r = (Map<?, ?>) o;
                out.printf("%-10s %-12s %-5s %10s%n", r.get("offset"), r.get("type"), r.get("flags"), r.get("length"));
            }
            out.println(failure == null ? "valid image" : "invalid image: " + failure.getMessage());
        }
        out.flush();
        return failure == null ? Main.OK : Main.INVALID;
    }

    private static Map<String, Object> record(ImageRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("offset", r.offset());
        m.put("type", r.typeName());
        m.put("flags", r.flags());
        m.put("length", r.length());
        return m;
    }
}
