package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.security.Key;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.SecretKey;
import org.ckpt.Checkpointer;
import org.ckpt.ImageEncryption;
import org.ckpt.ImageInfo;
import org.ckpt.ImageScan;
import org.ckpt.ImageSeal;
import org.ckpt.Inspection;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.Task;
import org.ckpt.spi.DecryptionException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.SealException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.ImageSeals;
import org.ckpt.testkit.image.RecordingTarget;
import org.ckpt.testkit.image.TestChannels;
import org.ckpt.testkit.image.TestKeys;
import org.ckpt.spi.TargetCpu;
import org.junit.jupiter.api.Test;

/** Sealed and encrypted images: round trips, and what a restarter that trusts keys refuses (docs/FORMAT.md §16). */
class SealedImageTest {
    static final String ID = TestKeys.TEST_ID;
    static final List<Task> TASKS = Generators.build(3, 2, 4, List.of(new TestCpu(0x401000, 0x7ffff000, 1, 2, 3, 4, 0x46)));

    static Checkpointer.Builder writer() {
        return Checkpointer.builder().architecture(TestArch.NAME).checkpointId(0x5EA1)
                .created(Instant.parse("2026-12-01T00:00:00Z")).uname(new Uname("Linux", "seal", "6.1", "#1", "x86_64"));
    }

    static byte[] image(Checkpointer.Builder b) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        b.build().checkpoint(TASKS, sink);
        return sink.toByteArray();
    }

    static RestartResult restart(Restarter.Builder b, byte[] image) throws IOException {
        return b.build().restart(TestChannels.source(image));
    }

    @Test
    void hmacSealedImageRoundTripsAndVerifies() throws IOException {
        byte[] image = image(writer().seal(ID, TestKeys.hmac()));
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        assertThat(rs.get(rs.size() - 2).type()).isEqualTo(RecordTypes.SEAL);
        assertThat(ImageSeals.verify(image, TestKeys.hmac())).isTrue();
        RestartResult r = restart(Restarter.builder().trust(ID, TestKeys.hmac()), image);
        CkptAssertions.assertThat(r.tasks()).isEquivalentTo(TASKS);
        assertThat(r.info().formatMinor()).isEqualTo(3);
        Inspection i = Restarter.builder().trust(ID, TestKeys.hmac()).build().inspect(TestChannels.source(image), null);
        assertThat(i.seal()).contains(new ImageSeal("HMAC-SHA-256", ID, true));
        // A restarter that trusts no key reads it, without verifying.
        Inspection plain = Restarter.builder().build().inspect(TestChannels.source(image), null);
        assertThat(plain.seal()).contains(new ImageSeal("HMAC-SHA-256", ID, false));
    }

    @Test
    void ed25519SealedImageRoundTripsAndVerifies() throws IOException {
        byte[] image = image(writer().seal(ID, TestKeys.ed25519()));
        assertThat(ImageSeals.verify(image, TestKeys.ed25519Public())).isTrue();
        RestartResult r = restart(Restarter.builder().trust(ID, TestKeys.ed25519Public()), image);
        CkptAssertions.assertThat(r.tasks()).isEquivalentTo(TASKS);
    }

    @Test
    void encryptedImageRoundTrips() throws IOException {
        byte[] image = image(writer().encrypt(ID, TestKeys.aes()));
        RestartResult r = restart(Restarter.builder().decryptionKey(ID, TestKeys.aes()), image);
        CkptAssertions.assertThat(r.tasks()).isEquivalentTo(TASKS);
        assertThat(r.info().flags() & ImageInfo.FLAG_ENCRYPTED).isNotZero();
        ImageScan scan = Restarter.builder().build().scan(TestChannels.source(image), null);
        assertThat(scan.encryption()).contains(new ImageEncryption("AES-256-GCM", ID, false));
        assertThat(scan.bytes()).isEqualTo(image.length);
    }

    @Test
    void sealedAndEncryptedImageRoundTrips() throws IOException {
        byte[] image = image(writer().seal(ID, TestKeys.ed25519()).encrypt(ID, TestKeys.aes()));
        RestartResult r = restart(Restarter.builder().trust(ID, TestKeys.ed25519Public())
                .decryptionKey(ID, TestKeys.aes()), image);
        CkptAssertions.assertThat(r.tasks()).isEquivalentTo(TASKS);
        ImageScan scan = Restarter.builder().trust(ID, TestKeys.ed25519Public()).build()
                .scan(TestChannels.source(image), null);
        assertThat(scan.seal()).contains(new ImageSeal("Ed25519", ID, true));
        ImageSeals.Opened o = ImageSeals.open(image, TestKeys.aes());
        byte[] again = ImageSeals.reseal(ImageSeals.assemble(o), ID, TestKeys.ed25519());
        assertThat(again).isEqualTo(image);
    }

    /** The library reads what an independent implementation of §16 (testkit ImageSeals) writes. */
    @Test
    void imagesSealedAndEncryptedFromTheFormatAloneAreRead() throws IOException {
        byte[] plain = image(writer());
        byte[] dataKey = new byte[32];
        dataKey[0] = 1;
        byte[] encrypted = ImageSeals.encrypt(plain, ID, TestKeys.aes(), new javax.crypto.spec.SecretKeySpec(dataKey, "AES"));
        for (Key k : List.<Key>of(TestKeys.hmac(), TestKeys.ed25519())) {
            byte[] image = ImageSeals.seal(encrypted, ID, k);
            Restarter.Builder b = Restarter.builder().decryptionKey(ID, TestKeys.aes());
            b = k instanceof SecretKey s ? b.trust(ID, s) : b.trust(ID, TestKeys.ed25519Public());
            RestartResult r = restart(b, image);
            CkptAssertions.assertThat(r.tasks()).isEquivalentTo(restart(Restarter.builder(), plain).tasks());
            assertThat(r.info().formatMinor()).isEqualTo(3);
        }
        // And the library's own encrypted image opens and re-assembles to itself.
        byte[] own = image(writer().encrypt(ID, TestKeys.aes()));
        assertThat(ImageSeals.assemble(ImageSeals.open(own, TestKeys.aes()))).isEqualTo(own);
    }

    @Test
    void unsealedImageIsRefusedByATrustingRestarter() throws IOException {
        byte[] image = image(writer());
        assertThatThrownBy(() -> restart(Restarter.builder().trust(ID, TestKeys.hmac()), image))
                .isInstanceOf(SealException.class)
                .satisfies(e -> assertThat(((SealException) e).kind()).isEqualTo(SealException.Kind.MISSING));
    }
}
