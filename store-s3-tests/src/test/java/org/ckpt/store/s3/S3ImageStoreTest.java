package org.ckpt.store.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.ckpt.store.s3.Images.CKPT;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.CheckpointException;
import org.ckpt.store.ImageStore;
import org.ckpt.store.ImageStores;
import org.ckpt.store.ImageUpload;
import org.ckpt.store.StoreException;
import org.ckpt.store.StoredImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.s3.S3Client;

/** The plain (whole-image) mode against a real S3 server: S3Proxy on 127.0.0.1. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class S3ImageStoreTest {
    static S3Server server;
    static S3Client client;
    static final byte[][] BIG = Images.memory(1, 7, 1024);   // 7 areas of 4 MiB, 3/4 non-zero: ~21 MiB image
    static byte[] bigImage;

    @BeforeAll
    static void start() throws Exception {
        server = S3Server.start();
        client = server.client();
        bigImage = Images.image(Images.task(BIG));
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    @AfterEach
    void noFaults() {
        server.faults.reset();
    }

    static int pendingUploads(String bucket) {
        return client.listMultipartUploads(r -> r.bucket(bucket)).uploads().size();
    }

    @Test
    void smallImageIsOnePut() throws IOException {
        Task t = Images.task(Images.memory(2, 1, 16));
        byte[] expected = Images.image(t);
        try (S3ImageStore store = server.store("small").build()) {
            store.put("app/1.ckpt", out -> CKPT.checkpoint(t, out));
            assertThat(store.list("")).extracting(StoredImage::key).containsExactly("app/1.ckpt");
            assertThat(store.list("app/")).singleElement().satisfies(i -> assertThat(i.size()).isEqualTo(expected.length));
            assertThat(Images.readAll(store.open("app/1.ckpt"), 7)).isEqualTo(expected);
            assertThat(store.uri("app/1.ckpt")).isEqualTo(URI.create("s3://small/app/1.ckpt"));
            assertThat(store.delete("app/1.ckpt")).isTrue();
            assertThat(store.delete("app/1.ckpt")).isFalse();
            assertThatThrownBy(() -> store.open("app/1.ckpt")).isInstanceOf(NoSuchFileException.class)
                    .hasMessageContaining("s3://small/app/1.ckpt");
        }
    }

    @Test
    void multipartWithManyPartsAndRangedReads() throws IOException {
        try (S3ImageStore store = server.store("many").build()) {
            store.put("big.ckpt", out -> CKPT.checkpoint(Images.task(BIG), out));
            long size = client.headObject(r -> r.bucket("many").key("big.ckpt")).contentLength();
            assertThat(size).isEqualTo(bigImage.length).isGreaterThan(4L * S3ImageStore.MIN_PART_SIZE);
            // The ETag of a multipart object ends in -N, N the number of parts.
            assertThat(client.headObject(r -> r.bucket("many").key("big.ckpt")).eTag())
                    .endsWith("-" + ((bigImage.length + S3ImageStore.MIN_PART_SIZE - 1) / S3ImageStore.MIN_PART_SIZE) + "\"");
            assertThat(Images.readAll(store.open("big.ckpt"), 1 << 16)).isEqualTo(bigImage);
            assertThat(Images.readAll(store.open("big.ckpt"), 13)).isEqualTo(bigImage);
            try (ReadableByteChannel in = store.open("big.ckpt")) {
                Task back = Restarter.builder().build().restart(in).tasks().get(0);
                ByteBuffer page = ByteBuffer.allocate(BIG[3].length);
                back.mm().vmas().get(3).pages().read(back.mm().vmas().get(3).start(), page);
                assertThat(page.array()).isEqualTo(BIG[3]);
            }
        }
    }

    @Test
    void aFailedCheckpointLeavesNoObject() throws IOException {
        try (S3ImageStore store = server.store("fail").build()) {
            store.put("keep.ckpt", out -> CKPT.checkpoint(Images.task(Images.memory(3, 1, 8)), out));
            assertThatThrownBy(() -> store.put("keep.ckpt", out -> {
                ByteBuffer junk = ByteBuffer.wrap(bigImage, 0, 12 << 20);
                while (junk.hasRemaining()) {
                    out.write(junk);
                }
                throw new IOException("the checkpoint failed after 12 MiB");
            })).hasMessage("the checkpoint failed after 12 MiB");
            Task twice = Task.builder().pid(1).tgid(1).comm("x").mm(org.ckpt.model.AddressSpace.of(java.util.List.of(
                    org.ckpt.model.Vma.anonymous(0x400000, 0x401000, org.ckpt.model.PageData.of(0x400000, new byte[4096])),
                    org.ckpt.model.Vma.anonymous(0x400000, 0x401000, org.ckpt.model.PageData.of(0x400000, new byte[4096]))))).build();
            assertThatThrownBy(() -> store.put("other.ckpt", out -> CKPT.checkpoint(twice, out)))
                    .isInstanceOf(CheckpointException.class);
            assertThat(store.list("")).extracting(StoredImage::key).containsExactly("keep.ckpt");
            assertThat(Images.readAll(store.open("keep.ckpt"), 4096))
                    .isEqualTo(Images.image(Images.task(Images.memory(3, 1, 8))));
            assertThat(pendingUploads("fail")).isZero();
        }
    }

    @Test
    void anUncommittedUploadIsInvisible() throws IOException {
        try (S3ImageStore store = server.store("invisible").build()) {
            ImageUpload up = store.create("x.ckpt");
            ByteBuffer b = ByteBuffer.wrap(bigImage, 0, 11 << 20);
            while (b.hasRemaining()) {
                up.write(b);
            }
            assertThat(store.list("")).isEmpty();
            assertThatThrownBy(() -> store.open("x.ckpt")).isInstanceOf(NoSuchFileException.class);
            assertThat(pendingUploads("invisible")).isEqualTo(1);
            up.close();
            assertThat(pendingUploads("invisible")).isZero();
            assertThat(store.list("")).isEmpty();
        }
    }

    @Test
    void anInterruptedCheckpointLeavesNoObject() throws Exception {
        server.faults.onPart = S3Server.Fault.DELAY;
        server.faults.partNumber = 2;
        server.faults.delayMillis = 3_000;
        try (S3ImageStore store = server.store("interrupted").build()) {
            CompletableFuture<Thread> thread = new CompletableFuture<>();
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                thread.complete(Thread.currentThread());
                try {
                    store.put("i.ckpt", out -> CKPT.checkpoint(Images.task(BIG), out));
                    outcome.complete(null);
                } catch (Throwable e) {
                    outcome.complete(e);
                }
            });
            t.start();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (server.faults.hits.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(200);
            t.interrupt();
            Throwable e = outcome.get(30, TimeUnit.SECONDS);
            assertThat(e).isInstanceOfAny(InterruptedIOException.class, ClosedByInterruptException.class);
            assertThat(store.list("")).isEmpty();
            assertThat(pendingUploads("interrupted")).isZero();
        }
    }

    @Test
    void aServerErrorOnAPartNamesThePartAndAbortsAfterTheRetries() throws IOException {
        server.faults.onPart = S3Server.Fault.FAIL_503;
        server.faults.partNumber = 2;
        try (S3ImageStore store = server.store("err503").build()) {
            assertThatThrownBy(() -> store.put("e.ckpt", out -> CKPT.checkpoint(Images.task(BIG), out)))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("s3://err503/e.ckpt, part 2 (bytes 5242880-10485759)")
                    .hasMessageContaining("503");
            assertThat(server.faults.hits.get()).as("attempts: retried by the SDK's policy, and bounded").isBetween(2, 5);
            assertThat(store.list("")).isEmpty();
            assertThat(pendingUploads("err503")).isZero();

            server.faults.reset();
            server.faults.onPart = S3Server.Fault.FAIL_503;
            server.faults.partNumber = 3;
            server.faults.times = 1;  // one 503, then the retry succeeds
            store.put("e.ckpt", out -> CKPT.checkpoint(Images.task(BIG), out));
            assertThat(Images.readAll(store.open("e.ckpt"), 1 << 16)).isEqualTo(bigImage);
        }
    }

    @Test
    void aTruncatedBodyFailsTheRestartWithTheRange() throws IOException {
        try (S3ImageStore store = server.store("trunc").build()) {
            store.put("t.ckpt", out -> CKPT.checkpoint(Images.task(BIG), out));
            server.faults.onGet = S3Server.Fault.TRUNCATE;
            server.faults.getName = "t.ckpt";
            server.faults.getStart = 2L * S3ImageStore.MIN_PART_SIZE;
            try (ReadableByteChannel in = store.open("t.ckpt")) {
                assertThatThrownBy(() -> Restarter.builder().build().restart(in)).isInstanceOf(StoreException.class)
                        .hasMessageContaining("s3://trunc/t.ckpt, bytes 10485760-15728639");
            }
        }
    }

    @Test
    void aTimeoutFailsTheRestartAfterBoundedRetries() throws IOException {
        try (S3ImageStore store = server.store("slow").timeout(Duration.ofMillis(300)).build()) {
            store.put("s.ckpt", out -> CKPT.checkpoint(Images.task(Images.memory(4, 4, 1024)), out));
            server.faults.onGet = S3Server.Fault.DELAY;
            server.faults.getName = "s.ckpt";
            server.faults.getStart = S3ImageStore.MIN_PART_SIZE;
            server.faults.delayMillis = 1_500;
            long t0 = System.nanoTime();
            try (ReadableByteChannel in = store.open("s.ckpt")) {
                assertThatThrownBy(() -> Restarter.builder().build().restart(in)).isInstanceOf(StoreException.class)
                        .hasMessageContaining("s3://slow/s.ckpt, bytes 5242880-");
            }
            assertThat(server.faults.hits.get()).as("attempts: retried by the SDK's policy, and bounded").isBetween(2, 5);
            assertThat(System.nanoTime() - t0).isLessThan(20_000_000_000L);
        }
    }

    @Test
    void aRefusedConnectionIsAStoreException() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (S3ImageStore store = S3ImageStore.builder("gone").endpoint(URI.create("http://127.0.0.1:" + port))
                .credentials(S3Server.credentials()).region("us-east-1").build()) {
            assertThatThrownBy(() -> store.put("r.ckpt", out -> CKPT.checkpoint(Images.task(Images.memory(5, 1, 4)), out)))
                    .isInstanceOf(StoreException.class).hasMessageContaining("s3://gone/r.ckpt, PutObject of");
            assertThatThrownBy(() -> store.open("r.ckpt")).isInstanceOf(StoreException.class)
                    .hasMessageContaining("s3://gone/r.ckpt");
        }
    }

    @Test
    void anImageReplacedDuringARestartFailsIt() throws IOException {
        // One thread: two ranges ahead, so most of the image is read after the replacement.
        try (S3ImageStore store = server.store("replaced").concurrency(1).build()) {
            store.put("r.ckpt", out -> CKPT.checkpoint(Images.task(BIG), out));
            ReadableByteChannel in = store.open("r.ckpt");
            ByteBuffer first = ByteBuffer.allocate(4096);
            in.read(first);
            store.put("r.ckpt", out -> CKPT.checkpoint(Images.task(Images.memory(9, 7, 1024)), out));
            assertThatThrownBy(() -> Images.readAll(in, 1 << 16)).isInstanceOf(StoreException.class)
                    .hasMessageContaining("412");
        }
    }

    @Test
    void storesByUriThroughTheServiceLoader() throws IOException {
        server.store("byuri").build().close();
        ImageStores stores = ImageStores.builder().option("endpoint", server.endpoint).option("region", "us-east-1")
                .option("partSize", "5m").option("concurrency", 2).build();
        URI image = URI.create("s3://byuri/a/b.ckpt");
        assertThat(stores.schemes()).contains("file", "s3");
        assertThat(stores.key(image)).isEqualTo("a/b.ckpt");
        System.setProperty("aws.accessKeyId", S3Server.ACCESS);
        System.setProperty("aws.secretAccessKey", S3Server.SECRET);
        try (ImageStore store = stores.store(image)) {
            assertThat(store).isInstanceOf(S3ImageStore.class);
            assertThat(store.uri()).isEqualTo(URI.create("s3://byuri/"));
            store.put(stores.key(image), out -> CKPT.checkpoint(Images.task(BIG), out));
            assertThat(Images.readAll(store.open("a/b.ckpt"), 1 << 16)).isEqualTo(bigImage);
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }
}
