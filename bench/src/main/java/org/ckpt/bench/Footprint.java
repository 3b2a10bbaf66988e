package org.ckpt.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Image size and heap footprint of one checkpoint and of restarts, measured in the runner's
 * JVM after the timed rounds. Two measures per operation: bytes the calling thread allocated
 * (HotSpot's per-thread allocation counter — an upper bound on the extra heap the operation
 * can hold), and the peak of used heap sampled every millisecond minus the used heap after a
 * full GC just before (what the heap actually grew by, garbage included).
 */
final class Footprint {
    record Measure(long allocatedBytes, long peakExtraBytes) {
    }

    record Result(long imageBytes, Map<String, Measure> measures) {
    }

    interface Op {
        void run() throws IOException;
    }

    private Footprint() {
    }

    static Result measure(Workload w, Path dir, Arena arena) throws IOException {
        Path image = dir.resolve(w.name + ".footprint.ckpt");
        long[] bytes = new long[1];
        Map<String, Measure> m = new LinkedHashMap<>();
        m.put("checkpoint", measure(() -> {
            try (FileChannel out = Runner.create(image)) {
                bytes[0] = Runner.CHECKPOINTER.checkpoint(w.tasks, out).bytesWritten();
            }
        }));
        Object[] keep = new Object[1];
        m.put("restartFromFile", measure(() -> {
            try (FileChannel in = FileChannel.open(image)) {
                keep[0] = Runner.RESTARTER.restart(in);
            }
        }));
        keep[0] = null;
        m.put("restartIntoHost", measure(() -> {
            arena.reset();
            try (FileChannel in = FileChannel.open(image)) {
                keep[0] = Runner.RESTARTER.restart(in, new Runner.HostTarget(arena));
            }
        }));
        keep[0] = null;
        m.put("restartMapped", measure(() -> {
            try (FileChannel in = FileChannel.open(image)) {
                keep[0] = Runner.MAPPED.restart(in);
            }
        }));
        keep[0] = null;
        m.put("restartFromStream", measure(() -> {
            try (var in = Channels.newChannel(Files.newInputStream(image))) {
                keep[0] = Runner.RESTARTER.restart(in);
            }
        }));
        keep[0] = null;
        Files.deleteIfExists(image);
        return new Result(bytes[0], m);
    }

    private static Measure measure(Op op) throws IOException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        System.gc();
        long base = mem.getHeapMemoryUsage().getUsed();
        AtomicLong peak = new AtomicLong(base);
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
        long before = threads.getCurrentThreadAllocatedBytes();
        op.run();
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
        sampler.interrupt();
        try {
            sampler.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Measure(allocated, Math.max(0, peak.get() - base));
    }
}
