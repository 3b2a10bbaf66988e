package org.ckpt.store.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ckpt.Checkpointer;
import org.ckpt.Uname;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/** Test tasks and images: seeded pages, deterministic image bytes. */
final class Images {
    static final int PAGE = 4096;
    static final Checkpointer CKPT = Checkpointer.builder().architecture("x86_64").checkpointId(42)
            .created(Instant.parse("2026-12-01T00:00:00Z")).uname(new Uname("Linux", "h", "6", "#1", "x86_64"))
            .build();

    private Images() {
    }

    /** A task's memory: {@code areas} areas of {@code pagesPerArea} pages, 1/4 zero, the rest random. */
    static byte[][] memory(long seed, int areas, int pagesPerArea) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[][] mem = new byte[areas][pagesPerArea * PAGE];
        for (byte[] a : mem) {
            for (int p = 0; p < pagesPerArea; p++) {
                if (rnd.nextInt(4) != 0) {
                    randomPage(a, p, rnd);
                }
            }
        }
        return mem;
    }

    static void randomPage(byte[] area, int page, SplittableRandom rnd) {
        for (int i = page * PAGE; i < (page + 1) * PAGE; i += 8) {
            long v = rnd.nextLong();
            for (int b = 0; b < 8; b++) {
                area[i + b] = (byte) (v >>> (8 * b));
            }
        }
    }

    /** Changes {@code pages} random pages (to new random contents). */
    static void change(byte[][] mem, int pages, SplittableRandom rnd) {
        for (int i = 0; i < pages; i++) {
            byte[] a = mem[rnd.nextInt(mem.length)];
            randomPage(a, rnd.nextInt(a.length / PAGE), rnd);
        }
    }

    static Task task(byte[][] mem) {
        List<Vma> vmas = new ArrayList<>();
        for (int i = 0; i < mem.length; i++) {
            long start = 0x10_0000_0000L + i * 0x1000_0000L;
            vmas.add(Vma.anonymous(start, start + mem[i].length, PageData.of(start, mem[i])));
        }
        return Task.builder().pid(7).tgid(7).comm("s3").mm(AddressSpace.of(vmas)).build();
    }

    static byte[] image(Task t) throws IOException {
        return image(CKPT, t);
    }

    static byte[] image(Checkpointer c, Task t) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        c.checkpoint(t, Channels.newChannel(out));
        return out.toByteArray();
    }

    /** Everything a channel delivers, read with buffers of {@code chunk} bytes. */
    static byte[] readAll(ReadableByteChannel in, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(chunk);
        try (in) {
            while (in.read(b) >= 0) {
                b.flip();
                out.write(b.array(), 0, b.limit());
                b.clear();
            }
        }
        return out.toByteArray();
    }
}
