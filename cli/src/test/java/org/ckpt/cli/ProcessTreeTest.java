package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Process trees, shared open file descriptions and the processes a dump refuses
 * (findings 6 and 7).
 */
@EnabledOnOs(OS.LINUX)
class ProcessTreeTest {
    @TempDir
    Path dir;

    @Test
    void treeDumpsEveryDescendantWithItsIdsAndTheOpenFileDescriptionsTheyShare() throws Exception {
        Path log = dir.resolve("log.txt");
        // fd 1 and fd 2 are one open file description (2>&1), inherited by both children
        String script = "exec > '" + log + "' 2>&1; echo started; sleep 600 & sleep 600 & wait";
        try (Procs.Proc shell = Procs.start(dir, "bash", "-c", script)) {
            List<Integer> children = Procs.awaitChildren(shell.pid, 2);
            for (int c : children) {
                Procs.awaitState(c, "S");
            }
            Path image = dir.resolve("tree.ckpt");
            Cli.Result r = Cli.run("dump", "--pid", Integer.toString(shell.pid), "--tree", "-o", image.toString());
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("3 processes");
            for (int p : List.of(shell.pid, children.get(0), children.get(1))) {
                assertThat(Procs.tracerPid(p)).isEqualTo("0");
            }

            RestartResult back = Restarter.builder().build().restart(image);
            List<Integer> tgids = new ArrayList<>();
            for (Task t : back.tasks()) {
                tgids.add(t.tgid());
            }
            assertThat(tgids).containsExactlyInAnyOrder(shell.pid, children.get(0), children.get(1));
            Task bash = task(back, shell.pid);
            Map<String, String> bi = bash.info();
            for (int c : children) {
                Task t = task(back, c);
                assertThat(t.comm()).isEqualTo("sleep");
                assertThat(t.info()).containsEntry("linux.ppid", Integer.toString(shell.pid))
                        .containsEntry("linux.pgid", bi.get("linux.pgid")).containsEntry("linux.sid", bi.get("linux.sid"));
                assertThat(t.mm()).as("its own address space (kcmp KCMP_VM)").isNotSameAs(bash.mm());
                assertThat(t.files()).as("its own descriptor table (kcmp KCMP_FILES)").isNotSameAs(bash.files());
                // one open file description, one object: inherited fd 1 and fd 2 of each child are bash's
                assertThat(t.files().get(1).file()).isSameAs(bash.files().get(1).file());
                assertThat(t.files().get(2).file()).isSameAs(bash.files().get(1).file());
            }
            FileTable ft = bash.files();
            assertThat(ft.get(1).file()).as("2>&1: one description (kcmp KCMP_FILE)").isSameAs(ft.get(2).file());
            assertThat(((GenericFile) ft.get(1).file()).path()).isEqualTo(log.toString());

            // without --tree: the shell alone
            Cli.Result one = Cli.run("dump", "--pid", Integer.toString(shell.pid), "-o", dir.resolve("one.ckpt").toString());
            assertThat(one.exit()).as(one.err()).isZero();
            assertThat(Restarter.builder().build().restart(dir.resolve("one.ckpt")).tasks())
                    .allSatisfy(t -> assertThat(t.tgid()).isEqualTo(shell.pid));
        }
    }

    @Test
    void twoDescriptorsOpenedSeparatelyStayTwoFiles() throws Exception {
        Path f = dir.resolve("twice.txt");
        Files.writeString(f, "x");
        try (Procs.Proc p = Procs.start(dir, "bash", "-c", "exec 3<'" + f + "' 4<'" + f + "'; echo ready; exec sleep 600")) {
            while (!p.output().contains("ready")) {
                Thread.sleep(5);
            }
            Procs.awaitState(p.pid, "S");
            Path image = dir.resolve("twice.ckpt");
            assertThat(Cli.run("dump", "--pid", Integer.toString(p.pid), "-o", image.toString()).exit()).isZero();
            FileTable ft = Restarter.builder().build().restart(image).tasks().get(0).files();
            assertThat(ft.get(3).file()).isEqualTo(ft.get(4).file()).isNotSameAs(ft.get(4).file());
        }
    }

    private static Task task(RestartResult r, int pid) {
        return r.tasks().stream().filter(t -> t.pid() == pid).findFirst().orElseThrow();
    }

    @Test
    void kernelThreadsZombiesCkptItselfAndItsAncestorsAreRefused() throws Exception {
        Path out = dir.resolve("x.ckpt");
        int kthread = kernelThread();
        if (kthread > 0) {
            Cli.Result k = Cli.run("dump", "--pid", Integer.toString(kthread), "-o", out.toString());
            assertThat(k.exit()).isEqualTo(2);
            assertThat(k.err()).contains("is a kernel thread");
        }
        // a child that exits and is never waited for: its parent exec'd sleep
        try (Procs.Proc p = Procs.start(dir, "bash", "-c", "sleep 0.05 & exec sleep 600")) {
            int zombie = Procs.awaitChildren(p.pid, 1).get(0);
            Procs.awaitState(zombie, "Z");
            Cli.Result z = Cli.run("dump", "--pid", Integer.toString(zombie), "-o", out.toString());
            assertThat(z.exit()).isEqualTo(2);
            assertThat(z.err()).contains("is a zombie");
        }
        long self = ProcessHandle.current().pid();
        Cli.Result s = Cli.run("dump", "--pid", Long.toString(self), "-o", out.toString());
        assertThat(s.exit()).isEqualTo(2);
        assertThat(s.err()).contains("is ckpt itself");
        int ownThread = ProcFs.threads(self).get(1);
        Cli.Result st = Cli.run("dump", "--pid", Integer.toString(ownThread), "-o", out.toString());
        assertThat(st.exit()).isEqualTo(2);
        assertThat(st.err()).contains("is ckpt itself");
        long parent = ProcTree.ppid(self);
        Cli.Result a = Cli.run("dump", "--pid", Long.toString(parent), "-o", out.toString());
        assertThat(a.exit()).isEqualTo(2);
        assertThat(a.err()).contains("is an ancestor of this ckpt");
        assertThat(out).doesNotExist();
    }

    /** A kernel thread visible here, or 0 (in a PID namespace there are none). */
    private static int kernelThread() throws Exception {
        try (var s = Files.newDirectoryStream(ProcFs.PROC)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (n.chars().allMatch(Character::isDigit)) {
                    try {
                        if ((ProcFs.stat(p).num(9) & ProcTree.PF_KTHREAD) != 0) {
                            return Integer.parseInt(n);
                        }
                    } catch (java.io.IOException e) {
                        // gone
                    }
                }
            }
        }
        return 0;
    }

    /** After the pid counter wraps, a thread's id may be lower than its leader's: the leader stays first. */
    @Test
    void theGroupLeaderIsTheFirstThreadWhateverTheIds() {
        assertThat(ProcFs.leaderFirst(32760, new ArrayList<>(List.of(301, 32760, 300, 32765))))
                .containsExactly(32760, 300, 301, 32765);
        assertThat(ProcFs.leaderFirst(5, new ArrayList<>(List.of(9, 5, 7)))).containsExactly(5, 7, 9);
    }
}
