package org.ckpt.testkit.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import javax.crypto.SecretKey;
import org.ckpt.KeyFiles;

/**
 * Fixed keys for tests of sealed and encrypted images — published with the testkit, so
 * <b>never secret</b>: the golden sealed images, fuzz seeds and the {@code ckpt} command's
 * tests use them. Two of each kind, {@code test} and {@code other}, so a test can seal with
 * one and trust the other. The files are under {@code org/ckpt/testkit/image/keys/} in this
 * jar: {@code test-ed25519.pem} (PKCS#8), {@code test-ed25519.pub.pem} (X.509),
 * {@code test-hmac.key} and {@code test-aes.key} (32 bytes, base64), and the same for {@code other}.
 *
 * @since 0.3 (evolving)
 */
public final class TestKeys {
    /** The key id the tests name the {@code test} keys by. */
    public static final String TEST_ID = "ckpt-test";
    /** The key id the tests name the {@code other} keys by. */
    public static final String OTHER_ID = "ckpt-other";

    private TestKeys() {
    }

    /** The {@code test} HMAC-SHA-256 secret (32 bytes). */
    public static SecretKey hmac() {
        return secret("test-hmac.key", "HmacSHA256");
    }

    /** The {@code other} HMAC-SHA-256 secret. */
    public static SecretKey otherHmac() {
        return secret("other-hmac.key", "HmacSHA256");
    }

    /** The {@code test} Ed25519 private key. */
    public static PrivateKey ed25519() {
        return load("test-ed25519.pem", KeyFiles::readPrivateKey);
    }

    /** The {@code test} Ed25519 public key. */
    public static PublicKey ed25519Public() {
        return load("test-ed25519.pub.pem", KeyFiles::readPublicKey);
    }

    /** The {@code other} Ed25519 private key. */
    public static PrivateKey otherEd25519() {
        return load("other-ed25519.pem", KeyFiles::readPrivateKey);
    }

    /** The {@code other} Ed25519 public key. */
    public static PublicKey otherEd25519Public() {
        return load("other-ed25519.pub.pem", KeyFiles::readPublicKey);
    }

    /** The {@code test} AES-256 key. */
    public static SecretKey aes() {
        return secret("test-aes.key", "AES");
    }

    /** The {@code other} AES-256 key. */
    public static SecretKey otherAes() {
        return secret("other-aes.key", "AES");
    }

    /** A copy of key file {@code name} (e.g. {@code test-hmac.key}) in {@code dir}, for tools that take files. */
    public static Path copyTo(String name, Path dir) throws IOException {
        Path out = dir.resolve(name);
        try (InputStream in = open(name)) {
            Files.write(out, in.readAllBytes());
        }
        return out;
    }

    private static SecretKey secret(String name, String algorithm) {
        return load(name, p -> KeyFiles.readSecret(p, algorithm));
    }

    private interface Reader<T> {
        T read(Path file) throws IOException;
    }

    private static <T> T load(String name, Reader<T> reader) {
        try {
            Path dir = Files.createTempDirectory("ckpt-test-keys");
            Path file = copyTo(name, dir);
            try {
                return reader.read(file);
            } finally {
                Files.delete(file);
                Files.delete(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream open(String name) throws IOException {
        InputStream in = TestKeys.class.getResourceAsStream("keys/" + name);
        if (in == null) {
            throw new IOException("no test key " + name);
        }
        return in;
    }
}
