package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
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
 * {@code dump} and {@code restart --check-against-pid} on a real process: a second
 * JVM running {@link DemoChild}, whose buffer holds a pattern the test can recompute.
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

    private static RestartResult restart(Path image) throws Exception {
        try (FileChannel in = FileChannel.open(image)) {
            return Restarter.builder().build().restart(in);
        }
    }

    private static char state() throws Exception {
        return ProcFs.stat(ProcFs.dir(child.pid)).state();
    }

    @Test
    @Order(1)
    void dumpStopsTheProcessReadsItAndContinuesIt() throws Exception {
        assertThat(state()).isNotIn('T', 't');
        Path image = dir.resolve("running.ckpt");
        Cli.Result r = Cli.run("dump", "--pid", Long.toString(child.pid), "-o", image.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("dumped pid " + child.pid, "x86_64", "zero pages skipped",
                "fd 0 (pipe:[", "left out");
        assertThat(state()).as("continued after the dump").isNotIn('T', 't');

        RestartResult back = restart(image);
        Task main = RestartCommand.task(back, child.pid);
        assertThat(main.pid()).isEqualTo((int) child.pid);
        assertThat(main.tgid()).isEqualTo((int) child.pid);
        assertThat(main.comm()).isEqualTo("java");
        assertThat(main.cpu()).as("registers need ptrace").isNull();
        assertThat(main.state()).as("the state before the dump stopped it").isNotEqualTo(TaskState.STOPPED);
        assertThat(back.tasks()).hasSizeGreaterThan(1).allSatisfy(t -> {
            assertThat(t.mm()).isSameAs(main.mm());
            assertThat(t.files()).isSameAs(main.files());
        });

        // the patterned part of the buffer, exactly as the child wrote it
        Vma buffer = main.mm().vmas().stream().filter(v -> v.start() <= child.address && child.address < v.end())
                .findFirst().orElseThrow();
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
        GenericFile scratch = file(files, DemoChild.SCRATCH);
        assertThat(scratch.isDeleted()).isTrue();
        assertThat(scratch.position()).isEqualTo(DemoChild.SCRATCH_BYTES);
        ByteBuffer saved = scratch.deletedContents();
        assertThat(saved.remaining()).isEqualTo(DemoChild.SCRATCH_BYTES);
        for (int i = 0; i < DemoChild.SCRATCH_BYTES; i++) {
            assertThat(saved.get(i)).isEqualTo((byte) (i * 7 + 1));
        }
        assertThat(file(files, DemoChild.INPUT).position()).isEqualTo(DemoChild.INPUT_POSITION);
        assertThat(file(files, DemoChild.INPUT).isDeleted()).isFalse();
        assertThat(files.entries()).anySatisfy(e -> {
            assertThat(e.file()).isInstanceOf(GenericFile.class);
            assertThat(((GenericFile) e.file()).kind()).isEqualTo(FileKind.DIRECTORY);
            assertThat(((GenericFile) e.file()).path()).isEqualTo(dir.toString());
        });
        assertThat(files.get(0)).as("stdin is a pipe: left out").isNull();

        JsonNode shown = new ObjectMapper().readTree(Cli.run("show", "--json", image.toString()).out());
        assertThat(shown.get("tasks").get(0).get("cpu_state").asText()).isEqualTo("absent (not captured)");
        assertThat(Cli.run("show", image.toString()).out()).contains("CPU state: absent (not captured)");
    }

    private static GenericFile file(FileTable t, String name) {
        for (FileTable.Entry e : t.entries()) {
            if (e.file() instanceof GenericFile g && g.path().equals(dir.resolve(name).toString())) {
                return g;
            }
        }
        throw new AssertionError("no descriptor for " + name + " in " + t);
    }

    @Test
    @Order(2) // pokes the child's buffer, which the test above checks against the pattern
    void restoredMemoryEqualsTheStoppedProcessAndDiffersOnceItWrites() throws Exception {
        Path image = dir.resolve("stopped.ckpt");
        try (Freezer frozen = Freezer.freeze(child.pid)) {
            assertThat(frozen.stoppedByUs()).isTrue();
            Cli.Result d = Cli.run("dump", "--pid", Long.toString(child.pid), "-o", image.toString(), "--quiet");
            assertThat(d.exit()).as(d.err()).isZero();
            assertThat(d.out()).isEmpty();
            assertThat(state()).as("a stopped process stays stopped").isIn('T', 't');

            Cli.Result r = Cli.run("restart", image.toString(), "--check-against-pid", Long.toString(child.pid));
            assertThat(r.exit()).as(r.out() + r.err()).isZero();
            assertThat(r.out()).contains("compared with live pid " + child.pid, "pages of the image equal");
            assertThat(pageEqualsLive(image, child.address)).isTrue();
        }
        child.poke();
        try (Freezer frozen = Freezer.freeze(child.pid)) {
            assertThat(frozen.statesBefore()).containsKey((int) child.pid);
            Cli.Result r = Cli.run("restart", image.toString(), "--check-against-pid", Long.toString(child.pid));
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.out()).contains("differ");
            assertThat(r.err()).contains("differs from live pid " + child.pid);
            assertThat(pageEqualsLive(image, child.address)).as("the poked page").isFalse();
        }
    }

    /** The page holding {@code address}: restored from the image, and read from the process now. */
    private static boolean pageEqualsLive(Path image, long address) throws Exception {
        Task t = RestartCommand.task(restart(image), child.pid);
        long page = address & ~4095L;
        ByteBuffer restored = ByteBuffer.allocate(4096);
        for (Vma v : t.mm().vmas()) {
            if (v.start() <= page && page < v.end()) {
                v.pages().read(page, restored);
            }
        }
        ByteBuffer live = ByteBuffer.allocate(4096);
        try (FileChannel mem = FileChannel.open(ProcFs.dir(child.pid).resolve("mem"))) {
            mem.read(live, page);
        }
        return restored.flip().equals(live.flip());
    }

    @Test
    void dumpOfAMissingProcessOrIntoAMissingDirectoryExitsTwo() {
        Cli.Result r = Cli.run("dump", "--pid", "999999999", "-o", dir.resolve("x.ckpt").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no such process");
        Cli.Result r2 = Cli.run("dump", "--pid", Long.toString(child.pid), "-o", dir.resolve("no/such/x.ckpt").toString());
        assertThat(r2.exit()).isEqualTo(2);
        assertThat(r2.err()).contains("no such directory");
        Cli.Result r3 = Cli.run("restart", dir.resolve("none.ckpt").toString(), "--check-against-pid", "999999999");
        assertThat(r3.exit()).isEqualTo(2);
    }
}
