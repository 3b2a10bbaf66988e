package org.ckpt.cli;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.ImageInfo;
import org.ckpt.ImageObject;
import org.ckpt.Inspection;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/** The tree {@code ckpt show} prints: head, objects with objrefs and users, tasks, tail. */
final class ImageTree {
    /** Page runs listed per area before the rest is summarised. */
    static final int RUNS_SHOWN = 8;

    private ImageTree() {
    }

    static Map<String, Object> build(String file, Inspection in) {
        return build(file, in, List.of());
    }

    /** The tree, with the chain of an incremental image (newest first) after the head. */
    static Map<String, Object> build(String file, Inspection in, List<Chains.Link> chain) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("file", file);
        root.put("head", head(in.image().info()));
        if (chain.size() > 1) {
            root.put("chain", Chains.tree(chain));
        }
        root.put("seal", seal(in.seal()));
        root.put("encryption", encryption(in.encryption()));
        Map<Object, List<String>> users = users(in);
        List<Object> objects = new ArrayList<>();
        for (ImageObject o : in.objects()) {
            objects.add(object(o, in, users.getOrDefault(o.object(), List.of())));
        }
        root.put("objects", objects);
        List<Object> tasks = new ArrayList<>();
        for (int i = 0; i < in.imageTasks().size(); i++) {
            tasks.add(task(i, in.imageTasks().get(i), in));
        }
        root.put("tasks", tasks);
        Map<String, Object> tail = new LinkedHashMap<>();
        tail.put("records", in.image().recordsRead());
        tail.put("bytes", in.image().bytesRead());
        tail.put("pages", in.image().pagesRead());
        tail.put("verified", true);
        root.put("tail", tail);
        root.put("check", check(in));
        return root;
    }

    /** The seal of an image: null if it has none. */
    static Map<String, Object> seal(java.util.Optional<org.ckpt.ImageSeal> seal) {
        if (seal.isEmpty()) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("algorithm", seal.get().algorithm());
        m.put("key_id", seal.get().keyId());
        m.put("verified", seal.get().verified());
        return m;
    }

    /** How an image is encrypted: null if it is not. */
    static Map<String, Object> encryption(java.util.Optional<org.ckpt.ImageEncryption> e) {
        if (e.isEmpty()) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cipher", e.get().cipher());
        m.put("key_id", e.get().keyId());
        m.put("decrypted", e.get().decrypted());
        return m;
    }

    /** What the check phase of the image's policy (or --policy) made of the tasks. */
    static String check(Inspection in) {
        return in.checkFailure().map(e -> "refused: " + e.getMessage())
                .orElse("passes (" + in.image().info().policy() + " rules)");
    }

    static Map<String, Object> head(ImageInfo h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", h.formatMajor() + "." + h.formatMinor());
        m.put("producer", h.producerName() + " " + h.producerVersion());
        m.put("checkpoint_id", Fmt.hex(h.checkpointId()));
        m.put("created", h.created().toString());
        m.put("policy", h.policy().name());
        m.put("architecture", h.architecture());
        m.put("arch_head", Values.tree(h.archHead()));
        m.put("page_size", h.pageSize());
        m.put("task_count", h.taskCount());
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("sysname", h.uname().sysname());
        u.put("nodename", h.uname().nodename());
        u.put("release", h.uname().release());
        u.put("version", h.uname().version());
        u.put("machine", h.uname().machine());
        m.put("machine", u);
        return m;
    }

    /** Who refers to each object: tasks to address spaces and file tables, areas and descriptors to files. */
    private static Map<Object, List<String>> users(Inspection in) {
        Map<Object, List<String>> users = new IdentityHashMap<>();
        List<Task> tasks = in.imageTasks();
        for (int i = 0; i < tasks.size(); i++) {
            Task t = tasks.get(i);
            String who = "task " + i + " (pid " + t.pid() + ")";
            if (t.mm() != null) {
                users.computeIfAbsent(t.mm(), k -> new ArrayList<>()).add(who);
            }
            if (t.files() != null) {
                users.computeIfAbsent(t.files(), k -> new ArrayList<>()).add(who);
            }
        }
        for (ImageObject o : in.objects()) {
            if (o.object() instanceof AddressSpace mm) {
                for (Vma v : mm.vmas()) {
                    if (v.file() != null) {
                        users.computeIfAbsent(v.file(), k -> new ArrayList<>())
                                .add("mm " + o.objref() + " vma " + Fmt.hex(v.start()));
                    }
                }
            } else if (o.object() instanceof FileTable ft) {
                for (FileTable.Entry e : ft.entries()) {
                    users.computeIfAbsent(e.file(), k -> new ArrayList<>()).add("files " + o.objref() + " fd " + e.fd());
                }
            }
        }
        return users;
    }

    private static Map<String, Object> object(ImageObject o, Inspection in, List<String> users) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("objref", o.objref());
        m.put("type", o.typeName());
        m.put("offset", o.offset());
        if (o.object() instanceof AddressSpace mm) {
            mm(m, mm, in);
        } else if (o.object() instanceof FileTable ft) {
            List<Object> fds = new ArrayList<>();
            for (FileTable.Entry e : ft.entries()) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("fd", e.fd());
                d.put("file", in.objref(e.file()));
                d.put("path", e.file() instanceof GenericFile g ? g.path() : e.file().getClass().getSimpleName());
                d.put("close_on_exec", e.closeOnExec());
                fds.add(d);
            }
            m.put("descriptors", fds);
        } else if (o.object() instanceof GenericFile f) {
            file(m, f);
        } else {
            m.put("value", String.valueOf(o.object()));
        }
        m.put("shared_by", users.size());
        m.put("used_by", users);
        return m;
    }

    private static void file(Map<String, Object> m, GenericFile f) {
        m.put("kind", f.kind().name().toLowerCase(java.util.Locale.ROOT));
        m.put("path", f.path());
        m.put("flags", Fmt.octal(f.flags()));
        m.put("mode", Fmt.octal(f.mode()));
        m.put("position", f.position());
        m.put("version", f.version());
        if (f.isDeleted()) {
            m.put("deleted", true);
            m.put("saved_bytes", (long) f.deletedContents().remaining());
        }
    }

    private static void mm(Map<String, Object> m, AddressSpace mm, Inspection in) {
        Map<String, Object> layout = new LinkedHashMap<>();
        layout.put("start_code", Fmt.hex(mm.startCode()));
        layout.put("end_code", Fmt.hex(mm.endCode()));
        layout.put("start_data", Fmt.hex(mm.startData()));
        layout.put("end_data", Fmt.hex(mm.endData()));
        layout.put("start_brk", Fmt.hex(mm.startBrk()));
        layout.put("brk", Fmt.hex(mm.brk()));
        layout.put("start_stack", Fmt.hex(mm.startStack()));
        layout.put("arg_start", Fmt.hex(mm.argStart()));
        layout.put("arg_end", Fmt.hex(mm.argEnd()));
        layout.put("env_start", Fmt.hex(mm.envStart()));
        layout.put("env_end", Fmt.hex(mm.envEnd()));
        m.put("layout", layout);
        m.put("flags", Fmt.hex(mm.flags()));
        int ps = in.image().info().pageSize();
        long inImage = 0;
        List<Object> vmas = new ArrayList<>();
        for (Vma v : mm.vmas()) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("range", Fmt.hex(v.start()) + "-" + Fmt.hex(v.end()));
            a.put("prot", Fmt.prot(v.prot()));
            a.put("flags", vmaFlags(v));
            a.put("pgoff", v.pgoff());
            if (v.file() != null) {
                a.put("file", in.objref(v.file()));
                a.put("path", v.file() instanceof GenericFile g ? g.path() : v.file().getClass().getSimpleName());
            }
            List<PageRuns.Run> runs = PageRuns.of(v.pages(), ps);
            long pages = PageRuns.pages(runs);
            inImage += pages;
            a.put("pages", (v.end() - v.start()) / ps);
            a.put("pages_in_image", pages);
            List<Object> shown = new ArrayList<>();
            for (int i = 0; i < runs.size() && i < RUNS_SHOWN; i++) {
                shown.add(runs.get(i).toString());
            }
            if (runs.size() > RUNS_SHOWN) {
                long rest = 0;
                for (int i = RUNS_SHOWN; i < runs.size(); i++) {
                    rest += runs.get(i).pages();
                }
                shown.add("... " + (runs.size() - RUNS_SHOWN) + " more runs, " + Fmt.plural(rest, "page"));
            }
            a.put("runs", shown);
            vmas.add(a);
        }
        m.put("vma_count", mm.vmas().size());
        m.put("pages_in_image", inImage);
        m.put("vmas", vmas);
    }

    static String vmaFlags(Vma v) {
        List<String> f = new ArrayList<>();
        f.add(v.isShared() ? "shared" : "private");
        if ((v.flags() & Vma.GROWSDOWN) != 0) {
            f.add("growsdown");
        }
        if ((v.flags() & Vma.STACK) != 0) {
            f.add("stack");
        }
        return String.join("|", f);
    }

    static Map<String, Object> task(int index, Task t, Inspection in) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", index);
        m.put("pid", t.pid());
        m.put("tgid", t.tgid());
        m.put("comm", t.comm());
        m.put("state", t.state().name());
        m.put("exit_state", t.exitState().name());
        m.put("exit_code", t.exitCode());
        m.put("exit_signal", t.exitSignal());
        m.put("utime", unsigned(t.utime()));
        m.put("stime", unsigned(t.stime()));
        m.put("utimescaled", unsigned(t.utimescaled()));
        m.put("stimescaled", unsigned(t.stimescaled()));
        m.put("gtime", unsigned(t.gtime()));
        m.put("nvcsw", unsigned(t.nvcsw()));
        m.put("nivcsw", unsigned(t.nivcsw()));
        m.put("start_time_ms", Fmt.ms(t.startTime()));
        m.put("real_start_time_ms", Fmt.ms(t.realStartTime()));
        m.put("min_flt", unsigned(t.minFlt()));
        m.put("maj_flt", unsigned(t.majFlt()));
        m.put("mm", t.mm() == null ? null : in.objref(t.mm()));
        m.put("files", t.files() == null ? null : in.objref(t.files()));
        if (t.cpu() == null) {
            m.put("cpu_state", "absent (not captured)");
        } else {
            Map<String, Object> cpu = new LinkedHashMap<>();
            cpu.put("architecture", t.cpu().architecture());
            cpu.put("type", t.cpu().getClass().getSimpleName());
            Object regs = Values.tree(t.cpu());
            if (regs instanceof Map<?, ?> r) {
                for (Map.Entry<?, ?> e : r.entrySet()) {
                    cpu.putIfAbsent(String.valueOf(e.getKey()), e.getValue());
                }
            } else {
                cpu.put("value", regs);
            }
            m.put("cpu_state", cpu);
        }
        Map<String, String> info = TaskInfo.of(t);
        if (!info.isEmpty()) {
            m.put("info", new LinkedHashMap<>(info));
        }
        List<Object> ext = new ArrayList<>();
        for (Object e : t.extensions()) {
            ext.add(in.objref(e));
        }
        if (!ext.isEmpty()) {
            m.put("extensions", ext);
        }
        return m;
    }

    /** A counter as a JSON number: unsigned 64-bit values above Long.MAX_VALUE become a BigInteger. */
    static Object unsigned(long v) {
        return v >= 0 ? (Object) v : new java.math.BigInteger(Long.toUnsignedString(v));
    }
}
