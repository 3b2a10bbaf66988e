package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.TestChannels;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Arbitrary;
import org.junit.jupiter.api.Test;

/** Writing on a thread of its own changes when bytes reach the channel, never which bytes. */
class WriterThreadTest {
    private static final int PAGE = 4096;

    private static Checkpointer checkpointer(boolean thread) {
        return Checkpointer.builder().architecture(TestArch.NAME).writerThread(thread).checkpointId(1)
                .created(Instant.EPOCH).uname(new Uname("s", "n", "r", "v", "m")).build();
    }

    @Provide
    Arbitrary<List<Task>> taskSets() {
        return Generators.taskSets();
    }

    @Property(tries = 40)
    void sameBytesWithAndWithoutTheThread(@ForAll @From("taskSets") List<Task> tasks) throws IOException {
        TestChannels.Sink a = TestChannels.sink();
        TestChannels.Sink b = TestChannels.sink();
        checkpointer(true).checkpoint(tasks, a);
        checkpointer(false).checkpoint(tasks, b);
        assertThat(a.toByteArray()).isEqualTo(b.toByteArray());
    }

    /**
     * A host may hand every run in one reused buffer: valid only during the visitor
     * call. The writer must be done with it before the call returns.
     */
    @Test
    void aHostBufferReusedBetweenRunsIsWrittenBeforeItChanges() throws IOException {
        int runs = 64;
        int runPages = 40;
        PageData reused = visitor -> {
            ByteBuffer shared = ByteBuffer.allocate(runPages * PAGE);
            for (int r = 0; r < runs; r++) {
                for (int i = 0; i < shared.capacity(); i++) {
                    shared.put(i, (byte) (r + 1 + i % 7));
                }
                visitor.run(0x100000L + (long) r * runPages * PAGE, shared.duplicate(), false);
            }
        };
        long end = 0x100000L + (long) runs * runPages * PAGE;
        Task task = Task.builder().pid(1).comm("reuse")
                .mm(AddressSpace.of(List.of(Vma.anonymous(0x100000L, end, reused)))).build();
        TestChannels.Sink sink = TestChannels.sink();
        checkpointer(true).checkpoint(task, sink);
        Task back = Restarter.builder().build().restart(TestChannels.source(sink.toByteArray())).tasks().get(0);
        ByteBuffer page = ByteBuffer.allocate(PAGE);
        for (int r = 0; r < runs; r++) {
            back.mm().vmas().get(0).pages().read(0x100000L + (long) r * runPages * PAGE + 3 * PAGE, page.clear());
            assertThat(page.get(5)).as("run %d", r).isEqualTo((byte) (r + 1 + (3 * PAGE + 5) % 7));
        }
    }

    @Test
    void theThreadEndsWithTheCheckpointEvenWhenTheChannelFails() {
        List<Task> tasks = Generators.build(3, 2, 6, List.of());
        assertThatThrownBy(() -> checkpointer(true).checkpoint(tasks, TestChannels.failingAfter(TestChannels.nullSink(), 5000)))
                .isInstanceOf(IOException.class);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("ckpt-writer"));
        // Failing at the writer thread's first write: it starts for the task's one large area, whose
        // windows it fills and writes beside the calling thread.
        int mib = CheckThenCommitTest.WRITER_THREAD_AFTER_MIB;
        List<String> writers = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.nio.channels.WritableByteChannel seen = new java.nio.channels.WritableByteChannel() {
            private final java.nio.channels.WritableByteChannel to = TestChannels.nullSink();

            @Override
            public int write(ByteBuffer src) throws IOException {
                String name = Thread.currentThread().getName();
                writers.add(name);
                if (name.equals("ckpt-writer")) {
                    throw new IOException("disk full (test)");
                }
                return to.write(src);
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        assertThatThrownBy(() -> checkpointer(true).checkpoint(CheckThenCommitTest.bigTask(mib + 64), seen))
                .isInstanceOf(IOException.class).hasMessageContaining("disk full (test)");
        assertThat(writers).as("the writer thread wrote").contains("ckpt-writer");
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("ckpt-writer"));
    }
}
