package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.testarch.TestArch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same image through every channel kind: file, pipe, stream adapters, in memory. */
class ChannelKindsTest {
    private final List<Task> tasks = Generators.build(42, 3, 6, List.of());
    private final Checkpointer ckpt = Checkpointer.builder().architecture(TestArch.NAME).build();
    private final Restarter rstr = Restarter.builder().build();

    @Test
    void fileChannel(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("img");
        CheckpointResult w;
        try (FileChannel out = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            w = ckpt.checkpoint(tasks, out);
        }
        assertThat(Files.size(f)).isEqualTo(w.bytesWritten());
        try (FileChannel in = FileChannel.open(f)) {
            RestartResult r = rstr.restart(in);
            assertThat(r.bytesRead()).isEqualTo(w.bytesWritten());
            CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(tasks);
        }
    }

    @Test
    void pipe() throws Exception {
        Pipe p = Pipe.open();
        CompletableFuture<CheckpointResult> writer = CompletableFuture.supplyAsync(() -> {
            try (Pipe.SinkChannel sink = p.sink()) {
                return ckpt.checkpoint(tasks, sink);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        RestartResult r;
        try (Pipe.SourceChannel source = p.source()) {
            r = rstr.restart(source);
        }
        assertThat(r.bytesRead()).isEqualTo(writer.get().bytesWritten());
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(tasks);
    }

    @Test
    void streamAdapters() throws Exception {
        java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
        CheckpointResult w = ckpt.checkpoint(tasks, Channels.newChannel(bos));
        RestartResult r = rstr.restart(Channels.newChannel(new java.io.ByteArrayInputStream(bos.toByteArray())));
        assertThat(r.bytesRead()).isEqualTo(w.bytesWritten()).isEqualTo(bos.size());
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(tasks);
    }
}
