package org.ckpt.store.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.ckpt.store.s3.Images.CKPT;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.store.ImageUpload;
import org.ckpt.store.StoredImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Chunked mode (content-addressed pages, manifests, garbage collection) against S3Proxy on 127.0.0.1. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChunkedStoreTest {
    static S3Server server;
    static S3Client client;

    @BeforeAll
    static void start() throws Exception {
        server = S3Server.start();
        client = server.client();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    static S3ImageStore chunked(String bucket) {
        return server.store(bucket).chunked(true).packSize(1 << 20).build();
    }

    static List<S3Object> objects(String bucket, String prefix) {
        List<S3Object> out = new ArrayList<>();
        client.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix)).contents().forEach(out::add);
        return out;
    }

    static long bytes(String bucket, String prefix) {
        return objects(bucket, prefix).stream().mapToLong(S3Object::size).sum();
    }

    @Test
    void openGivesBackTheExactImage() throws IOException {
        byte[][] mem = Images.memory(11, 3, 700);
        Task t = Images.task(mem);
        byte[] image = Images.image(t);
        try (S3ImageStore store = chunked("exact")) {
            store.put("a.ckpt", out -> CKPT.checkpoint(t, out));
            assertThat(Images.readAll(store.open("a.ckpt"), 1 << 16)).isEqualTo(image);
            assertThat(Images.readAll(store.open("a.ckpt"), 5)).isEqualTo(image);
            // The key holds a manifest, a small fraction of the image.
            long manifest = client.headObject(r -> r.bucket("exact").key("a.ckpt")).contentLength();
            assertThat(manifest).isLessThan(image.length / 50);
            assertThat(store.list("")).extracting(StoredImage::key).containsExactly("a.ckpt");
            try (ReadableByteChannel in = store.open("a.ckpt")) {
                Task back = Restarter.builder().build().restart(in).tasks().get(0);
                ByteBuffer b = ByteBuffer.allocate(mem[1].length);
                back.mm().vmas().get(1).pages().read(back.mm().vmas().get(1).start(), b);
                assertThat(b.array()).isEqualTo(mem[1]);
            }
            // Any byte stream comes back as it went in, pages or not, cut anywhere.
            byte[] odd = Arrays.copyOf(image, image.length - 3000);
            store.put("odd.bin", out -> out.write(ByteBuffer.wrap(odd)));
            assertThat(Images.readAll(store.open("odd.bin"), 999)).isEqualTo(odd);
            store.put("empty.bin", out -> 0);
            assertThat(Images.readAll(store.open("empty.bin"), 16)).isEmpty();
        }
    }

    @Test
    void tenCheckpointsStoreEachDistinctPageOnce() throws IOException {
        byte[][] mem = Images.memory(12, 4, 512);   // 2048 pages, ~1536 non-zero
        SplittableRandom rnd = new SplittableRandom(5);
        long plain = 0;
        long newChunks = 0;
        try (S3ImageStore store = chunked("dedup")) {
            for (int i = 0; i < 10; i++) {
                if (i > 0) {
                    Images.change(mem, 20, rnd);    // 1 % of the pages
                }
                Task t = Images.task(mem);
                plain += Images.image(t).length;
                ImageUpload up = store.create("task/" + i + ".ckpt");
                CKPT.checkpoint(t, up);
                up.commit();
                ChunkingUpload c = (ChunkingUpload) up;
                newChunks += c.chunksNew();
                if (i == 0) {
                    assertThat(c.chunksReused()).isZero();
                } else {
                    assertThat(c.chunksNew()).isBetween(1L, 20L);
                }
            }
            long pages = objects("dedup", store.chunkPrefix + "packs/").stream().mapToLong(S3Object::size).sum() / 4096;
            assertThat(pages).isEqualTo(newChunks).isLessThan(1536 + 9 * 20 + 1);
            long stored = bytes("dedup", "");
            assertThat((double) stored / plain).as("bytes stored / 10 full images").isLessThan(0.15);
            for (int i : new int[] {0, 5, 9}) {
                try (ReadableByteChannel in = store.open("task/" + i + ".ckpt")) {
                    Restarter.builder().build().restart(in);
                }
            }
            assertThat(Images.readAll(store.open("task/9.ckpt"), 1 << 16)).isEqualTo(Images.image(Images.task(mem)));
        }
    }

    @Test
    void theCarriedPagesOfAnIncrementalImageAreChunksToo() throws IOException {
        byte[][] mem = Images.memory(13, 4, 256);
        try (S3ImageStore store = chunked("incremental")) {
            Task base = Images.task(mem);
            ImageUpload up = store.create("base.ckpt");
            org.ckpt.CheckpointResult parent = CKPT.checkpoint(base, up);
            up.commit();
            // Twenty pages change (each to new contents) and the host says which.
            SplittableRandom rnd = new SplittableRandom(8);
            List<Long> changed = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int area = rnd.nextInt(mem.length);
                int page = rnd.nextInt(mem[area].length / Images.PAGE);
                Images.randomPage(mem[area], page, rnd);
                changed.add(0x10_0000_0000L + area * 0x1000_0000L + (long) page * Images.PAGE);
            }
            Task child = withChanged(Images.task(mem), changed);
            org.ckpt.Checkpointer onBase = org.ckpt.Checkpointer.builder().architecture("x86_64").checkpointId(43)
                    .created(java.time.Instant.parse("2026-12-01T00:00:01Z"))
                    .uname(new org.ckpt.Uname("Linux", "h", "6", "#1", "x86_64")).parent(parent.asParent()).build();
            byte[] image = Images.image(onBase, child);
            Restarter chain = Restarter.builder().parents(link -> link.checkpointId() == 42 ? store.open("base.ckpt")
                    : null).build();
            List<Integer> types = new ArrayList<>();
            List<Long> runsAt = new ArrayList<>();
            chain.inspect(java.nio.channels.Channels.newChannel(new java.io.ByteArrayInputStream(image)), r -> {
                types.add(r.type());
                if (r.type() == org.ckpt.spi.RecordTypes.PAGE_RUNS) {
                    runsAt.add(r.offset());
                }
            });
            assertThat(types).as("the child carries its pages in PAGE_RUNS records")
                    .contains(org.ckpt.spi.RecordTypes.PAGE_RUNS).doesNotContain(org.ckpt.spi.RecordTypes.PAGES);
            long distinct = changed.stream().distinct().count();

            ImageUpload first = store.create("child.ckpt");
            onBase.checkpoint(child, first);
            first.commit();
            ChunkingUpload c1 = (ChunkingUpload) first;
            assertThat(c1.chunksNew()).as("new chunks: the changed pages").isEqualTo(distinct);
            // The same child again (a retried dump, a second copy): every carried page is known.
            ImageUpload second = store.create("child-again.ckpt");
            onBase.checkpoint(child, second);
            second.commit();
            ChunkingUpload c2 = (ChunkingUpload) second;
            assertThat(c2.chunksNew()).isZero();
            assertThat(c2.chunksReused()).isEqualTo(distinct);

            for (String key : List.of("child.ckpt", "child-again.ckpt")) {
                assertThat(Images.readAll(store.open(key), 1 << 16)).as(key).isEqualTo(image);
                assertThat(Images.readAll(store.open(key), 777)).as(key).isEqualTo(image);
            }
            // Cut anywhere in a PAGE_RUNS record (header, prefix, run table, a page), it reads back as written.
            long at = runsAt.get(0);
            for (long cut : new long[] {at + 9, at + 16 + 7, at + 16 + 16 + 5, at + 16 + 16 + 16 * 2 + 3, at + 6000}) {
                byte[] part = Arrays.copyOf(image, (int) cut);
                store.put("cut.bin", out -> out.write(ByteBuffer.wrap(part)));
                assertThat(Images.readAll(store.open("cut.bin"), 999)).as("cut at %d", cut).isEqualTo(part);
            }
            try (ReadableByteChannel in = store.open("child-again.ckpt")) {
                Task back = chain.restart(in).tasks().get(0);
                for (int a = 0; a < mem.length; a++) {
                    org.ckpt.model.Vma v = back.mm().vmas().get(a);
                    ByteBuffer b = ByteBuffer.allocate(mem[a].length);
                    v.pages().read(v.start(), b);
                    assertThat(b.array()).as("area %d restarted from the chain in the bucket", a).isEqualTo(mem[a]);
                }
            }
        }
    }

    /** {@code t} with each area's pages reporting {@code changed} (page addresses) as changed since the parent. */
    private static Task withChanged(Task t, List<Long> changed) {
        List<org.ckpt.model.Vma> vmas = new ArrayList<>();
        for (org.ckpt.model.Vma v : t.mm().vmas()) {
            org.ckpt.model.PageRanges.Builder b = org.ckpt.model.PageRanges.builder();
            changed.stream().filter(a -> a >= v.start() && a < v.end()).forEach(a -> b.add(a, a + Images.PAGE));
            vmas.add(org.ckpt.model.Vma.anonymous(v.start(), v.end(), v.pages().withChangedSinceParent(b.build())));
        }
        return t.toBuilder().mm(t.mm().withVmas(vmas)).build();
    }

    @Test
    void chunkedModeByUriOptions() throws IOException {
        server.store("byoptions").build().close();
        org.ckpt.store.ImageStores stores = org.ckpt.store.ImageStores.builder().option("endpoint", server.endpoint)
                .option("region", "us-east-1").option("chunked", "true").option("chunkPrefix", "dedup/").build();
        java.net.URI image = java.net.URI.create("s3://byoptions/t/1.ckpt");
        Task t = Images.task(Images.memory(19, 1, 100));
        System.setProperty("aws.accessKeyId", S3Server.ACCESS);
        System.setProperty("aws.secretAccessKey", S3Server.SECRET);
        try (org.ckpt.store.ImageStore store = stores.store(image)) {
            store.put(stores.key(image), out -> CKPT.checkpoint(t, out));
            assertThat(objects("byoptions", "dedup/packs/")).isNotEmpty();
            assertThat(store.list("")).extracting(StoredImage::key).containsExactly("t/1.ckpt");
            assertThatThrownBy(() -> store.create("dedup/x")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("chunk prefix");
            assertThat(Images.readAll(store.open("t/1.ckpt"), 1 << 16)).isEqualTo(Images.image(t));
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    @Test
    void aDamagedChunkIsAChecksumException() throws IOException {
        Task t = Images.task(Images.memory(13, 2, 300));
        try (S3ImageStore store = chunked("damaged")) {
            store.put("d.ckpt", out -> CKPT.checkpoint(t, out));
            S3Object pack = objects("damaged", store.chunkPrefix + "packs/").get(0);
            byte[] body = client.getObjectAsBytes(r -> r.bucket("damaged").key(pack.key())).asByteArray();
            body[5000] ^= 1;
            client.putObject(r -> r.bucket("damaged").key(pack.key()), RequestBody.fromBytes(body));
            try (ReadableByteChannel in = store.open("d.ckpt")) {
                assertThatThrownBy(() -> Restarter.builder().build().restart(in)).isInstanceOf(ChecksumException.class)
                        .hasMessageContaining("SHA-256").hasMessageContaining("at offset 4096 of s3://damaged/"
                                + pack.key());
            }
            // A missing pack is the store's failure, naming the pack.
            client.deleteObject(r -> r.bucket("damaged").key(pack.key()));
            try (ReadableByteChannel in = store.open("d.ckpt")) {
                assertThatThrownBy(() -> Restarter.builder().build().restart(in))
                        .isInstanceOf(org.ckpt.store.StoreException.class).hasMessageContaining(pack.key());
            }
        }
    }

    @Test
    void aDamagedOrTruncatedManifestIsAnImageException() throws IOException {
        Task t = Images.task(Images.memory(14, 2, 200));
        try (S3ImageStore store = chunked("manifest")) {
            store.put("m.ckpt", out -> CKPT.checkpoint(t, out));
            byte[] m = client.getObjectAsBytes(r -> r.bucket("manifest").key("m.ckpt")).asByteArray();
            client.putObject(r -> r.bucket("manifest").key("cut.ckpt"),
                    RequestBody.fromBytes(Arrays.copyOf(m, m.length - 10)));
            assertThatThrownBy(() -> Images.readAll(store.open("cut.ckpt"), 4096))
                    .isInstanceOf(TruncatedImageException.class).hasMessageContaining("without its END");
            byte[] flipped = m.clone();
            flipped[30] ^= 0x40;   // inside the first LITERAL: the image magic
            client.putObject(r -> r.bucket("manifest").key("flip.ckpt"), RequestBody.fromBytes(flipped));
            try (ReadableByteChannel in = store.open("flip.ckpt")) {
                assertThatThrownBy(() -> Restarter.builder().build().restart(in)).isInstanceOf(ImageException.class);
            }
            assertThatThrownBy(() -> Images.readAll(store.open("flip.ckpt"), 1 << 16))
                    .isInstanceOf(ChecksumException.class).hasMessageContaining("CRC32C");
        }
    }

    @Test
    void anAbortedChunkedUploadLeavesNothing() throws IOException {
        Task t = Images.task(Images.memory(15, 3, 700));
        try (S3ImageStore store = chunked("abort")) {
            assertThatThrownBy(() -> store.put("x.ckpt", out -> {
                CKPT.checkpoint(t, out);
                throw new IOException("the host changed its mind");
            })).hasMessage("the host changed its mind");
            assertThat(objects("abort", "")).isEmpty();
            assertThat(client.listMultipartUploads(r -> r.bucket("abort")).uploads()).isEmpty();
        }
    }

    @Test
    void garbageCollectionKeepsWhatLiveImagesReference() throws IOException {
        byte[][] a = Images.memory(16, 2, 512);
        byte[][] b = Images.memory(17, 2, 512);
        try (S3ImageStore store = chunked("gcbucket")) {
            store.put("live/a.ckpt", out -> CKPT.checkpoint(Images.task(a), out));
            store.put("live/b.ckpt", out -> CKPT.checkpoint(Images.task(b), out));
            long packsBefore = objects("gcbucket", store.chunkPrefix + "packs/").size();
            GcReport young = store.collectGarbage("live/", Duration.ofHours(1));
            assertThat(young.manifests()).isEqualTo(2);
            assertThat(young.deleted() + young.unindexed()).isZero();

            store.delete("live/a.ckpt");
            // Pass 1: a's packs leave the index; no checkpoint reuses them from now on.
            GcReport first = store.collectGarbage("live/", Duration.ZERO);
            assertThat(first.unindexed()).isPositive();
            assertThat(first.deleted()).isZero();
            assertThat(objects("gcbucket", store.chunkPrefix + "gone/")).hasSize(first.unindexed());
            // Pass 2 (after the grace period, here zero): they go.
            GcReport second = store.collectGarbage("live/", Duration.ZERO);
            assertThat(second.deleted()).isEqualTo(first.unindexed());
            assertThat(second.bytesFreed()).isPositive();
            assertThat(objects("gcbucket", store.chunkPrefix + "packs/")).hasSize((int) packsBefore - second.deleted());
            assertThat(objects("gcbucket", store.chunkPrefix + "gone/")).isEmpty();
            try (ReadableByteChannel in = store.open("live/b.ckpt")) {
                Restarter.builder().build().restart(in);
            }
            // a again: its pages are stored anew (the old chunks are gone, none is found stale).
            ImageUpload up = store.create("live/a2.ckpt");
            CKPT.checkpoint(Images.task(a), up);
            up.commit();
            assertThat(((ChunkingUpload) up).chunksReused()).isZero();
            assertThat(Images.readAll(store.open("live/a2.ckpt"), 1 << 16)).isEqualTo(Images.image(Images.task(a)));
        }
    }

    @Test
    void aCheckpointThatReusedAPackDuringCollectionPutsItBack() throws IOException {
        byte[][] a = Images.memory(18, 2, 256);
        try (S3ImageStore store = chunked("gcrace"); S3ImageStore other = chunked("gcrace")) {
            store.put("a.ckpt", out -> CKPT.checkpoint(Images.task(a), out));
            // Another host starts a checkpoint of the same task: it loads the index, finds a's chunks.
            ImageUpload late = other.create("a-late.ckpt");
            store.delete("a.ckpt");
            GcReport pass = store.collectGarbage("", Duration.ZERO);
            assertThat(pass.unindexed()).isPositive();
            CKPT.checkpoint(Images.task(a), late);
            late.commit();
            assertThat(((ChunkingUpload) late).chunksNew()).isZero();
            // The next pass sees the new manifest: its packs come back into the index, nothing is deleted.
            GcReport next = store.collectGarbage("", Duration.ZERO);
            assertThat(next.reindexed()).isEqualTo(pass.unindexed());
            assertThat(next.deleted()).isZero();
            assertThat(Images.readAll(store.open("a-late.ckpt"), 1 << 16)).isEqualTo(Images.image(Images.task(a)));
            assertThat(objects("gcrace", store.chunkPrefix + "gone/")).isEmpty();
        }
    }
}
