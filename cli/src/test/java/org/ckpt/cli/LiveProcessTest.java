package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ckpt.RestartResult;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.Task;
import org.ckpt.model.TaskState;
import org.ckpt.model.Vma;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dump} and {@code restart --check-against-pid} on a real process: a second JVM
 * running {@link DemoChild} (many threads, a patterned buffer, a deleted file, a directory,
 * a memfd mapped shared, a pipe on stdin).
 */
@EnabledOnOs(OS.LINUX)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveProcessTest {
    private static final int MIB = 8;

    @TempDir
    static Path dir;

    static Child child;

    @BeforeAll
    static void start() throws Exception {
        child = Child.start(dir, MIB);
    }

    @AfterAll
    static void stop() throws Exception {
        if (child != null) {
            child.close();
        }
    }

    static RestartResult restart(Path image) throws Exception {
        return org.ckpt.Restarter.builder().build().restart(image);
    }

    @Test
    @Order(1)
    void dumpFreezesWithPtraceCapturesEveryThreadAndReleasesWithoutJobControl() throws Exception {
        Path image = dir.resolve("running.ckpt");
        Cli.Result r = Cli.run("dump", "--pid", Long.toString(child.pid), "-o", image.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("dumped pid " + child.pid, "x86_64", "registers of every thread",
                "(pipe:[", DemoChild.PIPE_BYTES.length() + " bytes buffered", "recorded, not restorable",
                "process frozen for");
        // idle, it is checked unchanged at a second freeze; if a JVM thread ran, it was dumped again
        assertThat(r.out()).containsAnyOf("(twice: to read it, and to check nothing changed",
                "(its pages copied, released before writing)");
        assertThat(Procs.tracerPid(child.pid)).as("detached").isEqualTo("0");
        assertThat(Procs.state(child.pid)).as("running again").isNotIn('T', 't');

        RestartResult back = restart(image);
        Task main = RestartCommand.task(back, child.pid);
        assertThat(main.pid()).isEqualTo((int) child.pid);
        assertThat(main.comm()).isEqualTo("java");
        assertThat(main.state()).as("the state before the freeze").isNotIn(TaskState.STOPPED, TaskState.TRACED);
        assertThat(back.tasks()).hasSizeGreaterThan(5);
        Set<Long> tls = new HashSet<>();
        Set<Integer> tids = new HashSet<>();
        for (Task t : back.tasks()) {
            assertThat(t.tgid()).isEqualTo((int) child.pid);
            assertThat(t.mm()).isSameAs(main.mm());
            assertThat(t.files()).isSameAs(main.files());
            assertThat(t.cpu()).as("thread " + t.pid()).isInstanceOf(X86_64State.class);
            X86_64State cpu = (X86_64State) t.cpu();
            assertThat(area(main, cpu.regs().rip()).prot() & Vma.PROT_EXEC).as("rip in code").isNotZero();
            assertThat(area(main, cpu.regs().rsp())).as("rsp in memory").isNotNull();
            assertThat(cpu.regs().cs()).isEqualTo(0x33);
            tls.add(cpu.regs().fsBase());
            tids.add(t.pid());
            assertThat(TaskInfo.of(t)).containsKeys("linux.sigmask", "linux.sigpending")
                    .containsEntry("ckpt.cpu", "captured with ptrace (PTRACE_GETREGSET)");
        }
        assertThat(tls).as("every thread its own TLS").hasSameSizeAs(tids);
        Map<String, String> info = TaskInfo.of(main);
        assertThat(info).containsEntry("linux.ppid", Long.toString(ProcTree.ppid(child.pid)))
                .containsKeys("linux.pgid", "linux.sid", "linux.auxv", "linux.cwd", "linux.uid", "linux.rlimit.open_files")
                .containsKey("ckpt.omitted.fd.0");
        assertThat(info.get("ckpt.omitted.fd.0")).contains("FIFO", "read end");
        // the pipe's buffered bytes are in the image, copied with tee(2): the pipe still has them
        String pipeKey = info.entrySet().stream().filter(e -> e.getValue().contains("pipe:[")
                && e.getValue().contains("read end")).map(Map.Entry::getKey).findFirst().orElseThrow();
        assertThat(new String(java.util.Base64.getDecoder().decode(TaskInfo.chunked(info, pipeKey + ".data")),
                java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(DemoChild.PIPE_BYTES);

        // the patterned part of the buffer, exactly as the child wrote it
        Vma buffer = area(main, child.address);
        ByteBuffer got = ByteBuffer.allocate(child.patterned);
        buffer.pages().read(child.address, got);
        for (int i = 0; i < child.patterned; i += 8) {
            if (got.getLong(i) != DemoChild.pattern(i)) {
                throw new AssertionError("byte " + i + " of the buffer differs: " + Long.toHexString(got.getLong(i)));
            }
        }
        ByteBuffer zero = ByteBuffer.allocate(child.size - child.patterned);
        buffer.pages().read(child.address + child.patterned, zero);
        assertThat(zero.array()).containsOnly(0);

        FileTable files = main.files();
        GenericFile scratch = file(files, dir.resolve(DemoChild.SCRATCH).toString());
        assertThat(scratch.isDeleted()).isTrue();
        assertThat(scratch.position()).isEqualTo(DemoChild.SCRATCH_BYTES);
        ByteBuffer saved = scratch.deletedContents();
        assertThat(saved.remaining()).isEqualTo(DemoChild.SCRATCH_BYTES);
        for (int i = 0; i < DemoChild.SCRATCH_BYTES; i++) {
            assertThat(saved.get(i)).isEqualTo((byte) (i * 7 + 1));
        }
        assertThat(file(files, dir.resolve(DemoChild.INPUT).toString()).position()).isEqualTo(DemoChild.INPUT_POSITION);
        assertThat(files.entries()).anySatisfy(e -> {
            assertThat(((GenericFile) e.file()).kind()).isEqualTo(FileKind.DIRECTORY);
            assertThat(((GenericFile) e.file()).path()).isEqualTo(dir.toString());
        });
        assertThat(files.get(0)).as("stdin is a FIFO: recorded as info, not a file").isNull();

        // the memfd: one object, its contents once, referenced by the descriptor and the mapping
        GenericFile memfd = (GenericFile) files.get(child.memfd).file();
        assertThat(memfd.path()).startsWith("/memfd:ckpt-demo");
        assertThat(memfd.isDeleted()).isTrue();
        assertThat(memfd.deletedContents().remaining()).isEqualTo(DemoChild.MEMFD_BYTES);
        for (int i = 0; i < DemoChild.MEMFD_BYTES; i += 8) {
            assertThat(memfd.deletedContents().getLong(i)).isEqualTo(~DemoChild.pattern(i));
        }
        Vma mapping = area(main, child.memfdAddress);
        assertThat(mapping.file()).as("the mapping refers to the descriptor's file object").isSameAs(memfd);
        assertThat(mapping.isShared()).isTrue();
        assertThat(PageRuns.of(mapping.pages(), 4096)).as("no second copy in the mapping").isEmpty();

        JsonNode shown = new ObjectMapper().readTree(Cli.run("show", "--json", image.toString()).out());
        JsonNode t0 = shown.get("tasks").get(0);
        assertThat(t0.get("cpu_state").get("regs").get("rip").asText()).startsWith("0x");
        assertThat(t0.get("utime").isNumber()).as("counters are numbers").isTrue();
        assertThat(t0.get("info").get("ckpt.omitted.fd.0").asText()).contains("FIFO");
        Cli.Result summary = Cli.run("show", image.toString());
        assertThat(summary.out()).contains("process " + child.pid + " (java)", "x86_64 registers, pc 0x",
                "recorded, not restorable", "fd 0: " + dir, "check: passes");
        assertThat(summary.out().lines().count()).as("a summary, not the tree").isLessThan(100);
    }

    static Vma area(Task t, long address) {
        for (Vma v : t.mm().vmas()) {
            if (Long.compareUnsigned(v.start(), address) <= 0 && Long.compareUnsigned(address, v.end()) < 0) {
                return v;
            }
        }
        throw new AssertionError("no area holds " + Long.toHexString(address));
    }

    private static GenericFile file(FileTable t, String path) {
        for (FileTable.Entry e : t.entries()) {
            if (e.file() instanceof GenericFile g && g.path().equals(path)) {
                return g;
            }
        }
        throw new AssertionError("no descriptor for " + path + " in " + t);
    }

    @Test
    @Order(2) // pokes the child's buffer, which the test above checks against the pattern
    void restoredMemoryEqualsTheStoppedProcessAndDiffersOnceItWrites() throws Exception {
        Path image = dir.resolve("stopped.ckpt");
        child.stop();
        try {
            Cli.Result d = Cli.run("dump", "--pid", Long.toString(child.pid), "-o", image.toString(), "--quiet");
            assertThat(d.exit()).as(d.err()).isZero();
            assertThat(d.out()).isEmpty();
            assertThat(Procs.state(child.pid)).as("a stopped process stays stopped").isEqualTo('T');
            assertThat(RestartCommand.task(restart(image), child.pid).state()).isEqualTo(TaskState.STOPPED);

            Cli.Result r = Cli.run("restart", image.toString(), "--check-against-pid", Long.toString(child.pid));
            assertThat(r.exit()).as(r.out() + r.err()).isZero();
            assertThat(r.out()).contains("compared with live pid " + child.pid, "pages of the image equal");
            assertThat(pageEqualsLive(image, child.address)).isTrue();
        } finally {
            child.cont();
        }
        child.poke();
        child.stop();
        try {
            Cli.Result r = Cli.run("restart", image.toString(), "--check-against-pid", Long.toString(child.pid));
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.out()).contains("differ");
            assertThat(r.err()).contains("differs from live pid " + child.pid);
            assertThat(pageEqualsLive(image, child.address)).as("the poked page").isFalse();
        } finally {
            child.cont();
        }
    }

    /** The page holding {@code address}: restored from the image, and read from the process now. */
    private static boolean pageEqualsLive(Path image, long address) throws Exception {
        Task t = RestartCommand.task(restart(image), child.pid);
        long page = address & ~4095L;
        ByteBuffer restored = ByteBuffer.allocate(4096);
        area(t, page).pages().read(page, restored);
        ByteBuffer live = ByteBuffer.allocate(4096);
        try (FileChannel mem = FileChannel.open(ProcFs.dir(child.pid).resolve("mem"))) {
            mem.read(live, page);
        }
        return restored.flip().equals(live.flip());
    }

    @Test
    void aThreadIdDumpsItsProcessWithTheRightTgid() throws Exception {
        List<Integer> tids = ProcFs.threads(child.pid);
        int tid = tids.get(tids.size() - 1);
        assertThat(tid).isNotEqualTo((int) child.pid);
        Path image = dir.resolve("by-thread.ckpt");
        Cli.Result r = Cli.run("dump", "--pid", Integer.toString(tid), "-o", image.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("pid " + tid + " is a thread of process " + child.pid);
        RestartResult back = restart(image);
        assertThat(back.tasks()).allSatisfy(t -> assertThat(t.tgid()).isEqualTo((int) child.pid));
        assertThat(back.tasks()).anySatisfy(t -> assertThat(t.pid()).isEqualTo(tid));
        assertThat(back.tasks().get(0).pid()).isEqualTo((int) child.pid);
    }

    @Test
    void dumpOfAMissingProcessOrIntoAMissingDirectoryExitsTwo() {
        Cli.Result r = Cli.run("dump", "--pid", "999999999", "-o", dir.resolve("x.ckpt").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no such process");
        Cli.Result r2 = Cli.run("dump", "--pid", Long.toString(child.pid), "-o", dir.resolve("no/such/x.ckpt").toString());
        assertThat(r2.exit()).isEqualTo(2);
        assertThat(r2.err()).contains("no such directory");
        Cli.Result r3 = Cli.run("dump", "--pid", Long.toString(child.pid), "-o", "/proc/x.ckpt");
        assertThat(r3.exit()).isEqualTo(2);
        assertThat(r3.err()).contains("cannot write /proc/x.ckpt", "cannot create a file in /proc");
        Cli.Result r4 = Cli.run("restart", dir.resolve("none.ckpt").toString(), "--check-against-pid", "999999999");
        assertThat(r4.exit()).isEqualTo(2);
    }
}
