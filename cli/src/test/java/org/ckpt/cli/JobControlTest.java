package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dump is invisible to job control (finding 4): a job-control shell waiting for its job
 * sees no stop, and a process's SIGCONT handler does not run. Each test first shows that
 * its observer does see a real SIGSTOP/SIGCONT, so a silent observer means something.
 */
@EnabledOnOs(OS.LINUX)
class JobControlTest {
    @TempDir
    Path dir;

    /** Waits until {@code p}'s output contains {@code text}. */
    private static void awaitOutput(Procs.Proc p, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!p.output().contains(text)) {
            assertThat(System.nanoTime()).as("output " + text).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void aShellJobIsNotReportedStoppedByADump() throws Exception {
        // bash with job control (set -m) reports a stopped job and returns from wait, as an
        // interactive shell pushes a stopped foreground job to the background
        String script = "set -m; sleep 600 & echo \"job $!\"; wait $!; echo \"wait returned $?\"; jobs -l";
        try (Procs.Proc shell = Procs.start(dir, "bash", "-c", script)) {
            awaitOutput(shell, "job ");
            int job = Integer.parseInt(shell.output().replaceAll("(?s).*job (\\d+).*", "$1"));
            Procs.awaitState(job, "S");
            for (int i = 0; i < 3; i++) {
                Cli.Result r = Cli.run("dump", "--pid", Integer.toString(job), "-o", dir.resolve("job.ckpt").toString());
                assertThat(r.exit()).as(r.err()).isZero();
            }
            Thread.sleep(300);
            assertThat(shell.output()).as("the shell saw nothing").doesNotContain("Stopped", "wait returned");

            Procs.kill(job, Procs.SIGSTOP); // what the dump used to do
            awaitOutput(shell, "Stopped");
            assertThat(shell.output()).contains("wait returned 147");
            Procs.kill(job, Procs.SIGCONT);
        }
    }

    @Test
    void aSigcontHandlerDoesNotRunAndAProcessThatForksWhileFrozenIsDumped() throws Exception {
        String script = "trap 'echo got SIGCONT' CONT; echo ready; while :; do sleep 0.01; done";
        try (Procs.Proc shell = Procs.start(dir, "bash", "-c", script)) {
            awaitOutput(shell, "ready");
            for (int i = 0; i < 5; i++) {
                Cli.Result r = Cli.run("dump", "--pid", Integer.toString(shell.pid), "-o",
                        dir.resolve("loop.ckpt").toString(), "--quiet");
                assertThat(r.exit()).as(r.err()).isZero();
            }
            Thread.sleep(200);
            assertThat(shell.output()).as("no SIGCONT").doesNotContain("got SIGCONT");

            Procs.kill(shell.pid, Procs.SIGSTOP);
            Procs.awaitState(shell.pid, "T");
            Procs.kill(shell.pid, Procs.SIGCONT);
            awaitOutput(shell, "got SIGCONT");
        }
    }
}
