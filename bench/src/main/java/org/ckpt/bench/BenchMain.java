package org.ckpt.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the JMH benchmarks of {@link ImageBench} on the chosen workloads, measures
 * image size and heap footprint, prints one table per workload and, for mem-1g, the
 * RESULT line of issue 3. Ratios are computed from the medians of this run.
 *
 * <pre>java -jar bench/target/benchmarks.jar [--quick] [--seal] [--workloads mem-1g,many-small,sparse-8g]</pre>
 *
 * <p>{@code --seal}: only the plain, sealed and encrypted checkpoint and restart and the
 * compute floors of issue 19, on mem-1g unless {@code --workloads} says otherwise.
 */
public final class BenchMain {
    private static final List<String> OPS = List.of("ckptToFile", "ckptToNull", "rawWrite", "kryoWrite",
            "restartFromFile", "rawRead", "kryoRead", "ckptSealedHmac", "ckptSealedEd25519", "ckptEncrypted",
            "restartSealedHmac", "restartSealedEd25519", "restartEncrypted", "sha256Floor", "aesGcmFloor");

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("incr")) {
            IncrBench.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        boolean quick = false;
        boolean sealOnly = false;
        List<String> workloads = Workload.NAMES;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--seal" -> sealOnly = true;
                case "--workloads" -> workloads = List.of(args[++i].split(","));
                default -> throw new IllegalArgumentException("usage: [--quick] [--seal] [--workloads a,b,c], got "
                        + args[i]);
            }
        }
        if ((quick && args.length == 1) || (sealOnly && !List.of(args).contains("--workloads"))) {
            workloads = List.of("mem-1g");
        }
        PrintStream out = System.out;
        Path dir = ImageBench.dir().toAbsolutePath();
        ChainedOptionsBuilder opt = new OptionsBuilder()
                .include(sealOnly ? ImageBench.class.getName() + "\\.(ckptToFile|restartFromFile)$"
                        : ImageBench.class.getName() + "\\.")
                .include(SealBench.class.getName() + "\\.")
                .param("workload", workloads.toArray(new String[0]))
                .forks(1)
                .warmupIterations(quick ? 1 : 3)
                .measurementIterations(quick ? 3 : 7)
                .jvmArgsAppend("-Xms6g", "-Xmx6g", "-XX:+UseParallelGC", "-Dckpt.bench.dir=" + dir)
                .shouldFailOnError(true);
        Collection<RunResult> results = new Runner(opt.build()).run();

        Map<String, Map<String, double[]>> medians = new LinkedHashMap<>();
        for (RunResult r : results) {
            String method = r.getParams().getBenchmark();
            method = method.substring(method.lastIndexOf('.') + 1);
            var stats = r.getPrimaryResult().getStatistics();
            medians.computeIfAbsent(r.getParams().getParam("workload"), k -> new HashMap<>())
                    .put(method, new double[] {stats.getPercentile(50), stats.getMin(), stats.getMax()});
        }

        out.println();
        out.println("ckpt benchmarks (" + (quick ? "quick" : "full") + "), " + machine());
        out.println("method: JMH SingleShotTime, 1 fork, " + (quick ? "1 warm-up + 3" : "3 warm-up + 7")
                + " measured invocations per benchmark, median reported; images on " + dir);
        Map<String, Footprint.Result> footprints = new HashMap<>();
        for (String name : workloads) {
            Workload w = Workload.named(name);
            Footprint.Result f = Footprint.measure(w, dir);
            footprints.put(name, f);
            Map<String, double[]> m = medians.getOrDefault(name, Map.of());
            out.println();
            out.printf(Locale.ROOT, "== %s: %s%n", name, w.description);
            out.printf(Locale.ROOT, "   non-zero page bytes %,d; ckpt image %,d bytes (overhead %.3f %%)%n",
                    f.nonZeroBytes(), f.imageBytes(), f.sizeOverheadPct());
            out.printf(Locale.ROOT, "   %-16s %10s %10s %10s %12s%n", "operation", "median ms", "min ms", "max ms",
                    "MiB/s (nz)");
            for (String op : OPS) {
                double[] v = m.get(op);
                if (v != null) {
                    out.printf(Locale.ROOT, "   %-16s %10.1f %10.1f %10.1f %12.0f%n", op, v[0], v[1], v[2],
                            f.nonZeroBytes() / 1048576.0 / (v[0] / 1000));
                }
            }
            out.printf(Locale.ROOT, "   ratios: checkpoint/raw %.2f, restart/raw %.2f, kryo/ckpt write %.2f, "
                    + "kryo/ckpt read %.2f%n", ratio(m, "ckptToFile", "rawWrite"),
                    ratio(m, "restartFromFile", "rawRead"), ratio(m, "kryoWrite", "ckptToFile"),
                    ratio(m, "kryoRead", "restartFromFile"));
            out.printf(Locale.ROOT, "   heap: checkpoint allocated %.1f MiB (peak +%.1f MiB); restart from file "
                    + "allocated %.1f MiB (peak +%.1f MiB); restart from a stream allocated %.1f MiB%n",
                    mib(f.checkpoint().allocatedBytes()), mib(f.checkpoint().peakExtraBytes()),
                    mib(f.restartFile().allocatedBytes()), mib(f.restartFile().peakExtraBytes()),
                    mib(f.restartStream().allocatedBytes()));
        }
        String key = workloads.contains("mem-1g") ? "mem-1g" : workloads.get(0);
        Map<String, double[]> m = medians.getOrDefault(key, Map.of());
        Footprint.Result f = footprints.get(key);
        out.println();
        if (!sealOnly) {
            out.printf(Locale.ROOT, "RESULT checkpoint_vs_raw=%.2f restart_vs_raw=%.2f size_overhead_pct=%.3f "
                    + "vs_kryo_ckpt=%.2f vs_kryo_restart=%.2f ckpt_extra_heap_mib=%.1f%n",
                    ratio(m, "ckptToFile", "rawWrite"), ratio(m, "restartFromFile", "rawRead"), f.sizeOverheadPct(),
                    ratio(m, "kryoWrite", "ckptToFile"), ratio(m, "kryoRead", "restartFromFile"),
                    mib(f.checkpoint().allocatedBytes()));
        }
        // Issue 19: sealed and encrypted images over plain ones, and the compute floors of this CPU.
        double nzMib = f.nonZeroBytes() / 1048576.0;
        out.printf(Locale.ROOT, "RESULT sealed_ckpt_vs_plain=%.2f sealed_restart_vs_plain=%.2f "
                + "ed25519_ckpt_vs_plain=%.2f ed25519_restart_vs_plain=%.2f aesgcm_ckpt_vs_plain=%.2f "
                + "aesgcm_restart_vs_plain=%.2f sha256_floor_vs_plain_ckpt=%.2f sha256_mib_s=%.0f aesgcm_mib_s=%.0f "
                + "load=%s%n",
                ratio(m, "ckptSealedHmac", "ckptToFile"), ratio(m, "restartSealedHmac", "restartFromFile"),
                ratio(m, "ckptSealedEd25519", "ckptToFile"), ratio(m, "restartSealedEd25519", "restartFromFile"),
                ratio(m, "ckptEncrypted", "ckptToFile"), ratio(m, "restartEncrypted", "restartFromFile"),
                ratio(m, "sha256Floor", "ckptToFile"), nzMib / seconds(m, "sha256Floor"),
                nzMib / seconds(m, "aesGcmFloor"), load());
    }

    private static double seconds(Map<String, double[]> m, String op) {
        double[] v = m.get(op);
        return v == null ? Double.NaN : v[0] / 1000;
    }

    /** The 1-minute load average when the run ended (the machine is shared): the numbers mean little above the CPU count. */
    private static String load() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException | RuntimeException e) {
            return "?";
        }
    }

    private static double ratio(Map<String, double[]> m, String a, String b) {
        double[] x = m.get(a);
        double[] y = m.get(b);
        return x == null || y == null ? Double.NaN : x[0] / y[0];
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    private static String machine() {
        Runtime rt = Runtime.getRuntime();
        List<String> parts = new ArrayList<>();
        parts.add(rt.availableProcessors() + " CPUs");
        try (var lines = java.nio.file.Files.lines(Path.of("/proc/cpuinfo"))) {
            lines.filter(l -> l.startsWith("model name")).findFirst()
                    .ifPresent(l -> parts.add(l.substring(l.indexOf(':') + 1).trim()));
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            // not Linux: the CPU count has to do
        }
        parts.add(System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        parts.add("Java " + System.getProperty("java.vm.version"));
        return String.join(", ", parts);
    }
}
