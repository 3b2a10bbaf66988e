package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.DecryptionException;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.SealException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.ImageSeals;
import org.ckpt.testkit.image.TestChannels;
import org.ckpt.testkit.image.TestKeys;
import org.junit.jupiter.api.Test;

/**
 * Chains of sealed and encrypted incremental images (docs/FORMAT.md §17.7): every image passes
 * the host's trust configuration on its own, keys may differ from image to image, the replay
 * checks name the newest image, and an encrypted child's link is encrypted.
 */
class SealedChainTest {
    private static final long BASE = 0x400000;
    private final Map<Long, byte[]> images = new HashMap<>();

    private static Task task(byte[] mem) {
        return Task.builder().pid(1).tgid(1).comm("t")
                .mm(AddressSpace.of(List.of(Vma.anonymous(BASE, BASE + mem.length, PageData.of(BASE, mem.clone())))))
                .build();
    }

    private Restarter.Builder restarter() {
        return Restarter.builder().parents(link -> {
            byte[] b = images.get(link.checkpointId());
            return b == null ? null : TestChannels.source(b);
        });
    }

    private CheckpointResult write(Checkpointer.Builder b, Task t) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        CheckpointResult r = b.build().checkpoint(t, sink);
        images.put(r.checkpointId(), sink.toByteArray());
        return r;
    }

    /** A full image sealed with the HMAC key, a child sealed with Ed25519 (a key rotation), both encrypted under other keys. */
    private CheckpointResult[] chain() throws IOException {
        byte[] mem = new byte[16 * 4096];
        for (int p = 0; p < 16; p += 2) {
            mem[p * 4096 + 1] = (byte) (p + 1);
        }
        Checkpointer.Builder full = Checkpointer.builder().architecture(TestArch.NAME).pageDigests(true).checkpointId(1)
                .created(Instant.parse("2026-12-01T00:00:00Z")).seal("old", TestKeys.hmac())
                .encrypt("aes-old", TestKeys.aes());
        CheckpointResult r0 = write(full, task(mem));
        mem[3 * 4096] = 9;
        Checkpointer.Builder child = Checkpointer.builder().architecture(TestArch.NAME).pageDigests(true)
                .checkpointId(2).created(Instant.parse("2026-12-02T00:00:00Z")).parent(r0.asParent())
                .seal("new", TestKeys.ed25519()).encrypt("aes-new", TestKeys.otherAes());
        CheckpointResult r1 = write(child, task(mem));
        return new CheckpointResult[] {r0, r1};
    }

    private Restarter.Builder trustingBoth() {
        return restarter().trust("old", TestKeys.hmac()).trust("new", TestKeys.ed25519Public())
                .decryptionKey("aes-old", TestKeys.aes()).decryptionKey("aes-new", TestKeys.otherAes());
    }

    @Test
    void aChainMixingKeysRestartsWhenEveryKeyIsTrusted() throws IOException {
        CheckpointResult[] c = chain();
        assertThat(c[1].pagesFromParent()).isPositive();
        byte[] child = images.get(2L);
        RestartResult r = trustingBoth().expectCheckpointId(2).notOlderThan(Instant.parse("2026-12-02T00:00:00Z"))
                .build().restart(TestChannels.source(child));
        byte[] mem = new byte[16 * 4096];
        r.tasks().get(0).mm().vmas().get(0).pages().read(BASE, java.nio.ByteBuffer.wrap(mem));
        assertThat(mem[3 * 4096]).isEqualTo((byte) 9);
        assertThat(mem[2 * 4096 + 1]).isEqualTo((byte) 3);
        // The child's link is encrypted: its fourth record, after the opening CIPHER.
        List<ImageRecords.Record> rs = ImageRecords.parse(child);
        assertThat(rs.get(2).type()).isEqualTo(RecordTypes.CIPHER);
        assertThat(rs.get(3).type()).isEqualTo(RecordTypes.PARENT);
        assertThat(rs.get(3).flags()).isEqualTo(ImageSeals.FLAG_ENCRYPTED);
    }

    @Test
    void oneUntrustedOrUnsealedLinkRefusesTheChain() throws IOException {
        chain();
        byte[] child = images.get(2L);
        Restarter onlyNew = restarter().trust("new", TestKeys.ed25519Public())
                .decryptionKey("aes-old", TestKeys.aes()).decryptionKey("aes-new", TestKeys.otherAes()).build();
        SealException e = SealForgeryTest.rejected(onlyNew, child, SealException.class);
        assertThat(e.kind()).isEqualTo(SealException.Kind.UNKNOWN_KEY);
        assertThat(e).hasMessageContaining("'old'").hasMessageContaining("chain image 0x1");
        // The parent's seal stripped: missing, though the child is sealed and pins it.
        images.put(1L, ImageSeals.unseal(images.get(1L)));
        SealException m = SealForgeryTest.rejected(trustingBoth().build(), child, SealException.class);
        assertThat(m.kind()).isEqualTo(SealException.Kind.MISSING);
    }

    @Test
    void everyImageNeedsItsDecryptionKey() throws IOException {
        chain();
        Restarter newKeyOnly = restarter().trust("old", TestKeys.hmac()).trust("new", TestKeys.ed25519Public())
                .decryptionKey("aes-new", TestKeys.otherAes()).build();
        DecryptionException e = SealForgeryTest.rejected(newKeyOnly, images.get(2L), DecryptionException.class);
        assertThat(e.kind()).isEqualTo(DecryptionException.Kind.UNKNOWN_KEY);
        assertThat(e).hasMessageContaining("'aes-old'");
    }

    @Test
    void theReplayChecksNameTheNewestImage() throws IOException {
        chain();
        SealException e = SealForgeryTest.rejected(trustingBoth().expectCheckpointId(3).build(), images.get(2L),
                SealException.class);
        assertThat(e.kind()).isEqualTo(SealException.Kind.REPLAYED);
        // The parent itself, handed over as the newest: older than the host accepts.
        SealException old = SealForgeryTest.rejected(trustingBoth().notOlderThan(Instant.parse("2026-12-01T12:00:00Z"))
                .build(), images.get(1L), SealException.class);
        assertThat(old.kind()).isEqualTo(SealException.Kind.REPLAYED);
    }
}
