package org.ckpt.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.ParentImage;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.PageRanges;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/**
 * The figures of issue 18 on the mem-1g workload: an incremental checkpoint with 1 % of the
 * pages dirtied, host-tracked (a dirty set) and by digest comparison, against a full checkpoint;
 * and the restart of a chain of 10 such images against the restart of one full image of the
 * final task. Each timing is the median of single-shot runs after warm-ups, images on local
 * disk, overwritten in place, dirty pages synced before each run (as {@link Runner} does).
 *
 * <pre>bench/run incr [--quick]</pre>
 */
public final class IncrBench {
    private static final int PAGE = Workload.PAGE;
    /** Warm-ups of every checkpoint figure, full and child, before it is timed (see {@link #child}). */
    private static final int CHILD_WARMUPS = 40;

    private IncrBench() {
    }

    /** One area of the workload: its start and the host array holding it. */
    private record Area(long start, byte[] mem) {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        int warm = quick ? 1 : 2;
        int runs = quick ? 3 : 7;
        PrintStream out = System.out;
        Path dir = BenchMain.dir().resolve("incr");
        Files.createDirectories(dir);
        clean(dir);

        String loadBefore = BenchMain.loadAverage();
        Workload w = Workload.named("mem-1g");
        Task task = w.tasks.get(0);
        List<Area> areas = new ArrayList<>();
        for (Vma v : task.mm().vmas()) {
            v.pages().forEachRun((address, bytes, clean) -> areas.add(new Area(address, bytes.array())));
        }
        long allPages = 0;
        List<long[]> nonZero = new ArrayList<>();
        byte[] zero = new byte[PAGE];
        for (int a = 0; a < areas.size(); a++) {
            byte[] m = areas.get(a).mem;
            for (int p = 0; p < m.length / PAGE; p++) {
                allPages++;
                if (!Arrays.equals(m, p * PAGE, (p + 1) * PAGE, zero, 0, PAGE)) {
                    nonZero.add(new long[] {a, p});
                }
            }
        }
        Checkpointer plain = Checkpointer.builder().architecture("x86_64").build();
        Checkpointer withDigests = Checkpointer.builder().architecture("x86_64").pageDigests(true).build();
        Path full = dir.resolve("full.ckpt");

        // --- full checkpoints (the denominators) -----------------------------------------------
        long[] fullBytes = new long[1];
        // As many warm-ups as a child gets (see child): numerator and denominator both compiled.
        double tFull = median(Math.max(warm, CHILD_WARMUPS), runs,
                () -> fullBytes[0] = write(plain, List.of(task), full).bytesWritten());
        double tFullDigests = median(Math.max(warm, CHILD_WARMUPS), runs,
                () -> write(withDigests, List.of(task), full).bytesWritten());
        CheckpointResult parentPlain = write(plain, List.of(task), dir.resolve("p-plain.ckpt"));
        CheckpointResult parentDigests = write(withDigests, List.of(task), dir.resolve("p-digests.ckpt"));

        // --- 1 % dirtied: of the pages the full image holds (A), of all pages (B) ----------------
        SplittableRandom rnd = new SplittableRandom(18);
        List<long[]> dirtyA = pick(nonZero, (int) Math.round(nonZero.size() * 0.01), rnd);
        List<long[]> everyPage = new ArrayList<>();
        for (int a = 0; a < areas.size(); a++) {
            for (int p = 0; p < areas.get(a).mem.length / PAGE; p++) {
                everyPage.add(new long[] {a, p});
            }
        }
        List<long[]> dirtyB = pick(everyPage, (int) Math.round(allPages * 0.01), rnd);

        Result hostA = child(parentPlain.asParent(), task, areas, dirtyA, true, dir, warm, runs, rnd);
        Result hostB = child(parentPlain.asParent(), task, areas, dirtyB, true, dir, warm, runs, rnd);
        Result digestA = child(parentDigests.asParent(), task, areas, dirtyA, false, dir, warm, runs, rnd);

        // --- the compute floor of the digest path: zero scan + XXH64 of every non-zero page ----
        double tFloor = median(warm, runs, () -> {
            long h = 0;
            ByteBuffer z = ByteBuffer.wrap(zero);
            for (Area a : areas) {
                ByteBuffer m = ByteBuffer.wrap(a.mem);
                for (int p = 0; p < a.mem.length / PAGE; p++) {
                    ByteBuffer page = m.duplicate().limit((p + 1) * PAGE).position(p * PAGE);
                    if (page.mismatch(z) >= 0) {
                        h += xxh64(page);
                    }
                }
            }
            return h;
        });
        double tHashOnly = median(warm, runs, () -> {
            long h = 0;
            for (long[] ap : nonZero) {
                byte[] m = areas.get((int) ap[0]).mem;
                h += xxh64(ByteBuffer.wrap(m, (int) ap[1] * PAGE, PAGE));
            }
            return h;
        });
        double nzMib = nonZero.size() * (double) PAGE / 1048576.0;

        // --- a chain of 10 children, host-tracked, 1 % (A) each; restart vs a full image -------
        clean(dir);
        CheckpointResult prev = write(plain, List.of(task), dir.resolve("chain-00.ckpt"));
        for (int i = 1; i <= 10; i++) {
            List<long[]> d = pick(nonZero, dirtyA.size(), rnd);
            Task t = dirty(task, areas, d, true, rnd);
            prev = write(Checkpointer.builder().architecture("x86_64").parent(prev.asParent()).build(), List.of(t),
                    dir.resolve(String.format("chain-%02d.ckpt", i)));
        }
        Path last = dir.resolve("chain-10.ckpt");
        Path fullLast = dir.resolve("final-full.ckpt");
        write(plain, List.of(task), fullLast);
        Restarter restarter = Restarter.builder().build();
        long[] chainBytes = new long[1];
        // Alternated, run for run, so that both see the same machine (it is shared; see the load).
        // 41 pairs in the full run: the pairs' own ratios spread from 0.6 to 3 on a noisy VM, and
        // with 15 the median moved by +-0.1 from run to run.
        int pairs = quick ? 2 * runs + 1 : 41;
        Pairs both = paired(warm, pairs, () -> chainBytes[0] = restarter.restart(last).bytesRead(),
                () -> restarter.restart(fullLast).bytesRead());
        double tChain = both.a()[both.a().length / 2];
        double tFullRestart = both.b()[both.b().length / 2];
        // The same two restarts into host memory (an emulator's guest RAM: a preallocated arena
        // reset before each), as bench/run's restart_vs_raw: fresh heap buffers cost the chain
        // its superseded pages' allocation and zeroing on top of the reading.
        Arena arena = new Arena(chainBytes[0] + (64 << 20));
        Runner.HostTarget host = new Runner.HostTarget(arena);
        Pairs hostBoth = paired(warm, pairs, () -> {
            arena.reset();
            return restarter.restart(last, host).bytesRead();
        }, () -> {
            arena.reset();
            return restarter.restart(fullLast, host).bytesRead();
        });
        double tChainHost = hostBoth.a()[hostBoth.a().length / 2];
        double tFullHost = hostBoth.b()[hostBoth.b().length / 2];
        // Where the chain's time goes: its restart at depth 0 (the full root alone), 1, 5 and 10.
        StringBuilder depths = new StringBuilder();
        for (int depth : new int[] {0, 1, 5, 10}) {
            Path image = dir.resolve(String.format("chain-%02d.ckpt", depth));
            double t = median(warm, 2 * runs + 1, () -> {
                arena.reset();
                return restarter.restart(image, host).bytesRead();
            });
            depths.append(String.format(Locale.ROOT, " depth %d %.1f ms;", depth, t));
        }
        clean(dir);

        out.println();
        out.println("ckpt incremental images (issue 18), mem-1g, " + (quick ? "quick" : "full") + ": "
                + warm + " warm-up (" + CHILD_WARMUPS + " for a checkpoint) + " + runs + " measured single shots per figure (" + pairs + " alternated pairs for a chain's restart), median");
        out.printf(Locale.ROOT, "   workload: %,d pages, %,d non-zero; full image %,d bytes%n", allPages,
                nonZero.size(), fullBytes[0]);
        out.printf(Locale.ROOT, "   full checkpoint                  %8.1f ms%n", tFull);
        out.printf(Locale.ROOT, "   full checkpoint with digests     %8.1f ms (x%.2f)%n", tFullDigests,
                tFullDigests / tFull);
        print(out, "host dirty set, 1% of non-zero pages", hostA, tFull, fullBytes[0]);
        print(out, "host dirty set, 1% of all pages", hostB, tFull, fullBytes[0]);
        print(out, "digest compare, 1% of non-zero pages", digestA, tFull, fullBytes[0]);
        out.printf(Locale.ROOT, "   digest floor: zero scan of %,d pages + XXH64 of %.0f MiB: %.1f ms (x%.2f of full);"
                + " XXH64 alone %.1f ms = %.0f MiB/s%n", allPages, nzMib, tFloor, tFloor / tFull, tHashOnly,
                nzMib / (tHashOnly / 1000));
        out.printf(Locale.ROOT, "   restart of a chain of 1 full + 10 incremental images (%,d bytes) %8.1f ms;"
                + " of one full image of the final task %8.1f ms (alternated; fastest %.1f and %.1f ms: x%.2f)%n",
                chainBytes[0], tChain, tFullRestart, both.a()[0], both.b()[0], both.a()[0] / both.b()[0]);
        out.printf(Locale.ROOT, "   ratios of the %d alternated pairs, sorted: %s; into host memory: %s%n",
                both.ratios().length, ratios(both.ratios()), ratios(hostBoth.ratios()));
        out.printf(Locale.ROOT, "   each pair's ratio (CpuShare's share/pipeline just before it: share 2.0 = two threads"
                + " run in parallel; pipeline above 1 = handing bytes to the other CPU pays), in the order run: %s;"
                + " into host memory: %s%n",
                both.inOrder(), hostBoth.inOrder());
        out.printf(Locale.ROOT, "   the same into host memory (a preallocated arena): chain %8.1f ms; full %8.1f ms"
                + " (fastest %.1f and %.1f ms: x%.2f)%n", tChainHost, tFullHost, hostBoth.a()[0], hostBoth.b()[0],
                hostBoth.a()[0] / hostBoth.b()[0]);
        out.println("   chain restarts into host memory by depth:" + depths);
        out.println("   load average (1, 5, 15 min) at the start " + loadBefore + ", at the end " + BenchMain.loadAverage());
        out.println();
        out.printf(Locale.ROOT, "RESULT incr_bytes_ratio=%.4f incr_time_ratio=%.4f incr_digest_time_ratio=%.3f "
                + "digest_floor_ratio=%.3f chain_restart_vs_full=%.2f chain_restart_vs_full_host=%.2f"
                + " incr_bytes_ratio_all_pages=%.4f chain_restart_vs_full_paired=%.2f"
                + " chain_restart_vs_full_host_paired=%.2f cpu_share=%.2f cpu_pipeline=%.2f%n",
                hostA.bytes / (double) fullBytes[0], hostA.millis / tFull, digestA.millis / tFull, tFloor / tFull,
                tChain / tFullRestart, tChainHost / tFullHost, hostB.bytes / (double) fullBytes[0],
                both.ratios()[both.ratios().length / 2], hostBoth.ratios()[hostBoth.ratios().length / 2],
                BenchMain.median(SHARES.stream().mapToDouble(Double::doubleValue).toArray()),
                BenchMain.median(PIPELINES.stream().mapToDouble(Double::doubleValue).toArray()));
    }

    private record Result(double millis, long bytes, long pagesWritten, long pagesFromParent) {
    }

    private static void print(PrintStream out, String what, Result r, double tFull, long fullBytes) {
        out.printf(Locale.ROOT, "   %-36s %8.1f ms (x%.4f), %,d bytes (x%.4f), %,d pages written, %,d from the"
                + " parent%n", what, r.millis, r.millis / tFull, r.bytes, r.bytes / (double) fullBytes, r.pagesWritten,
                r.pagesFromParent);
    }

    /** Dirties {@code pages} and times a child checkpoint of the task (with its dirty set if {@code tracked}); then puts the bytes back. */
    private static Result child(ParentImage parent, Task task, List<Area> areas, List<long[]> pages, boolean tracked,
                                Path dir, int warm, int runs, SplittableRandom rnd) throws Exception {
        byte[][] saved = new byte[pages.size()][];
        for (int i = 0; i < saved.length; i++) {
            long[] ap = pages.get(i);
            saved[i] = Arrays.copyOfRange(areas.get((int) ap[0]).mem, (int) ap[1] * PAGE, (int) (ap[1] + 1) * PAGE);
        }
        Checkpointer c = Checkpointer.builder().architecture("x86_64").parent(parent).build();
        CheckpointResult[] last = new CheckpointResult[1];
        // A child takes a few ms: one or two warm-ups leave its paths to the interpreter and C1
        // (measured: 8 ms cold, 3 ms warm), while a full checkpoint, 40 x longer, is compiled
        // within its first run. A host that checkpoints a task again and again runs warm.
        double t = median(Math.max(warm, CHILD_WARMUPS), runs, () -> {
            Task t1 = dirty(task, areas, pages, tracked, rnd);
            last[0] = write(c, List.of(t1), dir.resolve("child.ckpt"));
            return last[0].bytesWritten();
        });
        for (int i = 0; i < saved.length; i++) {
            long[] ap = pages.get(i);
            System.arraycopy(saved[i], 0, areas.get((int) ap[0]).mem, (int) ap[1] * PAGE, PAGE);
        }
        return new Result(t, last[0].bytesWritten(), last[0].pagesWritten(), last[0].pagesFromParent());
    }

    /** Writes new bytes into {@code pages}; the task's areas carry the dirty set if {@code tracked}. */
    private static Task dirty(Task task, List<Area> areas, List<long[]> pages, boolean tracked, SplittableRandom rnd) {
        Map<Integer, PageRanges.Builder> sets = new java.util.HashMap<>();
        for (long[] ap : pages) {
            Area a = areas.get((int) ap[0]);
            int off = (int) ap[1] * PAGE + rnd.nextInt(PAGE - 8);
            long v = rnd.nextLong() | 1;
            for (int b = 0; b < 8; b++) {
                a.mem[off + b] = (byte) (v >>> (8 * b));
            }
            long at = a.start + ap[1] * PAGE;
            sets.computeIfAbsent((int) ap[0], k -> PageRanges.builder()).add(at, at + PAGE);
        }
        if (!tracked) {
            return task;
        }
        List<Vma> vmas = new ArrayList<>();
        Map<Vma, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < task.mm().vmas().size(); i++) {
            index.put(task.mm().vmas().get(i), i);
        }
        for (Vma v : task.mm().vmas()) {
            PageRanges.Builder b = sets.get(index.get(v));
            PageData pd = v.pages().withChangedSinceParent(b == null ? PageRanges.none() : b.build());
            vmas.add(new Vma(v.start(), v.end(), v.prot(), v.flags(), v.pgoff(), v.file(), pd));
        }
        AddressSpace mm = task.mm().withVmas(vmas);
        return task.toBuilder().mm(mm).build();
    }

    private static List<long[]> pick(List<long[]> from, int n, SplittableRandom rnd) {
        List<long[]> copy = new ArrayList<>(from);
        for (int i = 0; i < n; i++) {
            int j = i + rnd.nextInt(copy.size() - i);
            long[] x = copy.get(i);
            copy.set(i, copy.get(j));
            copy.set(j, x);
        }
        List<long[]> out = new ArrayList<>(copy.subList(0, n));
        out.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
        return out;
    }

    /**
     * Writes the image over {@code p} in place and cuts what is left of a longer one: as
     * {@link Runner} does, so that a timed write does not draw page-cache pages a deleted file
     * just gave back (on a ballooned VM each costs a host page fault; see Runner).
     */
    private static CheckpointResult write(Checkpointer c, List<Task> tasks, Path p) throws IOException {
        try (FileChannel out = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            CheckpointResult r = c.checkpoint(tasks, out);
            if (out.size() > r.bytesWritten()) {
                out.truncate(r.bytesWritten());
            }
            return r;
        }
    }

    @FunctionalInterface
    private interface Op {
        long run() throws Exception;
    }

    private static long sink;

    /**
     * Median wall time in ms of {@code runs} runs after {@code warm} warm-ups; before each (not
     * timed) a sync, and a full GC so that one run does not pay for the garbage of the one before
     * (a restart allocates the whole task).
     */
    private static double median(int warm, int runs, Op op) throws Exception {
        double[] t = new double[runs];
        for (int i = 0; i < warm + runs; i++) {
            new ProcessBuilder("sync").inheritIO().start().waitFor();
            System.gc();
            long s = System.nanoTime();
            sink += op.run();
            long e = System.nanoTime();
            if (i >= warm) {
                t[i - warm] = (e - s) / 1e6;
            }
        }
        Arrays.sort(t);
        return t[runs / 2];
    }

    /** {@link CpuShare}'s figures before each measured pair of {@link #paired}, in order. */
    private static final List<Double> SHARES = new ArrayList<>();
    private static final List<Double> PIPELINES = new ArrayList<>();
    private static CpuShare share;

    /**
     * Alternated runs of two operations: each one's times, sorted; the ratios a/b of the pairs,
     * sorted; and each pair's ratio with {@link CpuShare}'s figures just before it, in the order run.
     */
    private record Pairs(double[] a, double[] b, double[] ratios, String inOrder) {
    }

    /** {@code a} and {@code b}, run alternately {@code runs} times each after warm-ups. */
    private static Pairs paired(int warm, int runs, Op a, Op b) throws Exception {
        if (share == null) {
            share = new CpuShare();
        }
        double[][] t = new double[2][runs];
        double[] ratios = new double[runs];
        StringBuilder inOrder = new StringBuilder();
        for (int i = 0; i < warm + runs; i++) {
            double[] before = share.measure();
            for (int k = 0; k < 2; k++) {
                System.gc();
                long s = System.nanoTime();
                sink += (k == 0 ? a : b).run();
                long e = System.nanoTime();
                if (i >= warm) {
                    t[k][i - warm] = (e - s) / 1e6;
                }
            }
            if (i >= warm) {
                SHARES.add(before[0]);
                PIPELINES.add(before[1]);
                // The VM runs in two speeds (a fast and a slow mode, ~1.8x apart, lasting several runs);
                // a pair run back to back usually shares its mode, so the median of the pairs' ratios is
                // what the medians' ratio estimates, with less noise.
                ratios[i - warm] = t[0][i - warm] / t[1][i - warm];
                inOrder.append(inOrder.length() == 0 ? "" : " ").append(String.format(Locale.ROOT,
                        "%.2f (%.2f/%.2f)", ratios[i - warm], before[0], before[1]));
            }
        }
        Arrays.sort(ratios);
        Arrays.sort(t[0]);
        Arrays.sort(t[1]);
        return new Pairs(t[0], t[1], ratios, inOrder.toString());
    }

    private static String ratios(double[] r) {
        StringBuilder b = new StringBuilder();
        for (double x : r) {
            b.append(b.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", x));
        }
        return b.toString();
    }

    private static void clean(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** XXH64 exactly as ckpt computes page digests (its internal class, on the class path here). */
    private static long xxh64(ByteBuffer b) {
        return org.ckpt.internal.Xxh64.hash(b);
    }
}
