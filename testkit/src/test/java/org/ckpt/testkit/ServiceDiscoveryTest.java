package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.FileTable;
import org.ckpt.model.OpenFile;
import org.ckpt.model.Task;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A host adds a file type purely by putting a META-INF/services entry on the class path. */
class ServiceDiscoveryTest {
    /** A host's own file type: a pipe end with buffered bytes. */
    public record HostPipe(String name, int buffered) implements OpenFile {
    }

    /** Its ops; found only through the services file written by the test. */
    public static final class HostPipeOps implements ObjectOps<HostPipe> {
        @Override
        public String typeName() {
            return "test.pipe";
        }

        @Override
        public Class<HostPipe> type() {
            return HostPipe.class;
        }

        @Override
        public void checkpoint(HostPipe p, CkptContext ctx, PayloadWriter body) {
            body.string(p.name()).u32(p.buffered());
        }

        @Override
        public HostPipe restore(CkptContext ctx, PayloadReader body) throws IOException {
            return new HostPipe(body.string("name", 64), (int) body.u32("buffered"));
        }
    }

    private final Task task = Task.builder().pid(7).comm("pipe-user")
            .files(FileTable.of(new FileTable.Entry(0, new HostPipe("p0", 12), false),
                    new FileTable.Entry(1, new HostPipe("p1", 0), true)))
            .build();

    @Test
    void providerDroppedOnTheClassPathIsUsed(@TempDir Path dir) throws Exception {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(ObjectOps.class.getName()), HostPipeOps.class.getName() + "\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            TestChannels.Sink sink = TestChannels.sink();
            Checkpointer.builder().architecture(TestArch.NAME).classLoader(loader).build().checkpoint(task, sink);
            List<Task> back = Restarter.builder().classLoader(loader).build()
                    .restart(TestChannels.source(sink.toByteArray())).tasks();
            CkptAssertions.assertThatTasks(back).isEquivalentTo(List.of(task));
        }
    }

    @Test
    void withoutTheProviderTheCheckpointNamesTheClass() {
        assertThatThrownBy(() -> Checkpointer.builder().architecture(TestArch.NAME).build()
                .checkpoint(task, TestChannels.sink()))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(HostPipe.class.getName())
                .hasMessageContaining("fd 0");
    }
}
