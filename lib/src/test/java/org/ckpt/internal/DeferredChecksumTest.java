package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Page checksums computed by the writer thread at sealing, by the filling thread as it copies,
 * or on the calling thread alone give the same image, byte for byte, and it restarts.
 */
class DeferredChecksumTest {
    /** The task's image is a few MiB: its buffers go through the writer thread from the first. */
    @BeforeEach
    void writerThreadFromTheFirstBuffer() {
        Staging.threadAfterForTests = 0;
    }

    @AfterEach
    void adaptiveAgain() {
        Staging.deferCrcForTests = null;
        Staging.threadAfterForTests = -1;
        Staging.parallelForTests = null;
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

    private static final SecretKey HMAC = new SecretKeySpec(new byte[32], "HmacSHA256");
    private static final SecretKey AES = new SecretKeySpec(new byte[32], "AES");

    private static Checkpointer.Builder checkpointer(boolean writerThread) {
        return Checkpointer.builder().architecture("test64").writerThread(writerThread).checkpointId(5)
                .created(Instant.ofEpochSecond(1_000_000)).uname(new Uname("Linux", "h", "6", "#1", "x86_64"));
    }

    private static byte[] image(Task t, boolean writerThread) throws Exception {
        return image(t, checkpointer(writerThread));
    }

    private static byte[] image(Task t, Checkpointer.Builder b) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        b.build().checkpoint(t, Channels.newChannel(out));
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

    /** The seal hashes the bytes as sent: after the writer thread has filled in the deferred checksums. */
    @Test
    void aSealedImageDoesNotDependOnWhoChecksumsThePagesAndVerifies() throws Exception {
        Task t = task();
        byte[] inline = image(t, checkpointer(false).seal("k", HMAC));
        Staging.deferCrcForTests = true;
        byte[] deferred = image(t, checkpointer(true).seal("k", HMAC));
        Staging.deferCrcForTests = null;
        assertThat(deferred).isEqualTo(inline);
        RestartResult r = Restarter.builder().trust("k", HMAC).build()
                .restart(Channels.newChannel(new ByteArrayInputStream(deferred)));
        assertThat(r.pagesRead()).isPositive();
    }

    /** Encrypted PAGES records are checksummed over their ciphertext, whoever would have deferred them. */
    @Test
    void anEncryptedImageRestartsWhateverTheChecksumMode() throws Exception {
        Task t = task();
        for (Boolean mode : new Boolean[] {true, false, null}) {
            Staging.deferCrcForTests = mode;
            byte[] image = image(t, checkpointer(true).encrypt("e", AES).seal("k", HMAC));
            RestartResult r = Restarter.builder().trust("k", HMAC).decryptionKey("e", AES).build()
                    .restart(Channels.newChannel(new ByteArrayInputStream(image)));
            assertThat(r.pagesRead()).as("mode %s", mode).isPositive();
        }
    }

    /**
     * A PAGES record that outgrows its staging buffer moves to the next one, so buffers reach the
     * channel full, and the image is pinned: SHA-256 of the engine's image of {@link #task} whose
     * records also end at multiples of 1 MiB of address (the windows the writer may fill on two
     * threads); before that rule, 989140be3bbfb2799cbcde408dd6dc525338ee414286ea187b960d5e1828b256,
     * the image of the engine that reserved room for the largest record at each record's start.
     */
    @Test
    void buffersReachTheChannelFullAndTheImageIsUnchanged() throws Exception {
        Task t = task();
        // Staged buffers (runs of pages in windows filled by both threads go out a window at a time: below).
        Staging.parallelForTests = false;
        for (Boolean mode : new Boolean[] {true, false, null}) {
            Staging.deferCrcForTests = mode;
            RecordingChannel counting = new RecordingChannel();
            checkpointer(true).build().checkpoint(t, counting);
            List<Integer> writes = counting.sizes;
            assertThat(sha256(counting.bytes.toByteArray())).as("mode %s", mode).isEqualTo(IMAGE_SHA256);
            // The engine that reserved room for the largest record at each record's start sent buffers of
            // ~100 KB here; a buffer now goes out short only by the start of the record that moved on.
            long sent = writes.subList(0, writes.size() - 1).stream().mapToLong(Integer::longValue).sum();
            assertThat(sent / (writes.size() - 1)).as("mode %s: mean write of %s", mode, writes)
                    .isGreaterThan(Staging.SIZE * 9L / 10);
        }
    }

    /**
     * Runs of two windows (2 MiB) or more are filled window by window on both threads, each
     * thread writing the windows it filled: the same image, written from both threads.
     */
    @Test
    void windowsFilledOnBothThreadsGiveTheSameImage() throws Exception {
        Task t = task();
        RecordingChannel recording = new RecordingChannel();
        checkpointer(true).build().checkpoint(t, recording);
        assertThat(sha256(recording.bytes.toByteArray())).isEqualTo(IMAGE_SHA256);
        assertThat(recording.threads).as("writes by thread").contains("ckpt-writer", Thread.currentThread().getName());
    }

    private static String sha256(byte[] image) throws java.security.NoSuchAlgorithmException {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(image));
    }

    private static final String IMAGE_SHA256 = "3e4ea7ca545f34dc50b802010e208a86c775b0eddea0d243bd0463597e20aff1";
}
