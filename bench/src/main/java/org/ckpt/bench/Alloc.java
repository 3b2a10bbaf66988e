package org.ckpt.bench;

import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A quick look at allocation and time, for profiling: checkpoints and restarts a workload
 * {@code N} times and prints what the calling thread allocated and how long each took.
 *
 * <pre>java -cp benchmarks.jar org.ckpt.bench.Alloc WORKLOAD N DIR [ckpt|null|restart|host|raw|rawwrite]...</pre>
 */
public final class Alloc {
    private Alloc() {
    }

    public static void main(String[] args) throws Exception {
        Workload w = Workload.named(args[0]);
        int n = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]);
        Files.createDirectories(dir);
        Path image = dir.resolve(w.name + ".alloc.ckpt");
        Arena arena = new Arena(w.nonZeroBytes);
        Raw raw = new Raw();
        Path rawFile = dir.resolve(w.name + ".alloc.raw");
        try (FileChannel out = Runner.create(rawFile)) {
            raw.stagedWrite(w, out);
        }
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int a = 3; a < args.length; a++) {
            String op = args[a];
            if ((op.equals("restart") || op.equals("host")) && !Files.exists(image)) {
                try (FileChannel out = Runner.create(image)) {
                    Runner.CHECKPOINTER.checkpoint(w.tasks, out);
                }
            }
            for (int i = 0; i < n; i++) {
                System.gc();
                long before = threads.getCurrentThreadAllocatedBytes();
                long cpu = threads.getCurrentThreadCpuTime();
                long t = System.nanoTime();
                switch (op) {
                    case "ckpt" -> {
                        try (FileChannel out = Runner.create(image)) {
                            Runner.CHECKPOINTER.checkpoint(w.tasks, out);
                        }
                    }
                    case "null" -> Runner.CHECKPOINTER.checkpoint(w.tasks, new Runner.NullChannel());
                    case "restart" -> {
                        try (FileChannel in = FileChannel.open(image)) {
                            Runner.RESTARTER.restart(in);
                        }
                    }
                    case "host" -> {
                        arena.reset();
                        try (FileChannel in = FileChannel.open(image)) {
                            Runner.RESTARTER.restart(in, new Runner.HostTarget(arena));
                        }
                    }
                    case "raw" -> {
                        try (FileChannel in = FileChannel.open(rawFile)) {
                            arena.reset();
                            Raw.readInto(w, in, arena);
                        }
                    }
                    case "rawwrite" -> {
                        try (FileChannel out = Runner.create(rawFile)) {
                            raw.stagedWrite(w, out);
                        }
                    }
                    default -> throw new IllegalArgumentException(op);
                }
                double ms = (System.nanoTime() - t) / 1e6;
                double cpuMs = (threads.getCurrentThreadCpuTime() - cpu) / 1e6;
                long bytes = threads.getCurrentThreadAllocatedBytes() - before;
                System.out.printf(Locale.ROOT, "%s %d: %.1f ms (calling thread's CPU %.1f ms), %.2f MiB allocated%n", op,
                        i, ms, cpuMs, bytes / 1048576.0);
            }
        }
        Files.deleteIfExists(image);
        Files.deleteIfExists(rawFile);
    }
}
