package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dump either describes one moment of a process that survived it, or fails and leaves
 * nothing — and never touches a previous image at the same path (findings 1, 2, 5).
 */
@EnabledOnOs(OS.LINUX)
class DumpConsistencyTest {
    @TempDir
    Path dir;

    @AfterEach
    void clearHooks() {
        DumpCommand.afterFreezeHook = null;
        DumpCommand.beforeWriteHook = null;
    }

    /** A valid image at {@code image}, and its bytes. */
    private static byte[] previousImage(int pid, Path image) throws Exception {
        Cli.Result r = Cli.run("dump", "--pid", Integer.toString(pid), "-o", image.toString(), "--quiet");
        assertThat(r.exit()).as(r.err()).isZero();
        return Files.readAllBytes(image);
    }

    @Test
    void aProcessKilledWhileFrozenFailsTheDumpAndKeepsThePreviousImage() throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            Path image = dir.resolve("keep.ckpt");
            byte[] before = previousImage(p.pid, image);
            DumpCommand.afterFreezeHook = () -> Procs.kill(p.pid, Procs.SIGKILL);
            Cli.Result r = Cli.run("dump", "--pid", Integer.toString(p.pid), "-o", image.toString());
            assertThat(r.exit()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).startsWith("ckpt dump: ").contains("killed by signal 9 (SIGKILL)", "no image written")
                    .contains("keeps its previous contents");
            assertThat(r.err().strip().lines()).hasSize(1);
            assertThat(Files.readAllBytes(image)).as("the previous image").isEqualTo(before);
            assertThat(Procs.temporaries(image)).isEmpty();
        }
    }

    @Test
    void aProcessThatExitsWhileReadRunningFailsTheDump() throws Exception {
        try (Child c = Child.start(dir, 4)) {
            Path image = dir.resolve("running.ckpt");
            DumpCommand.beforeWriteHook = () -> {
                try {
                    c.exit();
                    Procs.awaitState(c.pid, "ZX");
                } catch (Exception e) {
                    // gone entirely: the dump finds out too
                }
            };
            Cli.Result r = Cli.run("dump", "--pid", Long.toString(c.pid), "-o", image.toString(), "--leave-running");
            assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
            assertThat(r.err()).contains("process " + c.pid + " exited during the dump", "no image written");
            assertThat(image).doesNotExist();
            assertThat(Procs.temporaries(image)).isEmpty();
        }
    }

    @Test
    void aListedPageThatCannotBeReadFailsTheDump() throws Exception {
        try (Child c = Child.start(dir, 4)) {
            Path image = dir.resolve("unmapped.ckpt");
            DumpCommand.beforeWriteHook = () -> {
                try {
                    c.unmap();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            Cli.Result r = Cli.run("dump", "--pid", Long.toString(c.pid), "-o", image.toString(), "--leave-running");
            assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
            assertThat(r.err()).contains("could not be read", "the page table listed it", "no image written");
            assertThat(image).doesNotExist();
        }
    }

    @Test
    void anIdleProcessIsCheckedUnchangedAtASecondFreezeAndABusyOneIsDumpedAgainFrozen() throws Exception {
        try (Procs.Proc idle = Procs.sleep(dir)) {
            Cli.Result r = Cli.run("dump", "--pid", Integer.toString(idle.pid), "-o", dir.resolve("idle.ckpt").toString(),
                    "--json");
            assertThat(r.exit()).as(r.err()).isZero();
            // without soft-dirty tracking the second freeze could not see a written page: one freeze, pages copied
            assertThat(r.out()).contains(SoftDirty.works() ? "\"method\" : \"two_freezes\""
                    : "\"method\" : \"one_freeze_staged\"");
        }
        if (!SoftDirty.works()) {
            return; // the rest is the second freeze's check
        }
        // a shell loop writes its variables all the time: the check fails, the dump copies its pages frozen
        try (Procs.Proc busy = Procs.start(dir, "bash", "-c", "x=0; while :; do x=$((x + 1)); done")) {
            Procs.awaitState(busy.pid, "R");
            // between the two freezes, let it run (on a loaded machine it may otherwise get no CPU)
            DumpCommand.beforeWriteHook = () -> {
                try {
                    long ran = onCpu(busy.pid);
                    while (onCpu(busy.pid) < ran + 5_000_000) {
                        Thread.sleep(1);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            Path image = dir.resolve("busy.ckpt");
            Cli.Result r = Cli.run("dump", "--pid", Integer.toString(busy.pid), "-o", image.toString(), "--json");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("\"method\" : \"one_freeze_staged\"",
                    "the process ran while its pages were read (");
            assertThat(Cli.run("verify", image.toString()).exit()).isZero();
            assertThat(Procs.tracerPid(busy.pid)).isEqualTo("0");
            Cli.Result once = Cli.run("dump", "--pid", Integer.toString(busy.pid), "-o", image.toString(), "--json",
                    "--single-freeze");
            assertThat(once.out()).contains("\"method\" : \"one_freeze_staged\"").doesNotContain("ran while");
        }
    }

    /** Nanoseconds {@code pid} has run on a CPU (schedstat). */
    private static long onCpu(int pid) throws java.io.IOException {
        return Long.parseLong(Files.readString(ProcFs.dir(pid).resolve("schedstat")).trim().split(" ")[0]);
    }

    @Test
    void threadsBornDuringTheFreezeAreFrozenToo() throws Exception {
        try (Child c = Child.start(dir, 4, List.of("churn"))) {
            for (int i = 0; i < 5; i++) {
                Path image = dir.resolve("churn.ckpt");
                Cli.Result r = Cli.run("dump", "--pid", Long.toString(c.pid), "-o", image.toString(), "--json",
                        "--single-freeze");
                assertThat(r.exit()).as(r.err()).isZero();
                assertThat(r.out()).contains("\"method\" : \"one_freeze_staged\"");
                for (org.ckpt.model.Task t : LiveProcessTest.restart(image).tasks()) {
                    assertThat(t.cpu()).as("thread " + t.pid()).isNotNull();
                }
                for (int tid : ProcFs.threads(c.pid)) {
                    try {
                        String tracer = ProcFs.status(ProcFs.dir(c.pid).resolve("task")
                                .resolve(Integer.toString(tid))).get("TracerPid");
                        assertThat(tracer).as("thread " + tid + " released").isEqualTo("0");
                    } catch (java.io.IOException gone) {
                        // a short-lived thread ended meanwhile
                    }
                }
            }
        }
    }

    @Test
    void aSecondConcurrentDumpFailsBecauseTheProcessIsTracedAndTheFirstSucceeds() throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            CountDownLatch frozen = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean once = new AtomicBoolean();
            DumpCommand.afterFreezeHook = () -> {
                if (once.compareAndSet(false, true)) {
                    frozen.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            Path first = dir.resolve("first.ckpt");
            Path second = dir.resolve("second.ckpt");
            AtomicReference<Cli.Result> r1 = new AtomicReference<>();
            Thread t = new Thread(() -> r1.set(Cli.run("dump", "--pid", Integer.toString(p.pid), "-o", first.toString())));
            t.start();
            assertThat(frozen.await(30, TimeUnit.SECONDS)).isTrue();
            Cli.Result r2 = Cli.run("dump", "--pid", Integer.toString(p.pid), "-o", second.toString());
            release.countDown();
            t.join(60_000);
            assertThat(r2.exit()).as(r2.err()).isEqualTo(2);
            assertThat(r2.err()).contains("process " + p.pid + " is already traced by pid "
                    + ProcessHandle.current().pid(), "another ckpt dump or a debugger");
            assertThat(second).doesNotExist();
            assertThat(r1.get().exit()).as(r1.get().err()).isZero();
            assertThat(Cli.run("verify", first.toString()).exit()).isZero();
            assertThat(Procs.tracerPid(p.pid)).isEqualTo("0");
        }
    }
}
