package org.ckpt.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;
import org.ckpt.store.ImageUpload;
import org.ckpt.store.s3.S3ImageStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * The S3 benchmark of issue 20 ({@code bench/s3}): ckpt against the same S3 server the plain SDK
 * talks to, S3Proxy in a child JVM on 127.0.0.1 with its filesystem backend, with the mem-1g
 * workload of {@link Workload}:
 *
 * <ul>
 *   <li>{@code s3_ckpt_vs_put}: {@code S3ImageStore.put} of a checkpoint, against a plain SDK
 *       multipart upload of the same image file (same part size, same concurrency, same client);</li>
 *   <li>{@code s3_restart_vs_get}: a restart from the object into preallocated guest RAM (every byte
 *       validated), against plain parallel ranged GETs of the object into one preallocated array;</li>
 *   <li>{@code dedup_ratio}: bytes in the bucket after 10 checkpoints in chunked mode with 1 % of the
 *       pages changed between them, over 10 × one image;</li>
 *   <li>heap: the most heap live after any GC during one checkpoint / restart, in a child JVM with a
 *       32 MiB young generation (so that GCs are frequent), minus the live heap before.</li>
 * </ul>
 * Timed operations alternate in pairs (ckpt and put, then restart and get, each pair in turn
 * order), with a pause before each, so a load that comes and goes on the machine falls on both
 * sides of each ratio; ratios use the medians.
 */
public final class S3Bench {
    static final int PART = 8 << 20;
    static final int CONCURRENCY = 4;
    static final Checkpointer CKPT = Checkpointer.builder().architecture("x86_64").build();
    static final Restarter RESTARTER = Restarter.builder().build();

    private S3Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("--heap")) {
            heapChild(Integer.parseInt(args[1]));
            return;
        }
        int iterations = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> iterations = 3;
                case "--iterations" -> iterations = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("usage: [--quick] [--iterations N], got " + args[i]);
            }
        }
        PrintStream out = System.out;
        Path dir = Path.of(System.getProperty("ckpt.bench.dir", "bench/target/io")).toAbsolutePath();
        Path data = dir.resolve("s3data");
        deleteTree(data);
        Files.createDirectories(dir);
        Process server = startServer(data);
        try {
            int port = port(server);
            run(out, dir, port, iterations);
        } finally {
            server.getOutputStream().close();
            server.waitFor();
            deleteTree(data);
        }
    }

    static Process startServer(Path data) throws IOException {
        return new ProcessBuilder(java(), "-Xmx1g", "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"),
                S3ProxyMain.class.getName(), data.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    static int port(Process server) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            if (line.startsWith("PORT ")) {
                return Integer.parseInt(line.substring(5).trim());
            }
        }
        throw new IOException("the S3 server ended before it listened");
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static S3Client client(int port) {
        return S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + port)).forcePathStyle(true)
                .region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3ProxyMain.ACCESS, S3ProxyMain.SECRET)))
                .httpClientBuilder(Apache5HttpClient.builder().maxConnections(50)).build();
    }

    static S3ImageStore store(S3Client client, String bucket, boolean chunked) {
        return S3ImageStore.builder(bucket).client(client).partSize(PART).concurrency(CONCURRENCY).chunked(chunked)
                .build();
    }

    private static void run(PrintStream out, Path dir, int port, int iterations) throws Exception {
        long t0 = System.nanoTime();
        Workload w = Workload.named("mem-1g");
        Path file = dir.resolve("s3-mem-1g.ckpt");
        long imageBytes = CKPT.checkpoint(w.tasks, file).bytesWritten();
        GuestRam guest = new GuestRam(w.tasks.get(0));
        byte[] download = new byte[Math.toIntExact(imageBytes)];
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY, r -> {
            Thread t = new Thread(r, "plain-sdk");
            t.setDaemon(true);
            return t;
        });
        Map<String, List<Double>> times = new LinkedHashMap<>();
        try (S3Client client = client(port); S3ImageStore store = store(client, "bench", false)) {
            client.createBucket(r -> r.bucket("bench"));
            client.createBucket(r -> r.bucket("dedup"));
            Op ckpt = () -> store.put("ckpt/mem-1g.ckpt", o -> CKPT.checkpoint(w.tasks, o));
            Op put = () -> plainPut(client, "bench", "plain/mem-1g.ckpt", file, pool);
            Op restart = () -> {
                try (ReadableByteChannel in = store.open("ckpt/mem-1g.ckpt")) {
                    RESTARTER.restart(in, guest);
                }
            };
            Op get = () -> plainGet(client, "bench", "plain/mem-1g.ckpt", download, pool);
            // Uploads first, then downloads (the server's work after a large upload must not fall on
            // a read); within each pair the order alternates, so neither side always goes first.
            for (int i = -1; i < iterations; i++) {
                boolean warm = i < 0;
                boolean swap = (i & 1) != 0;
                time(times, swap ? "plainPut" : "s3Ckpt", warm, swap ? put : ckpt);
                time(times, swap ? "s3Ckpt" : "plainPut", warm, swap ? ckpt : put);
            }
            for (int i = -1; i < iterations; i++) {
                boolean warm = i < 0;
                boolean swap = (i & 1) != 0;
                time(times, swap ? "plainGet" : "s3Restart", warm, swap ? get : restart);
                time(times, swap ? "s3Restart" : "plainGet", warm, swap ? restart : get);
            }
            if (!Arrays.equals(download, Files.readAllBytes(file))) {
                throw new IllegalStateException("the plain download differs from the image file");
            }
            Dedup d = dedup(client, w);
            Heap heap = heapInChild(port);
            double ckptVsPut = median(times.get("s3Ckpt")) / median(times.get("plainPut"));
            double restartVsGet = median(times.get("s3Restart")) / median(times.get("plainGet"));
            // The same ratios pair by pair (the two operations of a round ran back to back, under the
            // same load): on a shared machine the steadier figure.
            double ckptVsPutPaired = median(pairRatios(times.get("s3Ckpt"), times.get("plainPut")));
            double restartVsGetPaired = median(pairRatios(times.get("s3Restart"), times.get("plainGet")));

            out.println();
            out.println("ckpt S3 benchmark, " + machine());
            out.printf(Locale.ROOT, "method: S3Proxy %s (filesystem backend, child JVM) on 127.0.0.1; AWS SDK %s, "
                    + "Apache 5 client; part size %d MiB, concurrency %d; 1 warm-up + %d measured rounds, operations "
                    + "alternated (uploads, then downloads), median reported; workload mem-1g (%s)%n", s3proxyVersion(),
                    software.amazon.awssdk.core.util.VersionInfo.SDK_VERSION, PART >> 20, CONCURRENCY, iterations,
                    w.description);
            out.printf(Locale.ROOT, "   image %,d bytes%n", imageBytes);
            out.printf(Locale.ROOT, "   %-12s %10s %10s %10s %10s%n", "operation", "median ms", "min ms", "max ms", "MiB/s");
            for (Map.Entry<String, List<Double>> e : times.entrySet()) {
                List<Double> v = e.getValue();
                out.printf(Locale.ROOT, "   %-12s %10.0f %10.0f %10.0f %10.0f%n", e.getKey(), median(v),
                        v.stream().min(Comparator.naturalOrder()).orElseThrow(),
                        v.stream().max(Comparator.naturalOrder()).orElseThrow(), imageBytes / 1048576.0 / (median(v) / 1000));
            }
            out.printf(Locale.ROOT, "   chunked: 10 checkpoints of %,d image bytes in all, %,d bytes stored (%,d in "
                    + "packs, %,d in manifests, %,d in pack indexes); first checkpoint %.0f ms, later ones median %.0f ms; "
                    + "restart of the last %.0f ms%n", d.imageBytes, d.storedBytes, d.packBytes, d.manifestBytes,
                    d.indexBytes, d.firstMs, d.laterMedianMs, d.restartMs);
            out.printf(Locale.ROOT, "   heap live beyond the workload (most after any GC): checkpoint %.1f MiB, restart "
                    + "%.1f MiB (plain put %.1f MiB, plain get %.1f MiB); budget 64 MiB + part size x concurrency = "
                    + "%d MiB%n", heap.ckpt, heap.restart, heap.put, heap.get, 64 + (PART >> 20) * CONCURRENCY);
            out.printf(Locale.ROOT, "   ratios round by round: checkpoint/put %s, restart/get %s; medians %.2f and %.2f%n",
                    fmt(pairRatios(times.get("s3Ckpt"), times.get("plainPut"))),
                    fmt(pairRatios(times.get("s3Restart"), times.get("plainGet"))), ckptVsPutPaired, restartVsGetPaired);
            out.printf(Locale.ROOT, "   total time %.0f s%n", (System.nanoTime() - t0) / 1e9);
            out.println();
            out.printf(Locale.ROOT, "RESULT s3_ckpt_vs_put=%.2f s3_restart_vs_get=%.2f dedup_ratio=%.3f "
                    + "s3_ckpt_heap_mib=%.1f s3_restart_heap_mib=%.1f s3_ckpt_vs_put_paired=%.2f "
                    + "s3_restart_vs_get_paired=%.2f%n", ckptVsPut, restartVsGet,
                    (double) d.storedBytes / d.imageBytes, heap.ckpt, heap.restart, ckptVsPutPaired, restartVsGetPaired);
        } finally {
            pool.shutdownNow();
            Files.deleteIfExists(file);
        }
    }

    interface Op {
        void run() throws Exception;
    }

    static void time(Map<String, List<Double>> times, String name, boolean warm, Op op) throws Exception {
        System.gc();
        Thread.sleep(1000);   // let the server finish what the previous operation left it (GC, flushing)
        long t = System.nanoTime();
        op.run();
        double ms = (System.nanoTime() - t) / 1e6;
        List<Double> list = times.computeIfAbsent(name, k -> new ArrayList<>());
        if (!warm) {
            list.add(ms);
        }
        System.err.printf(Locale.ROOT, "  %s%s %.0f ms%n", name, warm ? " (warm-up)" : "", ms);
    }

    static List<Double> pairRatios(List<Double> a, List<Double> b) {
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            r.add(a.get(i) / b.get(i));
        }
        return r;
    }

    static String fmt(List<Double> v) {
        StringBuilder s = new StringBuilder();
        for (double x : v) {
            s.append(s.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", x));
        }
        return s.toString();
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(Comparator.naturalOrder());
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** A plain SDK multipart upload of a file: parts of PART bytes, CONCURRENCY in flight, bounded buffers. */
    static void plainPut(S3Client c, String bucket, String key, Path file, ExecutorService pool) throws Exception {
        String id = c.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
        Semaphore permits = new Semaphore(CONCURRENCY);
        ArrayDeque<byte[]> free = new ArrayDeque<>();
        List<Future<CompletedPart>> parts = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            int number = 1;
            for (long off = 0; off < size; off += PART, number++) {
                permits.acquire();
                byte[] buf;
                synchronized (free) {
                    buf = free.isEmpty() ? new byte[PART] : free.pop();
                }
                int len = (int) Math.min(PART, size - off);
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, len);
                while (bb.hasRemaining()) {
                    if (ch.read(bb, off + bb.position()) < 0) {
                        throw new IOException("short file");
                    }
                }
                int n = number;
                parts.add(pool.submit(() -> {
                    try {
                        UploadPartResponse r = c.uploadPart(p -> p.bucket(bucket).key(key).uploadId(id).partNumber(n)
                                .contentLength((long) len), RequestBody.fromContentProvider(
                                        () -> new ByteArrayInputStream(buf, 0, len), len, "application/octet-stream"));
                        return CompletedPart.builder().partNumber(n).eTag(r.eTag()).checksumCRC32(r.checksumCRC32()).build();
                    } finally {
                        synchronized (free) {
                            free.push(buf);
                        }
                        permits.release();
                    }
                }));
            }
        }
        List<CompletedPart> done = new ArrayList<>();
        for (Future<CompletedPart> f : parts) {
            done.add(f.get());
        }
        c.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(id).multipartUpload(m -> m.parts(done)));
    }

    /** Plain parallel ranged GETs of an object into one array: ranges of PART bytes, CONCURRENCY in flight. */
    static void plainGet(S3Client c, String bucket, String key, byte[] into, ExecutorService pool) throws Exception {
        long size = c.headObject(r -> r.bucket(bucket).key(key)).contentLength();
        if (size != into.length) {
            throw new IOException("object of " + size + " bytes, array of " + into.length);
        }
        List<Future<?>> ranges = new ArrayList<>();
        for (long off = 0; off < size; off += PART) {
            long from = off;
            int len = (int) Math.min(PART, size - off);
            ranges.add(pool.submit(() -> {
                try (ResponseInputStream<GetObjectResponse> in = c.getObject(r -> r.bucket(bucket).key(key)
                        .range("bytes=" + from + "-" + (from + len - 1)))) {
                    int n = 0;
                    while (n < len) {
                        int k = in.read(into, (int) from + n, len - n);
                        if (k < 0) {
                            throw new IOException("short body");
                        }
                        n += k;
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : ranges) {
            f.get();
        }
    }

    /** Guest RAM preallocated for the restored areas; the restart copies each page run straight into it. */
    static final class GuestRam implements RestartTarget {
        final TreeMap<Long, byte[]> areas = new TreeMap<>();

        GuestRam(Task task) {
            for (Vma v : task.mm().vmas()) {
                areas.put(v.start(), new byte[Math.toIntExact(v.end() - v.start())]);
            }
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
        public org.ckpt.PageDestination pages() {
            return run -> {
                Map.Entry<Long, byte[]> e = areas.floorEntry(run.address());
                return ByteBuffer.wrap(e.getValue(), (int) (run.address() - e.getKey()), run.length());
            };
        }

        @Override
        public void commit(RestartResult image) {
        }
    }

    record Dedup(long imageBytes, long storedBytes, long packBytes, long manifestBytes, long indexBytes, double firstMs,
                 double laterMedianMs, double restartMs) {
    }

    /**
     * 10 checkpoints in chunked mode; between two, 1 % of the area pages (zero or not) get new random
     * contents, changed in place in the workload's own arrays as a running host's memory changes.
     */
    static Dedup dedup(S3Client client, Workload w) throws Exception {
        List<ByteBuffer> areas = new ArrayList<>();
        for (Vma v : w.tasks.get(0).mm().vmas()) {
            v.pages().forEachRun((address, bytes, clean) -> areas.add(bytes));
        }
        long pages = areas.stream().mapToLong(b -> b.remaining() / Workload.PAGE).sum();
        SplittableRandom rnd = new SplittableRandom(20);
        long images = 0;
        List<Double> ms = new ArrayList<>();
        try (S3ImageStore store = store(client, "dedup", true)) {
            for (int i = 0; i < 10; i++) {
                if (i > 0) {
                    changeOnePercent(areas, pages, rnd);
                }
                long t = System.nanoTime();
                try (ImageUpload up = store.create("task/" + i + ".ckpt")) {
                    CKPT.checkpoint(w.tasks, up);
                    up.commit();
                    images += up.bytesWritten();
                }
                ms.add((System.nanoTime() - t) / 1e6);
                System.err.printf(Locale.ROOT, "  chunked checkpoint %d %.0f ms%n", i, ms.get(ms.size() - 1));
            }
            long t = System.nanoTime();
            try (ReadableByteChannel in = store.open("task/9.ckpt")) {
                RESTARTER.restart(in);
            }
            double restartMs = (System.nanoTime() - t) / 1e6;
            long packs = 0;
            long manifests = 0;
            long indexes = 0;
            long all = 0;
            for (S3Object o : client.listObjectsV2Paginator(r -> r.bucket("dedup")).contents()) {
                all += o.size();
                if (o.key().startsWith("ckpt-chunks/packs/")) {
                    packs += o.size();
                } else if (o.key().startsWith("ckpt-chunks/index/")) {
                    indexes += o.size();
                } else {
                    manifests += o.size();
                }
            }
            return new Dedup(images, all, packs, manifests, indexes, ms.get(0), median(ms.subList(1, ms.size())),
                    restartMs);
        }
    }

    record Heap(double ckpt, double restart, double put, double get) {
    }

    static Heap heapInChild(int port) throws Exception {
        Process p = new ProcessBuilder(java(), "-Xms3g", "-Xmx3g", "-Xmn32m", "-XX:+UseParallelGC",
                "-Dckpt.bench.dir=" + System.getProperty("ckpt.bench.dir", "bench/target/io"),
                "-cp", System.getProperty("java.class.path"), S3Bench.class.getName(), "--heap", String.valueOf(port))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        String heap = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("HEAP ")) {
                    heap = line;
                }
            }
        }
        if (p.waitFor() != 0 || heap == null) {
            throw new IOException("the heap measurement failed (exit " + p.exitValue() + ")");
        }
        String[] f = heap.split(" ");
        return new Heap(Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                Double.parseDouble(f[4]));
    }

    /** In the child: one of each operation, each measured by the most heap live after a GC during it. */
    static void heapChild(int port) throws Exception {
        Workload w = Workload.named("mem-1g");
        Path dir = Path.of(System.getProperty("ckpt.bench.dir", "bench/target/io")).toAbsolutePath();
        Path file = dir.resolve("s3-heap-mem-1g.ckpt");
        CKPT.checkpoint(w.tasks, file);
        GuestRam guest = new GuestRam(w.tasks.get(0));
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
        try (S3Client client = client(port); S3ImageStore store = store(client, "bench", false)) {
            double ckpt = LiveHeap.during(() -> store.put("heap/mem-1g.ckpt", o -> CKPT.checkpoint(w.tasks, o)));
            double restart = LiveHeap.during(() -> {
                try (ReadableByteChannel in = store.open("heap/mem-1g.ckpt")) {
                    RESTARTER.restart(in, guest);
                }
            });
            double put = LiveHeap.during(() -> plainPut(client, "bench", "heap/plain.ckpt", file, pool));
            byte[] into = new byte[Math.toIntExact(Files.size(file))];
            double get = LiveHeap.during(() -> plainGet(client, "bench", "heap/plain.ckpt", into, pool));
            System.out.printf(Locale.ROOT, "HEAP %.1f %.1f %.1f %.1f%n", ckpt, restart, put, get);
        } finally {
            pool.shutdownNow();
            Files.deleteIfExists(file);
        }
    }

    /** The most heap in use right after any GC during an operation, less the heap in use after a full GC before it. */
    static final class LiveHeap {
        static double during(Op op) throws Exception {
            AtomicLong peak = new AtomicLong();
            List<NotificationEmitter> emitters = new ArrayList<>();
            javax.management.NotificationListener listener = (n, h) -> {
                if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                    GarbageCollectionNotificationInfo info =
                            GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                    long used = 0;
                    for (MemoryUsage u : info.getGcInfo().getMemoryUsageAfterGc().values()) {
                        used += u.getUsed();
                    }
                    peak.accumulateAndGet(used, Math::max);
                }
            };
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                NotificationEmitter e = (NotificationEmitter) gc;
                e.addNotificationListener(listener, null, null);
                emitters.add(e);
            }
            System.gc();
            Thread.sleep(100);
            long base = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            peak.set(base);
            op.run();
            Thread.sleep(100);
            for (NotificationEmitter e : emitters) {
                e.removeNotificationListener(listener);
            }
            return (peak.get() - base) / 1048576.0;
        }
    }

    static String s3proxyVersion() {
        try (InputStream in = S3ProxyMain.class.getResourceAsStream("/META-INF/maven/org.gaul/s3proxy/pom.properties")) {
            java.util.Properties p = new java.util.Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "?");
        } catch (IOException e) {
            return "?";
        }
    }

    static String machine() {
        List<String> parts = new ArrayList<>();
        parts.add(Runtime.getRuntime().availableProcessors() + " CPUs");
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            lines.filter(l -> l.startsWith("model name")).findFirst()
                    .ifPresent(l -> parts.add(l.substring(l.indexOf(':') + 1).trim()));
        } catch (IOException | java.io.UncheckedIOException e) {
            // not Linux
        }
        try {
            parts.add("load average " + Files.readString(Path.of("/proc/loadavg")).split(" ")[0] + " at the end");
        } catch (IOException e) {
            // not Linux
        }
        parts.add(System.getProperty("os.name") + " " + System.getProperty("os.version"));
        parts.add("Java " + System.getProperty("java.vm.version"));
        return String.join(", ", parts);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(x);
            }
        }
    }

    /**
     * New random contents for 1 % of {@code pages} pages of {@code areas} (zero or not, chosen
     * at random, in place): the change between two checkpoints of the dedup figures.
     */
    static void changeOnePercent(List<ByteBuffer> areas, long pages, SplittableRandom rnd) {
        for (long k = 0; k < pages / 100; k++) {
            ByteBuffer a = areas.get(rnd.nextInt(areas.size()));
            int page = rnd.nextInt(a.remaining() / Workload.PAGE);
            byte[] arr = a.array();
            int base = a.arrayOffset() + a.position() + page * Workload.PAGE;
            for (int j = 0; j < Workload.PAGE; j += 8) {
                long v = rnd.nextLong();
                for (int b = 0; b < 8; b++) {
                    arr[base + j + b] = (byte) (v >>> (8 * b));
                }
            }
        }
    }
}
