package org.ckpt.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.ckpt.Checkpointer;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/**
 * The cost of one checkpoint of a small or mid-sized task, with the writer thread (the
 * default) and without ({@code writerThread(false)}): what a host pays that checkpoints before
 * every input or step. Tasks of one area of random pages (none zero) of 64 KiB to 64 MiB;
 * each checkpoint to a discarding channel and to a file on local disk overwritten in place.
 * Both ways are interleaved call by call in one JVM; per size and destination, the median of
 * the batches' mean time per call, after warm-up batches. Reports how many threads the
 * default way started per checkpoint.
 *
 * <pre>bench/run small [--quick]</pre>
 */
public final class SmallBench {
    private static final int[] KIB = {64, 1024, 4096, 16384, 65536};

    private SmallBench() {
    }

    private static Task task(int kib) {
        byte[] mem = new byte[kib << 10];
        new SplittableRandom(kib).nextBytes(mem);
        long start = 0x4000_0000L;
        return Task.builder().pid(1).comm("small").mm(AddressSpace.of(List.of(Vma.anonymous(start,
                start + mem.length, PageData.of(start, mem))))).build();
    }

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        int warm = quick ? 2 : 4;
        int batches = quick ? 5 : 11;
        Path dir = BenchMain.dir();
        Files.createDirectories(dir);
        Path file = dir.resolve("small.ckpt");
        Checkpointer threaded = Checkpointer.builder().architecture("x86_64").build();
        Checkpointer inline = Checkpointer.builder().architecture("x86_64").writerThread(false).build();
        PrintStream out = System.out;
        out.println("ckpt small checkpoints: one area of random pages, writer thread (default) against"
                + " writerThread(false), interleaved call by call; " + warm + " warm-up + " + batches
                + " measured batches, median of the batches' mean per call");
        out.printf(Locale.ROOT, "   %-9s %-8s %12s %12s %8s %16s%n", "task", "to", "default us", "inline us",
                "ratio", "threads/ckpt");
        StringBuilder result = new StringBuilder("RESULT");
        try (FileChannel fc = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            for (int kib : KIB) {
                Task t = task(kib);
                // About 64 MiB of checkpoints per batch and way, at least 4 calls.
                int calls = Math.max(4, (64 << 10) / kib);
                for (String to : new String[] {"discard", "file"}) {
                    double[][] perCall = new double[2][batches];
                    long threads = 0;
                    for (int b = 0; b < warm + batches; b++) {
                        for (int way = 0; way < 2; way++) {
                            Checkpointer c = way == 0 ? threaded : inline;
                            long started = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
                            long s = System.nanoTime();
                            for (int i = 0; i < calls; i++) {
                                if (to.equals("file")) {
                                    fc.position(0);
                                    c.checkpoint(t, fc);
                                } else {
                                    c.checkpoint(t, new Runner.NullChannel());
                                }
                            }
                            long e = System.nanoTime();
                            if (b >= warm) {
                                perCall[way][b - warm] = (e - s) / 1e3 / calls;
                                if (way == 0) {
                                    threads += ManagementFactory.getThreadMXBean().getTotalStartedThreadCount()
                                            - started;
                                }
                            }
                        }
                    }
                    double d = BenchMain.median(perCall[0]);
                    double n = BenchMain.median(perCall[1]);
                    out.printf(Locale.ROOT, "   %-9s %-8s %12.1f %12.1f %8.2f %16.2f%n", label(kib), to, d, n,
                            d / n, threads / (double) (batches * calls));
                    result.append(String.format(Locale.ROOT, " small_%s_%s_us=%.1f small_%s_%s_vs_inline=%.2f",
                            label(kib).toLowerCase(Locale.ROOT), to, d, label(kib).toLowerCase(Locale.ROOT), to,
                            d / n));
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
        out.println("   load average (1, 5, 15 min) at the end: " + BenchMain.loadAverage());
        out.println();
        out.println(result);
    }

    private static String label(int kib) {
        return kib < 1024 ? kib + "KiB" : (kib >> 10) + "MiB";
    }
}
