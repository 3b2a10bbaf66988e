package org.ckpt.testkit;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.ExitState;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.OpenFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.TaskState;
import org.ckpt.model.Vma;
import org.ckpt.spi.CpuState;

/**
 * The task model built from jqwik combinators, field by field, so that every field shrinks
 * on its own toward a small, readable value (0, the first enum constant, an empty list), and
 * objects are shared through indices into pools that shrink toward the first element.
 */
final class ModelArbitraries {
    static final int PAGE = Generators.PAGE;
    private static final long BASE = 0x10000L;
    private static final String[] COMMS = {"", "sh", "cat", "java", "kworker/0:1", "ünïcödé", "a-fifteen-chars"};
    private static final String[] NAMES = {"a", "log", "data.bin", "x y"};

    private ModelArbitraries() {
    }

    // ---- specs: what is generated, before objects are built and shared ----------------------

    private record FileSpec(FileKind kind, int dir, String name, int flags, int mode, long position, long version,
                            byte[] deleted) {
        GenericFile build() {
            boolean dirKind = kind == FileKind.DIRECTORY;
            return new GenericFile(kind, "/data/dir" + dir + "/" + name, flags,
                    (dirKind ? 0040000 : 0100000) | mode, position, version,
                    deleted == null || dirKind ? null : ByteBuffer.wrap(deleted));
        }
    }

    /** A page: its pattern, a value or seed for its bytes, and whether a new run (clean or not) starts here. */
    private record PageSpec(Generators.PagePattern pattern, int seed, boolean newRun, boolean clean) {
    }

    private record VmaSpec(int gapPages, List<PageSpec> pages, int prot, boolean shared, boolean stack,
                           Integer file, int pgoff, boolean direct) {
    }

    private record MmSpec(int firstPage, List<VmaSpec> vmas, List<Integer> layout, long flags) {
    }

    private record EntrySpec(int gap, boolean cloexec, int file) {
    }

    private record TaskSpec(Identity id, Accounting acct, Integer mm, Integer files) {
    }

    private record Identity(boolean ownTgid, TaskState state, ExitState exitState, int exitCode, int exitSignal,
                            String comm) {
    }

    private record Accounting(List<Long> counters, Duration startTime, Duration realStartTime) {
    }

    private record Holders(Object object, List<Integer> tasks) {
    }

    private record SetSpec(List<Object> files, List<MmSpec> mms, List<List<EntrySpec>> tables, List<TaskSpec> tasks,
                           List<CpuState> cpus, List<Holders> extensions) {
    }

    // ---- arbitraries of specs ------------------------------------------------------------------

    static Arbitrary<GenericFile> genericFiles(GenConfig c) {
        return fileSpecs(c).map(FileSpec::build);
    }

    private static Arbitrary<FileSpec> fileSpecs(GenConfig c) {
        Arbitrary<byte[]> deleted = c.deletedFiles()
                ? Arbitraries.bytes().array(byte[].class).ofMaxSize(3 * PAGE).injectNull(0.75)
                : Arbitraries.just(null);
        Arbitrary<Integer> flags = Combinators.combine(Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, GenericFile.FLAGS_MASK))
                .as((acc, f) -> f & GenericFile.FLAGS_MASK & ~3 | acc);
        return Combinators.combine(Arbitraries.of(FileKind.REGULAR, FileKind.DIRECTORY),
                Arbitraries.integers().between(0, 2), Arbitraries.of(NAMES), flags,
                Arbitraries.integers().between(0, 0777), Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.longs(), deleted).as(FileSpec::new);
    }

    /** Generic files, or with {@code withOpenFiles} also the host's own (about one in three). */
    private static Arbitrary<Object> anyFiles(GenConfig c) {
        Arbitrary<Object> generic = fileSpecs(c).map(f -> (Object) f);
        if (c.openFiles() == null) {
            return generic;
        }
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(2, generic),
                net.jqwik.api.Tuple.of(1, c.openFiles().map(f -> (Object) f)));
    }

    private static Arbitrary<PageSpec> pageSpecs(GenConfig c) {
        List<Generators.PagePattern> allowed = c.pagePatterns().stream().sorted().toList();
        return Combinators.combine(Arbitraries.of(allowed), Arbitraries.integers().between(0, 1 << 20),
                Arbitraries.of(false, true),
                Arbitraries.integers().between(0, 5).map(i -> i == 5)).as(PageSpec::new);
    }

    private static Arbitrary<VmaSpec> vmaSpecs(GenConfig c) {
        int maxPages = Math.min(c.maxPagesPerArea(), 3 * c.maxSize() + 1);
        Arbitrary<Integer> file = c.files() ? Arbitraries.integers().between(0, 1 << 10).injectNull(0.67)
                : Arbitraries.just(null);
        return Combinators.combine(Arbitraries.integers().between(0, 3),
                pageSpecs(c).list().ofMinSize(1).ofMaxSize(maxPages),
                Arbitraries.integers().between(0, 7), Arbitraries.integers().between(0, 3).map(i -> i == 3),
                Arbitraries.of(false, true), file, Arbitraries.integers().between(0, 999), Arbitraries.of(false, true))
                .as(VmaSpec::new);
    }

    private static Arbitrary<MmSpec> mmSpecs(GenConfig c) {
        int maxVmas = Math.min(c.maxVmas(), c.maxSize() + 1);
        return Combinators.combine(Arbitraries.integers().between(0, 15), vmaSpecs(c).list().ofMaxSize(maxVmas),
                Arbitraries.integers().between(0, 1000).list().ofSize(13), Arbitraries.longs()).as(MmSpec::new);
    }

    private static Arbitrary<List<EntrySpec>> tableSpecs() {
        Arbitrary<Integer> gap = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(9, Arbitraries.integers().between(0, 2)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(3, 5000)));
        return Combinators.combine(gap, Arbitraries.of(false, true), Arbitraries.integers().between(0, 1 << 10))
                .as(EntrySpec::new).list().ofMaxSize(5);
    }

    private static Arbitrary<TaskSpec> taskSpecs() {
        Arbitrary<Identity> id = Combinators.combine(Arbitraries.of(false, true),
                Arbitraries.of(TaskState.RUNNING, TaskState.INTERRUPTIBLE, TaskState.UNINTERRUPTIBLE,
                        TaskState.STOPPED, TaskState.TRACED),
                Arbitraries.frequency(net.jqwik.api.Tuple.of(7, ExitState.NONE), net.jqwik.api.Tuple.of(1, ExitState.ZOMBIE)),
                Arbitraries.integers(), Arbitraries.integers().between(0, 64), Arbitraries.of(COMMS))
                .as(Identity::new);
        Arbitrary<Duration> start = Combinators.combine(Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.integers().between(0, 999_999_999)).as(Duration::ofSeconds);
        Arbitrary<Duration> realStart = Combinators.combine(Arbitraries.longs().between(0, 1L << 30),
                Arbitraries.integers().between(0, 999_999_999)).as(Duration::ofSeconds);
        Arbitrary<Accounting> acct = Combinators.combine(Arbitraries.longs().list().ofSize(9), start, realStart)
                .as(Accounting::new);
        Arbitrary<Integer> ref = Arbitraries.integers().between(0, 1).injectNull(1.0 / 6);
        return Combinators.combine(id, acct, ref, ref).as(TaskSpec::new);
    }

    static Arbitrary<List<Task>> taskSets(GenConfig c) {
        Arbitrary<List<Object>> files = c.files() ? anyFiles(c).list().ofMaxSize(c.maxSize() + 1)
                : Arbitraries.just(List.of());
        int pools = c.sharing() ? 2 : c.maxTasks();
        Arbitrary<List<MmSpec>> mms = mmSpecs(c).list().ofMinSize(1).ofMaxSize(pools);
        Arbitrary<List<List<EntrySpec>>> tables = tableSpecs().list().ofMinSize(1).ofMaxSize(pools);
        Arbitrary<List<TaskSpec>> tasks = taskSpecs().list().ofMinSize(1).ofMaxSize(c.maxTasks());
        Arbitrary<List<CpuState>> cpus = c.cpus().map(x -> (CpuState) x).list().ofSize(c.maxTasks());
        Arbitrary<List<Holders>> ext = c.extensions() == null || c.maxExtensions() == 0 ? Arbitraries.just(List.of())
                : Combinators.combine(c.extensions().map(o -> (Object) o),
                        Arbitraries.integers().between(0, c.maxTasks() - 1).list().ofMinSize(1)
                                .ofMaxSize(c.sharing() ? 2 : 1)).as(Holders::new).list().ofMaxSize(c.maxExtensions());
        // Edge cases of a whole task set are a cartesian product of thousands; shrinking reaches
        // the small sets they would give.
        return Combinators.combine(files, mms, tables, tasks, cpus, ext).as(SetSpec::new)
                .map(s -> new Builder(c, s).tasks()).withoutEdgeCases();
    }

    static Arbitrary<AddressSpace> addressSpaces(GenConfig c) {
        Arbitrary<List<Object>> files = c.files() ? anyFiles(c).list().ofMaxSize(c.maxSize() + 1)
                : Arbitraries.just(List.of());
        return Combinators.combine(files, mmSpecs(c)).as((f, m) -> new Builder(c, new SetSpec(f, List.of(m),
                List.of(), List.of(), List.of(), List.of())).mm(m)).withoutEdgeCases();
    }

    static Arbitrary<FileTable> fileTables(GenConfig c) {
        GenConfig withFiles = c.withFiles(true);
        return Combinators.combine(anyFiles(withFiles).list().ofMinSize(1).ofMaxSize(Math.max(1, c.maxSize())),
                tableSpecs()).as((f, t) -> new Builder(withFiles, new SetSpec(f, List.of(), List.of(t), List.of(),
                List.of(), List.of())).table(t)).withoutEdgeCases();
    }

    // ---- building and sharing ------------------------------------------------------------------

    /** Builds one set: each pool element once, references resolved as the config's sharing says. */
    private static final class Builder {
        private final GenConfig c;
        private final SetSpec s;
        private final List<OpenFile> files = new ArrayList<>();
        private int nextUnshared;

        Builder(GenConfig c, SetSpec s) {
            this.c = c;
            this.s = s;
            for (Object f : s.files()) {
                files.add(f instanceof FileSpec spec ? spec.build() : (OpenFile) f);
            }
        }

        /** With sharing, pool element {@code index} (mod size); without, the next one not used yet (or none). */
        private OpenFile file(int index) {
            if (files.isEmpty()) {
                return null;
            }
            if (c.sharing()) {
                return files.get(index % files.size());
            }
            return nextUnshared < files.size() ? files.get(nextUnshared++) : null;
        }

        List<Task> tasks() {
            int n = s.tasks().size();
            List<AddressSpace> mms = new ArrayList<>();
            for (MmSpec m : s.mms()) {
                mms.add(mm(m));
            }
            List<FileTable> tables = new ArrayList<>();
            for (List<EntrySpec> t : s.tables()) {
                tables.add(table(t));
            }
            List<List<Object>> ext = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ext.add(new ArrayList<>());
            }
            for (Holders h : s.extensions()) {
                for (int t : h.tasks()) {
                    ext.get(t % n).add(h.object());
                }
            }
            List<Task> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                TaskSpec t = s.tasks().get(i);
                Identity id = t.id();
                List<Long> k = t.acct().counters();
                Task.Builder b = Task.builder().pid(1000 + i).tgid(id.ownTgid() ? 1000 + i : 1000)
                        .state(id.state()).exitState(id.exitState()).exitCode(id.exitCode())
                        .exitSignal(id.exitSignal()).comm(id.comm())
                        .utime(k.get(0)).stime(k.get(1)).utimescaled(k.get(2)).stimescaled(k.get(3)).gtime(k.get(4))
                        .nvcsw(k.get(5)).nivcsw(k.get(6)).minFlt(k.get(7)).majFlt(k.get(8))
                        .startTime(t.acct().startTime()).realStartTime(t.acct().realStartTime());
                b.mm(pick(mms, t.mm(), i)).files(pick(tables, t.files(), i));
                out.add(b.cpu(i < s.cpus().size() ? s.cpus().get(i) : null).extensions(ext.get(i)).build());
            }
            return out;
        }

        /** With sharing one of the pool; without, the task's own (pool element {@code task}), or none. */
        private <T> T pick(List<T> pool, Integer ref, int task) {
            if (ref == null || pool.isEmpty()) {
                return null;
            }
            if (c.sharing()) {
                return pool.get(ref % pool.size());
            }
            return task < pool.size() ? pool.get(task) : null;
        }

        AddressSpace mm(MmSpec m) {
            List<Vma> vmas = new ArrayList<>();
            long at = BASE + PAGE * (long) m.firstPage();
            for (int i = 0; i < m.vmas().size(); i++) {
                VmaSpec v = m.vmas().get(i);
                at += PAGE * (long) v.gapPages();
                int pages = v.pages().size();
                long end = at + (long) pages * PAGE;
                OpenFile file = v.file() == null ? null : file(v.file());
                int flags = (v.shared() ? Vma.SHARED : 0)
                        | (i == m.vmas().size() - 1 && v.stack() ? Vma.GROWSDOWN | Vma.STACK : 0);
                vmas.add(new Vma(at, end, v.prot(), flags, file != null ? v.pgoff() : 0, file, pages(at, v)));
                at = end;
            }
            long top = at;
            List<Integer> f = m.layout();
            long[] l = new long[11];
            for (int i = 0; i < l.length; i += 2) {
                long a = BASE + (top - BASE) * f.get(i) / 1000;
                l[i] = a;
                if (i + 1 < l.length) {
                    l[i + 1] = a + (top - a) * f.get(i + 1) / 1000;
                }
            }
            // layout pairs: code, data, brk, (start_stack alone), arg, env
            return new AddressSpace(l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7], l[7] + f.get(11) % 64, l[9],
                    l[9] + f.get(12) % 64, m.flags(), vmas);
        }

        FileTable table(List<EntrySpec> t) {
            List<FileTable.Entry> entries = new ArrayList<>();
            int fd = 0;
            for (EntrySpec e : t) {
                fd += e.gap();
                OpenFile f = file(e.file());
                if (f != null) {
                    entries.add(new FileTable.Entry(fd, f, e.cloexec()));
                }
                fd++;
            }
            return new FileTable(entries);
        }

        private static PageData pages(long start, VmaSpec v) {
            int n = v.pages().size();
            ByteBuffer mem = v.direct() ? ByteBuffer.allocateDirect(n * PAGE) : ByteBuffer.allocate(n * PAGE);
            for (int p = 0; p < n; p++) {
                PageSpec s = v.pages().get(p);
                int base = p * PAGE;
                switch (s.pattern()) {
                    case RANDOM -> {
                        SplittableRandom rnd = new SplittableRandom(s.seed());
                        for (int i = 0; i < PAGE; i++) {
                            mem.put(base + i, (byte) rnd.nextInt());
                        }
                    }
                    case REPEATED -> {
                        byte b = (byte) (1 + s.seed() % 255);
                        for (int i = 0; i < PAGE; i++) {
                            mem.put(base + i, b);
                        }
                    }
                    case PARTIAL -> mem.put(base + s.seed() % PAGE, (byte) (1 + s.seed() % 255));
                    default -> {
                    }
                }
            }
            PageData.Builder b = PageData.builder();
            int p = 0;
            while (p < n) {
                if (v.pages().get(p).pattern() == Generators.PagePattern.ABSENT) {
                    p++;
                    continue;
                }
                int q = p + 1;
                while (q < n && v.pages().get(q).pattern() != Generators.PagePattern.ABSENT
                        && !v.pages().get(q).newRun()) {
                    q++;
                }
                ByteBuffer run = mem.duplicate().limit(q * PAGE).position(p * PAGE).slice();
                if (v.pages().get(p).clean()) {
                    b.cleanRun(start + (long) p * PAGE, run);
                } else {
                    b.run(start + (long) p * PAGE, run);
                }
                p = q;
            }
            return b.build();
        }
    }
}
