package org.ckpt.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.ckpt.CheckpointResult;
import org.ckpt.RestartResult;

/**
 * Image size and heap footprint of one checkpoint and one restart, measured in this
 * JVM. Two measures per operation: bytes the calling thread allocated (HotSpot's
 * per-thread allocation counter — an upper bound on the extra heap the operation
 * can hold), and the peak of used heap sampled every millisecond minus the used
 * heap after a full GC just before (what the heap actually grew by, garbage included).
 */
final class Footprint {
    record Measure(long allocatedBytes, long peakExtraBytes) {
    }

    record Result(long imageBytes, long nonZeroBytes, Measure checkpoint, Measure restartFile, Measure restartStream) {
        double sizeOverheadPct() {
            return 100.0 * (imageBytes - nonZeroBytes) / nonZeroBytes;
        }
    }

    interface Op {
        void run() throws IOException;
    }

    private Footprint() {
    }

    static Result measure(Workload w, Path dir) throws IOException {
        Path image = dir.resolve(w.name + ".footprint.ckpt");
        long[] bytes = new long[1];
        Measure ckpt = measure(() -> {
            try (FileChannel out = ImageBench.create(image)) {
                CheckpointResult r = ImageBench.CHECKPOINTER.checkpoint(w.tasks, out);
                bytes[0] = r.bytesWritten();
            }
        });
        Object[] keep = new Object[1];
        Measure file = measure(() -> {
            try (FileChannel in = FileChannel.open(image)) {
                keep[0] = ImageBench.RESTARTER.restart(in);
            }
        });
        keep[0] = null;
        Measure stream = measure(() -> {
            try (var in = Channels.newChannel(Files.newInputStream(image))) {
                RestartResult r = ImageBench.RESTARTER.restart(in);
                keep[0] = r;
            }
        });
        keep[0] = null;
        Files.deleteIfExists(image);
        return new Result(bytes[0], w.nonZeroBytes, ckpt, file, stream);
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
