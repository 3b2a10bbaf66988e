package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The command line's rough edges of finding 9, one by one. */
@EnabledOnOs(OS.LINUX)
class CommandLineTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path smallImage() throws Exception {
        Path p = dir.resolve("small.ckpt");
        Cli.write(p, "test64", List.of(ImageCommandsTest.smallTask(7)));
        return p;
    }

    /** {@code ckpt args} in a process of its own, {@code stdin} as its input; stdout kept as bytes. */
    private Process ckpt(Path stdin, Path stdout, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder b = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(dir.resolve("err.txt").toFile());
        b.redirectInput(stdin != null ? ProcessBuilder.Redirect.from(stdin.toFile()) : ProcessBuilder.Redirect.PIPE);
        b.redirectOutput(stdout != null ? ProcessBuilder.Redirect.to(stdout.toFile()) : ProcessBuilder.Redirect.PIPE);
        Process p = b.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p;
    }

    @Test
    void bareCkptIsAUsageErrorWithTheCommandList() {
        Cli.Result r = Cli.run();
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Usage: ckpt COMMAND", "dump", "export-core", "no command given");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void aMissingRequiredOptionIsAUsageErrorNamingIt() {
        String[][] cases = {
            {"--pid", "dump", "-o", "x.ckpt"},
            {"-o/--output", "dump", "--pid", "1"},
            {"-o/--output", "merge", "a.ckpt"},
            {"-o/--output", "export-core", "a.ckpt"},
            {"-o/--output", "import-core", "core"},
        };
        for (String[] c : cases) {
            Cli.Result r = Cli.run(java.util.Arrays.copyOfRange(c, 1, c.length));
            assertThat(r.exit()).as(String.join(" ", c)).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", c)).contains("missing required option " + c[0] + " (see 'ckpt "
                    + c[1] + " --help')");
        }
    }

    @Test
    void imagesAreReadInOnePassFromFifosStdinAndDevStdin() throws Exception {
        Path image = smallImage();
        byte[] bytes = Files.readAllBytes(image);
        // '-' in-process
        Cli.Result dash = Cli.runWithInput(bytes, "show", "-");
        assertThat(dash.exit()).as(dash.err()).isZero();
        assertThat(dash.out()).contains("process 42 (cat)");
        assertThat(Cli.runWithInput(bytes, "verify", "-").exit()).isZero();
        // a FIFO with a writer
        Path fifo = dir.resolve("image.fifo");
        Linux.mkfifo(fifo.toString(), 0600);
        Thread writer = new Thread(() -> {
            try {
                Files.write(fifo, bytes);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        writer.start();
        Cli.Result f = Cli.run("show", fifo.toString());
        writer.join(10_000);
        assertThat(f.exit()).as(f.err()).isZero();
        assertThat(f.out()).contains("process 42 (cat)");
        // /dev/stdin of a real process is a non-seekable file
        Process v = ckpt(image, null, "verify", "/dev/stdin");
        String out = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(v.exitValue()).as(Files.readString(dir.resolve("err.txt"))).isZero();
        assertThat(out).contains("/dev/stdin: valid test64 image");
        Process pipe = new ProcessBuilder("sh", "-c", "cat '" + image + "' | \"$0\" -cp \"$1\" " + Main.class.getName()
                + " stat -", ProcessHandle.current().info().command().orElseThrow(), System.getProperty("java.class.path"))
                .redirectErrorStream(true).start();
        String stat = new String(pipe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(pipe.waitFor()).as(stat).isZero();
        assertThat(stat).contains("-: ", "PAGES");
    }

    @Test
    void dashAsOutputIsStandardOutputNotAFileNamedDash() throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            Path captured = dir.resolve("captured.ckpt");
            Process d = ckpt(null, captured, "dump", "--pid", Integer.toString(p.pid), "-o", "-");
            String err = Files.readString(dir.resolve("err.txt"));
            assertThat(d.exitValue()).as(err).isZero();
            assertThat(err).as("the summary goes to stderr").contains("dumped pid " + p.pid + " (sleep) to -");
            assertThat(dir.resolve("-")).doesNotExist();
            assertThat(Cli.run("verify", captured.toString()).exit()).isZero();

            Path core = dir.resolve("captured.core");
            Process e = ckpt(captured, core, "export-core", "-", "-o", "-");
            assertThat(e.exitValue()).as(Files.readString(dir.resolve("err.txt"))).isZero();
            assertThat(Files.readAllBytes(core)).startsWith(0x7F, 'E', 'L', 'F');
            assertThat(dir.resolve("-")).doesNotExist();
        }
    }

    @Test
    void diffNamesTheInvalidImage() throws Exception {
        Path good = smallImage();
        Path bad = dir.resolve("bad.ckpt");
        byte[] b = Files.readAllBytes(good);
        b[b.length - 3] ^= 1;
        Files.write(bad, b);
        Cli.Result r = Cli.run("diff", good.toString(), bad.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("ckpt diff: B (" + bad + ") is an invalid image: ");
        Cli.Result r2 = Cli.run("diff", dir.resolve("missing.ckpt").toString(), good.toString());
        assertThat(r2.exit()).isEqualTo(2);
        assertThat(r2.err()).contains("A: no such file: " + dir.resolve("missing.ckpt"));
    }

    @Test
    void aDumpWithoutPtracePermissionSaysWhichPermissionIsMissing() throws Exception {
        Assumptions.assumeTrue(Linux.geteuid() == 0, "needs root to run ckpt as another user");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        try (Procs.Proc p = Procs.sleep(dir)) {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            List<String> cmd = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups", ProcessHandle.current().info().command().orElseThrow(), "-cp",
                    readableClassPath(), Main.class.getName(), "dump", "--pid",
                    Integer.toString(p.pid), "-o", dir.resolve("x.ckpt").toString()));
            Process d = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(d.waitFor()).as(out).isEqualTo(2);
            assertThat(out).contains("no permission to trace process " + p.pid, "PTRACE_MODE_ATTACH",
                    "CAP_SYS_PTRACE");
        }
    }

    /**
     * The test class path copied here, readable by another user: the local Maven repository and
     * the build's own class directories may not be (a checkout under a 0700 directory).
     */
    private String readableClassPath() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path copies = dir.resolve("cp");
        Files.createDirectories(copies);
        List<String> out = new ArrayList<>();
        int i = 0;
        for (String e : cp.split(java.io.File.pathSeparator)) {
            Path p = Path.of(e);
            if (Files.isRegularFile(p)) {
                Path c = copies.resolve((i++) + "-" + p.getFileName());
                Files.copy(p, c);
                Files.setPosixFilePermissions(c, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                out.add(c.toString());
            } else if (Files.isDirectory(p)) {
                Path c = copies.resolve((i++) + "-" + p.getFileName());
                try (var tree = Files.walk(p)) {
                    for (Path f : (Iterable<Path>) tree::iterator) {
                        Path t = c.resolve(p.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(t);
                            Files.setPosixFilePermissions(t,
                                    java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
                        } else {
                            Files.copy(f, t);
                            Files.setPosixFilePermissions(t,
                                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                        }
                    }
                }
                out.add(c.toString());
            } else {
                out.add(e);
            }
        }
        Files.setPosixFilePermissions(copies, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return String.join(java.io.File.pathSeparator, out);
    }

    @Test
    void showOfASimpleProcessIsASummaryAndJsonHasNumbersAndMilliseconds() throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            Path image = dir.resolve("sleep.ckpt");
            Cli.Result d = Cli.run("dump", "--pid", Integer.toString(p.pid), "-o", image.toString(), "--json");
            assertThat(d.exit()).as(d.err()).isZero();
            JsonNode summary = JSON.readTree(d.out());
            assertThat(summary.get("pages_written").isNumber()).isTrue();
            assertThat(summary.get("frozen_ms").isNumber()).isTrue();
            assertThat(summary.get("registers").asBoolean()).isTrue();

            Cli.Result s = Cli.run("show", image.toString());
            assertThat(s.exit()).isZero();
            assertThat(s.out().lines().count()).as(s.out()).isLessThan(25);
            assertThat(s.out()).contains("process " + p.pid + " (sleep)", "thread " + p.pid, "x86_64 registers",
                    "recorded, not restorable", "--all");
            assertThat(Cli.run("show", "--all", image.toString()).out().lines().count()).isGreaterThan(100);

            JsonNode tree = JSON.readTree(Cli.run("show", "--json", image.toString()).out());
            assertThat(tree.get("head").get("created").asText()).as("an ISO-8601 instant")
                    .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d.*Z");
            JsonNode task = tree.get("tasks").get(0);
            for (String counter : List.of("pid", "utime", "stime", "nvcsw", "nivcsw", "min_flt", "maj_flt",
                    "start_time_ms", "exit_code")) {
                assertThat(task.get(counter).isNumber()).as(counter).isTrue();
            }
            JsonNode stat = JSON.readTree(Cli.run("stat", "--json", image.toString()).out());
            assertThat(stat.get("read_ms").isNumber()).isTrue();
            assertThat(stat.get("bytes").isNumber()).isTrue();
        }
    }

    @Test
    void checkAgainstAPidThatIsNotInTheImageIsRefused() throws Exception {
        try (Procs.Proc p = Procs.sleep(dir)) {
            Cli.Result r = Cli.run("restart", smallImage().toString(), "--check-against-pid", Integer.toString(p.pid));
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.err()).contains("pid " + p.pid + " is not a process of ", "[42]", "nothing to compare");
        }
    }

    @Test
    void restartHelpSaysWhatLeaveRunningMeans() {
        Cli.Result r = Cli.run("restart", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("kept running while it was read, so its pages can differ",
                "It does not recreate a Linux process");
        assertThat(r.out()).doesNotContain("dumped with --leave-running (or stopped) that has not run since");
    }
}
