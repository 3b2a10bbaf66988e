package org.ckpt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * Reads the keys of sealed and encrypted images from files in standard formats, for hosts
 * and the {@code ckpt} command: Ed25519 keys as PEM (PKCS#8 {@code PRIVATE KEY}, X.509
 * {@code PUBLIC KEY}, as {@code openssl genpkey -algorithm ed25519} and {@code openssl pkey
 * -pubout} write them), secrets (HMAC, AES) as raw bytes or base64 text. Also derives a
 * default key id from a key, for hosts that do not name their keys.
 *
 * @since 0.3 (evolving)
 */
public final class KeyFiles {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/=\\s]+");
    private static final int MAX_FILE = 64 << 10;

    private KeyFiles() {
    }

    /** An Ed25519 private key from a PEM file ({@code -----BEGIN PRIVATE KEY-----}, PKCS#8). */
    public static PrivateKey readPrivateKey(Path file) throws IOException {
        byte[] der = pem(file, "PRIVATE KEY");
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not an Ed25519 private key (PKCS#8): " + e.getMessage(), e);
        }
    }

    /** An Ed25519 public key from a PEM file ({@code -----BEGIN PUBLIC KEY-----}, X.509 SubjectPublicKeyInfo). */
    public static PublicKey readPublicKey(Path file) throws IOException {
        byte[] der = pem(file, "PUBLIC KEY");
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not an Ed25519 public key (X.509): " + e.getMessage(), e);
        }
    }

    /**
     * A secret from a file: base64 text if the file holds only base64 characters and
     * whitespace, else its raw bytes. {@code algorithm} is the key's JCA name:
     * {@code HmacSHA256} for seals, {@code AES} for encryption.
     */
    public static SecretKey readSecret(Path file, String algorithm) throws IOException {
        byte[] raw = read(file);
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        byte[] key = raw;
        if (BASE64.matcher(text).matches()) {
            try {
                key = Base64.getMimeDecoder().decode(text.strip());
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": base64 text that does not decode: " + e.getMessage(), e);
            }
        }
        if (key.length == 0) {
            throw new IOException(file + ": empty key");
        }
        return new SecretKeySpec(key, algorithm);
    }

    /**
     * A key id derived from a key, for hosts that do not name their keys: {@code ed25519:},
     * {@code hmac:} or {@code aes:} and 16 hex digits of a SHA-256 — of the public key's X.509
     * encoding for Ed25519 (the same id for the private key and its public key), of the secret
     * for the others (which reveals nothing usable of a secret of 32 random bytes).
     */
    public static String keyId(Key key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            String kind;
            byte[] material;
            if (key instanceof PublicKey pub) {
                kind = "ed25519";
                material = pub.getEncoded();
            } else if (key instanceof PrivateKey priv) {
                kind = "ed25519";
                material = publicOf(priv).getEncoded();
            } else {
                kind = "AES".equalsIgnoreCase(key.getAlgorithm()) ? "aes" : "hmac";
                sha.update("ckpt key id\0".getBytes(StandardCharsets.US_ASCII));
                material = key.getEncoded();
            }
            if (material == null) {
                throw new IllegalArgumentException("the key's encoding is not available: name it yourself");
            }
            byte[] d = sha.digest(material);
            return kind + ":" + HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The public key of an Ed25519 private key (RFC 8032: derived from its 32-byte seed). */
    public static PublicKey publicOf(PrivateKey key) {
        if (!(key instanceof EdECPrivateKey ed) || ed.getBytes().isEmpty()) {
            throw new IllegalArgumentException("not an Ed25519 private key with its seed: " + key.getAlgorithm());
        }
        byte[] seed = ed.getBytes().get();
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            g.initialize(NamedParameterSpec.ED25519, new SecureRandom() {
                private static final long serialVersionUID = 1L;

                @Override
                public void nextBytes(byte[] bytes) {
                    // The generator draws exactly the 32-byte seed: hand it this key's.
                    System.arraycopy(seed, 0, bytes, 0, Math.min(seed.length, bytes.length));
                }
            });
            return g.generateKeyPair().getPublic();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE) {
            throw new IOException(file + ": " + size + " bytes is not a key file");
        }
        return Files.readAllBytes(file);
    }

    private static byte[] pem(Path file, String label) throws IOException {
        String text = new String(read(file), StandardCharsets.US_ASCII);
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(label)) {
                return Base64.getMimeDecoder().decode(m.group(2));
            }
        }
        throw new IOException(file + ": no PEM block '-----BEGIN " + label + "-----'");
    }
}
