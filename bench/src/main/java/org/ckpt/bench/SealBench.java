package org.ckpt.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Sealed and encrypted checkpoints and restarts of the workloads (issue 19), beside the
 * compute floors a seal and an encryption cannot go below on this CPU: one SHA-256 pass and
 * one AES-256-GCM pass over the non-zero page bytes. Compared with {@link ImageBench}'s plain
 * {@code ckptToFile} and {@code restartFromFile} of the same run.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SealBench {
    static final String ID = "bench";
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

    /** The workload's images on disk: sealed with HMAC, with Ed25519, and encrypted (and HMAC-sealed). */
    @State(Scope.Benchmark)
    public static class Images {
        Path hmac;
        Path ed25519;
        Path aes;

        @Setup(Level.Trial)
        public void write(ImageBench.Work work) throws IOException {
            hmac = write(work, "hmac", HMAC_CKPT);
            ed25519 = write(work, "ed25519", ED_CKPT);
            aes = write(work, "aes", AES_CKPT);
        }

        private static Path write(ImageBench.Work work, String kind, Checkpointer c) throws IOException {
            Path p = ImageBench.dir().resolve(work.workload + "." + kind + ".ckpt");
            try (FileChannel out = ImageBench.create(p)) {
                c.checkpoint(work.w.tasks, out);
            }
            return p;
        }
    }

    private static CheckpointResult checkpoint(ImageBench.Work work, String kind, Checkpointer c) throws IOException {
        try (FileChannel out = ImageBench.create(ImageBench.dir().resolve(work.workload + ".out." + kind))) {
            return c.checkpoint(work.w.tasks, out);
        }
    }

    private static RestartResult restart(Path image, Restarter r) throws IOException {
        try (FileChannel in = FileChannel.open(image)) {
            return r.restart(in);
        }
    }

    @Benchmark
    public CheckpointResult ckptSealedHmac(ImageBench.Work work, ImageBench.CleanDisk clean) throws IOException {
        return checkpoint(work, "hmac", HMAC_CKPT);
    }

    @Benchmark
    public CheckpointResult ckptSealedEd25519(ImageBench.Work work, ImageBench.CleanDisk clean) throws IOException {
        return checkpoint(work, "ed25519", ED_CKPT);
    }

    @Benchmark
    public CheckpointResult ckptEncrypted(ImageBench.Work work, ImageBench.CleanDisk clean) throws IOException {
        return checkpoint(work, "aes", AES_CKPT);
    }

    @Benchmark
    public RestartResult restartSealedHmac(Images images, ImageBench.CleanDisk clean) throws IOException {
        return restart(images.hmac, HMAC_RSTR);
    }

    @Benchmark
    public RestartResult restartSealedEd25519(Images images, ImageBench.CleanDisk clean) throws IOException {
        return restart(images.ed25519, ED_RSTR);
    }

    @Benchmark
    public RestartResult restartEncrypted(Images images, ImageBench.CleanDisk clean) throws IOException {
        return restart(images.aes, AES_RSTR);
    }

    /** The floor of a seal: SHA-256 of every non-zero page byte, once (what a seal must hash at least). */
    @Benchmark
    public byte[] sha256Floor(ImageBench.Work work) throws GeneralSecurityException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (Workload.Run r : work.w.runs) {
            sha.update(r.bytes().duplicate());
        }
        return sha.digest();
    }

    /** The floor of an encryption: AES-256-GCM of every non-zero page byte in records of at most 1 MiB. */
    @Benchmark
    public long aesGcmFloor(ImageBench.Work work) throws GeneralSecurityException {
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        ByteBuffer out = ByteBuffer.allocate((1 << 20) + 16);
        byte[] nonce = new byte[12];
        long n = 0;
        long index = System.nanoTime();
        for (Workload.Run r : work.w.runs) {
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
    }
}
