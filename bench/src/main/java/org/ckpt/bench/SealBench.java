package org.ckpt.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;

/**
 * Sealed and encrypted checkpoints and restarts of a workload (issue 19), beside the compute
 * floors a seal and an encryption cannot go below on this CPU: one SHA-256 pass and one
 * AES-256-GCM pass over the non-zero page bytes. Operations of {@link Runner}, interleaved with
 * and compared to its plain {@code ckptToFile} and {@code restartFromFile} of the same run.
 */
final class SealBench {
    static final String ID = "bench";
    /** The operations this class adds to a {@link Runner}. */
    static final List<String> OPS = List.of("ckptSealedHmac", "ckptSealedEd25519", "ckptEncrypted",
            "restartSealedHmac", "restartSealedEd25519", "restartEncrypted", "sha256Floor", "aesGcmFloor");
    static final SecretKey HMAC;
    static final KeyPair ED25519;
    static final SecretKey AES;

    static {
        SecureRandom rnd = new SecureRandom();
        byte[] h = new byte[32];
        rnd.nextBytes(h);
        HMAC = new SecretKeySpec(h, "HmacSHA256");
        byte[] a = new byte[32];
        rnd.nextBytes(a);
        AES = new SecretKeySpec(a, "AES");
        try {
            ED25519 = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static final Checkpointer HMAC_CKPT = Checkpointer.builder().architecture("x86_64").seal(ID, HMAC).build();
    static final Checkpointer ED_CKPT = Checkpointer.builder().architecture("x86_64").seal(ID, ED25519.getPrivate())
            .build();
    static final Checkpointer AES_CKPT = Checkpointer.builder().architecture("x86_64").encrypt(ID, AES)
            .seal(ID, HMAC).build();
    static final Restarter HMAC_RSTR = Restarter.builder().trust(ID, HMAC).build();
    static final Restarter ED_RSTR = Restarter.builder().trust(ID, ED25519.getPublic()).build();
    static final Restarter AES_RSTR = Restarter.builder().trust(ID, HMAC).decryptionKey(ID, AES).build();

    private final Workload w;
    private final Path dir;
    /** The workload's images on disk: sealed with HMAC, with Ed25519, and encrypted (and HMAC-sealed). */
    private final Path hmac;
    private final Path ed25519;
    private final Path aes;

    /** Writes the sealed and encrypted images of {@code w} into {@code dir}. */
    SealBench(Workload w, Path dir) throws IOException {
        this.w = w;
        this.dir = dir;
        hmac = write("hmac", HMAC_CKPT);
        ed25519 = write("ed25519", ED_CKPT);
        aes = write("aes", AES_CKPT);
    }

    private Path write(String kind, Checkpointer c) throws IOException {
        Path p = dir.resolve(w.name + "." + kind + ".ckpt");
        try (FileChannel out = Runner.create(p)) {
            c.checkpoint(w.tasks, out);
        }
        return p;
    }

    /** Adds this class's operations to {@code ops}. */
    void addOps(Map<String, Runner.Op> ops) {
        ops.put("ckptSealedHmac", () -> checkpoint("hmac", HMAC_CKPT));
        ops.put("ckptSealedEd25519", () -> checkpoint("ed25519", ED_CKPT));
        ops.put("ckptEncrypted", () -> checkpoint("aes", AES_CKPT));
        ops.put("restartSealedHmac", () -> restart(hmac, HMAC_RSTR));
        ops.put("restartSealedEd25519", () -> restart(ed25519, ED_RSTR));
        ops.put("restartEncrypted", () -> restart(aes, AES_RSTR));
        ops.put("sha256Floor", this::sha256Floor);
        ops.put("aesGcmFloor", this::aesGcmFloor);
    }

    /** Deletes the images. */
    void delete() throws IOException {
        Files.deleteIfExists(hmac);
        Files.deleteIfExists(ed25519);
        Files.deleteIfExists(aes);
    }

    private long checkpoint(String kind, Checkpointer c) throws IOException {
        try (FileChannel out = Runner.overwrite(dir.resolve(w.name + ".out." + kind))) {
            return c.checkpoint(w.tasks, out).bytesWritten();
        }
    }

    private static long restart(Path image, Restarter r) throws IOException {
        try (FileChannel in = FileChannel.open(image)) {
            return r.restart(in).pagesRead();
        }
    }

    /** The floor of a seal: SHA-256 of every non-zero page byte, once (what a seal must hash at least). */
    private long sha256Floor() throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Workload.Run r : w.runs) {
                sha.update(r.bytes().duplicate());
            }
            return sha.digest()[0];
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    /** The floor of an encryption: AES-256-GCM of every non-zero page byte in records of at most 1 MiB. */
    private long aesGcmFloor() throws IOException {
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            ByteBuffer out = ByteBuffer.allocate((1 << 20) + 16);
            byte[] nonce = new byte[12];
            long n = 0;
            long index = System.nanoTime();
            for (Workload.Run r : w.runs) {
                ByteBuffer in = r.bytes().duplicate();
                while (in.hasRemaining()) {
                    ByteBuffer chunk = in.slice(in.position(), Math.min(1 << 20, in.remaining()));
                    in.position(in.position() + chunk.remaining());
                    ByteBuffer.wrap(nonce).putLong(0, index++);
                    gcm.init(Cipher.ENCRYPT_MODE, AES, new GCMParameterSpec(128, nonce));
                    out.clear();
                    n += gcm.doFinal(chunk, out);
                }
            }
            return n;
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }
}
