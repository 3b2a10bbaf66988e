package org.ckpt.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM of record payloads under one image's data key (docs/FORMAT.md §17.4): the
 * nonce of a record is its index in the image, so no nonce repeats under a data key, and a
 * data key is fresh and random for every image. The JDK's provider does the work (AES-NI and
 * CLMUL intrinsics where the CPU has them); nothing here is cryptography of its own.
 */
final class RecordCipher {
    static final int TAG_LENGTH = 16;
    static final int KEY_LENGTH = 32;
    /** RFC 3394 key wrap of a 32-byte key: 40 bytes. */
    static final int WRAPPED_LENGTH = KEY_LENGTH + 8;

    private final SecretKey dataKey;
    private final Cipher gcm;
    private final byte[] nonce = new byte[12];
    private ByteBuffer out = ByteBuffer.allocate(0);

    RecordCipher(SecretKey dataKey) {
        this.dataKey = dataKey;
        try {
            this.gcm = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no AES/GCM/NoPadding", e);
        }
    }

    /** A fresh random data key. */
    static SecretKey newDataKey(SecureRandom random) {
        byte[] k = new byte[KEY_LENGTH];
        random.nextBytes(k);
        return new SecretKeySpec(k, "AES");
    }

    /** The data key wrapped under {@code kek} with AES key wrap (RFC 3394): 40 bytes. */
    static byte[] wrap(SecretKey kek, SecretKey dataKey) {
        try {
            Cipher kw = Cipher.getInstance("AES/KW/NoPadding");
            kw.init(Cipher.WRAP_MODE, kek);
            return kw.wrap(dataKey);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the encryption key cannot wrap an AES-256 key: " + e.getMessage(), e);
        }
    }

    /** The data key unwrapped with {@code kek}, or null if {@code kek} is not the key it was wrapped with. */
    static SecretKey unwrap(SecretKey kek, byte[] wrapped) {
        try {
            Cipher kw = Cipher.getInstance("AES/KW/NoPadding");
            kw.init(Cipher.UNWRAP_MODE, kek);
            return (SecretKey) kw.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
        } catch (InvalidKeyException e) {
            // RFC 3394's integrity check failed: another key-encryption key.
            return null;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES key unwrap failed: " + e.getMessage(), e);
        }
    }

    private GCMParameterSpec spec(long index) {
        ByteBuffer.wrap(nonce).order(ByteOrder.LITTLE_ENDIAN).putLong(0, index).putInt(8, 0);
        return new GCMParameterSpec(TAG_LENGTH * 8, nonce);
    }

    private void init(int mode, long index) {
        try {
            gcm.init(mode, dataKey, spec(index));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM init failed: " + e.getMessage(), e);
        }
    }

    private ByteBuffer output(int n) {
        if (out.capacity() < n) {
            out = ByteBuffer.allocate((int) Math.max(n, Math.min(Integer.MAX_VALUE - 8, out.capacity() * 2L)));
        }
        return out.clear().limit(n);
    }

    /**
     * The ciphertext and tag of record {@code index}'s payload {@code plain}, authenticated with
     * {@code aad} (the record header's first 12 bytes): a view of a reused buffer, valid until
     * the next call.
     */
    ByteBuffer encrypt(long index, ByteBuffer aad, ByteBuffer plain) {
        init(Cipher.ENCRYPT_MODE, index);
        ByteBuffer o = output(plain.remaining() + TAG_LENGTH);
        try {
            gcm.updateAAD(aad.duplicate());
            gcm.doFinal(plain.duplicate(), o);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed: " + e.getMessage(), e);
        }
        return o.flip();
    }

    /**
     * The plaintext of record {@code index}'s payload {@code sealed} (ciphertext and tag): a
     * view of a reused buffer, valid until the next call.
     *
     * @throws AEADBadTagException if the tag does not match: the ciphertext, the header bytes
     *                             in {@code aad} or the record's position changed
     */
    ByteBuffer decrypt(long index, ByteBuffer aad, ByteBuffer sealed) throws AEADBadTagException {
        init(Cipher.DECRYPT_MODE, index);
        ByteBuffer o = output(sealed.remaining() - TAG_LENGTH);
        try {
            gcm.updateAAD(aad.duplicate());
            gcm.doFinal(sealed.duplicate(), o);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed: " + e.getMessage(), e);
        }
        return o.flip();
    }

    /** The GCM tag of an empty plaintext at nonce {@code index} with {@code aad}: a MAC under the data key. */
    byte[] tag(long index, byte[] aad) {
        init(Cipher.ENCRYPT_MODE, index);
        try {
            gcm.updateAAD(aad);
            return gcm.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed: " + e.getMessage(), e);
        }
    }

    /** Whether {@code tag} is the GCM tag of an empty plaintext at nonce {@code index} with {@code aad}. */
    boolean verifyTag(long index, byte[] aad, byte[] tag) {
        init(Cipher.DECRYPT_MODE, index);
        try {
            gcm.updateAAD(aad);
            gcm.doFinal(tag);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed: " + e.getMessage(), e);
        }
    }
}
