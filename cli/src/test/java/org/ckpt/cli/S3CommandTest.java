package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.ckpt.store.s3.S3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The command on images in object storage: {@code ckpt dump -o s3://...} of live processes,
 * then {@code verify}, {@code show}, {@code stat}, {@code diff} and {@code restart} of the
 * {@code s3://} URI, plain and chunked, against a real S3 server in this JVM (S3Proxy on
 * 127.0.0.1), named with {@code --endpoint}; credentials the SDK's way, here its
 * {@code aws.accessKeyId}/{@code aws.secretAccessKey} system properties. What fails leaves nothing
 * under the key and a previous image there as it was.
 */
@EnabledOnOs(OS.LINUX)
class S3CommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "images";

    static S3Server server;
    static S3Client client;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        server = S3Server.start();
        server.createBucket(BUCKET);
        client = server.client();
        System.setProperty("aws.accessKeyId", S3Server.ACCESS);
        System.setProperty("aws.secretAccessKey", S3Server.SECRET);
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        client.close();
        server.close();
    }

    @AfterEach
    void clearHooks() {
        DumpCommand.beforeWriteHook = null;
    }

    /** {@code ckpt args... --endpoint URL}. */
    private static Cli.Result s3(String... args) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        a.add("--endpoint");
        a.add(server.endpoint.toString());
        return Cli.run(a.toArray(String[]::new));
    }

    private static byte[] object(String key) {
        ResponseBytes<GetObjectResponse> b = client.getObjectAsBytes(r -> r.bucket(BUCKET).key(key));
        return b.asByteArray();
    }

    private static List<String> keys(String prefix) {
        return client.listObjectsV2Paginator(r -> r.bucket(BUCKET).prefix(prefix)).contents().stream()
                .map(S3Object::key).toList();
    }

    private static long bytes(String prefix) {
        return client.listObjectsV2Paginator(r -> r.bucket(BUCKET).prefix(prefix)).contents().stream()
                .mapToLong(S3Object::size).sum();
    }

    private static int pendingUploads() {
        return client.listMultipartUploads(r -> r.bucket(BUCKET)).uploads().size();
    }

    @Test
    void dumpToS3ThenVerifyShowStatDiffAndRestartIt() throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            String uri = "s3://" + BUCKET + "/app/1.ckpt";
            String pid = Integer.toString(p.pid);
            // stopped, so that its memory stays as dumped for restart --check-against-pid (README)
            Procs.kill(p.pid, Procs.SIGSTOP);
            Procs.awaitState(p.pid, "T");
            Cli.Result d = s3("dump", "--pid", pid, "-o", uri, "--json");
            assertThat(d.exit()).as(d.err()).isZero();
            JsonNode j = JSON.readTree(d.out());
            assertThat(j.get("output").asText()).isEqualTo(uri);
            // committed after the second freeze's check (without soft-dirty tracking: after the staged write)
            assertThat(j.get("method").asText()).isEqualTo(SoftDirty.works() ? "two_freezes" : "one_freeze_staged");
            assertThat(object("app/1.ckpt")).hasSize(j.get("image_bytes").asInt());

            Cli.Result v = s3("verify", uri);
            assertThat(v.exit()).as(v.err()).isZero();
            assertThat(v.out()).startsWith(uri + ": valid ");
            Cli.Result show = s3("show", uri);
            assertThat(show.exit()).as(show.err()).isZero();
            assertThat(show.out()).startsWith(uri + ": ").contains("process " + pid + " (sleep)");
            Cli.Result stat = s3("stat", uri, "--json");
            assertThat(stat.exit()).as(stat.err()).isZero();
            Cli.Result restart = s3("restart", uri, "--check-against-pid", pid);
            assertThat(restart.exit()).as(restart.out() + restart.err()).isZero();
            assertThat(restart.out()).startsWith("restarted " + uri);

            // the same process, unchanged, dumped to a file: no differences but the dump's own
            Path local = dir.resolve("1.ckpt");
            assertThat(Cli.run("dump", "--pid", pid, "-o", local.toString(), "--quiet").exit()).isZero();
            Cli.Result diff = s3("diff", uri, local.toString(), "--json");
            assertThat(diff.exit()).as(diff.err()).isZero();
            assertThat(JSON.readTree(diff.out()).get("a").asText()).isEqualTo(uri);

            // the bytes under the key are an image like any other: from standard input too
            Cli.Result stdin = Cli.runWithInput(object("app/1.ckpt"), "verify", "-");
            assertThat(stdin.exit()).as(stdin.err()).isZero();
        }
        assertThat(pendingUploads()).isZero();
    }

    @Test
    void chunkedDumpsStoreEachPageOnce() throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            String pid = Integer.toString(p.pid);
            Cli.Result first = s3("dump", "--pid", pid, "-o", "s3://" + BUCKET + "/chunked/1.ckpt", "--chunked", "--json");
            assertThat(first.exit()).as(first.err()).isZero();
            long imageBytes = JSON.readTree(first.out()).get("image_bytes").asLong();
            long packs = bytes("ckpt-chunks/packs/");
            assertThat(packs).as("page chunks").isPositive();
            assertThat((long) object("chunked/1.ckpt").length).as("the key holds a manifest, not the pages")
                    .isLessThan(imageBytes);

            Cli.Result second = s3("dump", "--pid", pid, "-o", "s3://" + BUCKET + "/chunked/2.ckpt", "--chunked",
                    "--quiet");
            assertThat(second.exit()).as(second.err()).isZero();
            assertThat(bytes("ckpt-chunks/packs/") - packs).as("new chunks of an unchanged process")
                    .isLessThan(packs / 10);

            for (String key : List.of("chunked/1.ckpt", "chunked/2.ckpt")) {
                Cli.Result v = s3("verify", "s3://" + BUCKET + "/" + key);
                assertThat(v.exit()).as(v.err()).isZero();
                assertThat(v.out()).contains(": valid ");
            }
            Cli.Result show = s3("show", "s3://" + BUCKET + "/chunked/2.ckpt", "--json");
            assertThat(show.exit()).as(show.err()).isZero();
            assertThat(JSON.readTree(show.out()).get("tasks").get(0).get("pid").asInt()).isEqualTo(p.pid);

            // A damaged manifest is an invalid image (exit 1) like a damaged image, though the store
            // reads its header as it opens: an unknown major version, then unknown flags.
            byte[] manifest = object("chunked/1.ckpt");
            for (int at : new int[] {8, 12}) {
                byte[] bad = manifest.clone();
                bad[at] ^= 0x7F;
                client.putObject(r -> r.bucket(BUCKET).key("chunked/bad.ckpt"),
                        software.amazon.awssdk.core.sync.RequestBody.fromBytes(bad));
                Cli.Result v = s3("verify", "s3://" + BUCKET + "/chunked/bad.ckpt");
                assertThat(v.exit()).as(v.err()).isEqualTo(1);
                assertThat(v.err()).startsWith("ckpt verify: invalid image: s3://" + BUCKET + "/chunked/bad.ckpt: ")
                        .contains(at == 8 ? "major version" : "flags").hasLineCount(1);
            }
        }
        assertThat(pendingUploads()).isZero();
    }

    @Test
    void aMissingImageBucketOrStoreIsExitTwoNamingTheObject() throws Exception {
        Cli.Result none = s3("verify", "s3://" + BUCKET + "/no/such.ckpt");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).isEqualTo("ckpt verify: no such image: s3://" + BUCKET + "/no/such.ckpt\n");

        Cli.Result bucket = s3("show", "s3://no-such-bucket/a.ckpt");
        assertThat(bucket.exit()).isEqualTo(2);
        assertThat(bucket.err()).contains("s3://no-such-bucket/a.ckpt").hasLineCount(1);

        Cli.Result store = s3("stat", "s3://" + BUCKET + "/");
        assertThat(store.exit()).isEqualTo(2);
        assertThat(store.err()).contains("s3://" + BUCKET + "/ names a store, not an image").hasLineCount(1);

        Cli.Result scheme = Cli.run("verify", "gs://bucket/a.ckpt");
        assertThat(scheme.exit()).isEqualTo(2);
        assertThat(scheme.err()).contains("no image store for 'gs:' URIs").hasLineCount(1);

        Cli.Result endpoint = Cli.run("verify", "s3://" + BUCKET + "/a.ckpt", "--endpoint", "127.0.0.1:9000");
        assertThat(endpoint.exit()).isEqualTo(2);
        assertThat(endpoint.err()).contains("invalid value for option --endpoint: '127.0.0.1:9000'").hasLineCount(1);

        Cli.Result profile = s3("verify", "s3://" + BUCKET + "/a.ckpt", "--profile", "ckpt-no-such-profile");
        assertThat(profile.exit()).isEqualTo(2);
        assertThat(profile.err()).contains("s3://" + BUCKET + "/a.ckpt", "ckpt-no-such-profile").hasLineCount(1);

        Cli.Result chunkedFile = Cli.run("dump", "--pid", "1", "-o", dir.resolve("x.ckpt").toString(), "--chunked");
        assertThat(chunkedFile.exit()).isEqualTo(2);
        assertThat(chunkedFile.err()).contains("--chunked is for images in object storage");

        // a dump refuses a bucket it cannot write before it freezes anything
        try (Procs.Proc p = Procs.sleep(dir)) {
            Cli.Result dump = s3("dump", "--pid", Integer.toString(p.pid), "-o", "s3://no-such-bucket/a.ckpt");
            assertThat(dump.exit()).isEqualTo(2);
            assertThat(dump.err()).startsWith("ckpt dump: cannot write s3://no-such-bucket/a.ckpt: ")
                    .contains("NoSuchBucket").hasLineCount(1);
            assertThat(Procs.tracerPid(p.pid)).isEqualTo("0");
        }
    }

    @Test
    void aDumpThatFailsLeavesNothingUnderTheKeyAndThePreviousImageAsItWas() throws Exception {
        try (Child c = Child.start(dir, 4)) {
            String uri = "s3://" + BUCKET + "/failing/keep.ckpt";
            Cli.Result first = s3("dump", "--pid", Long.toString(c.pid), "-o", uri, "--quiet");
            assertThat(first.exit()).as(first.err()).isZero();
            byte[] before = object("failing/keep.ckpt");
            assertThat(before.length).as("an image of several parts").isGreaterThan(10 << 20);

            // a page the page table listed is unmapped before the checkpoint reads it
            DumpCommand.beforeWriteHook = () -> {
                try {
                    c.unmap();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            Cli.Result r = s3("dump", "--pid", Long.toString(c.pid), "-o", uri, "--leave-running");
            assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
            assertThat(r.err()).contains("could not be read", "no image written", uri + " keeps its previous contents");
            assertThat(object("failing/keep.ckpt")).as("the previous image").isEqualTo(before);
            assertThat(keys("failing/")).containsExactly("failing/keep.ckpt");
            assertThat(pendingUploads()).as("the multipart upload was aborted").isZero();
        }
        // chunked (a child of its own: the first one's buffer is gone): the packs of the aborted upload
        // are deleted with it
        try (Child c = Child.start(Files.createDirectories(dir.resolve("chunked")), 4)) {
            String uri = "s3://" + BUCKET + "/failing/keep.ckpt";
            byte[] before = object("failing/keep.ckpt");
            DumpCommand.beforeWriteHook = () -> {
                try {
                    c.unmap();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            List<String> packs = keys("ckpt-chunks/");
            Cli.Result chunked = s3("dump", "--pid", Long.toString(c.pid), "-o", uri, "--leave-running", "--chunked");
            assertThat(chunked.exit()).as(chunked.out() + chunked.err()).isEqualTo(1);
            assertThat(chunked.err()).contains("could not be read", uri + " keeps its previous contents");
            assertThat(object("failing/keep.ckpt")).as("the previous image").isEqualTo(before);
            assertThat(keys("failing/")).containsExactly("failing/keep.ckpt");
            assertThat(keys("ckpt-chunks/")).as("no pack of the aborted upload").isEqualTo(packs);
            assertThat(pendingUploads()).isZero();
        }
    }

    @Test
    void aSignalDuringTheUploadReleasesTheProcessAndCommitsNothing() throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            String uri = "s3://" + BUCKET + "/signal/keep.ckpt";
            Cli.Result first = s3("dump", "--pid", Integer.toString(p.pid), "-o", uri, "--quiet");
            assertThat(first.exit()).as(first.err()).isZero();
            byte[] before = object("signal/keep.ckpt");

            // in a process of its own (signals are per process), frozen until written (--staging 0),
            // the write held at its first page until the signal comes
            String java = ProcessHandle.current().info().command().orElseThrow();
            Process ckpt = new ProcessBuilder(List.of(java, "-Dckpt.test.stallWrite=true",
                    "-Daws.accessKeyId=" + S3Server.ACCESS, "-Daws.secretAccessKey=" + S3Server.SECRET,
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "dump", "--pid",
                    Integer.toString(p.pid), "-o", uri, "--staging", "0", "--endpoint", server.endpoint.toString()))
                    .redirectOutput(dir.resolve("ckpt.out").toFile()).redirectError(dir.resolve("ckpt.err").toFile())
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ("0".equals(Procs.tracerPid(p.pid))) {
                assertThat(ckpt.isAlive()).as("ckpt is dumping").isTrue();
                assertThat(System.nanoTime()).as("frozen").isLessThan(deadline);
                Thread.sleep(5);
            }
            Thread.sleep(500);
            Procs.kill((int) ckpt.pid(), Procs.SIGTERM);
            assertThat(ckpt.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String err = Files.readString(dir.resolve("ckpt.err"), StandardCharsets.UTF_8);
            assertThat(ckpt.exitValue()).as(err).isEqualTo(128 + Procs.SIGTERM);
            assertThat(err).contains("interrupted by SIGTERM", "the process was released", "no image was written",
                    uri + " keeps its previous contents");
            assertThat(Procs.tracerPid(p.pid)).as("released").isEqualTo("0");
            assertThat(Procs.state(p.pid)).isNotIn('T', 't');
            assertThat(object("signal/keep.ckpt")).as("the previous image").isEqualTo(before);
            assertThat(keys("signal/")).containsExactly("signal/keep.ckpt");
            assertThat(pendingUploads()).isZero();
        }
    }

    @Test
    void importCoreIntoS3AndExportCoreFromIt() throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            Path image = dir.resolve("sleep.ckpt");
            assertThat(Cli.run("dump", "--pid", Integer.toString(p.pid), "-o", image.toString(), "--quiet").exit())
                    .isZero();
            Path core = dir.resolve("sleep.core");
            Cli.Result e = Cli.run("export-core", image.toString(), "-o", core.toString());
            assertThat(e.exit()).as(e.err()).isZero();

            for (String key : List.of("cores/plain.ckpt", "cores/chunked.ckpt")) {
                String uri = "s3://" + BUCKET + "/" + key;
                List<String> args = new ArrayList<>(List.of("import-core", core.toString(), "-o", uri));
                if (key.contains("chunked")) {
                    args.add("--chunked");
                }
                Cli.Result i = s3(args.toArray(String[]::new));
                assertThat(i.exit()).as(i.err()).isZero();
                assertThat(i.out()).startsWith("imported " + core + " (x86_64 core").contains("into " + uri + ": ");
                Cli.Result v = s3("verify", uri);
                assertThat(v.exit()).as(v.err()).isZero();
                assertThat(v.out()).startsWith(uri + ": valid ");

                // and back: the core of the image in the bucket, like the core it was imported from
                Path again = dir.resolve("again.core");
                Cli.Result x = s3("export-core", uri, "-o", again.toString(), "--json");
                assertThat(x.exit()).as(x.err()).isZero();
                assertThat(Files.size(again)).isEqualTo(Files.size(core));
            }
            assertThat(bytes("ckpt-chunks/packs/")).as("page chunks of the chunked import").isPositive();

            Cli.Result bucket = s3("import-core", core.toString(), "-o", "s3://no-such-bucket/a.ckpt");
            assertThat(bucket.exit()).isEqualTo(2);
            assertThat(bucket.err()).startsWith("ckpt import-core: cannot write s3://no-such-bucket/a.ckpt: ")
                    .hasLineCount(1);
            Cli.Result chunkedFile = Cli.run("import-core", core.toString(), "-o", dir.resolve("x.ckpt").toString(),
                    "--chunked");
            assertThat(chunkedFile.exit()).isEqualTo(2);
            assertThat(chunkedFile.err()).contains("--chunked is for images in object storage");
            Cli.Result coreToS3 = s3("export-core", image.toString(), "-o", "s3://" + BUCKET + "/a.core");
            assertThat(coreToS3.exit()).isEqualTo(2);
            assertThat(coreToS3.err()).contains("a core is written to a file or '-'");
        }
        assertThat(pendingUploads()).isZero();
    }

    @Test
    void sealedAndEncryptedDumpsGoToS3AndVerifyFromIt() throws Exception {
        Path edPrivate = org.ckpt.testkit.image.TestKeys.copyTo("test-ed25519.pem", dir);
        Path edPublic = org.ckpt.testkit.image.TestKeys.copyTo("test-ed25519.pub.pem", dir);
        Path aes = org.ckpt.testkit.image.TestKeys.copyTo("test-aes.key", dir);
        String aesKey = org.ckpt.testkit.image.TestKeys.TEST_ID + "=" + aes;
        try (Procs.Proc p = Procs.sleep(dir)) {
            String uri = "s3://" + BUCKET + "/sealed/1.ckpt";
            Cli.Result d = s3("dump", "--pid", Integer.toString(p.pid), "-o", uri, "--seal-key", edPrivate.toString(),
                    "--encrypt-key", aesKey);
            assertThat(d.exit()).as(d.err()).isZero();
            assertThat(d.out()).startsWith("dumped pid " + p.pid + " (sleep) to " + uri + ": ");
            Cli.Result v = s3("verify", uri, "--trust-key", edPublic.toString(), "--decrypt-key", aesKey);
            assertThat(v.exit()).as(v.err()).isZero();
            assertThat(v.out()).contains("seal verified");
            Cli.Result noKey = s3("verify", uri, "--trust-key", edPublic.toString());
            assertThat(noKey.exit()).as(noKey.err()).isZero();
            assertThat(noKey.out()).contains("framing, checksums and tail valid");
            Cli.Result restart = s3("restart", uri, "--trust-key", edPublic.toString(), "--decrypt-key", aesKey);
            assertThat(restart.exit()).as(restart.err()).isZero();
        }
    }

    @Test
    void refusedCredentialsAreExitTwoAndADumpFreezesNothing() throws Exception {
        String uri = "s3://" + BUCKET + "/creds/1.ckpt";
        System.setProperty("aws.secretAccessKey", "not-the-secret");
        try (Procs.Proc p = Procs.sleep(dir)) {
            Cli.Result v = s3("verify", uri);
            assertThat(v.exit()).isEqualTo(2);
            assertThat(v.err()).startsWith("ckpt verify: ").contains(uri).hasLineCount(1);
            Cli.Result dump = s3("dump", "--pid", Integer.toString(p.pid), "-o", uri);
            assertThat(dump.exit()).isEqualTo(2);
            assertThat(dump.err()).startsWith("ckpt dump: cannot write " + uri + ": ").hasLineCount(1);
            assertThat(Procs.tracerPid(p.pid)).isEqualTo("0");
        } finally {
            System.setProperty("aws.secretAccessKey", S3Server.SECRET);
        }
        assertThat(keys("creds/")).isEmpty();
    }

    @Test
    void noCredentialsAnywhereIsExitTwoSayingSo() throws Exception {
        // in a process of its own: no AWS_* variables, a home without ~/.aws, no instance metadata
        Path home = Files.createDirectories(dir.resolve("home"));
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Daws.disableEc2Metadata=true",
                "-Duser.home=" + home, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "verify",
                "s3://" + BUCKET + "/app/1.ckpt", "--endpoint", server.endpoint.toString()))
                .redirectOutput(dir.resolve("ckpt.out").toFile()).redirectError(dir.resolve("ckpt.err").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
        pb.environment().put("HOME", home.toString());
        Process ckpt = pb.start();
        assertThat(ckpt.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String err = Files.readString(dir.resolve("ckpt.err"), StandardCharsets.UTF_8);
        assertThat(ckpt.exitValue()).as(err).isEqualTo(2);
        assertThat(err).startsWith("ckpt verify: s3://" + BUCKET + "/app/1.ckpt")
                .contains("no AWS credentials found", "AWS_ACCESS_KEY_ID").hasLineCount(1);
    }

    @Test
    void anIncrementalDumpGoesToS3OnALocalParentAndMergesBackIntoTheBucket() throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            String pid = Integer.toString(p.pid);
            Path parent = dir.resolve("parent.ckpt");
            assertThat(Cli.run("dump", "--pid", pid, "-o", parent.toString(), "--quiet").exit()).isZero();
            String child = "s3://" + BUCKET + "/chain/child.ckpt";
            Cli.Result d = s3("dump", "--pid", pid, "--parent", parent.toString(), "-o", child, "--json");
            assertThat(d.exit()).as(d.err()).isZero();
            assertThat(JSON.readTree(d.out()).get("output").asText()).isEqualTo(child);

            // its parent is looked for in --parents, not in the bucket
            Cli.Result alone = s3("verify", child);
            assertThat(alone.exit()).as(alone.out() + alone.err()).isEqualTo(1);
            assertThat(alone.err()).contains("was not found by the parent resolver").hasLineCount(1);
            Cli.Result v = s3("verify", child, "--parents", dir.toString());
            assertThat(v.exit()).as(v.err()).isZero();
            Cli.Result restart = s3("restart", child, "--parents", parent.toString());
            assertThat(restart.exit()).as(restart.err()).isZero();

            // merged into one full image, in the bucket again
            String merged = "s3://" + BUCKET + "/chain/merged.ckpt";
            Cli.Result m = s3("merge", child, "--parents", dir.toString(), "-o", merged, "--chunked");
            assertThat(m.exit()).as(m.err()).isZero();
            assertThat(m.out()).startsWith("merged a chain of 2 images").contains("into " + merged + ": ");
            Cli.Result vm = s3("verify", merged);
            assertThat(vm.exit()).as(vm.err()).isZero();

            Cli.Result s3Parent = s3("dump", "--pid", pid, "--parent", child, "-o", dir.resolve("x.ckpt").toString());
            assertThat(s3Parent.exit()).isEqualTo(2);
            assertThat(s3Parent.err()).contains("--parent must be an image file, not " + child).hasLineCount(1);
        }
        assertThat(pendingUploads()).isZero();
    }

    @Test
    void argumentsWithASchemeAreUrisAndTheRestPaths() {
        assertThat(Stores.isUri("s3://bucket/key")).isTrue();
        assertThat(Stores.isUri("S3://bucket/key")).isTrue();
        assertThat(Stores.isUri("file:///tmp/a.ckpt")).isTrue();
        assertThat(Stores.isUri("file:/tmp/a.ckpt")).isTrue();
        assertThat(Stores.isUri("my-store+v2://b/k")).isTrue();
        assertThat(Stores.isUri("a.ckpt")).isFalse();
        assertThat(Stores.isUri("/tmp/s3://x")).isFalse();
        assertThat(Stores.isUri("./s3://x")).isFalse();
        assertThat(Stores.isUri("image:1.ckpt")).as("a colon in a file name").isFalse();
        assertThat(Stores.isUri("x://k")).as("one letter: a drive, not a scheme").isFalse();
        assertThat(Stores.isUri("-")).isFalse();
        assertThat(Stores.isFileUri("file:///tmp/a.ckpt")).isTrue();
        assertThat(Stores.isFileUri("s3://b/k")).isFalse();
    }
}
