package org.ckpt.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.CheckpointException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalImageStoreTest {
    @TempDir
    Path dir;

    static Task task(int marker) {
        byte[] mem = new byte[8 * 4096];
        mem[5] = (byte) marker;
        mem[6 * 4096] = 1;
        Vma heap = Vma.anonymous(0x400000, 0x408000, PageData.of(0x400000, mem));
        return Task.builder().pid(7).tgid(7).comm("t").mm(AddressSpace.of(List.of(heap))).build();
    }

    static final Checkpointer CKPT = Checkpointer.builder().architecture("x86_64").build();

    static byte[] read(ReadableByteChannel in) throws IOException {
        try (in) {
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            while (in.read(b) >= 0) {
                if (!b.hasRemaining()) {
                    throw new AssertionError("too big");
                }
            }
            b.flip();
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        }
    }

    @Test
    void putOpenListDelete() throws IOException {
        LocalImageStore store = LocalImageStore.of(dir.resolve("images"));
        store.put("app/1.ckpt", out -> CKPT.checkpoint(task(1), out));
        store.put("app/2.ckpt", out -> CKPT.checkpoint(task(2), out));
        store.put("other.ckpt", out -> CKPT.checkpoint(task(3), out));

        assertThat(store.list("")).extracting(StoredImage::key).containsExactly("app/1.ckpt", "app/2.ckpt", "other.ckpt");
        assertThat(store.list("app/")).extracting(StoredImage::key).containsExactly("app/1.ckpt", "app/2.ckpt");
        assertThat(store.list("app/1")).singleElement().satisfies(i ->
                assertThat(i.size()).isEqualTo(Files.size(dir.resolve("images/app/1.ckpt"))));

        try (ReadableByteChannel in = store.open("app/2.ckpt")) {
            assertThat(in).isInstanceOf(FileChannel.class);
            Task back = Restarter.builder().build().restart(in).tasks().get(0);
            ByteBuffer b = ByteBuffer.allocate(1);
            back.mm().vmas().get(0).pages().read(0x400005, b);
            assertThat(b.get(0)).isEqualTo((byte) 2);
        }
        assertThat(store.delete("app/2.ckpt")).isTrue();
        assertThat(store.delete("app/2.ckpt")).isFalse();
        assertThatThrownBy(() -> store.open("app/2.ckpt")).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("app/2.ckpt");
        assertThat(store.uri("app/1.ckpt")).isEqualTo(dir.resolve("images/app/1.ckpt").toUri());
    }

    @Test
    void aFailedCheckpointLeavesNothingAndKeepsTheOldImage() throws IOException {
        LocalImageStore store = LocalImageStore.of(dir);
        store.put("a.ckpt", out -> CKPT.checkpoint(task(1), out));
        byte[] before = Files.readAllBytes(dir.resolve("a.ckpt"));
        Task bad = Task.builder().pid(1).tgid(1).comm("x").mm(AddressSpace.of(List.of(
                Vma.anonymous(0x400000, 0x401000, PageData.of(0x400000, new byte[4096])),
                Vma.anonymous(0x400000, 0x401000, PageData.of(0x400000, new byte[4096]))))).build();
        assertThatThrownBy(() -> store.put("a.ckpt", out -> CKPT.checkpoint(bad, out)))
                .isInstanceOf(CheckpointException.class);
        assertThatThrownBy(() -> store.put("b.ckpt", out -> {
            out.write(ByteBuffer.wrap(new byte[100]));
            throw new IOException("boom");
        })).hasMessage("boom");
        assertThat(Files.readAllBytes(dir.resolve("a.ckpt"))).isEqualTo(before);
        try (var files = Files.list(dir)) {
            assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("a.ckpt");
        }
        assertThat(store.list("")).extracting(StoredImage::key).containsExactly("a.ckpt");
    }

    @Test
    void uncommittedUploadIsInvisibleAndCloseAborts() throws IOException {
        LocalImageStore store = LocalImageStore.of(dir);
        ImageUpload up = store.create("x.ckpt");
        up.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(up.bytesWritten()).isEqualTo(3);
        assertThat(store.list("")).isEmpty();
        assertThatThrownBy(() -> store.open("x.ckpt")).isInstanceOf(NoSuchFileException.class);
        up.close();
        assertThatThrownBy(up::commit).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> up.write(ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
        try (ImageUpload ok = store.create("x.ckpt")) {
            ok.write(ByteBuffer.wrap(new byte[] {4}));
            ok.commit();
            ok.abort();  // a no-op after the commit
        }
        assertThat(read(store.open("x.ckpt"))).containsExactly(4);
    }

    @Test
    void keysAreChecked() {
        LocalImageStore store = LocalImageStore.of(dir);
        for (String bad : List.of("", "/abs", "a/../b", "a//b", "a/", ".", "..", "a\\b", "a\u0000b", "x".repeat(1025))) {
            assertThatThrownBy(() -> store.create(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(ImageStores.requireValidKey("a/b c/ü.ckpt")).isEqualTo("a/b c/ü.ckpt");
        assertThat(store.uri("a/b c/x:y.ckpt").toString()).endsWith("/a/b%20c/x:y.ckpt");
        assertThatThrownBy(() -> store.list("../")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void storesByUri() throws IOException {
        ImageStores stores = ImageStores.builder().build();
        URI image = dir.resolve("sub/app.ckpt").toUri();
        assertThat(stores.key(image)).isEqualTo("app.ckpt");
        try (ImageStore store = stores.store(image)) {
            assertThat(store).isInstanceOf(LocalImageStore.class);
            assertThat(((LocalImageStore) store).directory()).isEqualTo(dir.resolve("sub"));
            store.put(stores.key(image), out -> CKPT.checkpoint(task(1), out));
        }
        assertThat(dir.resolve("sub/app.ckpt")).isRegularFile();
        URI folder = URI.create(dir.toUri() + "sub/");
        assertThat(stores.key(folder)).isEmpty();
        try (ImageStore store = stores.store(folder)) {
            assertThat(store.list("")).extracting(StoredImage::key).containsExactly("app.ckpt");
        }
        assertThat(ImageStores.toUri("s3://bucket/a/b.ckpt")).isEqualTo(URI.create("s3://bucket/a/b.ckpt"));
        assertThat(ImageStores.toUri("rel/x.ckpt")).isEqualTo(Path.of("rel/x.ckpt").toAbsolutePath().toUri());
        assertThat(ImageStores.toUri("C:x")).isEqualTo(Path.of("C:x").toAbsolutePath().toUri());
        assertThatThrownBy(() -> stores.store(URI.create("nope://b/k"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no image store for 'nope:'").hasMessageContaining("[file]");
        assertThatThrownBy(() -> stores.store(URI.create("s3://b/k"))).hasMessageContaining("ckpt-store-s3");
    }

    /** A provider that opens local directories under another scheme, for the registration tests. */
    record Alias(String scheme, Path root) implements ImageStoreProvider {
        @Override
        public ImageStore open(URI uri, Map<String, ?> env) {
            return LocalImageStore.of(root.resolve(uri.getAuthority()));
        }

        @Override
        public String key(URI uri) {
            return uri.getPath().substring(1);
        }
    }

    @Test
    void providersByInstance() throws IOException {
        ImageStores stores = ImageStores.builder().register(new Alias("mem", dir)).option("x", 1).build();
        assertThat(stores.schemes()).containsExactly("file", "mem");
        try (ImageStore s = stores.store(URI.create("mem://b/k.ckpt"))) {
            s.put(stores.key(URI.create("mem://b/k.ckpt")), out -> CKPT.checkpoint(task(1), out));
        }
        assertThat(dir.resolve("b/k.ckpt")).isRegularFile();
        ImageStores twice = ImageStores.builder().register(new Alias("mem", dir)).register(new Alias("mem", dir)).build();
        assertThatThrownBy(twice::schemes).isInstanceOf(ServiceConfigurationError.class)
                .hasMessageContaining("scheme 'mem'");
        ImageStores replaced = ImageStores.builder().register(new Alias("file", dir)).build();
        assertThat(replaced.key(URI.create("file:///x/y"))).isEqualTo("x/y");
        assertThatThrownBy(() -> ImageStores.builder().register(new Alias("Bad Scheme", dir)).build().schemes())
                .isInstanceOf(ServiceConfigurationError.class);
    }
}
