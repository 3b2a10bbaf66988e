package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.image.TestChannels;

class RoundTripProperties {
    private static final Checkpointer CKPT = Checkpointer.builder().architecture(TestArch.NAME).build();
    private static final Restarter RSTR = Restarter.builder().build();

    @Provide
    Arbitrary<List<Task>> taskSets() {
        Arbitrary<TestCpu> cpu = Arbitraries.longs().between(0, TestArch.USER_LIMIT - 1)
                .map(ip -> new TestCpu(ip, ip ^ 0x5555, ip * 3, ~ip, 7, 0, ip & TestArch.USER_FLAGS));
        return Generators.taskSets(Arbitraries.oneOf(cpu, Arbitraries.just(null)));
    }

    @Property(tries = 150)
    void anyTaskSetSurvivesCheckpointAndRestart(@ForAll("taskSets") List<Task> tasks) throws Exception {
        TestChannels.Sink sink = TestChannels.sink();
        CheckpointResult w = CKPT.checkpoint(tasks, sink);
        byte[] image = sink.toByteArray();
        assertThat(w.bytesWritten()).isEqualTo(image.length);
        RestartResult r = RSTR.restart(TestChannels.source(image));
        assertThat(r.bytesRead()).isEqualTo(image.length);
        assertThat(r.recordsRead()).isEqualTo(w.recordsWritten());
        assertThat(r.pagesRead()).isEqualTo(w.pagesWritten());
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(tasks);
    }

    @Property(tries = 60)
    void shortReadsAndWritesGiveTheSameBytes(@ForAll("taskSets") List<Task> tasks, @ForAll long seed,
                                            @ForAll("chunk") int chunk) throws Exception {
        TestChannels.Sink plain = TestChannels.sink();
        Checkpointer fixed = Checkpointer.builder().architecture(TestArch.NAME).checkpointId(seed)
                .created(java.time.Instant.ofEpochSecond(1_700_000_000)).uname(new org.ckpt.Uname("a", "b", "c", "d", "e"))
                .build();
        fixed.checkpoint(tasks, plain);
        TestChannels.Sink slowTarget = TestChannels.sink();
        WritableByteChannel slow = TestChannels.shortWrites(slowTarget, chunk, seed);
        CheckpointResult w = fixed.checkpoint(tasks, slow);
        assertThat(slowTarget.toByteArray()).isEqualTo(plain.toByteArray());
        ReadableByteChannel in = TestChannels.shortReads(slowTarget.toByteArray(), chunk, seed);
        RestartResult r = RSTR.restart(in);
        assertThat(r.bytesRead()).isEqualTo(w.bytesWritten());
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(tasks);
    }

    @Provide
    Arbitrary<Integer> chunk() {
        return Arbitraries.integers().between(1, 16);
    }
}
