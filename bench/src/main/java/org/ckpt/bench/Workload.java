package org.ckpt.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
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

    /**
     * One area as a checkpoint sees it: the host buffers it scans (every page the host
     * reports, zero pages included, clean file pages excluded) and the runs of non-zero
     * pages among them.
     */
    public record Area(List<ByteBuffer> scanned, List<Run> runs) {
    }

    public final String name;
    public final String description;
    public final List<Task> tasks;
    public final List<Area> areas;
    public final List<Run> runs;
    public final long nonZeroBytes;
    public final long scannedBytes;

    private Workload(String name, String description, List<Task> tasks) {
        this.name = name;
        this.description = description;
        this.tasks = List.copyOf(tasks);
        List<Area> areas = new ArrayList<>();
        Set<AddressSpace> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Task t : tasks) {
            if (t.mm() == null || !seen.add(t.mm())) {
                continue;
            }
            for (Vma v : t.mm().vmas()) {
                areas.add(area(v));
            }
        }
        this.areas = List.copyOf(areas);
        List<Run> runs = new ArrayList<>();
        long n = 0;
        long scanned = 0;
        for (Area a : areas) {
            runs.addAll(a.runs);
            for (Run r : a.runs) {
                n += r.bytes.remaining();
            }
            for (ByteBuffer b : a.scanned) {
                scanned += b.remaining();
            }
        }
        this.runs = List.copyOf(runs);
        this.nonZeroBytes = n;
        this.scannedBytes = scanned;
    }

    private static Area area(Vma v) {
        boolean privateFile = v.file() != null && !v.isShared();
        List<ByteBuffer> scanned = new ArrayList<>();
        List<Run> runs = new ArrayList<>();
        try {
            v.pages().forEachRun((address, bytes, clean) -> {
                if (clean && privateFile) {
                    return;  // the checkpoint skips these without reading them
                }
                scanned.add(bytes.duplicate());
                collectRuns(address, bytes, runs);
            });
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return new Area(List.copyOf(scanned), List.copyOf(runs));
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
            vmas.add(Vma.anonymous(start, start + mem.length, PageData.of(start, mem)));
        }
        Task t = task(1000, "mem-1g", AddressSpace.of(vmas), table(files, 0, 12));
        return new Workload("mem-1g", "1 task, 1 GiB in 32 areas of 32 MiB; pages in clusters of 1-64: "
                + "1/2 zero, 1/4 random, 1/4 repeated text; 12 open files", List.of(t));
    }

    /**
     * 500 tasks, each with an address space of its own in 16 small areas (1–48 pages, heap-like:
     * clusters of 1–8 pages, 3/10 zero, the rest random or text) and a file table of its own
     * with 64 descriptors: 0–2 shared by every task, 8 shared by the 10 tasks of a group (as a
     * parent's descriptors are inherited), 53 private — the object hash holds ~27,000 files.
     */
    static Workload manySmall() {
        SplittableRandom rnd = new SplittableRandom(SEED + 1);
        List<Task> tasks = new ArrayList<>();
        List<GenericFile> everyone = new ArrayList<>();
        everyone.add(GenericFile.open(FileKind.REGULAR, "/srv/app/input.fifo", 0, 0100644, 0));
        everyone.add(GenericFile.open(FileKind.REGULAR, "/var/log/app/out.log", 02001, 0100644, 1 << 20));
        everyone.add(GenericFile.open(FileKind.REGULAR, "/var/log/app/err.log", 02001, 0100644, 4096));
        List<GenericFile> group = List.of();
        for (int i = 0; i < 500; i++) {
            if (i % 10 == 0) {
                group = new ArrayList<>();
                for (int k = 0; k < 8; k++) {
                    group.add(GenericFile.open(FileKind.REGULAR, "/srv/app/group-" + i / 10 + "/shared-" + k + ".db",
                            02, 0100600, 8192L * k));
                }
            }
            List<FileTable.Entry> fds = new ArrayList<>();
            for (int fd = 0; fd < 64; fd++) {
                OpenFile f = fd < 3 ? everyone.get(fd) : fd < 11 ? group.get(fd - 3)
                        : GenericFile.open(FileKind.REGULAR, "/srv/app/worker-" + i + "/data-" + fd + ".log", 02001,
                                0100644, 512L * fd);
                fds.add(new FileTable.Entry(fd, f, fd >= 3 && fd % 2 == 0));
            }
            List<Vma> vmas = new ArrayList<>();
            long start = 0x40_0000L;
            for (int a = 0; a < 16; a++) {
                int pages = 1 + rnd.nextInt(48);
                byte[] mem = new byte[pages * PAGE];
                int p = 0;
                while (p < pages) {
                    int cluster = Math.min(pages - p, 1 + rnd.nextInt(8));
                    int roll = rnd.nextInt(20);
                    int kind = roll < 6 ? 0 : roll < 13 ? 2 : 3;
                    for (int k = p; k < p + cluster; k++) {
                        fill(mem, k, kind, rnd);
                    }
                    p += cluster;
                }
                vmas.add(Vma.anonymous(start, start + mem.length, PageData.of(start, mem)));
                start += mem.length + (1 + rnd.nextInt(16)) * (long) PAGE;  // a guard gap between areas
            }
            tasks.add(task(2000 + i, "worker-" + i, AddressSpace.of(vmas), new FileTable(fds)));
        }
        return new Workload("many-small", "500 tasks, each its own address space of 16 areas of 1-48 pages "
                + "(clusters of 1-8 pages: 3/10 zero, 7/20 random, 7/20 text) and its own 64-entry file table "
                + "(3 files shared by all, 8 by groups of 10 tasks, 53 private)", tasks);
    }

    /** 8 GiB of address space in 16 areas of 512 MiB, 1 % of pages present in clusters of 1–8, none zero. */
    static Workload sparse8g() {
        SplittableRandom rnd = new SplittableRandom(SEED + 2);
        List<Vma> vmas = new ArrayList<>();
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
                p += cluster + rnd.nextLong(1, 792);  // mean gap ~396 pages after ~4.5 present: ~1 %
            }
            vmas.add(Vma.anonymous(start, start + areaBytes, pages.build()));
        }
        Task t = task(3000, "sparse-8g", AddressSpace.of(vmas), table(openFiles(4), 0, 4));
        return new Workload("sparse-8g", "1 task, 8 GiB in 16 areas of 512 MiB, ~1% of pages present in "
                + "clusters of 1-8 (random or text)", List.of(t));
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

    private static void collectRuns(long start, ByteBuffer bytes, List<Run> runs) {
        int pages = bytes.remaining() / PAGE;
        int base = bytes.position();
        ByteBuffer zero = ByteBuffer.allocate(PAGE);
        int runStart = -1;
        for (int p = 0; p <= pages; p++) {
            boolean z = p == pages
                    || bytes.duplicate().position(base + p * PAGE).limit(base + (p + 1) * PAGE).mismatch(zero) < 0;
            if (!z && runStart < 0) {
                runStart = p;
            } else if (z && runStart >= 0) {
                runs.add(new Run(start + (long) runStart * PAGE,
                        bytes.duplicate().position(base + runStart * PAGE).limit(base + p * PAGE).slice()));
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
