package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;
import javax.crypto.SecretKey;
import org.ckpt.KeyFiles;
import org.ckpt.testkit.image.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key files in standard formats (PEM PKCS#8 / X.509 for Ed25519, raw or base64 secrets) and derived key ids. */
class KeyFilesTest {
    @TempDir
    Path dir;

    @Test
    void ed25519KeysFromOpensslPem() throws IOException {
        PrivateKey priv = KeyFiles.readPrivateKey(TestKeys.copyTo("test-ed25519.pem", dir));
        PublicKey pub = KeyFiles.readPublicKey(TestKeys.copyTo("test-ed25519.pub.pem", dir));
        assertThat(KeyFiles.publicOf(priv).getEncoded()).isEqualTo(pub.getEncoded());
        assertThat(KeyFiles.keyId(priv)).isEqualTo(KeyFiles.keyId(pub)).startsWith("ed25519:").hasSize(24);
        assertThat(KeyFiles.keyId(TestKeys.otherEd25519Public())).isNotEqualTo(KeyFiles.keyId(pub));
        // The wrong kind of PEM block, or none, is a clear error.
        assertThatThrownBy(() -> KeyFiles.readPublicKey(TestKeys.copyTo("test-ed25519.pem", dir)))
                .hasMessageContaining("no PEM block '-----BEGIN PUBLIC KEY-----'");
    }

    @Test
    void secretsAsBase64OrRawBytes() throws IOException {
        SecretKey b64 = KeyFiles.readSecret(TestKeys.copyTo("test-hmac.key", dir), "HmacSHA256");
        assertThat(b64.getEncoded()).hasSize(32);
        Path raw = dir.resolve("raw.key");
        byte[] bytes = new byte[32];
        for (int i = 0; i < 32; i++) {
            bytes[i] = (byte) (0x80 + i * 3); // not base64 text
        }
        Files.write(raw, bytes);
        assertThat(KeyFiles.readSecret(raw, "HmacSHA256").getEncoded()).isEqualTo(bytes);
        Path text = dir.resolve("text.key");
        Files.writeString(text, Base64.getEncoder().encodeToString(bytes) + "\n", StandardCharsets.US_ASCII);
        assertThat(KeyFiles.readSecret(text, "AES").getEncoded()).isEqualTo(bytes);
        assertThat(KeyFiles.keyId(b64)).startsWith("hmac:");
        assertThat(KeyFiles.keyId(KeyFiles.readSecret(text, "AES"))).startsWith("aes:");
        Path empty = Files.write(dir.resolve("empty.key"), new byte[0]);
        assertThatThrownBy(() -> KeyFiles.readSecret(empty, "AES")).hasMessageContaining("empty key");
    }
}
