package org.ckpt.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ckpt.arch.x86.X86DebugRegs;
import org.ckpt.arch.x86.FxSave;
import org.ckpt.arch.x86.X86_64Regs;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.OpenFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/**
 * The generated, seeded workloads of issue 3. The host's memory is held as a heap
 * array per area, zero pages included, as an emulator would hold guest RAM; the
 * {@link #runs} list keeps the non-zero page runs for the raw baselines.
 */
public final class Workload {
    public static final int PAGE = 4096;
    public static final long SEED = 0x5EED_C4B7L;
    private static final byte[] TEXT = ("The quick brown fox jumps over the lazy dog; checkpoint/restart keeps "
            + "every page it has to and not one more. ").getBytes(StandardCharsets.US_ASCII);

    /** A run of consecutive non-zero pages: what any format must write at least. */
    public record Run(long address, ByteBuffer bytes) {
    }

    public final String name;
    public final String description;
    public final List<Task> tasks;
    public final List<Run> runs;
    public final long nonZeroBytes;

    private Workload(String name, String description, List<Task> tasks, List<Run> runs) {
        this.name = name;
        this.description = description;
        this.tasks = List.copyOf(tasks);
        this.runs = List.copyOf(runs);
        long n = 0;
        for (Run r : runs) {
            n += r.bytes.remaining();
        }
        this.nonZeroBytes = n;
    }

    public static final List<String> NAMES = List.of("mem-1g", "many-small", "sparse-8g");

    public static Workload named(String name) {
        return switch (name) {
            case "mem-1g" -> mem1g();
            case "many-small" -> manySmall();
            case "sparse-8g" -> sparse8g();
            default -> throw new IllegalArgumentException("unknown workload " + name + ", known: " + NAMES);
        };
    }

    /** One task, 1 GiB in 32 areas of 32 MiB; pages zero 1/2, random 1/4, repeated text 1/4, in clusters of 1–64 pages; 12 open files. */
    static Workload mem1g() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        List<Vma> vmas = new ArrayList<>();
        List<Run> runs = new ArrayList<>();
        long base = 0x10_0000_0000L;
        int areaPages = (32 << 20) / PAGE;
        List<GenericFile> files = openFiles(12);
        for (int a = 0; a < 32; a++) {
            long start = base + (long) a * (64L << 20);
            byte[] mem = new byte[areaPages * PAGE];
            int p = 0;
            while (p < areaPages) {
                int cluster = Math.min(areaPages - p, 1 + rnd.nextInt(64));
                int kind = rnd.nextInt(4);
                for (int i = p; i < p + cluster; i++) {
                    fill(mem, i, kind == 0 || kind == 1 ? 0 : kind, rnd);
                }
                p += cluster;
            }
            collectRuns(start, mem, runs);
            vmas.add(Vma.anonymous(start, start + mem.length, PageData.of(start, mem)));
        }
        Task t = task(1000, "mem-1g", AddressSpace.of(vmas), table(files, 0, 12));
        return new Workload("mem-1g", "1 task, 1 GiB in 32 areas of 32 MiB; pages in clusters of 1-64: "
                + "1/2 zero, 1/4 random, 1/4 repeated text; 12 open files", List.of(t), runs);
    }

    /** 2,000 tasks of 64 KiB: 8 clean text pages and 8 heap pages, 3/4 non-zero; file tables shared by 8 tasks. */
    static Workload manySmall() {
        SplittableRandom rnd = new SplittableRandom(SEED + 1);
        List<Task> tasks = new ArrayList<>();
        List<Run> runs = new ArrayList<>();
        List<GenericFile> files = openFiles(64);
        FileTable table = null;
        for (int i = 0; i < 2000; i++) {
            if (i % 8 == 0) {
                int group = (i / 32) % 16;
                table = table(files, group * 4, 4);
            }
            long start = 0x40_0000L;
            byte[] mem = new byte[16 * PAGE];
            for (int p = 0; p < 16; p++) {
                fill(mem, p, p % 4 == 3 ? 0 : 2 + p % 2, rnd);
            }
            // Text pages are the executable's, clean: no format writes them, so the floor omits them too.
            collectRuns(start + 8 * PAGE, java.util.Arrays.copyOfRange(mem, 8 * PAGE, 16 * PAGE), runs);
            Vma text = new Vma(start, start + 8 * PAGE, Vma.PROT_READ | Vma.PROT_EXEC, 0, 0, files.get(i % 64),
                    PageData.builder().cleanRun(start, ByteBuffer.wrap(mem, 0, 8 * PAGE)).build());
            Vma heap = Vma.anonymous(start + 8 * PAGE, start + 16 * PAGE,
                    PageData.of(start + 8 * PAGE, ByteBuffer.wrap(mem, 8 * PAGE, 8 * PAGE)));
            tasks.add(task(2000 + i, "small-" + i, AddressSpace.of(List.of(text, heap)), table));
        }
        return new Workload("many-small", "2,000 tasks of 64 KiB: 32 KiB clean file-backed text, 32 KiB heap "
                + "(6 of 8 pages non-zero); file tables shared by 8 tasks, each of 4 files shared by 8 tables",
                tasks, runs);
    }

    /** 8 GiB of address space in 16 areas of 512 MiB, 1 % of pages present in clusters of 1–8, none zero. */
    static Workload sparse8g() {
        SplittableRandom rnd = new SplittableRandom(SEED + 2);
        List<Vma> vmas = new ArrayList<>();
        List<Run> runs = new ArrayList<>();
        long areaBytes = 512L << 20;
        long areaPages = areaBytes / PAGE;
        for (int a = 0; a < 16; a++) {
            long start = 0x20_0000_0000L + a * (1L << 30);
            PageData.Builder pages = PageData.builder();
            long p = rnd.nextLong(400);
            while (p < areaPages) {
                int cluster = (int) Math.min(areaPages - p, 1 + rnd.nextInt(8));
                byte[] mem = new byte[cluster * PAGE];
                for (int i = 0; i < cluster; i++) {
                    fill(mem, i, 2 + rnd.nextInt(2), rnd);
                }
                long address = start + p * PAGE;
                pages.run(address, ByteBuffer.wrap(mem));
                runs.add(new Run(address, ByteBuffer.wrap(mem).asReadOnlyBuffer()));
                p += cluster + rnd.nextLong(1, 792);  // mean gap ~396 pages after ~4.5 present: ~1 %
            }
            vmas.add(Vma.anonymous(start, start + areaBytes, pages.build()));
        }
        Task t = task(3000, "sparse-8g", AddressSpace.of(vmas), table(openFiles(4), 0, 4));
        return new Workload("sparse-8g", "1 task, 8 GiB in 16 areas of 512 MiB, ~1% of pages present in "
                + "clusters of 1-8 (random or text)", List.of(t), runs);
    }

    /** kind 0/1: zero, 2: random, 3: repeated text. */
    private static void fill(byte[] mem, int page, int kind, SplittableRandom rnd) {
        int off = page * PAGE;
        if (kind == 2) {
            for (int i = 0; i < PAGE; i += 8) {
                long v = rnd.nextLong();
                for (int b = 0; b < 8; b++) {
                    mem[off + i + b] = (byte) (v >>> (8 * b));
                }
            }
        } else if (kind == 3) {
            int shift = rnd.nextInt(TEXT.length);
            for (int i = 0; i < PAGE; i++) {
                mem[off + i] = TEXT[(i + shift) % TEXT.length];
            }
        }
    }

    private static void collectRuns(long start, byte[] mem, List<Run> runs) {
        int pages = mem.length / PAGE;
        byte[] zero = new byte[PAGE];
        int runStart = -1;
        for (int p = 0; p <= pages; p++) {
            boolean z = p == pages || java.util.Arrays.equals(mem, p * PAGE, (p + 1) * PAGE, zero, 0, PAGE);
            if (!z && runStart < 0) {
                runStart = p;
            } else if (z && runStart >= 0) {
                runs.add(new Run(start + (long) runStart * PAGE,
                        ByteBuffer.wrap(mem, runStart * PAGE, (p - runStart) * PAGE).slice().asReadOnlyBuffer()));
                runStart = -1;
            }
        }
    }

    private static List<GenericFile> openFiles(int n) {
        List<GenericFile> files = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            files.add(GenericFile.open(FileKind.REGULAR, "/srv/app/data-" + i + ".log", 02001, 0100644, 4096L * i));
        }
        return files;
    }

    private static FileTable table(List<GenericFile> files, int from, int count) {
        List<FileTable.Entry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            OpenFile f = files.get(from + i);
            entries.add(new FileTable.Entry(i + 3, f, i % 2 == 0));
        }
        return new FileTable(entries);
    }

    private static Task task(int pid, String comm, AddressSpace mm, FileTable files) {
        long[] regs = new long[X86_64Regs.WORDS];
        for (int i = 0; i < regs.length; i++) {
            regs[i] = pid * 31L + i;
        }
        regs[16] = 0x40_1000L;
        regs[17] = 0x33;
        regs[18] = 0x202;
        regs[19] = 0x7fff_0000_0000L;
        regs[20] = 0x2b;
        regs[23] = 0;
        regs[24] = 0;
        regs[25] = 0;
        regs[26] = 0;
        X86_64State cpu = new X86_64State(X86_64Regs.fromArray(regs), FxSave.initial(), null, X86DebugRegs.NONE);
        return Task.builder().pid(pid).tgid(pid).comm(comm.length() > 16 ? comm.substring(0, 16) : comm)
                .mm(mm).files(files).cpu(cpu).build();
    }
}
