package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code show}, {@code verify}, {@code diff}, {@code restart} and {@code merge} on a chain of images. */
class ChainCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PS = 4096;
    private static final long BASE = 0x400000;

    @TempDir
    Path dir;

    Path a;
    Path b;
    Path c;
    CheckpointResult ra;
    CheckpointResult rb;
    CheckpointResult rc;
    byte[] last;

    private static Task task(byte[] mem) {
        Vma v = new Vma(BASE, BASE + mem.length, Vma.PROT_READ | Vma.PROT_WRITE, 0, 0, null,
                PageData.of(BASE, mem.clone()));
        return Task.builder().pid(42).tgid(42).comm("cat").mm(AddressSpace.of(List.of(v))).build();
    }

    private static Checkpointer.Builder builder() {
        return Checkpointer.builder().architecture("test64").pageDigests(true).created(Instant.ofEpochSecond(1_700_000_000));
    }

    /** A full image of 64 pages (half of them non-zero) and two children, each changing a few pages. */
    @BeforeEach
    void chain() throws Exception {
        byte[] mem = new byte[64 * PS];
        for (int p = 0; p < 64; p += 2) {
            mem[p * PS + 3] = (byte) (p + 1);
        }
        a = dir.resolve("a.ckpt");
        b = dir.resolve("b.ckpt");
        c = dir.resolve("c.ckpt");
        ra = builder().build().checkpoint(task(mem), a);
        mem[10 * PS + 7] = 9;
        mem[11 * PS] = 1;
        rb = builder().parent(ra.asParent()).build().checkpoint(task(mem), b);
        mem[40 * PS + 1] = 2;
        java.util.Arrays.fill(mem, 20 * PS, 21 * PS, (byte) 0);
        rc = builder().parent(rb.asParent()).build().checkpoint(task(mem), c);
        last = mem;
    }

    private static byte[] contents(RestartResult r) throws Exception {
        Vma v = r.tasks().get(0).mm().vmas().get(0);
        java.nio.ByteBuffer got = java.nio.ByteBuffer.allocate((int) v.size());
        v.pages().read(BASE, got);
        return got.array();
    }

    @Test
    void verifyAndShowReadTheWholeChainAndListIt() throws Exception {
        Cli.Result v = Cli.run("verify", c.toString());
        assertThat(v.exit()).as(v.err()).isZero();
        assertThat(v.out()).contains("valid test64 incremental image", "a chain of 3 images, depth 2",
                Fmt.hex(rc.checkpointId()), Fmt.hex(rb.checkpointId()), Fmt.hex(ra.checkpointId()) + "  depth 0 (full)",
                b.toString(), a.toString());

        Cli.Result s = Cli.run("show", c.toString());
        assertThat(s.exit()).as(s.err()).isZero();
        assertThat(s.out()).contains("incremental image: a chain of 3 images, depth 2",
                Fmt.hex(ra.checkpointId()) + "  depth 0 (full)  " + Fmt.bytes(Files.size(a)) + "  " + a,
                Fmt.hex(rb.checkpointId()) + "  depth 1  " + Fmt.bytes(Files.size(b)) + "  " + b,
                "pages below are the chain's: 1 page written in this image");

        JsonNode tree = JSON.readTree(Cli.run("show", "--json", c.toString()).out());
        JsonNode chain = tree.get("chain");
        assertThat(chain).hasSize(3);
        assertThat(chain.get(0).get("checkpoint_id").asText()).isEqualTo(Fmt.hex(rc.checkpointId()));
        assertThat(chain.get(0).get("depth").asInt()).isEqualTo(2);
        assertThat(chain.get(0).get("bytes").asLong()).isEqualTo(Files.size(c));
        assertThat(chain.get(1).get("bytes").asLong()).isEqualTo(Files.size(b));
        assertThat(chain.get(2).get("bytes").asLong()).isEqualTo(Files.size(a));
        assertThat(chain.get(2).get("file").asText()).isEqualTo(a.toString());
        // a full image has no chain
        assertThat(JSON.readTree(Cli.run("show", "--json", a.toString()).out()).has("chain")).isFalse();
        assertThat(Cli.run("verify", a.toString()).out()).doesNotContain("incremental", "chain");
    }

    @Test
    void parentsElsewhereAreNamedWithParentsAndAMissingOneIsAnInvalidChain() throws Exception {
        Path other = Files.createDirectory(dir.resolve("other"));
        Files.move(a, other.resolve("a.ckpt"));
        Files.move(b, other.resolve("b.ckpt"));
        Cli.Result missing = Cli.run("verify", c.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("chain link 2", "was not found by the parent resolver");
        assertThat(Cli.run("verify", c.toString(), "--parents", other.toString()).exit()).isZero();
        Cli.Result r = Cli.run("restart", c.toString(), "--parents", other.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Cli.run("show", c.toString(), "--parents", dir.resolve("none").toString()).exit()).isEqualTo(2);

        // the parent's bytes changed after the child was written: its pin refuses it
        byte[] bytes = Files.readAllBytes(other.resolve("b.ckpt"));
        Files.write(other.resolve("b.ckpt"), java.util.Arrays.copyOf(bytes, bytes.length - 1));
        Cli.Result bad = Cli.run("verify", c.toString(), "--parents", other.toString());
        assertThat(bad.exit()).isEqualTo(1);
    }

    @Test
    void diffComparesWhatEachRestartsToAndSaysWhichDescendsFromWhich() throws Exception {
        Cli.Result d = Cli.run("diff", a.toString(), c.toString());
        assertThat(d.exit()).as(d.err()).isZero();
        assertThat(d.out()).contains("B is an incremental image on A (its ancestor, 2 links up; B's chain has 3 images)",
                "vma 0x400000 pages: 4 pages differ (1 only in A, 1 only in B)");
        Cli.Result d2 = Cli.run("diff", c.toString(), b.toString());
        assertThat(d2.out()).contains("A is an incremental image on B (its parent;",
                "vma 0x400000 pages: 2 pages differ");
        JsonNode j = JSON.readTree(Cli.run("diff", "--json", b.toString(), c.toString()).out());
        assertThat(j.get("chain_a").asInt()).isEqualTo(2);
        assertThat(j.get("chain_b").asInt()).isEqualTo(3);
        assertThat(j.get("relation").asText()).startsWith("B is an incremental image on A (its parent");
    }

    @Test
    void mergeWritesOneFullImageOfTheChainNamedInAnyOrderOrFoundInTheDirectory() throws Exception {
        Path m1 = dir.resolve("m1.ckpt");
        Cli.Result r = Cli.run("merge", c.toString(), "-o", m1.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("merged a chain of 3 images (depth 2,", "into " + m1,
                "checkpoint id " + Fmt.hex(rc.checkpointId()) + " (the last image's)");
        RestartResult full = Restarter.builder().build().restart(m1);
        assertThat(full.info().formatMinor()).isLessThan(3);
        assertThat(full.info().checkpointId()).isEqualTo(rc.checkpointId());
        assertThat(contents(full)).isEqualTo(last);
        assertThat(Cli.run("verify", m1.toString()).out()).doesNotContain("incremental");

        // named as a chain, in any order, from another directory: the same bytes
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path m2 = elsewhere.resolve("m2.ckpt");
        Cli.Result r2 = Cli.run("merge", b.toString(), c.toString(), a.toString(), "-o", m2.toString(), "--json");
        assertThat(r2.exit()).as(r2.err()).isZero();
        assertThat(JSON.readTree(r2.out()).get("image").asText()).isEqualTo(c.toString());
        assertThat(Files.readAllBytes(m2)).isEqualTo(Files.readAllBytes(m1));

        // merging the same tasks written as a full image gives the same bytes too
        Path fullC = elsewhere.resolve("full.ckpt");
        builder().pageDigests(false).checkpointId(rc.checkpointId()).build().checkpoint(task(last), fullC);
        Path m3 = elsewhere.resolve("m3.ckpt");
        assertThat(Cli.run("merge", fullC.toString(), "-o", m3.toString()).exit()).isZero();
        assertThat(Files.readAllBytes(m3)).isEqualTo(Files.readAllBytes(m1));

        // diff of the chain and its merge: only the head's format differs
        Cli.Result d = Cli.run("diff", c.toString(), m1.toString());
        assertThat(d.out()).doesNotContain("pages").contains("head format");

        // not one chain: the middle image is missing
        Cli.Result gap = Cli.run("merge", a.toString(), c.toString(), "-o", dir.resolve("x.ckpt").toString());
        assertThat(gap.exit()).isEqualTo(2);
        assertThat(gap.err()).contains("the images are not one chain");
        assertThat(dir.resolve("x.ckpt")).doesNotExist();

        // in place: the last image becomes a full image of the same tasks
        assertThat(Cli.run("merge", c.toString(), "-o", c.toString(), "--digests").exit()).isZero();
        Cli.Result v = Cli.run("verify", c.toString());
        assertThat(v.out()).doesNotContain("incremental");
        assertThat(contents(Restarter.builder().build().restart(c))).isEqualTo(last);
        assertThat(Restarter.builder().build().parentImage(c).hasDigests()).isTrue();
    }

    @Test
    void helpListsMerge() {
        assertThat(Cli.run("--help").out()).contains("merge");
        assertThat(Cli.run("merge", "--help").out()).contains("Usage: ckpt merge --output FILE [OPTIONS] IMAGE...");
        Cli.Result none = Cli.run("merge", "-o", dir.resolve("x").toString());
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("missing IMAGE");
    }
}
