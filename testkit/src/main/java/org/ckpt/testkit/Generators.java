package org.ckpt.testkit;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import net.jqwik.api.Arbitrary;
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
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CpuState;
import org.ckpt.testkit.arch.PowerPcStates;
import org.ckpt.testkit.arch.X86States;

/**
 * jqwik generators for the task model. Addresses stay below 0x7000_0000 so that
 * generated tasks are valid on every architecture (32-bit ones included); page
 * size 4096.
 *
 * <p>The arbitraries are built from jqwik combinators field by field: every field of a
 * task, an area, a page, a file and a descriptor shrinks on its own toward a small value
 * (0, the first constant, an empty list), and shared objects are referenced through indices
 * into pools, so a failing set shrinks to a small, readable one — typically one task with
 * one small area and at most one file. Samples print compactly (one line per area and file,
 * only fields that differ from their defaults).
 *
 * <p>{@link #build} derives a set from a seed instead (the golden images depend on its exact
 * output); it does not shrink.
 *
 * @since 0.1 (evolving)
 */
public final class Generators {
    public static final int PAGE = 4096;
    private static final long BASE = 0x10000L;

    private Generators() {
    }

    /** How a generated page is filled. */
    public enum PagePattern { ZERO, RANDOM, REPEATED, PARTIAL, ABSENT }

    /** Sets of 1–4 tasks sharing address spaces, file tables and files, without CPU state. */
    public static Arbitrary<List<Task>> taskSets() {
        return taskSets(GenConfig.DEFAULT);
    }

    /** Sets of 1–4 tasks whose CPU states come from {@code cpus} ({@code null} elements mean no CPU state). */
    public static Arbitrary<List<Task>> taskSets(Arbitrary<? extends CpuState> cpus) {
        return taskSets(GenConfig.DEFAULT.withCpus(cpus));
    }

    /**
     * Task sets as {@code config} says: tasks, their address spaces, file tables, files,
     * CPU states and extension objects, every field shrinking on its own; a failing set
     * shrinks to a small one (typically one task with at most one small area and one file).
     */
    public static Arbitrary<List<Task>> taskSets(GenConfig config) {
        return ModelArbitraries.taskSets(config);
    }

    /** One task without CPU state. */
    public static Arbitrary<Task> tasks() {
        return taskSets().map(l -> l.get(0));
    }

    /** One task as {@code config} says (the first of a generated set, so it may share with nothing). */
    public static Arbitrary<Task> tasks(GenConfig config) {
        return taskSets(config.withMaxTasks(1)).map(l -> l.get(0));
    }

    /** Address spaces with areas, page patterns and file-backed areas, as {@code config} says. */
    public static Arbitrary<AddressSpace> addressSpaces(GenConfig config) {
        return ModelArbitraries.addressSpaces(config);
    }

    /** File tables whose descriptors refer to generated open files (shared between descriptors if sharing is on). */
    public static Arbitrary<FileTable> fileTables(GenConfig config) {
        return ModelArbitraries.fileTables(config);
    }

    /** Regular files and directories opened by path, some deleted with contents (if the config allows). */
    public static Arbitrary<GenericFile> genericFiles(GenConfig config) {
        return ModelArbitraries.genericFiles(config);
    }

    /**
     * Valid CPU states of {@code architecture}, for the architectures whose provider is on
     * the class path and for which the testkit has generators ({@link #cpuArchitectures()}).
     *
     * @throws IllegalArgumentException for any other architecture
     */
    public static Arbitrary<CpuState> cpuStates(String architecture) {
        if (!cpuArchitectures().contains(architecture)) {
            throw new IllegalArgumentException("no CPU state generator for '" + architecture + "' (have: "
                    + cpuArchitectures() + ")");
        }
        Arbitrary<CpuState> states = switch (architecture) {
            case "x86_64", "i386" -> X86States.cpu(architecture).map(c -> (CpuState) c);
            default -> PowerPcStates.cpu(architecture).map(c -> (CpuState) c);
        };
        // Enumerating edge cases of whole register files costs seconds per property; the
        // generators aim at the boundaries the check phases draw by themselves.
        return states.withoutEdgeCases();
    }

    /** Architectures with an {@link ArchProvider} on the class path that the testkit generates states for. */
    public static Set<String> cpuArchitectures() {
        Set<String> out = new TreeSet<>();
        for (ArchProvider p : ServiceLoader.load(ArchProvider.class, Generators.class.getClassLoader())) {
            for (String a : p.architectures()) {
                if (GENERATED.contains(a)) {
                    out.add(a);
                }
            }
        }
        return out;
    }

    private static final Set<String> GENERATED = Set.of("i386", "x86_64", "ppc32", "ppc64");

    /**
     * Builds a deterministic task set from a seed (no shrinking; for fixtures such as the
     * golden images); {@code size} scales the number of areas, pages and files.
     */
    public static List<Task> build(long seed, int taskCount, int size, List<CpuState> cpus) {
        Objects.requireNonNull(cpus, "cpus");
        return build(seed, taskCount, size, cpus, List.of(), GenConfig.DEFAULT);
    }

    /**
     * As {@link #build(long, int, int, List)} under {@code config}, handing the objects of
     * {@code extensions} to the tasks. Under {@link GenConfig#DEFAULT} without extensions
     * the result is exactly that of the four-argument form (golden images depend on it).
     */
    public static List<Task> build(long seed, int taskCount, int size, List<CpuState> cpus, List<?> extensions,
                                   GenConfig config) {
        Objects.requireNonNull(cpus, "cpus");
        Objects.requireNonNull(extensions, "extensions");
        Objects.requireNonNull(config, "config");
        Build b = new Build(new SplittableRandom(seed), config);
        SplittableRandom rnd = b.rnd;
        b.files(size);
        boolean sharing = config.sharing();
        List<AddressSpace> mms = new ArrayList<>();
        List<FileTable> tables = new ArrayList<>();
        if (sharing) {
            int mmCount = 1 + rnd.nextInt(Math.min(taskCount, 2));
            for (int i = 0; i < mmCount; i++) {
                mms.add(b.addressSpace(size));
            }
            int tableCount = 1 + rnd.nextInt(Math.min(taskCount, 2));
            for (int i = 0; i < tableCount; i++) {
                tables.add(b.fileTable());
            }
        }
        List<List<Object>> ext = assignExtensions(seed, taskCount, extensions, sharing);
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < taskCount; i++) {
            Task.Builder t = Task.builder()
                    .pid(1000 + i).tgid(1000 + (rnd.nextBoolean() ? 0 : i))
                    .state(pick(rnd, TaskState.RUNNING, TaskState.INTERRUPTIBLE, TaskState.UNINTERRUPTIBLE,
                            TaskState.STOPPED, TaskState.TRACED))
                    .exitState(rnd.nextInt(8) == 0 ? ExitState.ZOMBIE : ExitState.NONE)
                    .exitCode(rnd.nextInt()).exitSignal(rnd.nextInt(65))
                    .utime(rnd.nextLong()).stime(rnd.nextLong()).utimescaled(rnd.nextLong())
                    .stimescaled(rnd.nextLong()).gtime(rnd.nextLong()).nvcsw(rnd.nextLong()).nivcsw(rnd.nextLong())
                    .startTime(Duration.ofSeconds(rnd.nextLong(0, Long.MAX_VALUE), rnd.nextInt(1_000_000_000)))
                    .realStartTime(Duration.ofSeconds(rnd.nextInt(1 << 30), rnd.nextInt(1_000_000_000)))
                    .minFlt(rnd.nextLong()).majFlt(rnd.nextLong())
                    .comm(comm(rnd));
            if (sharing) {
                t.mm(rnd.nextInt(6) == 0 ? null : mms.get(rnd.nextInt(mms.size())))
                        .files(rnd.nextInt(6) == 0 ? null : tables.get(rnd.nextInt(tables.size())));
            } else {
                t.mm(rnd.nextInt(6) == 0 ? null : b.addressSpace(size))
                        .files(rnd.nextInt(6) == 0 ? null : b.fileTable());
            }
            tasks.add(t.cpu(i < cpus.size() ? cpus.get(i) : null).extensions(ext.get(i)).build());
        }
        return tasks;
    }

    /** Hands the pool out from a random stream of its own, so the rest of the set does not depend on it. */
    private static List<List<Object>> assignExtensions(long seed, int taskCount, List<?> pool, boolean sharing) {
        List<List<Object>> out = new ArrayList<>();
        for (int i = 0; i < taskCount; i++) {
            out.add(new ArrayList<>());
        }
        SplittableRandom rnd = new SplittableRandom(~seed);
        for (Object o : pool) {
            if (sharing) {
                int holders = 1 + rnd.nextInt(2);
                for (int h = 0; h < holders; h++) {
                    out.get(rnd.nextInt(taskCount)).add(o);
                }
            } else {
                out.get(rnd.nextInt(taskCount)).add(o);
            }
        }
        return out;
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom rnd, T... options) {
        return options[rnd.nextInt(options.length)];
    }

    private static String comm(SplittableRandom rnd) {
        String[] names = {"", "sh", "cat", "java", "kworker/0:1", "ünïcödé", "a-fifteen-chars"};
        return names[rnd.nextInt(names.length)];
    }

    /** One generation run: the random stream, the config, and the files made so far. */
    private static final class Build {
        final SplittableRandom rnd;
        final GenConfig cfg;
        final List<OpenFile> files = new ArrayList<>();
        int fileCounter;

        Build(SplittableRandom rnd, GenConfig cfg) {
            this.rnd = rnd;
            this.cfg = cfg;
        }

        void files(int size) {
            if (!cfg.files()) {
                return;
            }
            int fileCount = size == 0 ? 0 : 1 + rnd.nextInt(size + 1);
            for (int i = 0; i < fileCount; i++) {
                files.add(file(fileCounter++));
            }
        }

        /** A file to refer to: one of the set's (sharing) or a new one of its own. */
        OpenFile pickFile() {
            return cfg.sharing() ? files.get(rnd.nextInt(files.size())) : file(fileCounter++);
        }

        GenericFile file(int i) {
            FileKind kind = rnd.nextInt(4) == 0 ? FileKind.DIRECTORY : FileKind.REGULAR;
            String path = "/data/dir" + rnd.nextInt(3) + "/file-" + i + (rnd.nextBoolean() ? "" : "/x y");
            int flags = rnd.nextInt() & GenericFile.FLAGS_MASK & ~3 | rnd.nextInt(3);
            int mode = (kind == FileKind.DIRECTORY ? 0040000 : 0100000) | rnd.nextInt(01000);
            ByteBuffer deleted = null;
            if (kind == FileKind.REGULAR && rnd.nextInt(4) == 0) {
                byte[] content = new byte[rnd.nextInt(3 * 4096)];
                rnd.nextBytes(content);
                deleted = cfg.deletedFiles() ? ByteBuffer.wrap(content) : null;
            }
            return new GenericFile(kind, path, flags, mode, rnd.nextLong(0, Long.MAX_VALUE), rnd.nextLong(),
                    deleted);
        }

        FileTable fileTable() {
            List<FileTable.Entry> entries = new ArrayList<>();
            if (files.isEmpty()) {
                return new FileTable(entries);
            }
            int fd = rnd.nextInt(3);
            int n = rnd.nextInt(6);
            for (int i = 0; i < n; i++) {
                entries.add(new FileTable.Entry(fd, pickFile(), rnd.nextBoolean()));
                fd += 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 5000 : 3);
            }
            return new FileTable(entries);
        }

        AddressSpace addressSpace(int size) {
            List<Vma> vmas = new ArrayList<>();
            long at = BASE + PAGE * (long) rnd.nextInt(16);
            int n = Math.min(rnd.nextInt(size + 2), cfg.maxVmas());
            for (int i = 0; i < n; i++) {
                int pages = Math.min(1 + rnd.nextInt(1 + size * 3), cfg.maxPagesPerArea());
                long start = at;
                long end = start + (long) pages * PAGE;
                int prot = rnd.nextInt(8);
                OpenFile file = !files.isEmpty() && rnd.nextInt(3) == 0 ? pickFile() : null;
                int flags = (rnd.nextInt(4) == 0 ? Vma.SHARED : 0) | (i == n - 1 && rnd.nextBoolean()
                        ? Vma.GROWSDOWN | Vma.STACK : 0);
                vmas.add(new Vma(start, end, prot, flags, file != null ? rnd.nextInt(1000) : 0, file,
                        pages(rnd, start, pages, cfg.pagePatterns())));
                at = end + PAGE * (long) rnd.nextInt(4);
            }
            long top = at;
            long[] l = new long[11];
            for (int i = 0; i < l.length; i += 2) {
                long a = BASE + (long) (rnd.nextDouble() * (top - BASE));
                long b = a + (long) (rnd.nextDouble() * (top - a));
                l[i] = a;
                if (i + 1 < l.length) {
                    l[i + 1] = b;
                }
            }
            // layout pairs: code, data, brk, (start_stack alone), arg, env
            return new AddressSpace(l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7], l[7] + rnd.nextInt(64), l[9],
                    l[9] + rnd.nextInt(64), rnd.nextLong(), vmas);
        }
    }

    /** Page contents with every pattern, held in heap arrays or direct buffers, some runs reported clean. */
    static PageData pages(SplittableRandom rnd, long start, int pages, Set<PagePattern> allowed) {
        boolean direct = rnd.nextBoolean();
        ByteBuffer mem = direct ? ByteBuffer.allocateDirect(pages * PAGE) : ByteBuffer.allocate(pages * PAGE);
        boolean[] present = new boolean[pages];
        PagePattern[] all = PagePattern.values();
        for (int p = 0; p < pages; p++) {
            PagePattern pat = all[rnd.nextInt(all.length)];
            if (!allowed.contains(pat)) {
                // Deterministic replacement keeps the rest of the stream stable.
                pat = allowed.stream().sorted().toList().get(pat.ordinal() % allowed.size());
            }
            present[p] = pat != PagePattern.ABSENT;
            int base = p * PAGE;
            switch (pat) {
                case RANDOM -> {
                    for (int i = 0; i < PAGE; i++) {
                        mem.put(base + i, (byte) rnd.nextInt());
                    }
                }
                case REPEATED -> {
                    byte v = (byte) (1 + rnd.nextInt(255));
                    for (int i = 0; i < PAGE; i++) {
                        mem.put(base + i, v);
                    }
                }
                case PARTIAL -> mem.put(base + rnd.nextInt(PAGE), (byte) (1 + rnd.nextInt(255)));
                default -> {
                }
            }
        }
        PageData.Builder b = PageData.builder();
        int p = 0;
        while (p < pages) {
            if (!present[p]) {
                p++;
                continue;
            }
            int q = p;
            while (q < pages && present[q] && (q == p || rnd.nextInt(5) != 0)) {
                q++;
            }
            ByteBuffer run = mem.duplicate().limit(q * PAGE).position(p * PAGE).slice();
            if (rnd.nextInt(6) == 0) {
                b.cleanRun(start + (long) p * PAGE, run);
            } else {
                b.run(start + (long) p * PAGE, run);
            }
            p = q;
        }
        return b.build();
    }
}
