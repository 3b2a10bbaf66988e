package org.ckpt.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.util.Map;
import java.util.TreeSet;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.SealException;
import org.ckpt.spi.UnsupportedImageException;

/**
 * The SEAL and CIPHER records, writer and reader side by side, and the seal's cryptography
 * (docs/FORMAT.md §17): JDK primitives only.
 */
final class SealRecords {
    /** Prefixed to the image digest in what a seal tags or signs: 16 ASCII bytes. */
    static final byte[] SEAL_CONTEXT = "CKPT-SEAL-SHA256".getBytes(StandardCharsets.US_ASCII);
    /** SEAL record flags as written: optional, so that readers before 1.3 skip it. */
    static final int SEAL_FLAGS = RecordOutput.FLAG_OPTIONAL;
    /** CIPHER.cipher: AES-256-GCM of record payloads, nonce = record index. */
    static final int CIPHER_AES256_GCM = 1;
    /** CIPHER.wrap: the data key wrapped with AES key wrap (RFC 3394) under the host's AES-256 key. */
    static final int WRAP_AES_KW = 1;
    /** SEAL and CIPHER payload bytes before the key id: u16, u16, u32. */
    private static final int FIXED = 8;

    private SealRecords() {
    }

    /** The first 12 bytes of a record header: type, flags, length. */
    static byte[] header12(int type, int flags, int length) {
        return ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(type).putInt(flags).putInt(length)
                .array();
    }

    private static byte[] keyIdBytes(String keyId) {
        return keyId.getBytes(StandardCharsets.UTF_8);
    }

    private static String keyId(PayloadReader r) throws ImageException {
        long at = r.position();
        String id = r.shortString("key_id", 255);
        if (id.isEmpty()) {
            throw new InvalidImageException(r.recordName(), at, "empty key_id (a key id has 1 to 255 bytes)");
        }
        return id;
    }

    // ---- SEAL -------------------------------------------------------------------------------------

    /** The SEAL payload before its tag: algorithm, tag_length, reserved, key_id. */
    static byte[] sealPrefix(int algorithm, int tagLength, String keyId) {
        byte[] id = keyIdBytes(keyId);
        return ByteBuffer.allocate(FIXED + 2 + id.length).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) algorithm).putShort((short) tagLength).putInt(0)
                .putShort((short) id.length).put(id).array();
    }

    /** What a seal tags or signs: the context string, then the SHA-256 digest of the sealed bytes (48 bytes). */
    static byte[] sealMessage(byte[] digest) {
        byte[] m = new byte[SEAL_CONTEXT.length + digest.length];
        System.arraycopy(SEAL_CONTEXT, 0, m, 0, SEAL_CONTEXT.length);
        System.arraycopy(digest, 0, m, SEAL_CONTEXT.length, digest.length);
        return m;
    }

    /** The tag (HMAC-SHA-256) or signature (Ed25519) of {@code digest} under {@code key}. */
    static byte[] sealTag(Keys.SealingKey key, byte[] digest) {
        byte[] m = sealMessage(digest);
        try {
            return switch (key.algorithm()) {
                case HMAC_SHA256 -> {
                    Mac mac = Mac.getInstance("HmacSHA256");
                    mac.init((SecretKey) key.key());
                    yield mac.doFinal(m);
                }
                case ED25519 -> {
                    Signature s = Signature.getInstance("Ed25519");
                    s.initSign((PrivateKey) key.key());
                    s.update(m);
                    yield s.sign();
                }
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("sealing with key '" + key.keyId() + "' failed: " + e.getMessage(), e);
        }
    }

    /** What a SEAL record says; {@code prefix} is its payload before the tag, as the seal covers it. */
    record Seal(int algorithm, int tagLength, String keyId, byte[] tag, byte[] prefix) {
        Keys.SealAlgorithm known() {
            return Keys.SealAlgorithm.of(algorithm);
        }

        String algorithmName() {
            Keys.SealAlgorithm a = known();
            return a != null ? a.label() : "algorithm " + algorithm;
        }
    }

    static Seal readSeal(PayloadReader r) throws ImageException {
        long algAt = r.position();
        int algorithm = r.u16("algorithm");
        long tagAt = r.position();
        int tagLength = r.u16("tag_length");
        r.reserved32("reserved");
        String keyId = keyId(r);
        Keys.SealAlgorithm a = Keys.SealAlgorithm.of(algorithm);
        if (a != null && a.tagLength != tagLength) {
            throw new InvalidImageException(r.recordName(), tagAt, "tag_length " + tagLength + " for "
                    + a.label() + ", which has " + a.tagLength + "-byte tags");
        }
        if (algorithm == 0) {
            throw new InvalidImageException(r.recordName(), algAt, "seal algorithm 0 is not assigned");
        }
        byte[] tag = r.bytes("tag", tagLength);
        if (r.remaining() != 0) {
            // Structure before verification: a trusting reader and one that trusts no key refuse alike.
            throw r.invalid(r.remaining() + " unread bytes at the end of the record payload");
        }
        return new Seal(algorithm, tagLength, keyId, tag, sealPrefix(algorithm, tagLength, keyId));
    }

    /**
     * Checks {@code seal} over the sealed bytes' {@code digest} against the trusted keys.
     *
     * @throws SealException UNKNOWN_KEY if its key id is not trusted, INVALID if it does not verify
     */
    static void verify(Seal seal, byte[] digest, Map<String, Keys.TrustedKey> trusted, long at)
            throws SealException {
        Keys.TrustedKey key = trusted.get(seal.keyId());
        if (key == null) {
            throw new SealException(SealException.Kind.UNKNOWN_KEY, "SEAL", at, "the image is sealed by key id '"
                    + seal.keyId() + "', which this restarter does not trust (trusted: "
                    + String.join(", ", new TreeSet<>(trusted.keySet())) + ")");
        }
        if (seal.known() != key.algorithm()) {
            throw new SealException(SealException.Kind.INVALID, "SEAL", at, "the image is sealed with "
                    + seal.algorithmName() + " under key id '" + seal.keyId() + "', but the trusted key '"
                    + key.keyId() + "' is an " + key.algorithm().label() + " key");
        }
        byte[] m = sealMessage(digest);
        boolean ok;
        try {
            ok = switch (key.algorithm()) {
                case HMAC_SHA256 -> {
                    Mac mac = Mac.getInstance("HmacSHA256");
                    mac.init((SecretKey) key.key());
                    yield MessageDigest.isEqual(mac.doFinal(m), seal.tag());
                }
                case ED25519 -> {
                    Signature s = Signature.getInstance("Ed25519");
                    s.initVerify((PublicKey) key.key());
                    s.update(m);
                    try {
                        yield s.verify(seal.tag());
                    } catch (SignatureException malformed) {
                        yield false;
                    }
                }
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("verifying with trusted key '" + key.keyId() + "' failed: "
                    + e.getMessage(), e);
        }
        if (!ok) {
            throw new SealException(SealException.Kind.INVALID, "SEAL", at, "the " + seal.algorithmName()
                    + " seal of key id '" + seal.keyId() + "' does not verify: the image was changed after it was"
                    + " sealed (or its seal comes from another image), or it was sealed by another key under this id");
        }
    }

    // ---- CIPHER -----------------------------------------------------------------------------------

    /** The opening CIPHER payload before its head tag: cipher, wrap, reserved, key_id, wrapped_key. */
    static byte[] cipherPrefix(String keyId, byte[] wrapped) {
        byte[] id = keyIdBytes(keyId);
        return ByteBuffer.allocate(FIXED + 2 + id.length + wrapped.length).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) CIPHER_AES256_GCM).putShort((short) WRAP_AES_KW).putInt(0)
                .putShort((short) id.length).put(id).put(wrapped).array();
    }

    /**
     * What the head tag authenticates: the SHA-256 of every image byte before the CIPHER record,
     * then its header's first 12 bytes, then its payload before the tag.
     */
    static byte[] headAad(byte[] headDigest, byte[] header12, byte[] prefix) {
        return ByteBuffer.allocate(headDigest.length + header12.length + prefix.length).put(headDigest)
                .put(header12).put(prefix).array();
    }

    /** What an opening CIPHER record says. */
    record CipherHead(String keyId, byte[] wrapped, byte[] headTag, byte[] prefix) {
    }

    static CipherHead readCipher(PayloadReader r) throws ImageException {
        long at = r.position();
        int cipher = r.u16("cipher");
        if (cipher != CIPHER_AES256_GCM) {
            throw new UnsupportedImageException(r.recordName(), at, "cipher " + cipher
                    + " is not known to this reader (1 = AES-256-GCM)");
        }
        at = r.position();
        int wrap = r.u16("wrap");
        if (wrap != WRAP_AES_KW) {
            throw new UnsupportedImageException(r.recordName(), at, "key wrap " + wrap
                    + " is not known to this reader (1 = AES key wrap, RFC 3394)");
        }
        r.reserved32("reserved");
        String keyId = keyId(r);
        byte[] wrapped = r.bytes("wrapped_key", RecordCipher.WRAPPED_LENGTH);
        byte[] tag = r.bytes("head_tag", RecordCipher.TAG_LENGTH);
        return new CipherHead(keyId, wrapped, tag, cipherPrefix(keyId, wrapped));
    }
}
