package org.ckpt.internal;

import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.EdECKey;
import java.util.Objects;
import javax.crypto.SecretKey;

/**
 * The keys of sealed and encrypted images as the engine holds them: checked once, when a
 * builder takes them, so that a checkpoint or restart fails on a bad key before it reads or
 * writes anything. JDK key objects only; ckpt never sees key material it does not need.
 */
public final class Keys {
    /** Shortest HMAC secret accepted, in bytes: the output size of SHA-256 (RFC 2104 §3). */
    public static final int MIN_HMAC_KEY = 32;

    private Keys() {
    }

    /** A seal algorithm, by its number in the SEAL record. */
    public enum SealAlgorithm {
        HMAC_SHA256(1, 32, "HMAC-SHA-256"),
        ED25519(2, 64, "Ed25519");

        final int code;
        final int tagLength;
        final String label;

        SealAlgorithm(int code, int tagLength, String label) {
            this.code = code;
            this.tagLength = tagLength;
            this.label = label;
        }

        /** The algorithm with this SEAL code, or null. */
        static SealAlgorithm of(int code) {
            for (SealAlgorithm a : values()) {
                if (a.code == code) {
                    return a;
                }
            }
            return null;
        }

        public String label() {
            return label;
        }
    }

    /** The key a checkpoint seals with: an HMAC secret or an Ed25519 private key. */
    public record SealingKey(String keyId, SealAlgorithm algorithm, Key key) {
        public SealingKey {
            requireKeyId(keyId);
            Objects.requireNonNull(algorithm);
            Objects.requireNonNull(key);
        }
    }

    /** A key a restart trusts seals of: an HMAC secret or an Ed25519 public key. */
    public record TrustedKey(String keyId, SealAlgorithm algorithm, Key key) {
        public TrustedKey {
            requireKeyId(keyId);
            Objects.requireNonNull(algorithm);
            Objects.requireNonNull(key);
        }
    }

    /** An AES-256 key that wraps the data keys of encrypted images (a key-encryption key). */
    public record CipherKey(String keyId, SecretKey key) {
        public CipherKey {
            requireKeyId(keyId);
            Objects.requireNonNull(key);
        }
    }

    public static SealingKey hmacSealing(String keyId, SecretKey secret) {
        return new SealingKey(keyId, SealAlgorithm.HMAC_SHA256, requireHmac(secret));
    }

    public static SealingKey ed25519Sealing(String keyId, PrivateKey key) {
        return new SealingKey(keyId, SealAlgorithm.ED25519, requireEd25519(key));
    }

    public static TrustedKey hmacTrusted(String keyId, SecretKey secret) {
        return new TrustedKey(keyId, SealAlgorithm.HMAC_SHA256, requireHmac(secret));
    }

    public static TrustedKey ed25519Trusted(String keyId, PublicKey key) {
        return new TrustedKey(keyId, SealAlgorithm.ED25519, requireEd25519(key));
    }

    public static CipherKey cipher(String keyId, SecretKey key) {
        Objects.requireNonNull(key, "key");
        if (!"AES".equalsIgnoreCase(key.getAlgorithm())) {
            throw new IllegalArgumentException("an encryption key must be an AES key, not " + key.getAlgorithm());
        }
        byte[] encoded = key.getEncoded();
        if (encoded != null && encoded.length != 32) {
            throw new IllegalArgumentException("an encryption key must be AES-256 (32 bytes), not "
                    + encoded.length + " bytes");
        }
        return new CipherKey(keyId, key);
    }

    /** Key ids are 1–255 bytes of UTF-8, as the SEAL and CIPHER records hold them. */
    static void requireKeyId(String keyId) {
        Objects.requireNonNull(keyId, "keyId");
        int n = keyId.getBytes(StandardCharsets.UTF_8).length;
        if (n < 1 || n > 255) {
            throw new IllegalArgumentException("a key id is 1 to 255 bytes of UTF-8, not " + n + ": '" + keyId + "'");
        }
    }

    private static SecretKey requireHmac(SecretKey secret) {
        Objects.requireNonNull(secret, "secret");
        byte[] encoded = secret.getEncoded();
        if (encoded != null && encoded.length < MIN_HMAC_KEY) {
            throw new IllegalArgumentException("an HMAC-SHA-256 sealing secret needs at least " + MIN_HMAC_KEY
                    + " bytes, this one has " + encoded.length);
        }
        return secret;
    }

    private static <K extends Key> K requireEd25519(K key) {
        Objects.requireNonNull(key, "key");
        boolean ed25519 = key instanceof EdECKey ec ? "Ed25519".equalsIgnoreCase(ec.getParams().getName())
                : "Ed25519".equalsIgnoreCase(key.getAlgorithm());
        if (!ed25519) {
            throw new IllegalArgumentException("not an Ed25519 key: " + key.getAlgorithm()
                    + (key instanceof EdECKey ec ? " " + ec.getParams().getName() : ""));
        }
        return key;
    }
}
