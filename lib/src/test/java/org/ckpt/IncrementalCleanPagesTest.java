package org.ckpt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileKind;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.PageRanges;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.junit.jupiter.api.Test;

/**
 * A page the host reports clean in a private file-backed area is the file's, and a child leaves
 * it out as a full image does, even where the host says it is unchanged and the parent holds it
 * (written there because the area was shared, where clean means nothing). Found by
 * {@code ChainProperties.mergingAChainGivesTheBytesOfMergingAFullImageOfItsLastStep} (jqwik seed
 * -3935472992905330457): the chain restarted those pages present with the parent's bytes where
 * a full image of the same step restarts them absent.
 */
class IncrementalCleanPagesTest {
    private static final int PS = 4096;
    private static final long BASE = 0x400000;
    private static final GenericFile LIB = GenericFile.open(FileKind.REGULAR, "/lib.so", 0, 0100644, 0);

    private final Map<Long, byte[]> images = new HashMap<>();
    private final Restarter restarter = Restarter.builder().parents(link -> {
        byte[] b = images.get(link.checkpointId());
        return b == null ? null : in(b);
    }).build();

    private static ReadableByteChannel in(byte[] b) {
        return Channels.newChannel(new ByteArrayInputStream(b));
    }

    private static byte[] page(int fill) {
        byte[] p = new byte[PS];
        for (int i = 0; i < PS; i += 64) {
            p[i] = (byte) fill;
        }
        return p;
    }

    /**
     * Pages 0–4 of a file-backed area: 0 data, 1 clean with bytes, 2 clean zero, 3 data,
     * 4 clean with bytes; page 5 absent.
     */
    private static Task task(int flags, PageRanges changed) {
        PageData pages = PageData.builder()
                .run(BASE, ByteBuffer.wrap(page(1)))
                .cleanRun(BASE + PS, ByteBuffer.wrap(concat(page(2), new byte[PS])))
                .run(BASE + 3 * PS, ByteBuffer.wrap(page(3)))
                .cleanRun(BASE + 4 * PS, ByteBuffer.wrap(page(4)))
                .build();
        Vma v = new Vma(BASE, BASE + 6 * PS, Vma.PROT_READ, flags, 0, LIB,
                changed == null ? pages : pages.withChangedSinceParent(changed));
        return Task.builder().pid(1).tgid(1).comm("t").mm(AddressSpace.of(List.of(v))).build();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static Checkpointer.Builder builder() {
        return Checkpointer.builder().architecture("test64").pageDigests(true).created(Instant.ofEpochSecond(1));
    }

    private CheckpointResult write(Checkpointer c, Task t, ByteArrayOutputStream out) throws Exception {
        CheckpointResult r = c.checkpoint(t, Channels.newChannel(out));
        images.put(r.checkpointId(), out.toByteArray());
        return r;
    }

    /** Each page of the restarted area: "P" present, "." absent. */
    private static String presence(RestartResult r) throws Exception {
        Vma v = r.tasks().get(0).mm().vmas().get(0);
        char[] c = ".".repeat((int) (v.size() / PS)).toCharArray();
        v.pages().forEachRun((address, bytes, clean) -> {
            for (int i = 0; i < bytes.remaining() / PS; i++) {
                c[(int) ((address - v.start()) / PS) + i] = 'P';
            }
        });
        return new String(c);
    }

    @Test
    void aCleanPageOfAPrivateFileAreaIsLeftOutEvenWhereTheParentHoldsIt() throws Exception {
        // The parent: the area shared, so its clean pages with bytes are written like any other.
        CheckpointResult parent = write(builder().build(), task(Vma.SHARED, null), new ByteArrayOutputStream());
        assertThat(presence(restarter.restart(in(images.get(parent.checkpointId()))))).isEqualTo("PP.PP.");

        // The child: the same area, now private, nothing changed as the host sees it.
        ByteArrayOutputStream childBytes = new ByteArrayOutputStream();
        CheckpointResult child = write(builder().parent(parent.asParent()).build(), task(0, PageRanges.of(0, 0)),
                childBytes);
        RestartResult chain = restarter.restart(in(childBytes.toByteArray()));

        ByteArrayOutputStream fullBytes = new ByteArrayOutputStream();
        write(builder().checkpointId(child.checkpointId()).build(), task(0, null), fullBytes);
        RestartResult full = restarter.restart(in(fullBytes.toByteArray()));

        assertThat(presence(full)).isEqualTo("P..P..");
        assertThat(presence(chain)).isEqualTo(presence(full));
        // pages 0 and 3 from the parent, in two runs around the clean ones; nothing written
        assertThat(child.pagesFromParent()).isEqualTo(2);
        assertThat(child.pagesWritten()).isZero();
        // One PAGE_RUNS record (0x0034) of two runs, both the parent's (source 1), carrying no pages.
        List<Integer> types = new ArrayList<>();
        List<String> runs = new ArrayList<>();
        restarter.inspect(in(childBytes.toByteArray()), rec -> {
            types.add(rec.type());
            if (rec.type() == 0x0034) {
                java.nio.ByteBuffer p = rec.payload().order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < p.getInt(8); i++) {
                    runs.add(Long.toHexString(p.getLong(16 + 16 * i)) + "+" + p.getInt(24 + 16 * i) + "/"
                            + p.getInt(28 + 16 * i));
                }
                assertThat(p.remaining()).isEqualTo(16 + 16 * runs.size());
            }
        });
        assertThat(types.stream().filter(t -> t == 0x0034).count()).isEqualTo(1);
        assertThat(types).doesNotContain(0x0031, 0x0032);
        assertThat(runs).hasSize(2).allMatch(r -> r.endsWith("+1/1"));

        // merging the chain and merging the full image give the same bytes
        Checkpointer merger = builder().build();
        ByteArrayOutputStream mergedChain = new ByteArrayOutputStream();
        merger.merge(restarter, in(childBytes.toByteArray()), Channels.newChannel(mergedChain));
        ByteArrayOutputStream mergedFull = new ByteArrayOutputStream();
        merger.merge(restarter, in(fullBytes.toByteArray()), Channels.newChannel(mergedFull));
        assertThat(mergedChain.toByteArray()).isEqualTo(mergedFull.toByteArray());
    }
}
