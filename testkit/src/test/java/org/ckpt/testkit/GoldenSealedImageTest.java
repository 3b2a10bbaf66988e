package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.ImageEncryption;
import org.ckpt.ImageScan;
import org.ckpt.ImageSeal;
import org.ckpt.Inspection;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.spi.RecordTypes;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.ImageSeals;
import org.ckpt.testkit.image.TestChannels;
import org.ckpt.testkit.image.TestKeys;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden sealed images pin the seal and the encryption (docs/FORMAT.md §10, §17) with the
 * testkit's published test keys ({@link TestKeys}, key id {@code ckpt-test}), over the tasks
 * of {@code single-task.img}: {@code sealed-hmac.img} and {@code sealed-ed25519.img} are
 * written again byte for byte (both seals are deterministic); {@code encrypted-sealed.img}
 * (Ed25519 seal, AES-256-GCM under {@code test-aes.key}) has a random data key, so today's
 * code must read it, and an independent implementation of §17 ({@link ImageSeals}) must
 * verify and decrypt it. Regenerate deliberately, with {@code -Dckpt.golden.regenerate=true}.
 */
class GoldenSealedImageTest {
    private static final Path DIR = Path.of("src/test/resources/golden");
    private static final String ID = TestKeys.TEST_ID;

    private static Checkpointer.Builder writer(String name) {
        Checkpointer.Builder b = Checkpointer.builder().architecture(TestArch.NAME).checkpointId(0x0123456789ABCDEFL)
                .created(Instant.parse("2026-11-23T00:00:00Z"))
                .uname(new Uname("Linux", "golden", "6.1.0", "#1 SMP", "x86_64"));
        return switch (name) {
            case "sealed-hmac" -> b.seal(ID, TestKeys.hmac());
            case "sealed-ed25519" -> b.seal(ID, TestKeys.ed25519());
            case "encrypted-sealed" -> b.seal(ID, TestKeys.ed25519()).encrypt(ID, TestKeys.aes());
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static Restarter trusting() {
        return Restarter.builder().trust(ID, TestKeys.ed25519Public()).decryptionKey(ID, TestKeys.aes()).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"sealed-hmac", "sealed-ed25519", "encrypted-sealed"})
    void readsVerifiesAndForTheDeterministicSealsRewritesByteIdentically(String name) throws Exception {
        Path file = DIR.resolve(name + ".img");
        List<org.ckpt.model.Task> tasks = GoldenImageTest.golden("single-task");
        if (Boolean.getBoolean("ckpt.golden.regenerate")) {
            TestChannels.Sink sink = TestChannels.sink();
            writer(name).build().checkpoint(tasks, sink);
            Files.write(file, sink.toByteArray());
        }
        byte[] image = Files.readAllBytes(file);
        boolean ed = !name.equals("sealed-hmac");
        Restarter r = ed ? trusting() : Restarter.builder().trust(ID, TestKeys.hmac()).build();
        Inspection i = r.inspect(TestChannels.source(image), null);
        CkptAssertions.assertThatTasks(i.result().tasks()).isEquivalentTo(tasks);
        assertThat(i.result().info().formatMinor()).isEqualTo(3);
        assertThat(i.seal()).contains(new ImageSeal(ed ? "Ed25519" : "HMAC-SHA-256", ID, true));
        assertThat(ImageSeals.verify(image, ed ? TestKeys.ed25519Public() : TestKeys.hmac())).isTrue();
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        assertThat(rs.get(rs.size() - 2).type()).isEqualTo(RecordTypes.SEAL);
        if (name.equals("encrypted-sealed")) {
            assertThat(i.encryption()).contains(new ImageEncryption("AES-256-GCM", ID, true));
            ImageScan scan = Restarter.builder().trust(ID, TestKeys.ed25519Public()).build()
                    .scan(TestChannels.source(image), null);
            assertThat(scan.seal()).contains(new ImageSeal("Ed25519", ID, true));
            // The independent decryption gives back the plaintext records of today's unencrypted image.
            ImageSeals.Opened o = ImageSeals.open(image, TestKeys.aes());
            TestChannels.Sink plain = TestChannels.sink();
            writer("sealed-ed25519").build().checkpoint(tasks, plain);
            List<ImageRecords.Record> want = ImageRecords.parse(plain.toByteArray());
            List<ImageRecords.Record> got = o.records();
            // HEAD (flag and uname), ARCH_HEAD, CIPHER … closing CIPHER, SEAL, TAIL around the same records.
            assertThat(got).hasSize(want.size() + 2);
            for (int k = 3; k < got.size() - 3; k++) {
                assertThat(got.get(k).type()).isEqualTo(want.get(k - 1).type());
                assertThat(got.get(k).payload()).as("record %d", k).isEqualTo(want.get(k - 1).payload());
            }
            assertThat(ImageSeals.reseal(ImageSeals.assemble(o), ID, TestKeys.ed25519())).isEqualTo(image);
        } else {
            TestChannels.Sink again = TestChannels.sink();
            Checkpointer.Builder b = Checkpointer.builder().sameHeadAs(i.result().info());
            (ed ? b.seal(ID, TestKeys.ed25519()) : b.seal(ID, TestKeys.hmac())).build()
                    .checkpoint(i.result().tasks(), again);
            assertThat(again.toByteArray()).as("re-written %s differs; records:%n%s", name,
                    ImageRecords.dump(again.toByteArray())).isEqualTo(image);
        }
    }
}
