package org.ckpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.ImageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chains as files: parents found in the image's directory, or among files named one by one. */
class ChainFilesTest {
    private static final int PS = 4096;
    private static final long BASE = 0x400000;

    @TempDir
    Path dir;

    private static Task task(byte[] mem) {
        return Task.builder().pid(1).tgid(1).comm("t")
                .mm(AddressSpace.of(List.of(Vma.anonymous(BASE, BASE + mem.length, PageData.of(BASE, mem.clone())))))
                .build();
    }

    private static Checkpointer.Builder builder() {
        return Checkpointer.builder().architecture("test64").pageDigests(true).created(Instant.ofEpochSecond(1));
    }

    /** A full image and two children in {@code a}, {@code b}, {@code c}; returns the last memory. */
    private byte[] chain(Path a, Path b, Path c) throws Exception {
        byte[] mem = new byte[16 * PS];
        mem[0] = 1;
        mem[5 * PS] = 5;
        CheckpointResult r0 = builder().build().checkpoint(task(mem), a);
        mem[5 * PS] = 6;
        CheckpointResult r1 = builder().parent(r0.asParent()).build().checkpoint(task(mem), b);
        mem[9 * PS] = 9;
        builder().parent(r1.asParent()).build().checkpoint(task(mem), c);
        return mem;
    }

    private static byte[] contents(RestartResult r) throws Exception {
        Vma v = r.tasks().get(0).mm().vmas().get(0);
        java.nio.ByteBuffer got = java.nio.ByteBuffer.allocate((int) v.size());
        v.pages().read(BASE, got);
        return got.array();
    }

    @Test
    void parentsAreFoundInTheDirectoryOrAmongTheFilesNamed() throws Exception {
        Path a = Files.createDirectory(dir.resolve("one")).resolve("base.ckpt");
        Path b = Files.createDirectory(dir.resolve("two")).resolve("mid.ckpt");
        Path c = Files.createDirectory(dir.resolve("three")).resolve("last.ckpt");
        byte[] mem = chain(a, b, c);
        Files.writeString(c.resolveSibling("notes.txt"), "not an image");

        // spread over three directories: the default (the image's directory) does not find them
        assertThatThrownBy(() -> Restarter.builder().build().restart(c)).isInstanceOf(ImageException.class)
                .hasMessageContaining("was not found by the parent resolver");
        Restarter named = Restarter.builder().parents(ParentResolver.files(List.of(c.resolveSibling("notes.txt"), a, b)))
                .build();
        assertThat(contents(named.restart(c))).isEqualTo(mem);

        // in one directory: found there
        Path same = Files.createDirectory(dir.resolve("same"));
        Files.copy(a, same.resolve("a"));
        Files.copy(b, same.resolve("b"));
        Files.copy(c, same.resolve("c"));
        assertThat(contents(Restarter.builder().build().restart(same.resolve("c")))).isEqualTo(mem);
        Inspection i = Restarter.builder().build().inspect(same.resolve("c"), null);
        assertThat(i.chain()).hasSize(3);
        assertThat(i.links().get(0).depth()).isEqualTo(2);

        // merged in place: a full image with the last image's id and the same contents
        builder().build().merge(Restarter.builder().build(), same.resolve("c"), same.resolve("c"));
        RestartResult merged = Restarter.builder().build().restart(same.resolve("c"));
        assertThat(merged.info().formatMinor()).isLessThan(3);
        assertThat(contents(merged)).isEqualTo(mem);
    }

    @Test
    void aResolverKeptAcrossRestartsSeesFilesMovedAndReplaced() throws Exception {
        seesFilesMovedAndReplaced(Restarter.builder().parents(ParentResolver.directory(dir)).build());
    }

    /** The same through a restarter's own resolver for restarts from a path (it keeps the heads it read). */
    @Test
    void aRestarterRestartingFromPathsSeesFilesMovedAndReplaced() throws Exception {
        seesFilesMovedAndReplaced(Restarter.builder().build());
    }

    /**
     * A directory resolver lists the directory once while it is unchanged: later links and
     * later restarts are answered from the listing, each parent stated again; a file added
     * makes it list again, and a parent rewritten in place is not trusted from memory.
     */
    @Test
    void anUnchangedDirectoryIsListedOnce() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Path c = dir.resolve("c");
        byte[] mem = chain(a, b, c);
        for (int i = 0; i < 50; i++) {
            Files.writeString(dir.resolve("other-" + i), "not an image");
        }
        ImageHeads heads = new ImageHeads();
        Restarter r = Restarter.builder().parents(ImageHeads.directory(dir, heads)).build();
        assertThat(contents(r.restart(c))).isEqualTo(mem);
        assertThat(contents(r.restart(c))).isEqualTo(mem);
        assertThat(heads.listings()).as("listings for two restarts of a chain of three").isEqualTo(1);

        Files.writeString(dir.resolve("new"), "a file more");
        assertThat(contents(r.restart(c))).isEqualTo(mem);
        assertThat(heads.listings()).isEqualTo(2);

        // the parent rewritten in place (the directory unchanged) with the grandparent's bytes
        Files.write(b, Files.readAllBytes(a));
        assertThatThrownBy(() -> r.restart(c)).isInstanceOf(ImageException.class)
                .hasMessageContaining("was not found by the parent resolver");
    }

    private void seesFilesMovedAndReplaced(Restarter kept) throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Path c = dir.resolve("c");
        byte[] mem = chain(a, b, c);
        assertThat(contents(kept.restart(c))).isEqualTo(mem);

        // the middle image moves to another name: found there, not under the name remembered
        Files.move(b, dir.resolve("b2"));
        assertThat(contents(kept.restart(c))).isEqualTo(mem);

        // a different image takes the parent's name: the remembered head is not trusted
        Files.copy(a, dir.resolve("b2"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> kept.restart(c)).isInstanceOf(ImageException.class)
                .hasMessageContaining("was not found by the parent resolver");

        // and once it is gone, it is not found from memory either
        Files.delete(dir.resolve("b2"));
        assertThatThrownBy(() -> kept.restart(c)).isInstanceOf(ImageException.class)
                .hasMessageContaining("was not found by the parent resolver");
    }

    /**
     * Images each under the 8 MiB a file needs to be read ahead on its own, together over it:
     * the chain's bodies are read ahead on one thread, oldest first, and the restart is exact.
     * A damaged or cut image among them, or one cut, grown or overwritten while the chain is
     * being read, is still found and named before anything is committed.
     */
    @Test
    void aChainOfSmallImagesIsReadAheadOnOneThread() throws Exception {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        byte[] mem = new byte[1536 * PS];  // 6 MiB, every page non-zero
        rnd.nextBytes(mem);
        List<Path> images = new java.util.ArrayList<>();
        List<Long> ids = new java.util.ArrayList<>();
        CheckpointResult prev = null;
        for (int i = 0; i < 7; i++) {
            if (i > 0) {
                for (int k = 0; k < 256; k++) {
                    mem[rnd.nextInt(1536) * PS + rnd.nextInt(PS)] ^= 1 + rnd.nextInt(255);
                }
            }
            Path p = dir.resolve("image-" + i);
            Checkpointer.Builder b = builder();
            prev = (prev == null ? b : b.parent(prev.asParent())).build().checkpoint(task(mem), p);
            images.add(p);
            ids.add(prev.checkpointId());
            assertThat(Files.size(p)).isLessThan(8L << 20);
        }
        assertThat(images.stream().mapToLong(p -> p.toFile().length()).sum()).isGreaterThan(8L << 20);
        Path last = images.get(6);

        int[] readers = new int[1];
        Runnable[] during = new Runnable[1];
        RestartResult[] committed = new RestartResult[1];
        RestartTarget target = new RestartTarget() {
            @Override
            public org.ckpt.spi.TargetCpu cpu() {
                return org.ckpt.spi.TargetCpu.anyFeatures("test64");
            }

            @Override
            public org.ckpt.spi.RestorePolicy policy() {
                return org.ckpt.spi.RestorePolicy.LINUX_USER;
            }

            @Override
            public PageDestination pages() {
                PageDestination heap = PageDestination.heap();
                return new PageDestination() {
                    @Override
                    public java.nio.ByteBuffer allocate(Run run) throws java.io.IOException {
                        readers[0] = Math.max(readers[0], readerThreads());
                        Runnable r = during[0];
                        during[0] = null;
                        if (r != null) {
                            r.run();
                        }
                        return heap.allocate(run);
                    }

                    @Override
                    public void release(Throwable failure) {
                        heap.release(failure);
                    }
                };
            }

            @Override
            public void commit(RestartResult image) throws java.io.IOException {
                committed[0] = image;
            }
        };
        Restarter restarter = Restarter.builder().build();
        restarter.restart(last, target);
        assertThat(contents(committed[0])).isEqualTo(mem);
        assertThat(readers[0]).as("reader threads while pages were handed out").isEqualTo(1);
        assertThat(contents(restarter.restart(last))).isEqualTo(mem);
        assertThat(awaitNoReaderThreads()).isZero();

        // a page of the middle child damaged, then the first child cut short
        Path child2 = images.get(2);
        byte[] good = Files.readAllBytes(child2);
        byte[] bad = good.clone();
        bad[good.length / 2] ^= 0x40;
        Files.write(child2, bad);
        committed[0] = null;
        assertThatThrownBy(() -> restarter.restart(last, target)).isInstanceOf(org.ckpt.spi.ChecksumException.class)
                .hasMessageContaining("chain image 0x" + Long.toHexString(ids.get(2)));
        Files.write(child2, good);

        // the newest image cut, grown, or overwritten in its pages, while the root is read (its
        // file open, its prologue read; the thread, at most eight 1 MiB buffers ahead, has not
        // reached it): the thread reads it as it is then
        byte[] lastBytes = Files.readAllBytes(last);
        byte[] overwritten = lastBytes.clone();
        for (int i = lastBytes.length / 2; i < lastBytes.length / 2 + 64; i++) {
            overwritten[i] ^= 0x5a;
        }
        java.util.Map<String, byte[]> changes = java.util.Map.of(
                "cut", java.util.Arrays.copyOf(lastBytes, lastBytes.length / 2),
                "grown", java.util.Arrays.copyOf(lastBytes, lastBytes.length + 4096),
                "overwritten", overwritten);
        java.util.Map<String, Class<?>> expected = java.util.Map.of(
                "cut", org.ckpt.spi.TruncatedImageException.class,
                "grown", org.ckpt.spi.InvalidImageException.class,
                "overwritten", org.ckpt.spi.ChecksumException.class);
        for (String change : List.of("cut", "grown", "overwritten")) {
            during[0] = () -> {
                try {
                    Files.write(last, changes.get(change));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            assertThatThrownBy(() -> restarter.restart(last, target)).as(change)
                    .isInstanceOf(expected.get(change))
                    .hasMessageContaining("chain image 0x" + Long.toHexString(ids.get(6)) + " (depth 6)");
            assertThat(during[0]).isNull();
            Files.write(last, lastBytes);
        }
        assertThat(committed[0]).isNull();

        // the restarting thread interrupted while the chain is read ahead: the restart ends with
        // the interrupt kept, nothing committed, the reader thread stopped
        during[0] = () -> Thread.currentThread().interrupt();
        Throwable interrupted = org.assertj.core.api.Assertions.catchThrowable(() -> restarter.restart(last, target));
        assertThat(Thread.interrupted()).as("interrupt status kept").isTrue();
        assertThat(interrupted).isInstanceOf(java.io.InterruptedIOException.class);
        assertThat(committed[0]).isNull();
        assertThat(awaitNoReaderThreads()).isZero();
        assertThat(contents(restarter.restart(last))).isEqualTo(mem);
        Path child1 = images.get(1);
        try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(child1,
                java.nio.file.StandardOpenOption.WRITE)) {
            f.truncate(f.size() - 4096);
        }
        assertThatThrownBy(() -> restarter.restart(last, target)).isInstanceOf(ImageException.class)
                .hasMessageContaining("chain image 0x" + Long.toHexString(ids.get(1)) + " (depth 1)");
        assertThat(committed[0]).isNull();
        assertThat(awaitNoReaderThreads()).isZero();
    }

    private static int readerThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("ckpt-reader"))
                .filter(Thread::isAlive).count();
    }

    private static int awaitNoReaderThreads() throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        int n;
        while ((n = readerThreads()) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return n;
    }
}
