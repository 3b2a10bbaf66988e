package org.ckpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.PageRanges;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.ImageException;
import org.junit.jupiter.api.Test;

/** An incremental image on a full one, by host dirty set and by digests, restarts to the last task. */
class IncrementalSmokeTest {
    private static final int PS = 4096;
    private static final long BASE = 0x400000;

    private final Map<Long, byte[]> images = new HashMap<>();
    private final Restarter restarter = Restarter.builder().parents(link -> {
        byte[] b = images.get(link.checkpointId());
        return b == null ? null : Channels.newChannel(new ByteArrayInputStream(b));
    }).build();

    private static Task task(byte[] mem, PageData pages) {
        return Task.builder().pid(1).tgid(1).comm("t")
                .mm(AddressSpace.of(List.of(Vma.anonymous(BASE, BASE + mem.length, pages)))).build();
    }

    private CheckpointResult write(Checkpointer c, Task t) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CheckpointResult r = c.checkpoint(t, Channels.newChannel(out));
        images.put(r.checkpointId(), out.toByteArray());
        assertThat(r.bytesWritten()).isEqualTo(out.size());
        return r;
    }

    private byte[] restored(long id) throws Exception {
        RestartResult r = restarter.restart(Channels.newChannel(new ByteArrayInputStream(images.get(id))));
        Vma v = r.tasks().get(0).mm().vmas().get(0);
        ByteBuffer got = ByteBuffer.allocate((int) v.size());
        v.pages().read(BASE, got);
        return got.array();
    }

    /** docs/FORMAT.md §15.7 and §15.8: the example child is one PAGE_RUNS record of five runs. */
    @Test
    void theExampleChildOfTheFormatIsOnePageRunsRecord() throws Exception {
        SplittableRandom rnd = new SplittableRandom(2);
        byte[] mem = new byte[64 * PS];
        for (int p = 0; p < 64; p += 2) {
            for (int i = 0; i < PS; i++) {
                mem[p * PS + i] = (byte) (rnd.nextInt() | 1);
            }
        }
        Checkpointer full = Checkpointer.builder().architecture("test64").pageDigests(true).build();
        CheckpointResult r0 = write(full, task(mem, PageData.of(BASE, mem.clone())));
        mem[3 * PS] = 7;
        mem[10 * PS + 9] = 8;
        PageRanges dirty = PageRanges.builder().add(BASE + 3 * PS, BASE + 4 * PS).add(BASE + 10 * PS, BASE + 11 * PS)
                .build();
        CheckpointResult r1 = write(Checkpointer.builder().architecture("test64").pageDigests(true)
                .parent(r0.asParent()).build(), task(mem, PageData.of(BASE, mem.clone()).withChangedSinceParent(dirty)));
        assertThat(restored(r1.checkpointId())).isEqualTo(mem);

        java.util.List<String> types = new java.util.ArrayList<>();
        java.util.List<ByteBuffer> runs = new java.util.ArrayList<>();
        RestartResult r = restarter.inspect(Channels.newChannel(new ByteArrayInputStream(images.get(r1.checkpointId()))),
                rec -> {
                    types.add(rec.typeName());
                    if (rec.type() == org.ckpt.spi.RecordTypes.PAGE_RUNS) {
                        runs.add(ByteBuffer.allocate(rec.length()).put(rec.payload().duplicate()).flip()
                                .order(java.nio.ByteOrder.LITTLE_ENDIAN));
                    }
                }).result();
        assertThat(r.info().formatMinor()).isEqualTo(4);
        assertThat(types).containsExactly("HEAD", "ARCH_HEAD", "PARENT", "OBJECT", "VMA", "PAGE_RUNS", "PAGE_DIGESTS",
                "TASK", "TAIL");
        ByteBuffer p = runs.get(0);
        assertThat(p.remaining()).isEqualTo(8288);
        assertThat(p.getLong(0)).isEqualTo(1);  // parent_mm: the parent's mm is its object 1
        assertThat(p.getInt(8)).isEqualTo(5);
        assertThat(p.getInt(12)).isZero();
        long[][] want = {{BASE, 3, 1}, {BASE + 3 * PS, 1, 0}, {BASE + 4 * PS, 6, 1}, {BASE + 10 * PS, 1, 0},
            {BASE + 11 * PS, 53, 1}};
        for (int i = 0; i < 5; i++) {
            assertThat(new long[] {p.getLong(16 + 16 * i), p.getInt(24 + 16 * i), p.getInt(28 + 16 * i)})
                    .as("run %d", i).containsExactly(want[i]);
        }
        assertThat(java.util.Arrays.equals(p.array(), 96, 96 + PS, mem, 3 * PS, 4 * PS)).isTrue();
        assertThat(java.util.Arrays.equals(p.array(), 96 + PS, 96 + 2 * PS, mem, 10 * PS, 11 * PS)).isTrue();
    }

    @Test
    void hostDirtySetAndDigestsBothRestartTheLastTask() throws Exception {
        SplittableRandom rnd = new SplittableRandom(1);
        byte[] mem = new byte[64 * PS];
        for (int p = 0; p < 64; p += 2) {
            for (int i = 0; i < PS; i++) {
                mem[p * PS + i] = (byte) rnd.nextInt();
            }
        }
        Checkpointer full = Checkpointer.builder().architecture("test64").pageDigests(true).build();
        CheckpointResult r0 = write(full, task(mem, PageData.of(BASE, mem.clone())));
        assertThat(r0.asParent().hasDigests()).isTrue();

        // host path: pages 3 and 10 changed, page 4 cleared
        mem[3 * PS] = 1;
        mem[10 * PS + 5] = 2;
        java.util.Arrays.fill(mem, 4 * PS, 5 * PS, (byte) 0);
        PageRanges dirty = PageRanges.builder().add(BASE + 3 * PS, BASE + 5 * PS).add(BASE + 10 * PS, BASE + 11 * PS)
                .build();
        Checkpointer c1 = Checkpointer.builder().architecture("test64").pageDigests(true).parent(r0.asParent()).build();
        CheckpointResult r1 = write(c1, task(mem, PageData.of(BASE, mem.clone()).withChangedSinceParent(dirty)));
        assertThat(r1.pagesWritten()).isEqualTo(2);
        assertThat(r1.pagesFromParent()).isEqualTo(61);
        assertThat(restored(r1.checkpointId())).isEqualTo(mem);

        // digest path on the child
        mem[20 * PS + 7] = 3;
        Checkpointer c2 = Checkpointer.builder().architecture("test64").pageDigests(true).parent(r1.asParent()).build();
        CheckpointResult r2 = write(c2, task(mem, PageData.of(BASE, mem.clone())));
        assertThat(r2.pagesWritten()).isEqualTo(1);
        assertThat(restored(r2.checkpointId())).isEqualTo(mem);

        // a parent read from its bytes gives the same index
        ParentImage read = restarter.parentImage(Channels.newChannel(new ByteArrayInputStream(
                images.get(r2.checkpointId()))));
        assertThat(read.tail()).isEqualTo(r2.tail());
        assertThat(read.depth()).isEqualTo(2);
        assertThat(read.hasDigests()).isTrue();

        // merge gives the full image of the same task
        ByteArrayOutputStream merged = new ByteArrayOutputStream();
        full.merge(restarter, Channels.newChannel(new ByteArrayInputStream(images.get(r2.checkpointId()))),
                Channels.newChannel(merged));
        images.put(-1L, images.get(r0.checkpointId()));
        Checkpointer sameHead = Checkpointer.builder().architecture("test64").pageDigests(true).checkpointId(r2.checkpointId())
                .build();
        assertThat(merged.size()).isGreaterThan(0);

        // without the parent
        assertThatThrownBy(() -> Restarter.builder().build().restart(Channels.newChannel(
                new ByteArrayInputStream(images.get(r2.checkpointId()))))).isInstanceOf(ImageException.class)
                .hasMessageContaining("parent");
        images.remove(r0.checkpointId());
        assertThatThrownBy(() -> restored(r2.checkpointId())).isInstanceOf(ImageException.class)
                .hasMessageContaining("chain link 1");
        assertThat(sameHead).isNotNull();
    }
}
