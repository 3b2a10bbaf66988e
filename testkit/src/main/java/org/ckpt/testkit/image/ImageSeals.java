package org.ckpt.testkit.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals, unseals, decrypts and re-encrypts image bytes from docs/FORMAT.md §17 alone (it
 * shares no code with the library's writer and reader, so it also checks that the document
 * is precise): the tools of a forger who holds a key, or of a test that mutates what a seal
 * or an encryption protects and wants the mutation to reach the checks behind them.
 *
 * @since 0.3 (evolving)
 */
public final class ImageSeals {
    /** Record types and flags of docs/FORMAT.md §17. */
    public static final int SEAL = 0x0005;
    public static final int CIPHER = 0x0007;
    public static final int FLAG_OPTIONAL = 1;
    public static final int FLAG_ENCRYPTED = 2;
    private static final byte[] CONTEXT = "CKPT-SEAL-SHA256".getBytes(StandardCharsets.US_ASCII);
    private static final int TAG = 16;

    private ImageSeals() {
    }

    /** {@code image} without its SEAL record (tail recomputed); unchanged if it has none. */
    public static byte[] unseal(byte[] image) {
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        rs.removeIf(r -> r.type() == SEAL);
        return ImageRecords.assemble(image, rs);
    }

    /**
     * {@code image} sealed anew by {@code key} under {@code keyId}: an HMAC-SHA-256 secret
     * ({@link SecretKey}) or an Ed25519 {@link PrivateKey}. An existing seal is replaced; the
     * new one goes right before the TAIL, which is recomputed.
     */
    public static byte[] reseal(byte[] image, String keyId, Key key) {
        int algorithm = key instanceof PrivateKey ? 2 : 1;
        int tagLength = algorithm == 2 ? 64 : 32;
        byte[] id = keyId.getBytes(StandardCharsets.UTF_8);
        byte[] prefix = ByteBuffer.allocate(10 + id.length).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) algorithm).putShort((short) tagLength).putInt(0).putShort((short) id.length)
                .put(id).array();
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        rs.removeIf(r -> r.type() == SEAL);
        int at = rs.size() - 1;
        rs.add(at, new ImageRecords.Record(0, SEAL, FLAG_OPTIONAL, 0, Arrays.copyOf(prefix, prefix.length + tagLength)));
        byte[] placed = ImageRecords.assemble(image, rs);
        int sealAt = (int) ImageRecords.parse(placed).get(at).offset();
        byte[] tag = tag(key, digest(placed, sealAt, prefix.length));
        byte[] payload = Arrays.copyOf(prefix, prefix.length + tagLength);
        System.arraycopy(tag, 0, payload, prefix.length, tagLength);
        rs.set(at, new ImageRecords.Record(0, SEAL, FLAG_OPTIONAL, 0, payload));
        return ImageRecords.assemble(image, rs);
    }

    /**
     * {@code image} (any valid image) sealed by {@code key} under {@code keyId}: its head made
     * format 1.3 if it was older (a seal needs 1.3), then {@link #reseal resealed}.
     */
    public static byte[] seal(byte[] image, String keyId, Key key) {
        return reseal(atLeast13(image, 0), keyId, key);
    }

    /** The key id of {@code image}'s seal, or null if it has none. */
    public static String sealKeyId(byte[] image) {
        for (ImageRecords.Record r : ImageRecords.parse(image)) {
            if (r.type() == SEAL && r.payload().length >= 10) {
                ByteBuffer p = ByteBuffer.wrap(r.payload()).order(ByteOrder.LITTLE_ENDIAN);
                int n = p.getShort(8) & 0xFFFF;
                if (r.payload().length >= 10 + n) {
                    return new String(r.payload(), 10, n, StandardCharsets.UTF_8);
                }
            }
        }
        return null;
    }

    /** The HEAD of {@code image} made format 1.3 at least, with {@code addFlags} set. */
    private static byte[] atLeast13(byte[] image, int addFlags) {
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        ImageRecords.Record h = rs.get(0);
        byte[] head = h.payload().clone();
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(2, (short) Math.max(3, b.getShort(2) & 0xFFFF));
        b.putInt(4, b.getInt(4) | addFlags);
        rs.set(0, new ImageRecords.Record(h.offset(), h.type(), h.flags(), 0, head));
        return ImageRecords.assemble(image, rs);
    }

    /** Whether {@code image}'s seal verifies under {@code key} (HMAC secret or Ed25519 public key). */
    public static boolean verify(byte[] image, Key key) {
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        for (ImageRecords.Record r : rs) {
            if (r.type() == SEAL) {
                ByteBuffer p = ByteBuffer.wrap(r.payload()).order(ByteOrder.LITTLE_ENDIAN);
                int idLength = p.getShort(8) & 0xFFFF;
                int prefix = 10 + idLength;
                byte[] d = digest(image, (int) r.offset(), prefix);
                byte[] tag = Arrays.copyOfRange(r.payload(), prefix, r.payload().length);
                try {
                    if (key instanceof PublicKey pub) {
                        Signature s = Signature.getInstance("Ed25519");
                        s.initVerify(pub);
                        s.update(message(d));
                        return s.verify(tag);
                    }
                    return MessageDigest.isEqual(tag, tag(key, d));
                } catch (GeneralSecurityException e) {
                    return false;
                }
            }
        }
        return false;
    }

    /** SHA-256 of what the seal at {@code sealAt} covers: bytes before it, its header but the CRC, its payload prefix. */
    static byte[] digest(byte[] image, int sealAt, int prefixLength) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(image, 0, sealAt + 12);
            sha.update(image, sealAt + 16, prefixLength);
            return sha.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] message(byte[] digest) {
        byte[] m = Arrays.copyOf(CONTEXT, CONTEXT.length + digest.length);
        System.arraycopy(digest, 0, m, CONTEXT.length, digest.length);
        return m;
    }

    private static byte[] tag(Key key, byte[] digest) {
        try {
            if (key instanceof PrivateKey priv) {
                Signature s = Signature.getInstance("Ed25519");
                s.initSign(priv);
                s.update(message(digest));
                return s.sign();
            }
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
            return mac.doFinal(message(digest));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- encryption ------------------------------------------------------------------------------

    /**
     * An encrypted image opened with its key: the records with their plaintext payloads
     * (flags as stored, {@code ENCRYPTED} included), and the data key to encrypt them again.
     *
     * @param magic   the image's first 8 bytes
     * @param records every record; encrypted ones hold their plaintext
     * @param dataKey the image's data key
     */
    public record Opened(byte[] magic, List<ImageRecords.Record> records, SecretKey dataKey) {
        public Opened {
            records = List.copyOf(records);
        }

        /** The same with {@code records} instead. */
        public Opened with(List<ImageRecords.Record> other) {
            return new Opened(magic, other, dataKey);
        }
    }

    /** Decrypts every encrypted record of {@code image} with the key-encryption key {@code kek}. */
    public static Opened open(byte[] image, SecretKey kek) {
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        ImageRecords.Record c = rs.get(2);
        if (c.type() != CIPHER) {
            throw new IllegalArgumentException("the third record is not CIPHER: not an encrypted image");
        }
        ByteBuffer p = ByteBuffer.wrap(c.payload()).order(ByteOrder.LITTLE_ENDIAN);
        int idLength = p.getShort(8) & 0xFFFF;
        byte[] wrapped = Arrays.copyOfRange(c.payload(), 10 + idLength, 10 + idLength + 40);
        SecretKey dataKey;
        try {
            Cipher kw = Cipher.getInstance("AES/KW/NoPadding");
            kw.init(Cipher.UNWRAP_MODE, kek);
            dataKey = (SecretKey) kw.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the key does not unwrap the data key: " + e.getMessage(), e);
        }
        List<ImageRecords.Record> out = new ArrayList<>();
        for (int i = 0; i < rs.size(); i++) {
            ImageRecords.Record r = rs.get(i);
            if ((r.flags() & FLAG_ENCRYPTED) != 0) {
                byte[] plain = gcm(Cipher.DECRYPT_MODE, dataKey, i, header(r.type(), r.flags(), r.payload().length),
                        r.payload());
                r = new ImageRecords.Record(r.offset(), r.type(), r.flags(), 0, plain);
            }
            out.add(r);
        }
        return new Opened(Arrays.copyOf(image, ImageRecords.MAGIC_SIZE), out, dataKey);
    }

    /**
     * The image of {@code opened}'s records: each record with flag ENCRYPTED encrypted at its
     * (new) index, the CIPHER head tag recomputed over the (possibly changed) head, checksums
     * and tail recomputed. A SEAL, if any, is left as it is (use {@link #reseal} after).
     */
    public static byte[] assemble(Opened opened) {
        List<ImageRecords.Record> rs = new ArrayList<>(opened.records());
        for (int i = 0; i < rs.size(); i++) {
            ImageRecords.Record r = rs.get(i);
            if ((r.flags() & FLAG_ENCRYPTED) != 0) {
                byte[] ct = gcm(Cipher.ENCRYPT_MODE, opened.dataKey(), i,
                        header(r.type(), r.flags(), r.payload().length + TAG), r.payload());
                rs.set(i, new ImageRecords.Record(r.offset(), r.type(), r.flags(), 0, ct));
            }
        }
        // The head tag of the opening CIPHER: over SHA-256 of every byte before it, its header and prefix.
        for (int i = 0; i < rs.size(); i++) {
            ImageRecords.Record c = rs.get(i);
            if (c.type() == CIPHER && (c.flags() & FLAG_ENCRYPTED) == 0) {
                byte[] placed = ImageRecords.assemble(opened.magic(), rs);
                int at = (int) ImageRecords.parse(placed).get(i).offset();
                int prefix = c.payload().length - TAG;
                try {
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    sha.update(placed, 0, at);
                    byte[] aad = ByteBuffer.allocate(32 + 12 + prefix).put(sha.digest())
                            .put(header(CIPHER, c.flags(), c.payload().length))
                            .put(c.payload(), 0, prefix).array();
                    byte[] tag = gcm(Cipher.ENCRYPT_MODE, opened.dataKey(), i, aad, new byte[0]);
                    byte[] payload = c.payload().clone();
                    System.arraycopy(tag, 0, payload, prefix, TAG);
                    rs.set(i, new ImageRecords.Record(c.offset(), CIPHER, c.flags(), 0, payload));
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
                break;
            }
        }
        return ImageRecords.assemble(opened.magic(), rs);
    }

    /**
     * {@code image} (a valid unencrypted image, unsealed) encrypted as docs/FORMAT.md §17.4 says,
     * with the given data key (a writer draws a fresh random one; a fixed one makes the result
     * reproducible): head flag ENCRYPTED and format 1.3, the opening CIPHER record with the
     * data key wrapped under {@code kek}, every later record but the TAIL encrypted, the
     * closing CIPHER before the TAIL.
     */
    public static byte[] encrypt(byte[] image, String keyId, SecretKey kek, SecretKey dataKey) {
        byte[] flagged = atLeast13(image, 4);
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(flagged));
        byte[] wrapped;
        try {
            Cipher kw = Cipher.getInstance("AES/KW/NoPadding");
            kw.init(Cipher.WRAP_MODE, kek);
            wrapped = kw.wrap(dataKey);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(e);
        }
        byte[] id = keyId.getBytes(StandardCharsets.UTF_8);
        byte[] cipher = ByteBuffer.allocate(10 + id.length + 40 + TAG).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 1).putShort((short) 1).putInt(0).putShort((short) id.length).put(id).put(wrapped)
                .array();
        List<ImageRecords.Record> out = new ArrayList<>();
        out.add(rs.get(0));
        out.add(rs.get(1));
        out.add(new ImageRecords.Record(0, CIPHER, 0, 0, cipher));
        for (int i = 2; i < rs.size() - 1; i++) {
            ImageRecords.Record r = rs.get(i);
            out.add(new ImageRecords.Record(0, r.type(), r.flags() | FLAG_ENCRYPTED, 0, r.payload()));
        }
        out.add(new ImageRecords.Record(0, CIPHER, FLAG_ENCRYPTED, 0, new byte[0]));
        out.add(rs.get(rs.size() - 1));
        return assemble(new Opened(Arrays.copyOf(image, ImageRecords.MAGIC_SIZE), out, dataKey));
    }

    private static byte[] header(int type, int flags, int length) {
        return ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(type).putInt(flags).putInt(length)
                .array();
    }

    /** AES-256-GCM at nonce {@code index} (u64 little-endian, then 4 zero bytes). */
    private static byte[] gcm(int mode, SecretKey key, long index, byte[] aad, byte[] in) {
        byte[] nonce = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(index).array();
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, key, new GCMParameterSpec(TAG * 8, nonce));
            c.updateAAD(aad);
            return c.doFinal(in);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("AES-GCM of record " + index + ": " + e.getMessage(), e);
        }
    }
}
