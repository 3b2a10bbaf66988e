package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.testarch.TestCpu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Page checksums computed by the writer thread at sealing, by the filling thread as it copies,
 * or on the calling thread alone give the same image, byte for byte, and it restarts.
 */
class DeferredChecksumTest {
    @AfterEach
    void adaptiveAgain() {
        Staging.deferCrcForTests = null;
    }

    private static Task task() {
        SplittableRandom rnd = new SplittableRandom(11);
        List<Vma> vmas = new ArrayList<>();
        for (int a = 0; a < 12; a++) {
            int pages = 1 + rnd.nextInt(700);
            byte[] mem = new byte[pages * 4096];
            for (int p = 0; p < pages; p++) {
                if (rnd.nextInt(3) != 0) {
                    for (int i = 0; i < 4096; i += 1 + rnd.nextInt(64)) {
                        mem[p * 4096 + i] = (byte) rnd.nextInt();
                    }
                }
            }
            long start = 0x1000_0000L + a * 0x1000_0000L;
            vmas.add(Vma.anonymous(start, start + mem.length, PageData.of(start, mem)));
        }
        return Task.builder().pid(7).comm("defer").mm(AddressSpace.of(vmas))
                .cpu(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF)).build();
    }

    private static byte[] image(Task t, boolean writerThread) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Checkpointer.builder().architecture("test64").writerThread(writerThread).checkpointId(5)
                .created(Instant.ofEpochSecond(1_000_000)).uname(new Uname("Linux", "h", "6", "#1", "x86_64"))
                .build().checkpoint(t, Channels.newChannel(out));
        return out.toByteArray();
    }

    @Test
    void theImageDoesNotDependOnWhoChecksumsThePages() throws Exception {
        Task t = task();
        byte[] inline = image(t, false);
        assertThat(inline.length).isGreaterThan(4 << 20);
        Staging.deferCrcForTests = true;
        byte[] deferred = image(t, true);
        Staging.deferCrcForTests = false;
        byte[] filling = image(t, true);
        Staging.deferCrcForTests = null;
        byte[] adaptive = image(t, true);
        assertThat(deferred).isEqualTo(inline);
        assertThat(filling).isEqualTo(inline);
        assertThat(adaptive).isEqualTo(inline);
        RestartResult r = Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(deferred)));
        assertThat(r.pagesRead()).isPositive();
    }
}
