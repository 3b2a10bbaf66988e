package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.PageRanges;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.testkit.image.TestKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dump --parent} on a real process: a full dump, the process changes some of its memory,
 * an incremental dump on the first — and the chain restarts to exactly the process, page for
 * page; merged, too.
 */
@EnabledOnOs(OS.LINUX)
class IncrementalDumpTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MIB = 8;

    @TempDir
    static Path dir;

    static Child child;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty("ckpt.state", dir.resolve("state").toString());
        child = Child.start(dir, MIB);
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("ckpt.state");
        if (child != null) {
            child.close();
        }
    }

    private static Cli.Result dump(Path image, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("dump", "--pid", Long.toString(child.pid), "-o",
                image.toString()));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(new String[0]));
    }

    @Test
    void aChildOfAStoppedProcessRestartsToItPageForPage() throws Exception {
        Path full = dir.resolve("full.ckpt");
        Path incr = dir.resolve("incr.ckpt");
        Path incr2 = dir.resolve("incr2.ckpt");
        child.stop();
        try {
            Cli.Result d = dump(full);
            assertThat(d.exit()).as(d.err()).isZero();
        } finally {
            child.cont();
        }
        child.scribble();
        child.stop();
        try {
            Cli.Result d = dump(incr, "--parent", full.toString(), "--json");
            assertThat(d.exit()).as(d.err()).isZero();
            JsonNode inc = JSON.readTree(d.out()).get("incremental");
            assertThat(inc.get("parent").asText()).isEqualTo(full.toString());
            assertThat(inc.get("depth").asInt()).isEqualTo(1);
            // the buffer's scribbled pages, at least, are written; most of the process comes from the parent
            long scribbled = (long) child.patterned / 4096 / DemoChild.SCRIBBLE_STRIDE + 2;
            assertThat(JSON.readTree(d.out()).get("pages_written").asLong()).isGreaterThanOrEqualTo(scribbled - 1);
            assertThat(inc.get("pages_from_parent").asLong()).isGreaterThan(child.patterned / 4096 / 2);
            if (SoftDirty.works()) {
                assertThat(inc.get("changes_found_by").asText()).isEqualTo("soft_dirty");
            } else {
                assertThat(inc.get("changes_found_by").asText()).isEqualTo("digests");
                assertThat(inc.get("soft_dirty_not_used").asText()).isEqualTo(SoftDirty.unavailable());
            }
            assertThat(Files.size(incr)).isLessThan(Files.size(full) / 2);

            // the chain (parents found in the image's directory) is the process, page for page
            Cli.Result r = Cli.run("restart", incr.toString(), "--check-against-pid", Long.toString(child.pid));
            assertThat(r.exit()).as(r.out() + r.err()).isZero();
            assertThat(r.out()).contains("compared with live pid " + child.pid, "pages of the image equal");
            RestartResult back = Restarter.builder().build().restart(incr);
            Task t = RestartCommand.task(back, child.pid);
            long second = ((child.address + 4095) & ~4095L) + 4096;
            assertThat(bytes(t, second, 4096)).as("zeroed since the parent").containsOnly(0);
            assertThat(bytes(t, second - 4096, 4096)).as("unchanged, from the parent").isNotEqualTo(new byte[4096]);
            assertThat(ByteBuffer.wrap(bytes(t, child.address + child.patterned, 8)).getLong()).as("written since")
                    .isEqualTo(0x5C81BB1E0000L);
            // the parent alone is not
            Cli.Result old = Cli.run("restart", full.toString(), "--check-against-pid", Long.toString(child.pid));
            assertThat(old.exit()).isEqualTo(1);

            Cli.Result v = Cli.run("verify", incr.toString());
            assertThat(v.out()).contains("incremental image", "a chain of 2 images, depth 1");
            Cli.Result text = dump(incr2, "--parent", incr.toString());
            assertThat(text.exit()).as(text.err()).isZero();
            assertThat(text.out()).contains("incremental on " + incr, "depth 2", "unchanged taken from the parent",
                    "changes found by");
            assertThat(Cli.run("restart", incr2.toString(), "--check-against-pid", Long.toString(child.pid)).exit())
                    .isZero();

            // merged: one full image, the same process
            Path merged = dir.resolve("merged.ckpt");
            Cli.Result m = Cli.run("merge", incr2.toString(), "-o", merged.toString());
            assertThat(m.exit()).as(m.err()).isZero();
            assertThat(m.out()).contains("merged a chain of 3 images (depth 2");
            Cli.Result rm = Cli.run("restart", merged.toString(), "--check-against-pid", Long.toString(child.pid));
            assertThat(rm.exit()).as(rm.out() + rm.err()).isZero();
        } finally {
            child.cont();
        }
    }

    @Test
    void aParentOfAnotherKindOrAnInvalidOneIsRefusedBeforeAnythingIsFrozen() throws Exception {
        Path other = dir.resolve("other.ckpt");
        Cli.write(other, "test64", List.of(ImageCommandsTest.smallTask(1)));
        Cli.Result r = dump(dir.resolve("x.ckpt"), "--parent", other.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--parent " + other + ": it is an image of architecture test64");
        Path broken = dir.resolve("broken.ckpt");
        Files.write(broken, java.util.Arrays.copyOf(Files.readAllBytes(other), 100));
        Cli.Result b = dump(dir.resolve("x.ckpt"), "--parent", broken.toString());
        assertThat(b.exit()).isEqualTo(1);
        assertThat(b.err()).contains("--parent " + broken + " is an invalid image");
        Cli.Result none = dump(dir.resolve("x.ckpt"), "--parent", dir.resolve("none.ckpt").toString());
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("no such image file");
        assertThat(dir.resolve("x.ckpt")).doesNotExist();
        assertThat(Procs.tracerPid(child.pid)).isEqualTo("0");
    }

    @Test
    void aSealedEncryptedChainIsDumpedWithTheKeysAndReadWithThem() throws Exception {
        Path aes = TestKeys.copyTo("test-aes.key", dir);
        Path ed = TestKeys.copyTo("test-ed25519.pem", dir);
        Path edPublic = TestKeys.copyTo("test-ed25519.pub.pem", dir);
        Path hmac = TestKeys.copyTo("test-hmac.key", dir);
        String key = TestKeys.TEST_ID + "=" + aes;
        Path d = Files.createDirectory(dir.resolve("sealed"));
        Path full = d.resolve("full.ckpt");
        Path incr = d.resolve("incr.ckpt");
        Cli.Result f = dump(full, "--seal-key", ed.toString(), "--encrypt-key", key);
        assertThat(f.exit()).as(f.err()).isZero();
        // the parent is encrypted: read with the child's --encrypt-key
        Cli.Result i = dump(incr, "--parent", full.toString(), "--seal-key", ed.toString(), "--encrypt-key", key,
                "--trust-key", edPublic.toString(), "--json");
        assertThat(i.exit()).as(i.err()).isZero();
        assertThat(JSON.readTree(i.out()).get("incremental").get("depth").asInt()).isEqualTo(1);
        Cli.Result v = Cli.run("verify", "--trust-key", edPublic.toString(), "--decrypt-key", key, incr.toString());
        assertThat(v.exit()).as(v.err()).isZero();
        assertThat(v.out()).contains("incremental image", "a chain of 2 images", "2 seals verified");
        // without a key for PREV, or trusting another key: refused before anything is frozen
        Cli.Result noKey = dump(d.resolve("x.ckpt"), "--parent", full.toString());
        assertThat(noKey.exit()).isEqualTo(1);
        assertThat(noKey.err()).contains("--parent " + full + " is an invalid image");
        Cli.Result untrusted = dump(d.resolve("x.ckpt"), "--parent", full.toString(), "--decrypt-key", key,
                "--trust-key", TestKeys.TEST_ID + "=" + hmac);
        assertThat(untrusted.exit()).isEqualTo(1);
        Cli.Result noParent = dump(d.resolve("x.ckpt"), "--decrypt-key", key);
        assertThat(noParent.exit()).isEqualTo(2);
        assertThat(d.resolve("x.ckpt")).doesNotExist();
        assertThat(Procs.tracerPid(child.pid)).isEqualTo("0");
    }

    private static byte[] bytes(Task t, long address, int n) throws Exception {
        Vma v = LiveProcessTest.area(t, address);
        ByteBuffer b = ByteBuffer.allocate(n);
        v.pages().read(address, b);
        return b.array();
    }

    // ---- soft-dirty: the dirty set, the markers, the probe ----------------------------------------

    @Test
    void theDirtySetHoldsSoftDirtyPagesAndEveryPageNotPresented() {
        long sd = SoftDirty.BIT;
        long present = ProcMemory.PRESENT;
        long[] entries = {present, present | sd, 0, present, present, ProcMemory.SWAPPED, present | sd, present};
        PageRanges.Builder b = PageRanges.builder();
        SoftDirty.changed(0x10000, entries, entries.length, 4096,
                e -> (e & (ProcMemory.PRESENT | ProcMemory.SWAPPED)) != 0, b);
        PageRanges r = b.build();
        // page 1 soft-dirty, page 2 absent (dropped since: never the parent's), page 6 soft-dirty
        assertThat(r.size()).isEqualTo(2);
        assertThat(r.start(0)).isEqualTo(0x11000);
        assertThat(r.end(0)).isEqualTo(0x13000);
        assertThat(r.start(1)).isEqualTo(0x16000);
        assertThat(r.end(1)).isEqualTo(0x17000);
    }

    @Test
    void aMarkerNamesTheImageOfTheLastResetOfThisVeryProcess() throws Exception {
        int self = (int) ProcessHandle.current().pid();
        SoftDirty.forget(self);
        assertThat(SoftDirty.resetAt(self, 0x1234)).isFalse();
        SoftDirty.remember(self, 0x1234);
        assertThat(SoftDirty.resetAt(self, 0x1234)).isTrue();
        assertThat(SoftDirty.resetAt(self, 0x1235)).isFalse();
        // boot, pid and start time: a reused pid is another process
        assertThat(SoftDirty.marker(self).getFileName().toString()).contains("-" + self + "-");
        SoftDirty.forget(self);
        assertThat(SoftDirty.resetAt(self, 0x1234)).isFalse();
    }

    @Test
    void theProbeAgreesWithTheKernelsOwnFlags() throws Exception {
        // "sd" in VmFlags exists only in kernels built with CONFIG_MEM_SOFT_DIRTY (a new area has it)
        Path cfg = Path.of("/proc/config.gz");
        if (Files.isReadable(cfg)) {
            String config;
            try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(cfg))) {
                config = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
            assertThat(SoftDirty.works()).as(SoftDirty.unavailable())
                    .isEqualTo(config.contains("\nCONFIG_MEM_SOFT_DIRTY=y"));
        }
        assertThat(SoftDirty.unavailable().isEmpty()).isEqualTo(SoftDirty.works());
        assertThat(SoftDirty.works()).isEqualTo(SoftDirty.canReset(List.of((int) ProcessHandle.current().pid())));
    }
}
