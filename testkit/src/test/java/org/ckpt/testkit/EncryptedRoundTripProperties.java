package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.ckpt.spi.CpuState;
import org.ckpt.testkit.image.ImageSeals;
import org.ckpt.testkit.image.TestChannels;
import org.ckpt.testkit.image.TestKeys;

/**
 * Sealed and encrypted round trips on every architecture the testkit generates CPU states
 * for, and without an architecture provider (NO_ARCH): through 1–16-byte reads and writes,
 * with and without the writer thread, the bytes written equal to the bytes read, and the
 * tasks exactly those a plain image of them restarts to.
 */
class EncryptedRoundTripProperties {
    private static final String ID = TestKeys.TEST_ID;
    private static final Restarter RESTARTER = Restarter.builder().trust(ID, TestKeys.ed25519Public())
            .trust("hmac", TestKeys.hmac()).decryptionKey(ID, TestKeys.aes()).build();

    record Case(String architecture, List<Task> tasks) {
    }

    @Provide
    Arbitrary<Case> cases() {
        List<String> archs = new java.util.ArrayList<>(Generators.cpuArchitectures());
        assertThat(archs).contains("x86_64", "i386", "ppc32", "ppc64");
        Arbitrary<Case> withCpu = Arbitraries.of(archs).flatMap(arch -> {
            Arbitrary<CpuState> cpus = Generators.cpuStates(arch);
            return Generators.taskSets(GenConfig.DEFAULT.withMaxTasks(2).withCpus(cpus))
                    .map(tasks -> new Case(arch, tasks));
        });
        Arbitrary<Case> noArch = Generators.taskSets(GenConfig.DEFAULT.withMaxTasks(2).withCpus(Arbitraries.just(null)))
                .map(tasks -> new Case("riscv64", tasks));
        Arbitrary<org.ckpt.testarch.TestCpu> testCpu = Arbitraries.longs()
                .between(0, org.ckpt.testarch.TestArch.USER_LIMIT - 1)
                .map(ip -> new org.ckpt.testarch.TestCpu(ip, ip ^ 0x5555, ip * 3, ~ip, 7, 0,
                        ip & org.ckpt.testarch.TestArch.USER_FLAGS));
        Arbitrary<Case> test64 = Generators.taskSets(GenConfig.DEFAULT.withMaxTasks(2).withCpus(testCpu))
                .map(tasks -> new Case(org.ckpt.testarch.TestArch.NAME, tasks));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, withCpu), net.jqwik.api.Tuple.of(1, noArch),
                net.jqwik.api.Tuple.of(1, test64));
    }

    @Property(tries = 80)
    void encryptedAndSealedImagesRoundTripEverywhere(@ForAll("cases") Case c, @ForAll boolean ed25519,
                                                     @ForAll boolean writerThread, @ForAll long seed,
                                                     @ForAll("chunk") int chunk) throws Exception {
        Checkpointer.Builder b = Checkpointer.builder().architecture(c.architecture()).writerThread(writerThread)
                .encrypt(ID, TestKeys.aes());
        b = ed25519 ? b.seal(ID, TestKeys.ed25519()) : b.seal("hmac", TestKeys.hmac());
        TestChannels.Sink sink = TestChannels.sink();
        CheckpointResult w = b.build().checkpoint(c.tasks(), TestChannels.shortWrites(sink, chunk, seed));
        byte[] image = sink.toByteArray();
        assertThat(w.bytesWritten()).isEqualTo(image.length);
        assertThat(ImageSeals.verify(image, ed25519 ? TestKeys.ed25519Public() : TestKeys.hmac())).isTrue();
        RestartResult r = RESTARTER.restart(TestChannels.shortReads(image, chunk, seed));
        assertThat(r.bytesRead()).isEqualTo(image.length);
        assertThat(r.recordsRead()).isEqualTo(w.recordsWritten());
        assertThat(r.pagesRead()).isEqualTo(w.pagesWritten());
        // Sealing and encryption change nothing: the tasks come back as from a plain image (the
        // policy's check phase may rebuild registers, as it does there).
        TestChannels.Sink plain = TestChannels.sink();
        Checkpointer.builder().architecture(c.architecture()).build().checkpoint(c.tasks(), plain);
        RestartResult p = Restarter.builder().build().restart(TestChannels.source(plain.toByteArray()));
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(p.tasks());
        assertThat(r.pagesRead()).isEqualTo(p.pagesRead());
    }

    @Provide
    Arbitrary<Integer> chunk() {
        return Arbitraries.integers().between(1, 16);
    }
}
