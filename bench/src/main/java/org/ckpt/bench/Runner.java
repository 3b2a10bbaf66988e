package org.ckpt.bench;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.PageDestination;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;

/**
 * Runs every operation on one workload in one JVM, interleaved: each round runs each operation
 * once, the order rotating from round to round, so that contenders measured against each
 * other run seconds apart under the same machine state. Before every timed invocation dirty
 * pages are written back ({@code sync}), the heap is collected and the JIT's compiler threads
 * are let finish what earlier operations queued ({@link JitQuiet}), all outside the timing.
 * Each writing operation overwrites its own output file in place, round after round: deleting
 * outputs between rounds gave their page-cache pages back to the kernel, and on a VM whose
 * balloon reports free pages to the host the next writer then paid a host page fault per page —
 * 0.4 GiB/s instead of 3 — for whichever operation drew those pages, which made any single
 * contender up to 9 x slower at random (measured: the staged raw write 127 to 1,390 ms).
 * A round's line marks each invocation during which the guest's DAMON threads ran ({@link
 * GuestKernel}), untimed reads just before and after it. Prints {@code #}-lines that {@link
 * BenchMain} reads.
 *
 * <p>The sealed and encrypted operations of {@link SealBench} run only when named in the list of operations.
 *
 * <pre>java -cp benchmarks.jar org.ckpt.bench.Runner WORKLOAD WARMUP ROUNDS DIR [op,op,...]</pre>
 * WARMUP is the least number of warm-up rounds: up to twice as many are run while the JIT still
 * compiles more than {@link #JIT_SETTLED_MS} in a round.
 */
public final class Runner {
    static final Checkpointer CHECKPOINTER = Checkpointer.builder().architecture("x86_64").build();
    static final Checkpointer INLINE = Checkpointer.builder().architecture("x86_64").writerThread(false).build();
    static final Restarter RESTARTER = Restarter.builder().build();
    static final Restarter MAPPED = Restarter.builder().mapImmutableFiles(true).build();

    interface Op {
        long run() throws IOException;
    }

    private final Workload w;
    private final Path dir;
    private final Raw raw = new Raw();
    private final JitQuiet jitQuiet = new JitQuiet();
    private final Path image;
    private final Path rawFile;
    private final Path kryoFile;
    private final Arena arena;
    private final ByteBuffer[] pieces;
    private KryoModel.KTask[] kryoModel;
    private final Kryo kryo = KryoModel.kryo();
    private final Map<String, Op> ops = new LinkedHashMap<>();
    /** The sealed and encrypted images and their operations (issue 19), when asked for; else null. */
    private final SealBench seal;

    private Runner(Workload w, Path dir, boolean sealOps) throws IOException {
        this.w = w;
        this.dir = dir;
        this.image = dir.resolve(w.name + ".ckpt");
        this.rawFile = dir.resolve(w.name + ".raw");
        this.kryoFile = dir.resolve(w.name + ".kryo");
        try (FileChannel out = create(image)) {
            CHECKPOINTER.checkpoint(w.tasks, out);
        }
        try (FileChannel out = create(rawFile)) {
            raw.stagedWrite(w, out);
        }
        kryoModel = KryoModel.of(w.tasks);
        try (FileChannel out = create(kryoFile)) {
            kryoWrite(out);
        }
        arena = new Arena(w.nonZeroBytes);
        pieces = new ByteBuffer[Raw.pieces(w)];
        RestartTarget host = new HostTarget(arena);

        // ---- checkpoint side ----
        ops.put("ckptToFile", () -> {
            try (FileChannel out = overwrite(out("ckpt"))) {
                return CHECKPOINTER.checkpoint(w.tasks, out).bytesWritten();
            }
        });
        ops.put("ckptInline", () -> {
            try (FileChannel out = overwrite(out("inline"))) {
                return INLINE.checkpoint(w.tasks, out).bytesWritten();
            }
        });
        ops.put("ckptToNull", () -> CHECKPOINTER.checkpoint(w.tasks, new NullChannel()).bytesWritten());
        ops.put("rawWrite", () -> {
            try (FileChannel out = overwrite(out("raw"))) {
                return raw.stagedWrite(w, out);
            }
        });
        ops.put("rawWriteHeap", () -> {
            try (FileChannel out = overwrite(out("heap"))) {
                return Raw.heapWrite(w, out);
            }
        });
        ops.put("rawWriteGather", () -> {
            try (FileChannel out = overwrite(out("gather"))) {
                return Raw.gatherWrite(w, out);
            }
        });
        ops.put("scanCrcFloor", () -> raw.scanAndCrc(w));
        ops.put("copyFloor", () -> raw.copy(w));
        ops.put("crcFloor", () -> raw.crc(w));
        ops.put("scanFloor", () -> raw.scan(w));
        ops.put("kryoWrite", () -> {
            try (FileChannel out = overwrite(out("kryo"))) {
                kryoWrite(out);  // closes the channel
                return 0;
            }
        });
        // ---- restart side ----
        ops.put("restartFromFile", () -> {
            try (FileChannel in = FileChannel.open(image)) {
                return RESTARTER.restart(in).pagesRead();
            }
        });
        ops.put("rawRead", () -> {
            try (FileChannel in = FileChannel.open(rawFile)) {
                return Raw.readFresh(w, in, pieces);
            }
        });
        ops.put("restartIntoHost", () -> {
            arena.reset();
            try (FileChannel in = FileChannel.open(image)) {
                return RESTARTER.restart(in, host).pagesRead();
            }
        });
        ops.put("rawReadIntoHost", () -> {
            try (FileChannel in = FileChannel.open(rawFile)) {
                return Raw.readInto(w, in, arena);
            }
        });
        ops.put("restartMapped", () -> {
            try (FileChannel in = FileChannel.open(image)) {
                return MAPPED.restart(in).pagesRead();
            }
        });
        ops.put("kryoRead", () -> {
            try (InputStream is = Files.newInputStream(kryoFile); Input i = new Input(is, 1 << 16)) {
                return kryo.readObject(i, KryoModel.KTask[].class).length;
            }
        });
        seal = sealOps ? new SealBench(w, dir) : null;
        if (seal != null) {
            seal.addOps(ops);
        }
    }

    /** A host that restarts into preallocated memory (its arena) and keeps nothing else. */
    static final class HostTarget implements RestartTarget {
        private final Arena arena;

        HostTarget(Arena arena) {
            this.arena = arena;
        }

        @Override
        public TargetCpu cpu() {
            return TargetCpu.anyFeatures("x86_64");
        }

        @Override
        public RestorePolicy policy() {
            return RestorePolicy.LINUX_USER;
        }

        @Override
        public PageDestination pages() {
            return arena;
        }

        @Override
        public void commit(RestartResult image) {
            // A real host would now install the tasks; the pages already are where it wants them.
        }
    }

    /** A line for {@link BenchMain}: {@code head}, then each of {@code values} in {@code format}. */
    private static String series(String head, List<Double> values, String format) {
        StringBuilder s = new StringBuilder(head);
        for (double d : values) {
            s.append(' ').append(String.format(Locale.ROOT, format, d));
        }
        return s.toString();
    }

    /** A round that compiled at most this long (all compiler threads) ends the warm-up. */
    static final long JIT_SETTLED_MS = Long.getLong("ckpt.bench.jitSettledMs", 50);

    public static void main(String[] args) throws Exception {
        String name = args[0];
        int warmup = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        Path dir = Path.of(args[3]);
        List<String> only = args.length > 4 ? List.of(args[4].split(",")) : null;
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        Workload w = Workload.named(name);
        System.err.printf(Locale.ROOT, "%s built in %.1f s: %,d non-zero bytes in %,d runs, %,d scanned%n", name,
                (System.nanoTime() - t0) / 1e9, w.nonZeroBytes, w.runs.size(), w.scannedBytes);
        System.out.println("#DESC " + w.description);
        Runner r = new Runner(w, dir, only != null && only.stream().anyMatch(SealBench.OPS::contains));
        List<String> names = new ArrayList<>(r.ops.keySet());
        if (only != null) {
            names.retainAll(only);
        }
        Map<String, List<Double>> times = new LinkedHashMap<>();
        Map<String, List<Double>> cpu = new LinkedHashMap<>();
        names.forEach(n -> times.put(n, new ArrayList<>()));
        names.forEach(n -> cpu.put(n, new ArrayList<>()));
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        CpuShare share = new CpuShare();
        List<Double> shares = new ArrayList<>();
        List<Double> pipelines = new ArrayList<>();
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        // Warm-up goes on past its rounds while the JIT still compiles much in a round (at most
        // twice as many): a compiler thread takes a CPU from a two-thread checkpoint, never from
        // the one-thread raw write, so rounds still compiling measure the JIT, not the code.
        int warmed = 0;
        int measured = 0;
        boolean settled = false;
        boolean warm = false;
        for (int round = 0; measured < rounds; round++) {
            warm = warm || (warmed >= warmup && (settled || warmed >= 2 * warmup));
            long jit0 = jit.getTotalCompilationTime();
            StringBuilder line = new StringBuilder(warm ? "round " : "warm-up ").append(round).append(':');
            r.settle();
            double[] before = share.measure();
            for (int k = 0; k < names.size(); k++) {
                String op = names.get((k + round) % names.size());
                r.settle();
                long kd0 = GuestKernel.kdamondNanos();
                long cpu0 = os.getProcessCpuTime();
                double ms = onItsThread(op, r.ops.get(op));
                double cpuMs = (os.getProcessCpuTime() - cpu0) / 1e6;
                long kdMs = (GuestKernel.kdamondNanos() - kd0) / 1_000_000;
                if (warm) {
                    times.get(op).add(ms);
                    cpu.get(op).add(cpuMs);
                }
                line.append(String.format(Locale.ROOT, " %s %.1f", op, ms));
                if (kdMs > 0) {
                    // The guest's DAMON thread ran during it (from just before to just after it).
                    line.append(String.format(Locale.ROOT, " [kdamond %d]", kdMs));
                }
            }
            double[] after = share.measure();
            long jitMs = jit.getTotalCompilationTime() - jit0;
            settled = jitMs <= JIT_SETTLED_MS;
            if (warm) {
                measured++;
                shares.add(before[0]);
                shares.add(after[0]);
                pipelines.add(before[1]);
                pipelines.add(after[1]);
            } else {
                warmed++;
            }
            System.err.println(line.append(String.format(Locale.ROOT,
                    " (two CPUs: share %.2f, %.2f; pipeline %.2f, %.2f; JIT %d ms)",
                    before[0], after[0], before[1], after[1], jitMs)));
        }
        System.err.println("JIT quiet before invocations: " + r.jitQuiet.summary());
        System.out.println("#WARMUP " + warmed);
        System.out.println(series("#SHARE", shares, "%.3f"));
        System.out.println(series("#PIPELINE", pipelines, "%.3f"));
        for (Map.Entry<String, List<Double>> e : times.entrySet()) {
            System.out.println(series("#TIME " + e.getKey(), e.getValue(), "%.2f"));
            System.out.println(series("#CPU " + e.getKey(), cpu.get(e.getKey()), "%.2f"));
        }
        r.kryoModel = null;
        Footprint.Result f = Footprint.measure(w, dir, r.arena);
        System.out.println("#SIZE " + f.imageBytes() + " " + w.nonZeroBytes + " " + w.scannedBytes);
        for (Map.Entry<String, Footprint.Measure> e : f.measures().entrySet()) {
            System.out.println("#HEAP " + e.getKey() + " " + e.getValue().allocatedBytes() + " "
                    + e.getValue().peakExtraBytes());
        }
        try (var outputs = Files.newDirectoryStream(dir, "*.out.*")) {
            for (Path p : outputs) {
                Files.delete(p);
            }
        }
        Files.deleteIfExists(r.image);
        Files.deleteIfExists(r.rawFile);
        Files.deleteIfExists(r.kryoFile);
        if (r.seal != null) {
            r.seal.delete();
        }
    }

    /** One thread per operation, kept across rounds. */
    private static final Map<String, java.util.concurrent.ExecutorService> THREADS = new LinkedHashMap<>();

    /**
     * Runs {@code op} on the thread kept for it and returns its wall time in ms. The JDK keeps
     * per-thread caches of temporary direct buffers for heap-buffer I/O (hundreds of them, of
     * whole-area sizes, after a gathering write of heap buffers): on a thread of its own each
     * operation finds its own caches warm from its earlier rounds, and none of another's.
     */
    private static double onItsThread(String name, Op op) throws Exception {
        java.util.concurrent.ExecutorService ex = THREADS.computeIfAbsent(name, n ->
                java.util.concurrent.Executors.newSingleThreadExecutor(task -> {
                    Thread t = new Thread(task, "bench-" + n);
                    t.setDaemon(true);
                    return t;
                }));
        try {
            return ex.submit(() -> {
                long start = System.nanoTime();
                op.run();
                return (System.nanoTime() - start) / 1e6;
            }).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception c ? c : e;
        }
    }

    /**
     * Before each timed invocation: dirty pages written back, the heap collected (outputs are
     * overwritten in place), and the JIT's compiler threads quiet ({@link JitQuiet}).
     */
    private void settle() throws IOException, InterruptedException {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
        System.gc();
        jitQuiet.await();
    }

    private Path out(String kind) {
        return dir.resolve(w.name + ".out." + kind);
    }

    static FileChannel create(Path p) throws IOException {
        return FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }

    /**
     * A timed operation's output: overwritten from its start in place (see the class comment).
     * Not truncated: an operation writes the same bytes every round, so the length stays.
     */
    static FileChannel overwrite(Path p) throws IOException {
        return FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    }

    private void kryoWrite(FileChannel out) {
        OutputStream os = Channels.newOutputStream(out);
        try (Output o = new Output(os, 1 << 16)) {
            kryo.writeObject(o, kryoModel);
        }
    }

    /** Accepts and discards every byte: what the format costs without I/O. */
    static final class NullChannel implements WritableByteChannel {
        private boolean open = true;

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }
}
