package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.testkit.arch.X86States;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's exit-code table, row by row: each case the table names, with its code and a
 * one-line message. (128 + signal: {@link SignalTest}.)
 */
@EnabledOnOs(OS.LINUX)
class ExitCodesTest {
    @TempDir
    Path dir;

    @AfterEach
    void clearHooks() {
        DumpCommand.afterFreezeHook = null;
    }

    private static void oneLine(Cli.Result r, int code, String... contains) {
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(code);
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(code == 0 ? 0 : 1);
        if (contains.length > 0) {
            assertThat(r.err()).contains(contains);
        }
    }

    @Test
    void zeroSuccess() throws Exception {
        Path p = dir.resolve("ok.ckpt");
        Cli.write(p, "test64", List.of(ImageCommandsTest.smallTask(1)));
        oneLine(Cli.run("verify", p.toString()), 0);
        oneLine(Cli.run("--version"), 0);
        try (Procs.Proc s = Procs.sleep(dir)) {
            oneLine(Cli.run("dump", "--pid", Integer.toString(s.pid), "-o", dir.resolve("s.ckpt").toString()), 0);
        }
    }

    @Test
    void oneInvalidImage() throws Exception {
        Path p = dir.resolve("bad.ckpt");
        Cli.write(p, "test64", List.of(ImageCommandsTest.smallTask(1)));
        byte[] b = Files.readAllBytes(p);
        b[40] ^= 4;
        Files.write(p, b);
        oneLine(Cli.run("verify", p.toString()), 1, "invalid image: ", "offset");
    }

    @Test
    void oneFailedCheck() throws Exception {
        // registers a Linux process cannot have (EXACT accepts them, LINUX_USER does not)
        X86_64State cpu = X86States.x86_64().sample();
        cpu = new X86_64State(cpu.regs().withSelectors(0x10, 0x18, 0, 0, 0, 0), cpu.fpu(), cpu.xsave(), cpu.debug());
        Path p = dir.resolve("exact.ckpt");
        org.ckpt.Checkpointer.builder().architecture("x86_64").policy(RestorePolicy.EXACT).build()
                .checkpoint(ImageCommandsTest.smallTask(1).toBuilder().cpu(cpu).build(), p);
        oneLine(Cli.run("verify", p.toString()), 0);
        oneLine(Cli.run("verify", "--policy", "linux-user", p.toString()), 1, "invalid image: ");
    }

    @Test
    void oneDumpThatCouldNotBeMadeConsistent() throws Exception {
        try (Procs.Proc s = Procs.sleep(dir)) {
            DumpCommand.afterFreezeHook = () -> Procs.kill(s.pid, Procs.SIGKILL);
            oneLine(Cli.run("dump", "--pid", Integer.toString(s.pid), "-o", dir.resolve("x.ckpt").toString()), 1,
                    "killed by signal 9", "no image written");
        }
    }

    @Test
    void twoBadArgumentsOrAnInputOutputOrProcessThatCannotBeUsed() throws Exception {
        oneLine(Cli.run("verify", "--bogus", "x"), 2, "unknown option '--bogus'");
        oneLine(Cli.run("dump", "--pid", "x", "-o", "y"), 2, "'x' is not a number");
        oneLine(Cli.run("verify", dir.resolve("missing.ckpt").toString()), 2, "no such file");
        // an image named by URI (a store's; s3:// ones in S3CommandTest)
        oneLine(Cli.run("verify", dir.resolve("missing.ckpt").toUri().toString()), 2, "no such image: file:");
        oneLine(Cli.run("dump", "--pid", "999999999", "-o", dir.resolve("x.ckpt").toString()), 2, "no such process");
        oneLine(Cli.run("dump", "--pid", Long.toString(ProcessHandle.current().pid()), "-o", "x"), 2, "ckpt itself");
        try (Procs.Proc s = Procs.sleep(dir)) {
            oneLine(Cli.run("dump", "--pid", Integer.toString(s.pid), "-o", "/proc/x.ckpt"), 2, "cannot write");
        }
    }

    @Test
    void threeInternalErrorAndTheProcessIsReleased() throws Exception {
        try (Procs.Proc s = Procs.sleep(dir)) {
            DumpCommand.afterFreezeHook = () -> {
                throw new IllegalStateException("a bug");
            };
            oneLine(Cli.run("dump", "--pid", Integer.toString(s.pid), "-o", dir.resolve("x.ckpt").toString()), 3,
                    "internal error: java.lang.IllegalStateException: a bug", "--debug");
            assertThat(Procs.tracerPid(s.pid)).isEqualTo("0");
            assertThat(dir.resolve("x.ckpt")).doesNotExist();
        }
    }
}
