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
 * jqwik generators for the task model. Addresses stay below 0x7000_0000 so that
 * generated tasks are valid on every architecture (32-bit ones included); page
 * size 4096. Everything is derived from a seed so counterexamples shrink by
 * shrinking sizes and seeds.
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
        return taskSets(Arbitraries.just(null));
    }

    /** Sets of 1–4 tasks whose CPU states come from {@code cpus} ({@code null} elements mean no CPU state). */
    public static Arbitrary<List<Task>> taskSets(Arbitrary<? extends CpuState> cpus) {
        Arbitrary<Long> seeds = Arbitraries.longs();
        Arbitrary<Integer> taskCount = Arbitraries.integers().between(1, 4);
        Arbitrary<Integer> size = Arbitraries.integers().between(0, 6);
        Arbitrary<List<CpuState>> cpuList = cpus.map(c -> (CpuState) c).list().ofSize(4);
        return Combinators.combine(seeds, taskCount, size, cpuList).as(Generators::build);
    }

    /** One task without CPU state. */
    public static Arbitrary<Task> tasks() {
        return taskSets().map(l -> l.get(0));
    }

    /** Builds a deterministic task set from a seed; {@code size} scales the number of areas, pages and files. */
    public static List<Task> build(long seed, int taskCount, int size, List<CpuState> cpus) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<OpenFile> files = new ArrayList<>();
        int fileCount = size == 0 ? 0 : 1 + rnd.nextInt(size + 1);
        for (int i = 0; i < fileCount; i++) {
            files.add(file(rnd, i));
        }
        int mmCount = 1 + rnd.nextInt(Math.min(taskCount, 2));
        List<AddressSpace> mms = new ArrayList<>();
        for (int i = 0; i < mmCount; i++) {
            mms.add(addressSpace(rnd, size, files));
        }
        int tableCount = 1 + rnd.nextInt(Math.min(taskCount, 2));
        List<FileTable> tables = new ArrayList<>();
        for (int i = 0; i < tableCount; i++) {
            tables.add(fileTable(rnd, files));
        }
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < taskCount; i++) {
            tasks.add(Task.builder()
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
                    .comm(comm(rnd))
                    .mm(rnd.nextInt(6) == 0 ? null : mms.get(rnd.nextInt(mms.size())))
                    .files(rnd.nextInt(6) == 0 ? null : tables.get(rnd.nextInt(tables.size())))
                    .cpu(i < cpus.size() ? cpus.get(i) : null)
                    .build());
        }
        return tasks;
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom rnd, T... options) {
        return options[rnd.nextInt(options.length)];
    }

    private static String comm(SplittableRandom rnd) {
        String[] names = {"", "sh", "cat", "java", "kworker/0:1", "ünïcödé", "a-fifteen-chars"};
        return names[rnd.nextInt(names.length)];
    }

    private static GenericFile file(SplittableRandom rnd, int i) {
        FileKind kind = rnd.nextInt(4) == 0 ? FileKind.DIRECTORY : FileKind.REGULAR;
        String path = "/data/dir" + rnd.nextInt(3) + "/file-" + i + (rnd.nextBoolean() ? "" : "/x y");
        int flags = rnd.nextInt() & GenericFile.FLAGS_MASK & ~3 | rnd.nextInt(3);
        int mode = (kind == FileKind.DIRECTORY ? 0040000 : 0100000) | rnd.nextInt(01000);
        ByteBuffer deleted = null;
        if (kind == FileKind.REGULAR && rnd.nextInt(4) == 0) {
            byte[] content = new byte[rnd.nextInt(3 * 4096)];
            rnd.nextBytes(content);
            deleted = ByteBuffer.wrap(content);
        }
        return new GenericFile(kind, path, flags, mode, rnd.nextLong(0, Long.MAX_VALUE), rnd.nextLong(), deleted);
    }

    private static FileTable fileTable(SplittableRandom rnd, List<OpenFile> files) {
        List<FileTable.Entry> entries = new ArrayList<>();
        if (files.isEmpty()) {
            return new FileTable(entries);
        }
        int fd = rnd.nextInt(3);
        int n = rnd.nextInt(6);
        for (int i = 0; i < n; i++) {
            entries.add(new FileTable.Entry(fd, files.get(rnd.nextInt(files.size())), rnd.nextBoolean()));
            fd += 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 5000 : 3);
        }
        return new FileTable(entries);
    }

    private static AddressSpace addressSpace(SplittableRandom rnd, int size, List<OpenFile> files) {
        List<Vma> vmas = new ArrayList<>();
        long at = BASE + PAGE * (long) rnd.nextInt(16);
        int n = rnd.nextInt(size + 2);
        for (int i = 0; i < n; i++) {
            int pages = 1 + rnd.nextInt(1 + size * 3);
            long start = at;
            long end = start + (long) pages * PAGE;
            int prot = rnd.nextInt(8);
            OpenFile file = !files.isEmpty() && rnd.nextInt(3) == 0 ? files.get(rnd.nextInt(files.size())) : null;
            int flags = (rnd.nextInt(4) == 0 ? Vma.SHARED : 0) | (i == n - 1 && rnd.nextBoolean()
                    ? Vma.GROWSDOWN | Vma.STACK : 0);
            vmas.add(new Vma(start, end, prot, flags, file != null ? rnd.nextInt(1000) : 0, file,
                    pages(rnd, start, pages)));
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

    /** Page contents with every pattern, held in heap arrays or direct buffers, some runs reported clean. */
    static PageData pages(SplittableRandom rnd, long start, int pages) {
        boolean direct = rnd.nextBoolean();
        ByteBuffer mem = direct ? ByteBuffer.allocateDirect(pages * PAGE) : ByteBuffer.allocate(pages * PAGE);
        boolean[] present = new boolean[pages];
        PagePattern[] all = PagePattern.values();
        for (int p = 0; p < pages; p++) {
            PagePattern pat = all[rnd.nextInt(all.length)];
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
