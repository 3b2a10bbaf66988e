package org.ckpt.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ckpt.RestartResult;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;

/**
 * The seeds of {@link SealFuzzTest}: every derived image is accepted by the trusting host
 * and reads as its base image does; every record seed rebuilds its image byte for byte.
 * Regenerate deliberately: {@code mvn -pl fuzz -am test -Dtest=SealSeedCorpusTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dckpt.fuzz.regenerate=seeds}.
 */
class SealSeedCorpusTest {
    private static final Path RESOURCES = Path.of("src/test/resources/org/ckpt/fuzz/SealFuzzTestInputs");
    private static final boolean REGENERATE = "seeds".equals(System.getProperty("ckpt.fuzz.regenerate"));

    @Test
    void derivedImagesAreAcceptedAndReadAsTheirBase() throws Exception {
        Path dir = RESOURCES.resolve("sealedImage");
        if (REGENERATE) {
            Files.createDirectories(dir);
        }
        for (SealedImages.Named n : SealedImages.IMAGES) {
            SealOracle.check(n.bytes());
            RestartResult sealed = (n.name().startsWith("ed25519") || n.name().startsWith("encrypted")
                    ? org.ckpt.Restarter.builder().trust(SealedImages.ID, org.ckpt.testkit.image.TestKeys.ed25519Public())
                    : org.ckpt.Restarter.builder().trust(SealedImages.ID, SealedImages.HMAC))
                    .decryptionKey(SealedImages.ID, SealedImages.AES).build().restart(TestChannels.source(n.bytes()));
            String base = n.name().substring(n.name().indexOf('-') + 1);
            RestartResult plain = Oracle.check(BaseImages.IMAGES.get(BaseImages.NAMES.indexOf(base)));
            assertThat(org.ckpt.testkit.Equivalence.firstDifference(plain.tasks(), sealed.tasks())).as(n.name())
                    .isEmpty();
            Path seed = dir.resolve("seed-" + n.name() + ".img");
            if (REGENERATE) {
                Files.write(seed, n.bytes());
            }
            assertThat(Files.readAllBytes(seed)).as(seed.toString()).isEqualTo(n.bytes());
        }
    }

    @Test
    void recordSeedsRebuildTheirImages() throws Exception {
        check("sealRecords", SealFuzzTest.SEAL_RECORDS, false);
        check("decryptedRecords", SealFuzzTest.PLAINTEXT, true);
        assertThat(SealFuzzTest.SEAL_RECORDS).hasSize(SealedImages.IMAGES.size() + 2 * 3);
    }

    private static void check(String method, List<SealedImages.Slot> slots, boolean plaintext) throws Exception {
        assertThat(slots).isNotEmpty().hasSizeLessThanOrEqualTo(256);
        Path dir = RESOURCES.resolve(method);
        if (REGENERATE) {
            Files.createDirectories(dir);
            try (var old = Files.newDirectoryStream(dir, "seed-*")) {
                for (Path p : old) {
                    Files.delete(p);
                }
            }
        }
        for (int i = 0; i < slots.size(); i++) {
            byte[] seed = SealedImages.seed(slots, i, plaintext);
            byte[] rebuilt = plaintext ? SealedImages.decrypted(slots, seed) : SealedImages.around(slots, seed);
            assertThat(rebuilt).as("%s slot %d", method, i)
                    .isEqualTo(SealedImages.IMAGES.get(slots.get(i).image()).bytes());
            Path file = dir.resolve(String.format("seed-%03d", i));
            if (REGENERATE) {
                Files.write(file, seed);
            }
            assertThat(Files.readAllBytes(file)).as(file.toString()).isEqualTo(seed);
        }
    }
}
