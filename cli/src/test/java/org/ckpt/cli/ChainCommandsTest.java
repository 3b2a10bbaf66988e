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
import org.ckpt.testkit.image.TestKeys;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code show}, {@code verify}, {@code diff}, {@code restart} and {@code merge} on a chain of images,
 * also sealed and encrypted ones (docs/FORMAT.md §17.7).
 */
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

    /** A chain like {@link #chain()}'s in a directory of its own, each image written with {@code keys} applied. */
    private Path[] protectedChain(String name, java.util.function.UnaryOperator<Checkpointer.Builder> keys)
            throws Exception {
        Path d = Files.createDirectory(dir.resolve(name));
        byte[] mem = new byte[64 * PS];
        for (int p = 0; p < 64; p += 2) {
            mem[p * PS + 3] = (byte) (p + 1);
        }
        Path[] files = {d.resolve("a.ckpt"), d.resolve("b.ckpt"), d.resolve("c.ckpt")};
        CheckpointResult r0 = keys.apply(builder()).build().checkpoint(task(mem), files[0]);
        mem[10 * PS + 7] = 9;
        CheckpointResult r1 = keys.apply(builder().parent(r0.asParent())).build().checkpoint(task(mem), files[1]);
        mem[40 * PS + 1] = 2;
        keys.apply(builder().parent(r1.asParent())).build().checkpoint(task(mem), files[2]);
        return files;
    }

    @Test
    void aSealedChainVerifiesWithTheTrustedKeyAndOnlyIfEveryImageIsSealedByOne() throws Exception {
        Path hmac = TestKeys.copyTo("test-hmac.key", dir);
        Path otherHmac = TestKeys.copyTo("other-hmac.key", dir);
        Path edPublic = TestKeys.copyTo("test-ed25519.pub.pem", dir);
        String trust = TestKeys.TEST_ID + "=" + hmac;
        Path[] chain = protectedChain("sealed", b -> b.seal(TestKeys.TEST_ID, TestKeys.hmac()));
        Path tip = chain[2];

        Cli.Result v = Cli.run("verify", "--trust-key", trust, tip.toString());
        assertThat(v.exit()).as(v.err()).isZero();
        assertThat(v.out()).contains("valid test64 incremental image", "a chain of 3 images, depth 2",
                "sealed (HMAC-SHA-256) by key id " + TestKeys.TEST_ID + ", seal verified",
                "every image of the chain is sealed by a trusted key: 3 seals verified");
        // without --trust-key the seals are read, not verified
        Cli.Result unverified = Cli.run("verify", tip.toString());
        assertThat(unverified.exit()).as(unverified.err()).isZero();
        assertThat(unverified.out()).contains("seal not verified (no --trust-key)").doesNotContain("seals verified");
        // a key of another id, or another key under the trusted id: refused
        assertThat(Cli.run("verify", "--trust-key", edPublic.toString(), tip.toString()).exit()).isEqualTo(1);
        assertThat(Cli.run("verify", "--trust-key", TestKeys.TEST_ID + "=" + otherHmac, tip.toString()).exit())
                .isEqualTo(1);

        // the parents elsewhere, found with --parents: opened with the same trust
        Path other = Files.createDirectory(dir.resolve("sealed-parents"));
        Files.move(chain[0], other.resolve("a.ckpt"));
        Files.move(chain[1], other.resolve("b.ckpt"));
        Cli.Result elsewhere = Cli.run("verify", tip.toString(), "--parents", other.toString(), "--trust-key", trust);
        assertThat(elsewhere.exit()).as(elsewhere.err()).isZero();
        assertThat(elsewhere.out()).contains("3 seals verified", other.resolve("a.ckpt").toString());
        Cli.Result show = Cli.run("show", tip.toString(), "--parents", other.toString(), "--trust-key", trust);
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out()).contains("seal verified", "a chain of 3 images", "3 seals verified");
        Cli.Result restart = Cli.run("restart", tip.toString(), "--parents", other.toString(), "--trust-key", trust);
        assertThat(restart.exit()).as(restart.err()).isZero();
        Cli.Result diff = Cli.run("diff", other.resolve("a.ckpt").toString(), tip.toString(), "--parents",
                other.toString(), "--trust-key", trust);
        assertThat(diff.exit()).as(diff.err()).isZero();
        assertThat(diff.out()).contains("B is an incremental image on A (its ancestor, 2 links up");

        // one unsealed parent refuses the chain to a host that trusts keys, naming the image
        byte[] unsealed = Files.readAllBytes(b);
        Path mixed = Files.createDirectory(dir.resolve("mixed"));
        Files.write(mixed.resolve("b.ckpt"), unsealed);
        Files.copy(a, mixed.resolve("a.ckpt"));
        Path child = mixed.resolve("c.ckpt");
        builder().parent(rb.asParent()).seal(TestKeys.TEST_ID, TestKeys.hmac()).build().checkpoint(task(last), child);
        assertThat(Cli.run("verify", child.toString()).exit()).isZero();
        Cli.Result refused = Cli.run("verify", "--trust-key", trust, child.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("chain image 0x" + Long.toHexString(ra.checkpointId()), "not sealed");

        // merged: read with the trust, the result sealed only with --seal-key
        Path merged = dir.resolve("sealed-merged.ckpt");
        Cli.Result m = Cli.run("merge", tip.toString(), "--parents", other.toString(), "--trust-key", trust,
                "-o", merged.toString(), "--seal-key", trust);
        assertThat(m.exit()).as(m.err()).isZero();
        assertThat(m.err()).doesNotContain("warning");
        Cli.Result mv = Cli.run("verify", "--trust-key", trust, merged.toString());
        assertThat(mv.exit()).as(mv.err()).isZero();
        assertThat(mv.out()).contains("seal verified").doesNotContain("incremental");
        Cli.Result plainMerge = Cli.run("merge", tip.toString(), "--parents", other.toString(), "-o",
                dir.resolve("plain-merged.ckpt").toString());
        assertThat(plainMerge.exit()).as(plainMerge.err()).isZero();
        assertThat(plainMerge.err()).contains("warning: the chain is sealed");
        assertThat(Cli.run("merge", tip.toString(), "--parents", other.toString(), "--trust-key",
                edPublic.toString(), "-o", dir.resolve("x.ckpt").toString()).exit()).isEqualTo(1);
    }

    @Test
    void anEncryptedChainIsReadWithItsKeysAndMergedInAnyOrder() throws Exception {
        Path aes = TestKeys.copyTo("test-aes.key", dir);
        Path otherAes = TestKeys.copyTo("other-aes.key", dir);
        Path hmac = TestKeys.copyTo("test-hmac.key", dir);
        String key = TestKeys.TEST_ID + "=" + aes;
        String trust = TestKeys.TEST_ID + "=" + hmac;
        Path[] chain = protectedChain("encrypted",
                b -> b.seal(TestKeys.TEST_ID, TestKeys.hmac()).encrypt(TestKeys.TEST_ID, TestKeys.aes()));
        Path tip = chain[2];

        Cli.Result v = Cli.run("verify", "--decrypt-key", key, "--trust-key", trust, tip.toString());
        assertThat(v.exit()).as(v.err()).isZero();
        assertThat(v.out()).contains("valid test64 incremental image", "a chain of 3 images",
                "encrypted (AES-256-GCM) under key id " + TestKeys.TEST_ID, "3 seals verified");
        // without the key, what needs none is checked, and the output says so
        Cli.Result noKey = Cli.run("verify", tip.toString());
        assertThat(noKey.exit()).as(noKey.err()).isZero();
        assertThat(noKey.out()).contains("framing, checksums and tail valid", "contents not read");
        // the newest image's key, but a parent encrypted under another: the chain fails, naming the link
        Path d = Files.createDirectory(dir.resolve("other-key"));
        CheckpointResult r0 = builder().encrypt(TestKeys.TEST_ID, TestKeys.otherAes()).build()
                .checkpoint(task(last), d.resolve("a.ckpt"));
        Path child = d.resolve("b.ckpt");
        builder().parent(r0.asParent()).encrypt(TestKeys.OTHER_ID, TestKeys.aes()).build().checkpoint(task(last),
                child);
        Cli.Result parentKey = Cli.run("verify", "--decrypt-key", TestKeys.OTHER_ID + "=" + aes, child.toString());
        assertThat(parentKey.exit()).isEqualTo(1);
        assertThat(parentKey.err()).contains("chain link");
        Cli.Result both = Cli.run("show", "--decrypt-key", TestKeys.OTHER_ID + "=" + aes + "," + TestKeys.TEST_ID
                + "=" + otherAes, child.toString());
        assertThat(both.exit()).as(both.err()).isZero();
        assertThat(both.out()).contains("a chain of 2 images");

        // merged from the images named in any order (their links are encrypted), re-encrypted
        Path merged = dir.resolve("encrypted-merged.ckpt");
        Cli.Result m = Cli.run("merge", chain[1].toString(), tip.toString(), chain[0].toString(), "--decrypt-key",
                key, "-o", merged.toString(), "--encrypt-key", key, "--json");
        assertThat(m.exit()).as(m.err()).isZero();
        JsonNode j = JSON.readTree(m.out());
        assertThat(j.get("image").asText()).isEqualTo(tip.toString());
        assertThat(j.get("encryption_key_id").asText()).isEqualTo(TestKeys.TEST_ID);
        assertThat(m.err()).contains("warning: the chain is sealed").doesNotContain("the chain is encrypted");
        RestartResult full = Restarter.builder().decryptionKey(TestKeys.TEST_ID, TestKeys.aes()).build()
                .restart(merged);
        RestartResult viaChain = Restarter.builder().decryptionKey(TestKeys.TEST_ID, TestKeys.aes()).build()
                .restart(tip);
        assertThat(contents(full)).isEqualTo(contents(viaChain));
        Cli.Result noMergeKey = Cli.run("merge", chain[1].toString(), tip.toString(), chain[0].toString(), "-o",
                dir.resolve("y.ckpt").toString());
        assertThat(noMergeKey.exit()).isEqualTo(1);
        assertThat(dir.resolve("y.ckpt")).doesNotExist();
        Cli.Result clear = Cli.run("merge", tip.toString(), "--decrypt-key", key, "-o",
                dir.resolve("clear.ckpt").toString());
        assertThat(clear.exit()).as(clear.err()).isZero();
        assertThat(clear.err()).contains("warning: the chain is encrypted");
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
