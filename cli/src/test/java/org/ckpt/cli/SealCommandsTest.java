package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.KeyFiles;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;
import org.ckpt.testkit.image.TestKeys;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sealed and encrypted images on the command line (docs/FORMAT.md §17): {@code dump
 * --seal-key/--encrypt-key}, {@code verify}/{@code show}/{@code restart}/{@code stat} with
 * {@code --trust-key}/{@code --decrypt-key}, key files in the formats openssl writes.
 */
class SealCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ID = TestKeys.TEST_ID;

    @TempDir
    static Path dir;

    static Path hmacKey;
    static Path otherHmacKey;
    static Path edPrivate;
    static Path edPublic;
    static Path aesKey;
    static Path otherAesKey;
    static Path plain;
    static Path sealedHmac;
    static Path sealedEd;
    static Path encrypted;

    private static Path write(String name, Checkpointer.Builder b) throws Exception {
        Path p = dir.resolve(name);
        TestChannels.Sink sink = TestChannels.sink();
        b.architecture("test64").checkpointId(0x5EA1).created(Instant.ofEpochSecond(1_700_000_000)).build()
                .checkpoint(List.of(ImageCommandsTest.smallTask(7)), sink);
        Files.write(p, sink.toByteArray());
        return p;
    }

    @BeforeAll
    static void images() throws Exception {
        hmacKey = TestKeys.copyTo("test-hmac.key", dir);
        otherHmacKey = TestKeys.copyTo("other-hmac.key", dir);
        edPrivate = TestKeys.copyTo("test-ed25519.pem", dir);
        edPublic = TestKeys.copyTo("test-ed25519.pub.pem", dir);
        aesKey = TestKeys.copyTo("test-aes.key", dir);
        otherAesKey = TestKeys.copyTo("other-aes.key", dir);
        plain = write("plain.ckpt", Checkpointer.builder());
        sealedHmac = write("hmac.ckpt", Checkpointer.builder().seal(ID, TestKeys.hmac()));
        sealedEd = write("ed.ckpt", Checkpointer.builder().seal(KeyFiles.keyId(TestKeys.ed25519()), TestKeys.ed25519()));
        encrypted = write("enc.ckpt", Checkpointer.builder().seal(ID, TestKeys.hmac()).encrypt(ID, TestKeys.aes()));
    }

    private static String id(Path key) {
        return ID + "=" + key;
    }

    @Test
    void verifySaysWhetherTheSealVerified() {
        Cli.Result r = Cli.run("verify", sealedHmac.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("valid test64 image",
                "sealed (HMAC-SHA-256) by key id ckpt-test, seal not verified (no --trust-key)");
        Cli.Result t = Cli.run("verify", "--trust-key", id(hmacKey), sealedHmac.toString());
        assertThat(t.exit()).as(t.err()).isZero();
        assertThat(t.out()).contains("sealed (HMAC-SHA-256) by key id ckpt-test, seal verified");
        // Ed25519: the public key's file, or the private key's; the derived key id is the same on both sides.
        for (Path k : List.of(edPublic, edPrivate)) {
            Cli.Result e = Cli.run("verify", "--trust-key", k.toString(), sealedEd.toString());
            assertThat(e.exit()).as(e.err()).isZero();
            assertThat(e.out()).contains("sealed (Ed25519) by key id ed25519:", "seal verified");
        }
        // Several trusted keys, joined by commas.
        Cli.Result both = Cli.run("verify", "--trust-key", edPublic + "," + id(hmacKey), sealedHmac.toString());
        assertThat(both.exit()).as(both.err()).isZero();
        Cli.Result unsealed = Cli.run("verify", plain.toString());
        assertThat(unsealed.out()).contains("not sealed");
    }

    @Test
    void verifyRefusesUnsealedForeignAndForgedImagesInOneLine() throws Exception {
        Cli.Result missing = Cli.run("verify", "--trust-key", id(hmacKey), plain.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).startsWith("ckpt verify: invalid image: ").contains("not sealed");
        assertThat(missing.err().strip().lines()).hasSize(1);
        Cli.Result unknown = Cli.run("verify", "--trust-key", otherHmacKey.toString(), sealedHmac.toString());
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("sealed by key id 'ckpt-test', which this restarter does not trust");
        Cli.Result wrong = Cli.run("verify", "--trust-key", id(otherHmacKey), sealedHmac.toString());
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("does not verify");
        // A forged page, every checksum recomputed: valid to a reader without keys, refused with one.
        byte[] image = Files.readAllBytes(sealedHmac);
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        for (int i = 0; i < rs.size(); i++) {
            ImageRecords.Record r = rs.get(i);
            if (r.type() == 0x0031) {
                byte[] p = r.payload().clone();
                p[20] ^= 0x40;
                rs.set(i, new ImageRecords.Record(0, r.type(), r.flags(), 0, p));
                break;
            }
        }
        Path forged = dir.resolve("forged.ckpt");
        Files.write(forged, ImageRecords.assemble(image, rs));
        assertThat(Cli.run("verify", forged.toString()).exit()).isZero();
        Cli.Result f = Cli.run("verify", "--trust-key", id(hmacKey), forged.toString());
        assertThat(f.exit()).isEqualTo(1);
        assertThat(f.err()).contains("does not verify", "[record SEAL, offset ");
    }

    @Test
    void badKeyFilesAreUsageErrors() throws Exception {
        Path shortKey = Files.write(dir.resolve("short.key"), new byte[] {1, 2, 3});
        Cli.Result s = Cli.run("verify", "--trust-key", shortKey.toString(), sealedHmac.toString());
        assertThat(s.exit()).isEqualTo(2);
        assertThat(s.err()).contains("at least 32 bytes");
        Cli.Result none = Cli.run("verify", "--trust-key", dir.resolve("nosuch.key").toString(), sealedHmac.toString());
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("no such key file");
        Cli.Result pub = Cli.run("show", "--decrypt-key", edPublic.toString(), encrypted.toString());
        assertThat(pub.exit()).isEqualTo(2);
        assertThat(pub.err()).contains("a public key cannot encrypt");
    }

    @Test
    void showOfAnEncryptedImageWithoutItsKeySaysWhatItCan() throws Exception {
        Cli.Result r = Cli.run("show", encrypted.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("test64 image, format 1.3", "checkpoint id 0x5ea1",
                "sealed (HMAC-SHA-256) by key id ckpt-test, seal not verified",
                "encrypted (AES-256-GCM) under key id ckpt-test, contents not read",
                "the records' contents are encrypted: give --decrypt-key");
        Cli.Result t = Cli.run("show", "--trust-key", id(hmacKey), encrypted.toString());
        assertThat(t.out()).contains("seal verified");
        JsonNode json = JSON.readTree(Cli.run("show", "--json", encrypted.toString()).out());
        assertThat(json.get("encryption").get("key_id").asText()).isEqualTo(ID);
        assertThat(json.get("encryption").get("decrypted").asBoolean()).isFalse();
        assertThat(json.get("seal").get("algorithm").asText()).isEqualTo("HMAC-SHA-256");
        assertThat(json.get("records").size()).isEqualTo(ImageRecords.parse(Files.readAllBytes(encrypted)).size());
        Cli.Result records = Cli.run("show", "--records", encrypted.toString());
        assertThat(records.exit()).isZero();
        assertThat(records.out()).contains("CIPHER", "SEAL", "TAIL", "valid image");
        // With the key: the whole image, and the line about its protection.
        Cli.Result full = Cli.run("show", "--decrypt-key", id(aesKey), "--trust-key", id(hmacKey),
                encrypted.toString());
        assertThat(full.exit()).as(full.err()).isZero();
        assertThat(full.out()).contains("process 42 (cat)", "seal verified", "encrypted (AES-256-GCM) under key id "
                + ID);
        JsonNode all = JSON.readTree(Cli.run("show", "--json", "--decrypt-key", id(aesKey), encrypted.toString()).out());
        assertThat(all.get("encryption").get("decrypted").asBoolean()).isTrue();
        assertThat(all.get("tasks").size()).isEqualTo(1);
    }

    @Test
    void verifyRestartAndStatOfAnEncryptedImage() {
        Cli.Result noKey = Cli.run("verify", "--trust-key", id(hmacKey), encrypted.toString());
        assertThat(noKey.exit()).as(noKey.err()).isZero();
        assertThat(noKey.out()).contains("framing, checksums and tail valid", "seal verified", "contents not read");
        Cli.Result wrongKey = Cli.run("verify", "--decrypt-key", id(otherAesKey), encrypted.toString());
        assertThat(wrongKey.exit()).isEqualTo(1);
        assertThat(wrongKey.err()).contains("does not unwrap the image's data key");
        Cli.Result ok = Cli.run("verify", "--decrypt-key", id(aesKey), encrypted.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("valid test64 image", "encrypted (AES-256-GCM) under key id ckpt-test");
        Cli.Result restart = Cli.run("restart", "--decrypt-key", id(aesKey), "--trust-key", id(hmacKey),
                encrypted.toString());
        assertThat(restart.exit()).as(restart.err()).isZero();
        Cli.Result restartNoKey = Cli.run("restart", encrypted.toString());
        assertThat(restartNoKey.exit()).isEqualTo(1);
        assertThat(restartNoKey.err()).contains("no decryption key");
        Cli.Result stat = Cli.run("stat", "--decrypt-key", id(aesKey), encrypted.toString());
        assertThat(stat.exit()).as(stat.err()).isZero();
        assertThat(stat.out()).contains("CIPHER");
    }

    /** {@code dump --seal-key/--encrypt-key} of a real process, read back by the other commands. */
    @Test
    @EnabledOnOs(OS.LINUX)
    void dumpSealsAndEncrypts() throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            Path image = dir.resolve("dumped.ckpt");
            Cli.Result d = Cli.run("dump", "--pid", Integer.toString(p.pid), "-o", image.toString(), "--seal-key",
                    edPrivate.toString(), "--encrypt-key", id(aesKey));
            assertThat(d.exit()).as(d.err()).isZero();
            String edId = KeyFiles.keyId(TestKeys.ed25519Public());
            assertThat(d.out()).contains("sealed (Ed25519) by key id " + edId,
                    "encrypted (AES-256-GCM) under key id " + ID);
            Cli.Result v = Cli.run("verify", "--trust-key", edPublic.toString(), "--decrypt-key", id(aesKey),
                    image.toString());
            assertThat(v.exit()).as(v.err()).isZero();
            assertThat(v.out()).contains("seal verified");
            RestartResult r = Restarter.builder().trust(edId, TestKeys.ed25519Public())
                    .decryptionKey(ID, TestKeys.aes()).build().restart(image);
            assertThat(r.tasks().get(0).pid()).isEqualTo(p.pid);
            // The clear head names no machine.
            assertThat(r.info().uname().nodename()).isEmpty();
            Cli.Result hmac = Cli.run("dump", "--pid", Integer.toString(p.pid), "-o", image.toString(),
                    "--seal-key", id(hmacKey), "--json");
            assertThat(hmac.exit()).as(hmac.err()).isZero();
            assertThat(JSON.readTree(hmac.out()).get("seal_key_id").asText()).isEqualTo(ID);
            Cli.Result bad = Cli.run("dump", "--pid", Integer.toString(p.pid), "-o", image.toString(),
                    "--seal-key", edPublic.toString());
            assertThat(bad.exit()).isEqualTo(2);
            assertThat(bad.err()).contains("a public key cannot seal");
        }
    }
}
