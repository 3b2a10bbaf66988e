package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.security.Key;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.SecretKey;
import org.ckpt.Checkpointer;
import org.ckpt.ImageEncryption;
import org.ckpt.ImageInfo;
import org.ckpt.ImageScan;
import org.ckpt.ImageSeal;
import org.ckpt.Inspection;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.Task;
import org.ckpt.spi.DecryptionException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.SealException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.ImageSeals;
import org.ckpt.testkit.image.RecordingTarget;
import org.ckpt.testkit.image.TestChannels;
import org.ckpt.testkit.image.TestKeys;
import org.ckpt.spi.TargetCpu;
import org.junit.jupiter.api.Test;

/** Sealed and encrypted images: round trips, and what a restarter that trusts keys refuses (docs/FORMAT.md §17). */
class SealedImageTest {
    static final String ID = TestKeys.TEST_ID;
    static final List<Task> TASKS = Generators.build(3, 2, 4, List.of(new TestCpu(0x401000, 0x7ffff000, 1, 2, 3, 4, 0x46)));

    static Checkpointer.Builder writer() {
        return Checkpointer.builder().architecture(TestArch.NAME).checkpointId(0x5EA1)
                .created(Instant.parse("2026-12-01T00:00:00Z")).uname(new Uname("Linux", "seal", "6.1", "#1", "x86_64"));
    }

    static byte[] image(Checkpointer.Builder b) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        b.build().checkpoint(TASKS, sink);
        return sink.toByteArray();
    }

    static RestartResult restart(Restarter.Builder b, byte[] image) throws IOException {
        return b.build().restart(TestChannels.source(image));
    }

    @Test
    void hmacSealedImageRoundTripsAndVerifies() throws IOException {
        byte[] image = image(writer().seal(ID, TestKeys.hmac()));
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        assertThat(rs.get(rs.size() - 2).type()).isEqualTo(RecordTypes.SEAL);
        assertThat(ImageSeals.verify(image, TestKeys.hmac())).isTrue();
        RestartResult r = restart(Restarter.builder().trust(ID, TestKeys.hmac()), image);
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(TASKS);
        assertThat(r.info().formatMinor()).isEqualTo(3);
        Inspection i = Restarter.builder().trust(ID, TestKeys.hmac()).build().inspect(TestChannels.source(image), null);
        assertThat(i.seal()).contains(new ImageSeal("HMAC-SHA-256", ID, true));
        // A restarter that trusts no key reads it, without verifying.
        Inspection plain = Restarter.builder().build().inspect(TestChannels.source(image), null);
        assertThat(plain.seal()).contains(new ImageSeal("HMAC-SHA-256", ID, false));
    }

    @Test
    void ed25519SealedImageRoundTripsAndVerifies() throws IOException {
        byte[] image = image(writer().seal(ID, TestKeys.ed25519()));
        assertThat(ImageSeals.verify(image, TestKeys.ed25519Public())).isTrue();
        RestartResult r = restart(Restarter.builder().trust(ID, TestKeys.ed25519Public()), image);
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(TASKS);
    }

    @Test
    void encryptedImageRoundTrips() throws IOException {
        byte[] image = image(writer().encrypt(ID, TestKeys.aes()));
        RestartResult r = restart(Restarter.builder().decryptionKey(ID, TestKeys.aes()), image);
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(TASKS);
        assertThat(r.info().flags() & ImageInfo.FLAG_ENCRYPTED).isNotZero();
        ImageScan scan = Restarter.builder().build().scan(TestChannels.source(image), null);
        assertThat(scan.encryption()).contains(new ImageEncryption("AES-256-GCM", ID, false));
        assertThat(scan.bytes()).isEqualTo(image.length);
    }

    @Test
    void sealedAndEncryptedImageRoundTrips() throws IOException {
        byte[] image = image(writer().seal(ID, TestKeys.ed25519()).encrypt(ID, TestKeys.aes()));
        RestartResult r = restart(Restarter.builder().trust(ID, TestKeys.ed25519Public())
                .decryptionKey(ID, TestKeys.aes()), image);
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(TASKS);
        ImageScan scan = Restarter.builder().trust(ID, TestKeys.ed25519Public()).build()
                .scan(TestChannels.source(image), null);
        assertThat(scan.seal()).contains(new ImageSeal("Ed25519", ID, true));
        ImageSeals.Opened o = ImageSeals.open(image, TestKeys.aes());
        byte[] again = ImageSeals.reseal(ImageSeals.assemble(o), ID, TestKeys.ed25519());
        assertThat(again).isEqualTo(image);
    }

    /** The library reads what an independent implementation of §17 (testkit ImageSeals) writes. */
    @Test
    void imagesSealedAndEncryptedFromTheFormatAloneAreRead() throws IOException {
        byte[] plain = image(writer());
        byte[] dataKey = new byte[32];
        dataKey[0] = 1;
        byte[] encrypted = ImageSeals.encrypt(plain, ID, TestKeys.aes(), new javax.crypto.spec.SecretKeySpec(dataKey, "AES"));
        for (Key k : List.<Key>of(TestKeys.hmac(), TestKeys.ed25519())) {
            byte[] image = ImageSeals.seal(encrypted, ID, k);
            Restarter.Builder b = Restarter.builder().decryptionKey(ID, TestKeys.aes());
            b = k instanceof SecretKey s ? b.trust(ID, s) : b.trust(ID, TestKeys.ed25519Public());
            RestartResult r = restart(b, image);
            CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(restart(Restarter.builder(), plain).tasks());
            assertThat(r.info().formatMinor()).isEqualTo(3);
        }
        // And the library's own encrypted image opens and re-assembles to itself.
        byte[] own = image(writer().encrypt(ID, TestKeys.aes()));
        assertThat(ImageSeals.assemble(ImageSeals.open(own, TestKeys.aes()))).isEqualTo(own);
    }

    /** A task of 8 MiB of non-zero pages: large enough that hashing runs on its own thread. */
    static Task bigTask() {
        byte[] mem = new byte[8 << 20];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        for (int i = 0; i < mem.length; i += 64) {
            mem[i] = (byte) (1 + rnd.nextInt(255));
        }
        return Task.builder().pid(5).comm("big").mm(org.ckpt.model.AddressSpace.of(List.of(org.ckpt.model.Vma.anonymous(
                0x1000_0000L, 0x1000_0000L + mem.length, org.ckpt.model.PageData.of(0x1000_0000L, mem))))).build();
    }

    private static long hashThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("ckpt-seal-hash"))
                .filter(Thread::isAlive).count();
    }

    @Test
    void largeImagesHashOnTheirOwnThreadAndLeaveNoneBehind(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        Task big = bigTask();
        awaitNoHashThreads();
        for (boolean threads : new boolean[] {false, true}) {
            for (boolean encrypt : new boolean[] {false, true}) {
                Checkpointer.Builder b = writer().writerThread(threads).seal(ID, TestKeys.hmac());
                TestChannels.Sink sink = TestChannels.sink();
                (encrypt ? b.encrypt(ID, TestKeys.aes()) : b).build().checkpoint(List.of(big), sink);
                byte[] image = sink.toByteArray();
                assertThat(ImageSeals.verify(image, TestKeys.hmac())).isTrue();
                Restarter.Builder rb = Restarter.builder().trust(ID, TestKeys.hmac()).decryptionKey(ID, TestKeys.aes())
                        .hashThread(threads);
                CkptAssertions.assertThatTasks(rb.build().restart(TestChannels.source(image)).tasks())
                        .isEquivalentTo(List.of(big));
                if (!threads) {
                    assertThat(hashThreads()).as("a host that wants no threads gets none").isZero();
                }
                java.nio.file.Path file = dir.resolve("big.ckpt");
                java.nio.file.Files.write(file, image);
                try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(file)) {
                    CkptAssertions.assertThatTasks(rb.mapImmutableFiles(true).build().restart(in).tasks())
                            .isEquivalentTo(List.of(big));
                }
                // A forged page late in the image: refused at the seal, the destination released once.
                List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
                int last = -1;
                for (int i = 0; i < rs.size(); i++) {
                    if (rs.get(i).type() == RecordTypes.PAGES) {
                        last = i;
                    }
                }
                if (!encrypt) {
                    ImageRecords.Record p = rs.get(last);
                    byte[] payload = p.payload().clone();
                    payload[payload.length - 1] ^= 1;
                    rs.set(last, new ImageRecords.Record(0, p.type(), p.flags(), 0, payload));
                    byte[] forged = ImageRecords.assemble(image, rs);
                    SealException e = SealForgeryTest.rejected(Restarter.builder().trust(ID, TestKeys.hmac())
                            .hashThread(threads).build(), forged, SealException.class);
                    assertThat(e.kind()).isEqualTo(SealException.Kind.INVALID);
                }
                // Cut in the middle, while pages are being hashed.
                SealForgeryTest.rejected(rb.mapImmutableFiles(false).build(),
                        java.util.Arrays.copyOf(image, image.length / 2), org.ckpt.spi.TruncatedImageException.class);
            }
        }
        awaitNoHashThreads();
        assertThat(hashThreads()).as("ckpt-seal-hash threads left running").isZero();
    }

    /** Hashing threads end once idle (1 s). */
    private static void awaitNoHashThreads() throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (hashThreads() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    @Test
    void unsealedImageIsRefusedByATrustingRestarter() throws IOException {
        byte[] image = image(writer());
        assertThatThrownBy(() -> restart(Restarter.builder().trust(ID, TestKeys.hmac()), image))
                .isInstanceOf(SealException.class)
                .satisfies(e -> assertThat(((SealException) e).kind()).isEqualTo(SealException.Kind.MISSING));
    }
}
