package org.ckpt.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import org.ckpt.model.Vma;

/**
 * How the chunk size decides the dedup ratio (docs/FORMAT.md §16.8), without a server: the
 * dedup scenario of {@code bench/s3} (10 checkpoints of mem-1g, 1 % of the pages changed between
 * two), with chunks of G pages aligned on G-page address blocks (the most stable multi-page
 * scheme: a change touches one block), for several G. Counts distinct chunks by a 128-bit hash
 * (not SHA-256: this counts, it stores nothing). Run with {@code bench/s3 --granularity}.
 */
public final class ChunkGranularity {
    private ChunkGranularity() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = {1, 2, 4, 8, 16, 64};
        Workload w = Workload.named("mem-1g");
        List<ByteBuffer> areas = new ArrayList<>();
        List<Long> starts = new ArrayList<>();
        for (Vma v : w.tasks.get(0).mm().vmas()) {
            v.pages().forEachRun((address, bytes, clean) -> {
                areas.add(bytes);
                starts.add(address);
            });
        }
        long pages = areas.stream().mapToLong(b -> b.remaining() / Workload.PAGE).sum();
        List<Set<Hash>> seen = new ArrayList<>();
        long[] chunkRefs = new long[sizes.length];
        long[] firstChunks = new long[sizes.length];
        for (int s = 0; s < sizes.length; s++) {
            seen.add(new HashSet<>());
        }
        long imageBytes = 0;
        SplittableRandom rnd = new SplittableRandom(20);
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                S3Bench.changeOnePercent(areas, pages, rnd);
            }
            for (int s = 0; s < sizes.length; s++) {
                int g = sizes[s];
                for (ByteBuffer a : areas) {
                    ByteBuffer le = a.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                    int n = a.remaining() / Workload.PAGE;
                    for (int block = 0; block < n; block += g) {
                        long h1 = 0x9E3779B97F4A7C15L;
                        long h2 = 0xC2B2AE3D27D4EB4FL;
                        int present = 0;
                        for (int p = block; p < Math.min(n, block + g); p++) {
                            int off = a.position() + p * Workload.PAGE;
                            if (zero(le, off)) {
                                continue;   // not in the image
                            }
                            present++;
                            for (int i = 0; i < Workload.PAGE; i += 8) {
                                long x = le.getLong(off + i);
                                h1 = (h1 ^ x) * 0xFF51AFD7ED558CCDL;
                                h2 = (h2 + x) * 0xC4CEB9FE1A85EC53L ^ (h1 >>> 29);
                            }
                            h1 ^= p - block;  // where in the block (a chunk of G pages says which are present)
                        }
                        if (present > 0) {
                            chunkRefs[s]++;
                            if (seen.get(s).add(new Hash(h1, h2, present)) && round == 0) {
                                firstChunks[s]++;
                            }
                        }
                        if (s == 0) {
                            imageBytes += (long) present * Workload.PAGE;
                        }
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "10 checkpoints of mem-1g, 1%% of the pages changed between two: %,d page "
                + "bytes in the images%n", imageBytes);
        System.out.printf(Locale.ROOT, "%-8s %14s %14s %12s %18s%n", "chunk", "distinct", "stored ratio",
                "manifests", "first image chunks");
        for (int s = 0; s < sizes.length; s++) {
            long distinctBytes = 0;
            for (Hash h : seen.get(s)) {
                distinctBytes += (long) h.pages * Workload.PAGE;
            }
            long manifest = chunkRefs[s] * 32;
            System.out.printf(Locale.ROOT, "%-8s %14s %14.3f %12.3f %18s%n", sizes[s] * 4 + " KiB",
                    String.format(Locale.ROOT, "%,d", seen.get(s).size()),
                    (double) (distinctBytes + manifest) / imageBytes, (double) manifest / imageBytes,
                    String.format(Locale.ROOT, "%,d", firstChunks[s]));
        }
    }

    private static boolean zero(ByteBuffer le, int off) {
        for (int i = 0; i < Workload.PAGE; i += 8) {
            if (le.getLong(off + i) != 0) {
                return false;
            }
        }
        return true;
    }

    record Hash(long a, long b, int pages) {
    }
}
