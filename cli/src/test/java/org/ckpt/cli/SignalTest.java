package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ctrl-C (SIGINT) and SIGTERM while {@code ckpt dump} writes over an existing image, with
 * the command in a process of its own (signals are per process): the frozen process is
 * released, the temporary file removed, the previous image kept, and the command says so
 * and exits with 128 + the signal (finding 2). {@code -Dckpt.test.stallWrite} holds the
 * write at its first page so that the signal surely arrives mid-write.
 */
@EnabledOnOs(OS.LINUX)
class SignalTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {Procs.SIGINT, Procs.SIGTERM})
    void aSignalDuringTheWriteReleasesTheProcessAndKeepsThePreviousImage(int sig) throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            Path image = dir.resolve("keep.ckpt");
            Cli.Result first = Cli.run("dump", "--pid", Integer.toString(p.pid), "-o", image.toString(), "--quiet");
            assertThat(first.exit()).as(first.err()).isZero();
            byte[] before = Files.readAllBytes(image);

            String java = ProcessHandle.current().info().command().orElseThrow();
            Process ckpt = new ProcessBuilder(List.of(java, "-Dckpt.test.stallWrite=true", "-cp",
                    System.getProperty("java.class.path"), Main.class.getName(), "dump", "--pid",
                    Integer.toString(p.pid), "-o", image.toString()))
                    .redirectOutput(dir.resolve("ckpt.out").toFile()).redirectError(dir.resolve("ckpt.err").toFile())
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (Procs.temporaries(image).isEmpty()) {
                assertThat(ckpt.isAlive()).as("ckpt is writing").isTrue();
                assertThat(System.nanoTime()).as("the temporary file appears").isLessThan(deadline);
                Thread.sleep(5);
            }
            assertThat(Procs.tracerPid(p.pid)).as("the write begins after the release").isEqualTo("0");
            Procs.kill((int) ckpt.pid(), sig);
            assertThat(ckpt.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String err = Files.readString(dir.resolve("ckpt.err"), StandardCharsets.UTF_8);
            assertThat(ckpt.exitValue()).as(err).isEqualTo(128 + sig);
            assertThat(err).contains("ckpt dump: interrupted by " + Signals.name(sig), "no image was written",
                    image + " keeps its previous contents");
            assertThat(Files.readAllBytes(image)).as("the previous image").isEqualTo(before);
            assertThat(Procs.temporaries(image)).as("no temporary file left").isEmpty();
            assertThat(Procs.state(p.pid)).isNotIn('T', 't');
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {Procs.SIGINT, Procs.SIGTERM})
    void aSignalWhileFrozenReleasesTheProcess(int sig) throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            Path image = dir.resolve("frozen.ckpt");
            String java = ProcessHandle.current().info().command().orElseThrow();
            // without staging memory the process stays frozen until the image is written
            Process ckpt = new ProcessBuilder(List.of(java, "-Dckpt.test.stallWrite=true", "-cp",
                    System.getProperty("java.class.path"), Main.class.getName(), "dump", "--pid",
                    Integer.toString(p.pid), "-o", image.toString(), "--staging", "0"))
                    .redirectError(dir.resolve("ckpt.err").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ("0".equals(Procs.tracerPid(p.pid)) || Procs.temporaries(image).isEmpty()) {
                assertThat(ckpt.isAlive()).as("ckpt is dumping").isTrue();
                assertThat(System.nanoTime()).as("frozen and writing").isLessThan(deadline);
                Thread.sleep(5);
            }
            assertThat(ProcTree.tgid(Long.parseLong(Procs.tracerPid(p.pid)))).as("frozen by ckpt while it writes")
                    .isEqualTo((int) ckpt.pid());
            Procs.kill((int) ckpt.pid(), sig);
            assertThat(ckpt.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String err = Files.readString(dir.resolve("ckpt.err"), StandardCharsets.UTF_8);
            assertThat(ckpt.exitValue()).as(err).isEqualTo(128 + sig);
            assertThat(err).contains("interrupted by " + Signals.name(sig), "the process was released");
            assertThat(Procs.tracerPid(p.pid)).as("released").isEqualTo("0");
            assertThat(Procs.state(p.pid)).isNotIn('T', 't');
            assertThat(image).doesNotExist();
            assertThat(Procs.temporaries(image)).isEmpty();
        }
    }
}
