package org.ckpt.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs {@link Runner} on each chosen workload, each in a JVM of its own, prints one table per
 * workload and the RESULT line of issue 17 (with the fields of issues 3 and 14). Ratios are
 * of the medians of this run.
 *
 * <pre>java -jar bench/target/benchmarks.jar [--quick] [--seal] [--workloads mem-1g,many-small,sparse-8g]
 *     [--ops op,op] [--jvm "extra JVM options"]
 * java -jar bench/target/benchmarks.jar incr [--quick]
 * java -jar bench/target/benchmarks.jar small [--quick]</pre>
 *
 * <p>The full run adds the sealed and encrypted operations of {@link SealBench} on mem-1g and
 * then also prints the RESULT line of issue 19. {@code --seal}: only those, beside the plain
 * checkpoint and restart, on mem-1g unless {@code --workloads} says otherwise, and only the
 * RESULT line of issue 19. {@code incr}: the incremental-image figures of issue 18
 * ({@link IncrBench}) in a JVM of their own, with their own RESULT line; {@code small}: one
 * checkpoint of a small to mid-sized task with and without the writer thread ({@link SmallBench}),
 * likewise.
 */
public final class BenchMain {
    private static final List<String> OPS = List.of("ckptToFile", "ckptInline", "rawWrite", "rawWriteHeap",
            "rawWriteGather", "ckptToNull", "scanCrcFloor", "scanFloor", "crcFloor", "copyFloor", "kryoWrite",
            "restartIntoHost", "rawReadIntoHost", "restartFromFile", "rawRead", "restartMapped", "kryoRead");
    private static final String JVM = "-Xms6g -Xmx6g -XX:+UseParallelGC";

    private BenchMain() {
    }

    /** What one runner JVM reported for a workload. */
    private static final class Report {
        final Map<String, double[]> times = new LinkedHashMap<>();  // median, min, max
        final Map<String, double[]> rounds = new LinkedHashMap<>();  // each measured round's time, in round order
        final Map<String, Double> cpu = new LinkedHashMap<>();       // median process CPU ms
        final Map<String, long[]> heap = new LinkedHashMap<>();     // allocated, peak extra
        long imageBytes;
        long nonZeroBytes;
        long scannedBytes;
        String description;
        String loadBefore;
        String loadAfter;
        /** Warm-up rounds the runner took (more than asked while the JIT was still compiling). */
        int warmedUp;
        /** {@link CpuShare}'s two figures before and after each measured round. */
        double[] shares = new double[0];
        double[] pipelines = new double[0];

        double median(String op) {
            double[] v = times.get(op);
            return v == null ? Double.NaN : v[0];
        }

        double ratio(String a, String b) {
            return median(a) / median(b);
        }

        /**
         * The median over measured rounds of {@code a}'s time over {@code b}'s in the same round
         * (seconds apart): drift of the machine between rounds cancels, which {@link #ratio} of
         * the two medians does not.
         */
        double paired(String a, String b) {
            double[] x = rounds.get(a);
            double[] y = rounds.get(b);
            if (x == null || y == null || x.length != y.length || x.length == 0) {
                return Double.NaN;
            }
            double[] r = new double[x.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = x[i] / y[i];
            }
            Arrays.sort(r);
            return BenchMain.median(r);
        }

        double mib(String op) {
            long[] v = heap.get(op);
            return v == null ? Double.NaN : v[0] / 1048576.0;
        }

        double overheadPct() {
            return 100.0 * (imageBytes - nonZeroBytes) / nonZeroBytes;
        }
    }

    /** Where images go: {@code -Dckpt.bench.dir}, by default bench/target/io (local disk). */
    static Path dir() {
        return Path.of(System.getProperty("ckpt.bench.dir", "bench/target/io"));
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("incr") || args[0].equals("small"))) {
            own(args[0].equals("incr") ? IncrBench.class : SmallBench.class, Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        boolean quick = false;
        boolean sealOnly = false;
        List<String> workloads = null;
        String ops = null;
        String jvm = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--seal" -> sealOnly = true;
                case "--workloads" -> workloads = List.of(args[++i].split(","));
                case "--ops" -> ops = args[++i];
                case "--jvm" -> jvm = args[++i];
                default -> throw new IllegalArgumentException("usage: [--quick] [--seal] [--workloads a,b] "
                        + "[--ops x,y] [--jvm \"options\"] | incr [--quick] | small [--quick], got " + args[i]);
            }
        }
        if (workloads == null) {
            workloads = sealOnly ? List.of("mem-1g") : quick ? List.of("mem-1g", "many-small") : Workload.NAMES;
        }
        String sealOps = String.join(",", SealBench.OPS);
        if (sealOnly && ops == null) {
            ops = "ckptToFile,restartFromFile," + sealOps;
        }
        // Six: a many-task checkpoint reaches its steady time only at about the fifth call in a
        // JVM (150, 113, 101, 84, 84 ms ...: C2 compiles the per-area paths in stages); with two,
        // the measured rounds were still partly warm-up, which no host that checkpoints a task
        // again and again sees.
        int warmup = 6;
        int rounds = quick ? 5 : 11;
        PrintStream out = System.out;
        Path dir = dir().toAbsolutePath();
        Files.createDirectories(dir);
        String startLoad = loadAverage();
        long kdamondBefore = GuestKernel.kdamondNanos();
        Map<String, Report> reports = new LinkedHashMap<>();
        for (String name : workloads) {
            String these = ops;
            if (these == null && !quick && name.equals("mem-1g")) {
                // The full run: issue 19's sealed and encrypted operations beside the others, on mem-1g.
                these = String.join(",", OPS) + "," + sealOps;
            }
            reports.put(name, run(name, warmup, rounds, dir, these, jvm));
        }

        out.println();
        out.println("ckpt benchmarks (" + (quick ? "quick" : "full") + "), " + machine());
        out.println("method: one JVM per workload (" + JVM + (jvm.isEmpty() ? "" : " " + jvm) + "), every operation "
                + "once per round, interleaved in rotating order; " + warmup + " to " + 2 * warmup + " warm-up rounds (more while"
                + " a round still compiled over " + Runner.JIT_SETTLED_MS + " ms in the JIT) + " + rounds
                + " measured rounds; outputs overwritten in place, before each invocation sync, System.gc() and a wait for the JIT's compiler threads to go quiet (untimed); "
                + "median reported; images on " + dir);
        out.println("load average (1, 5, 15 min) at the start: " + startLoad);
        out.println("guest memory management: " + GuestKernel.memorySetup() + "; DAMON threads ran "
                + GuestKernel.ms(GuestKernel.kdamondNanos() - kdamondBefore) + " during the run");
        for (Map.Entry<String, Report> e : reports.entrySet()) {
            print(out, e.getKey(), e.getValue());
        }
        out.println();
        out.println("load average at the end: " + loadAverage());
        Report m = reports.get("mem-1g");
        Report s = reports.get("many-small");
        Report sealed = m != null ? m : reports.values().iterator().next();
        if (sealed.times.containsKey("ckptSealedHmac")) {
            printSealResult(out, sealed);
        }
        if (sealOnly) {
            return;
        }
        StringBuilder r = new StringBuilder("RESULT");
        if (m != null) {
            field(r, "checkpoint_vs_raw", m.ratio("ckptToFile", "rawWrite"), 2);
            field(r, "checkpoint_vs_heap_raw", m.ratio("ckptToFile", "rawWriteHeap"), 2);
            field(r, "checkpoint_vs_gather", m.ratio("ckptToFile", "rawWriteGather"), 2);
            field(r, "restart_vs_raw", m.ratio("restartIntoHost", "rawReadIntoHost"), 2);
            field(r, "restart_heap_vs_raw", m.ratio("restartFromFile", "rawRead"), 2);
            field(r, "restart_mapped_vs_raw", m.ratio("restartMapped", "rawRead"), 2);
            field(r, "ckpt_vs_floor", m.ratio("ckptToNull", "scanCrcFloor"), 2);
        }
        if (s != null) {
            field(r, "many_small_ckpt_vs_raw", s.ratio("ckptToFile", "rawWrite"), 2);
            field(r, "many_small_restart_vs_raw", s.ratio("restartIntoHost", "rawReadIntoHost"), 2);
            field(r, "many_small_restart_heap_vs_raw", s.ratio("restartFromFile", "rawRead"), 2);
            field(r, "many_small_ckpt_vs_floor", s.ratio("ckptToNull", "scanCrcFloor"), 2);
            field(r, "many_small_thread_vs_inline", s.ratio("ckptToFile", "ckptInline"), 2);
            field(r, "many_small_heap_mib", s.mib("checkpoint"), 1);
        }
        if (m != null) {
            field(r, "size_overhead_pct", m.overheadPct(), 3);
        }
        if (s != null) {
            field(r, "many_small_size_overhead_pct", s.overheadPct(), 3);
        }
        if (m != null) {
            field(r, "checkpoint_vs_raw_paired", m.paired("ckptToFile", "rawWrite"), 2);
            field(r, "restart_vs_raw_paired", m.paired("restartIntoHost", "rawReadIntoHost"), 2);
        }
        if (s != null) {
            field(r, "many_small_ckpt_vs_raw_paired", s.paired("ckptToFile", "rawWrite"), 2);
            field(r, "many_small_restart_vs_raw_paired", s.paired("restartIntoHost", "rawReadIntoHost"), 2);
        }
        if (m != null) {
            field(r, "vs_kryo_ckpt", m.ratio("kryoWrite", "ckptToFile"), 2);
            field(r, "vs_kryo_restart", m.ratio("kryoRead", "restartFromFile"), 2);
            field(r, "ckpt_extra_heap_mib", m.mib("checkpoint"), 1);
        }
        field(r, "cpu_share", median(reports.values().stream().flatMapToDouble(x -> Arrays.stream(x.shares))
                .toArray()), 2);
        field(r, "cpu_pipeline", median(reports.values().stream().flatMapToDouble(x -> Arrays.stream(x.pipelines))
                .toArray()), 2);
        out.println(r);
    }

    /** Issue 19: sealed and encrypted images over plain ones, and the compute floors of this CPU. */
    private static void printSealResult(PrintStream out, Report m) {
        double nzMib = m.nonZeroBytes / 1048576.0;
        StringBuilder r = new StringBuilder("RESULT");
        field(r, "sealed_ckpt_vs_plain", m.ratio("ckptSealedHmac", "ckptToFile"), 2);
        field(r, "sealed_restart_vs_plain", m.ratio("restartSealedHmac", "restartFromFile"), 2);
        field(r, "ed25519_ckpt_vs_plain", m.ratio("ckptSealedEd25519", "ckptToFile"), 2);
        field(r, "ed25519_restart_vs_plain", m.ratio("restartSealedEd25519", "restartFromFile"), 2);
        field(r, "aesgcm_ckpt_vs_plain", m.ratio("ckptEncrypted", "ckptToFile"), 2);
        field(r, "aesgcm_restart_vs_plain", m.ratio("restartEncrypted", "restartFromFile"), 2);
        field(r, "sha256_floor_vs_plain_ckpt", m.ratio("sha256Floor", "ckptToFile"), 2);
        field(r, "sha256_mib_s", nzMib / (m.median("sha256Floor") / 1000), 0);
        field(r, "aesgcm_mib_s", nzMib / (m.median("aesGcmFloor") / 1000), 0);
        r.append(" load=").append(loadAverage().split(" ")[0]);
        field(r, "cpu_share", median(m.shares), 2);
        field(r, "cpu_pipeline", median(m.pipelines), 2);
        out.println(r);
    }

    /** {@link IncrBench} or {@link SmallBench} in a JVM of its own (this one is small), its output passed through. */
    private static void own(Class<?> bench, String[] args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(JVM.split(" ")));
        cmd.addAll(List.of("-Dckpt.bench.dir=" + dir().toAbsolutePath(), "-cp", System.getProperty("java.class.path"),
                bench.getName()));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException(bench.getSimpleName() + " failed (exit " + p.exitValue() + ")");
        }
    }

    /** The median of {@code values} (the mean of the middle two for an even count); NaN for none. */
    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static void field(StringBuilder r, String name, double v, int decimals) {
        r.append(' ').append(name).append('=').append(String.format(Locale.ROOT, "%." + decimals + "f", v));
    }

    private static Report run(String name, int warmup, int rounds, Path dir, String ops, String jvm)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(JVM.split(" ")));
        if (!jvm.isBlank()) {
            cmd.addAll(Arrays.asList(jvm.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Runner.class.getName(), name,
                String.valueOf(warmup), String.valueOf(rounds), dir.toString()));
        if (ops != null) {
            cmd.add(ops);
        }
        Report rep = new Report();
        rep.loadBefore = loadAverage();
        System.err.println("== " + name + " (load average " + rep.loadBefore + ")");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "#TIME", "#CPU" -> {
                        double[] v = new double[f.length - 2];
                        for (int i = 2; i < f.length; i++) {
                            v[i - 2] = Double.parseDouble(f[i]);
                        }
                        if (f[0].equals("#TIME")) {
                            rep.rounds.put(f[1], v.clone());
                        }
                        Arrays.sort(v);
                        if (v.length > 0) {
                            double median = median(v);
                            if (f[0].equals("#TIME")) {
                                rep.times.put(f[1], new double[] {median, v[0], v[v.length - 1]});
                            } else {
                                rep.cpu.put(f[1], median);
                            }
                        }
                    }
                    case "#SIZE" -> {
                        rep.imageBytes = Long.parseLong(f[1]);
                        rep.nonZeroBytes = Long.parseLong(f[2]);
                        rep.scannedBytes = Long.parseLong(f[3]);
                    }
                    case "#DESC" -> rep.description = line.substring(6);
                    case "#SHARE" -> rep.shares = Arrays.stream(f).skip(1).mapToDouble(Double::parseDouble).toArray();
                    case "#PIPELINE" -> rep.pipelines = Arrays.stream(f).skip(1).mapToDouble(Double::parseDouble).toArray();
                    case "#WARMUP" -> rep.warmedUp = Integer.parseInt(f[1]);
                    case "#HEAP" -> rep.heap.put(f[1], new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])});
                    default -> System.err.println(line);
                }
            }
        }
        if (p.waitFor() != 0) {
            throw new IOException("the runner of " + name + " failed (exit " + p.exitValue() + ")");
        }
        rep.loadAfter = loadAverage();
        return rep;
    }

    private static void print(PrintStream out, String name, Report r) {
        out.println();
        out.printf(Locale.ROOT, "== %s: %s%n", name, r.description);
        out.printf(Locale.ROOT, "   load average before %s, after %s; %d warm-up rounds%n", r.loadBefore, r.loadAfter,
                r.warmedUp);
        out.printf(Locale.ROOT, "   two CPUs (CpuShare, before and after each round): share %s (2.0 = two threads run in"
                + " parallel, 1.0 = they share one CPU); pipeline %s (copy on one thread, CRC32C on the other, over"
                + " eight 1 MiB buffers, against both on one: above 1 the hand-over pays)%n",
                CpuShare.summary(r.shares), CpuShare.summary(r.pipelines));
        out.printf(Locale.ROOT, "   non-zero page bytes %,d (of %,d scanned); ckpt image %,d bytes (overhead %.3f %%)%n",
                r.nonZeroBytes, r.scannedBytes, r.imageBytes, r.overheadPct());
        out.printf(Locale.ROOT, "   %-16s %10s %10s %10s %12s %10s%n", "operation", "median ms", "min ms", "max ms",
                "MiB/s (nz)", "cpu ms");
        List<String> table = new ArrayList<>(OPS);
        table.addAll(SealBench.OPS);
        for (String op : table) {
            double[] v = r.times.get(op);
            if (v != null) {
                out.printf(Locale.ROOT, "   %-16s %10.1f %10.1f %10.1f %12.0f %10.1f%n", op, v[0], v[1], v[2],
                        r.nonZeroBytes / 1048576.0 / (v[0] / 1000), r.cpu.getOrDefault(op, Double.NaN));
            }
        }
        out.printf(Locale.ROOT, "   floors (GiB/s): zero scan %.1f (of %,d scanned bytes), CRC32C %.1f, memory copy %.1f, "
                + "page-cache write %.1f (staged), read %.1f (into host memory), %.1f (into fresh heap)%n",
                gibs(r.scannedBytes, r.median("scanFloor")), r.scannedBytes, gibs(r.nonZeroBytes, r.median("crcFloor")),
                gibs(r.nonZeroBytes, r.median("copyFloor")), gibs(r.nonZeroBytes, r.median("rawWrite")),
                gibs(r.nonZeroBytes, r.median("rawReadIntoHost")), gibs(r.nonZeroBytes, r.median("rawRead")));
        out.printf(Locale.ROOT, "   checkpoint: to file / staged raw write %.2f (round by round: %.2f; / bench's earlier "
                + "raw write, one heap write per run, %.2f; / one gathering heap write per area %.2f); writerThread(false)"
                + " / staged raw write %.2f; to a null channel / scan+CRC32C floor %.2f%n",
                r.ratio("ckptToFile", "rawWrite"), r.paired("ckptToFile", "rawWrite"), r.ratio("ckptToFile", "rawWriteHeap"),
                r.ratio("ckptToFile", "rawWriteGather"), r.ratio("ckptInline", "rawWrite"),
                r.ratio("ckptToNull", "scanCrcFloor"));
        out.printf(Locale.ROOT, "   restart: into host memory / raw read into host memory %.2f (round by round: %.2f); "
                + "into fresh heap buffers / raw read into fresh heap buffers %.2f; mapped opt-in / raw read into fresh "
                + "heap %.2f%n",
                r.ratio("restartIntoHost", "rawReadIntoHost"), r.paired("restartIntoHost", "rawReadIntoHost"),
                r.ratio("restartFromFile", "rawRead"),
                r.ratio("restartMapped", "rawRead"));
        out.printf(Locale.ROOT, "   kryo / ckpt: write %.2f, read %.2f (kryoRead / restartFromFile)%n",
                r.ratio("kryoWrite", "ckptToFile"), r.ratio("kryoRead", "restartFromFile"));
        StringBuilder h = new StringBuilder("   heap allocated by the calling thread (peak of used heap):");
        for (Map.Entry<String, long[]> e : r.heap.entrySet()) {
            h.append(String.format(Locale.ROOT, " %s %.1f MiB (+%.1f);", e.getKey(), e.getValue()[0] / 1048576.0,
                    e.getValue()[1] / 1048576.0));
        }
        out.println(h);
    }

    private static double gibs(long bytes, double ms) {
        return bytes / (double) (1L << 30) / (ms / 1000);
    }

    /** The 1, 5 and 15 minute load averages, as /proc/loadavg has them. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String machine() {
        Runtime rt = Runtime.getRuntime();
        List<String> parts = new ArrayList<>();
        parts.add(rt.availableProcessors() + " CPUs");
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            lines.filter(l -> l.startsWith("model name")).findFirst()
                    .ifPresent(l -> parts.add(l.substring(l.indexOf(':') + 1).trim()));
        } catch (IOException | java.io.UncheckedIOException e) {
            // not Linux: the CPU count has to do
        }
        parts.add(System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        parts.add("Java " + System.getProperty("java.vm.version"));
        return String.join(", ", parts);
    }
}
