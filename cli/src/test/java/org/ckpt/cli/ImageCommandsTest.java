package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ckpt.CheckpointResult;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.CpuState;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.Generators;
import org.ckpt.testkit.arch.X86States;
import org.ckpt.testkit.image.ImageMutator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command in-process on images from the testkit generators: output, JSON and exit codes. */
class ImageCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static Path generated;
    static CheckpointResult generatedResult;
    static List<Task> generatedTasks;
    static Path small;
    static Path x86;
    static X86_64State x86State;

    @BeforeAll
    static void images() throws Exception {
        List<CpuState> cpus = new ArrayList<>();
        cpus.add(new TestCpu(0x401000, 0x7ff000, 1, 2, 3, 4, 0x1FF));
        cpus.add(null);
        cpus.add(new TestCpu(0x402000, 0x7fe000, 5, 6, 7, 8, 0x3));
        generatedTasks = Generators.build(7, 3, 5, cpus);
        generated = dir.resolve("generated.ckpt");
        generatedResult = Cli.write(generated, "test64", generatedTasks);
        small = dir.resolve("small.ckpt");
        Cli.write(small, "test64", List.of(smallTask(7)));
        x86State = X86States.x86_64().sample();
        x86 = dir.resolve("x86.ckpt");
        Cli.write(x86, "x86_64", List.of(smallTask(7).toBuilder().cpu(x86State).build()));
    }

    /** One task: an anonymous area with pages 0 and 2 non-zero (page 2 holds {@code marker}), two fds on one file. */
    static Task smallTask(int marker) {
        byte[] mem = new byte[4 * 4096];
        mem[5] = 1;
        mem[2 * 4096 + 9] = (byte) marker;
        GenericFile f = GenericFile.open(FileKind.REGULAR, "/etc/hosts", 0, 0100644, 12);
        Vma v = new Vma(0x400000, 0x404000, Vma.PROT_READ | Vma.PROT_WRITE, 0, 0, null, PageData.of(0x400000, mem));
        return Task.builder().pid(42).tgid(42).comm("cat").mm(AddressSpace.of(List.of(v)))
                .files(FileTable.of(new FileTable.Entry(0, f, false), new FileTable.Entry(3, f, true))).build();
    }

    private static Path corrupt(String name) throws Exception {
        byte[] img = Files.readAllBytes(small);
        int pages = ImageMutator.indexOf(img, 0x0031);
        long offset = org.ckpt.testkit.image.ImageRecords.parse(img).get(pages).offset();
        Path p = dir.resolve(name);
        Files.write(p, ImageMutator.flipBit(img, (offset + 40) * 8));
        return p;
    }

    // ---- verify ---------------------------------------------------------------

    @Test
    void verifyAcceptsAValidImage() {
        Cli.Result r = Cli.run("verify", generated.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("valid test64 image", "3 tasks", generatedResult.recordsWritten() + " records");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void verifyRejectsACorruptImageWithTheLibrarysMessageInOneLine() throws Exception {
        Path bad = corrupt("flipped.ckpt");
        Cli.Result r = Cli.run("verify", bad.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("ckpt verify: invalid image: ").contains("checksum", "[record PAGES, offset ");
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).doesNotContain("at org.ckpt");
    }

    @Test
    void debugAddsTheStackTrace() throws Exception {
        Path bad = corrupt("flipped2.ckpt");
        Cli.Result r = Cli.run("verify", "--debug", bad.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("ChecksumException", "at org.ckpt.");
    }

    @Test
    void truncatedImageIsInvalid() throws Exception {
        byte[] img = Files.readAllBytes(small);
        Path p = dir.resolve("truncated.ckpt");
        Files.write(p, ImageMutator.truncate(img, img.length - 5));
        Cli.Result r = Cli.run("verify", p.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("invalid image").contains("offset");
    }

    @Test
    void badArgumentsAndUnreadableFilesExitTwoInOneLine() throws Exception {
        for (String[] args : List.of(new String[] {"verify"}, new String[] {"verify", "--bogus", "x"},
                new String[] {"verify", dir.resolve("missing.ckpt").toString()},
                new String[] {"show", dir.toString()}, new String[] {"diff", small.toString()},
                new String[] {"nosuchcommand"}, new String[] {"dump", "--pid", "0", "-o", "x"},
                new String[] {"restart", small.toString(), "--check-against-pid", "notanumber"})) {
            Cli.Result r = Cli.run(args);
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().strip().lines()).as(String.join(" ", args)).hasSize(1);
            assertThat(r.out()).isEmpty();
        }
        assertThat(Cli.run("verify", dir.resolve("missing.ckpt").toString()).err()).contains("no such file");
    }

    @Test
    void helpAndVersionExitZero() {
        assertThat(Cli.run("--help").exit()).isZero();
        assertThat(Cli.run("show", "--help").out()).contains("--json");
        assertThat(Cli.run("--version").out()).contains("ckpt " + org.ckpt.Checkpointer.VERSION);
    }

    // ---- show -----------------------------------------------------------------

    @Test
    void showAllPrintsTheTreeWithObjrefsAndSharing() {
        Cli.Result r = Cli.run("show", "--all", small.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("architecture: test64", "objref: 1", "type: file", "path: /etc/hosts",
                "- files 3 fd 0", "- files 3 fd 3", "shared by: 2", "type: mm",
                "range: 0x400000-0x404000", "pages in image: 2",
                "0x400000-0x401000 (1 page)", "0x402000-0x403000 (1 page)",
                "CPU state: absent (not captured)");
    }

    @Test
    void showJsonIsTheSameTreeForScripts() throws Exception {
        Cli.Result r = Cli.run("show", "--json", generated.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode root = JSON.readTree(r.out());
        assertThat(root.get("head").get("architecture").asText()).isEqualTo("test64");
        assertThat(root.get("tail").get("records").asLong()).isEqualTo(generatedResult.recordsWritten());
        assertThat(root.get("tail").get("pages").asLong()).isEqualTo(generatedResult.pagesWritten());
        JsonNode tasks = root.get("tasks");
        assertThat(tasks).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(tasks.get(i).get("pid").asInt()).isEqualTo(generatedTasks.get(i).pid());
            assertThat(tasks.get(i).get("comm").asText()).isEqualTo(generatedTasks.get(i).comm());
        }
        // CPU state as written: the check phase would mask flags 0x1ff to 0xff
        assertThat(tasks.get(0).get("cpu_state").get("flags").asText()).isEqualTo("0x1ff");
        assertThat(tasks.get(0).get("cpu_state").get("ip").asText()).isEqualTo("0x401000");
        assertThat(tasks.get(1).get("cpu_state").asText()).isEqualTo("absent (not captured)");
        // each task's mm/files objref names an object of that type whose users include the task
        long pagesInObjects = 0;
        for (JsonNode t : tasks) {
            for (String field : List.of("mm", "files")) {
                if (t.get(field).isNull()) {
                    continue;
                }
                JsonNode obj = object(root, t.get(field).asLong());
                assertThat(obj.get("type").asText()).isEqualTo(field);
                assertThat(obj.get("used_by").toString()).contains("(pid " + t.get("pid").asInt() + ")");
            }
        }
        for (JsonNode o : root.get("objects")) {
            assertThat(o.get("shared_by").asInt()).isEqualTo(o.get("used_by").size());
            if (o.get("type").asText().equals("mm")) {
                pagesInObjects += o.get("pages_in_image").asLong();
            }
        }
        assertThat(pagesInObjects).isEqualTo(generatedResult.pagesWritten());
    }

    private static JsonNode object(JsonNode root, long objref) {
        for (JsonNode o : root.get("objects")) {
            if (o.get("objref").asLong() == objref) {
                return o;
            }
        }
        throw new AssertionError("no object " + objref);
    }

    @Test
    void showPrintsX86RegistersGenerically() throws Exception {
        Cli.Result r = Cli.run("show", "--all", x86.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("type: X86_64State", "rip: 0x" + Long.toHexString(x86State.regs().rip()),
                "mxcsr: 0x" + Integer.toHexString(x86State.fpu().mxcsr()), "dr7: 0x");
        JsonNode cpu = JSON.readTree(Cli.run("show", "--json", x86.toString()).out()).get("tasks").get(0).get("cpu_state");
        assertThat(cpu.get("architecture").asText()).isEqualTo("x86_64");
        assertThat(cpu.get("regs").get("rsp").asText()).isEqualTo("0x" + Long.toHexString(x86State.regs().rsp()));
        assertThat(cpu.get("fpu").get("xmm")).hasSize(16);
    }

    @Test
    void showRecordsListsWhatPrecedesTheFailure() throws Exception {
        Path bad = corrupt("flipped3.ckpt");
        Cli.Result r = Cli.run("show", "--records", "--json", bad.toString());
        assertThat(r.exit()).isEqualTo(1);
        JsonNode root = JSON.readTree(r.out());
        assertThat(root.get("valid").asBoolean()).isFalse();
        assertThat(root.get("error").asText()).contains("checksum");
        List<String> types = new ArrayList<>();
        root.get("records").forEach(n -> types.add(n.get("type").asText()));
        assertThat(types).containsExactly("HEAD", "ARCH_HEAD", "OBJECT", "VMA");
        Cli.Result ok = Cli.run("show", "--records", small.toString());
        assertThat(ok.exit()).isZero();
        assertThat(ok.out()).contains("PAGES", "TAIL", "valid image");
    }

    @Test
    void showOfAnInvalidImageExitsOne() throws Exception {
        Cli.Result r = Cli.run("show", corrupt("flipped4.ckpt").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
    }

    // ---- stat -----------------------------------------------------------------

    @Test
    void statCountsBytesByRecordTypeAndPages() throws Exception {
        Cli.Result r = Cli.run("stat", "--json", generated.toString());
        assertThat(r.exit()).isZero();
        JsonNode root = JSON.readTree(r.out());
        long sum = 0;
        for (JsonNode t : root.get("by_type")) {
            sum += t.get("bytes").asLong();
        }
        assertThat(sum).isEqualTo(Files.size(generated));
        assertThat(root.get("bytes").asLong()).isEqualTo(Files.size(generated));
        assertThat(root.get("pages_in_image").asLong()).isEqualTo(generatedResult.pagesWritten());
        assertThat(root.get("by_type").get("TASK").get("records").asInt()).isEqualTo(3);
        assertThat(root.get("by_type").get("0x01f0").get("records").asInt()).isEqualTo(2);
        assertThat(root.get("pages_mapped").asLong()).isEqualTo(root.get("pages_in_image").asLong()
                + root.get("pages_absent_anonymous").asLong() + root.get("pages_absent_file").asLong());
        assertThat(root.get("read_mib_per_second").asDouble()).isPositive();

        Cli.Result text = Cli.run("stat", small.toString());
        assertThat(text.exit()).isZero();
        assertThat(text.out()).contains("PAGES", "2 in the image", "of 4 mapped", "read and validated in");
    }

    // ---- diff -----------------------------------------------------------------

    @Test
    void diffOfAnImageWithItselfFindsNothing() {
        Cli.Result r = Cli.run("diff", generated.toString(), generated.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("no differences");
    }

    @Test
    void diffNamesChangedFieldsPagesAreasAndFiles() throws Exception {
        Task a = smallTask(7);
        byte[] mem = new byte[4 * 4096];
        mem[5] = 1;
        mem[2 * 4096 + 9] = 8;
        mem[3 * 4096] = 1;
        Vma changed = new Vma(0x400000, 0x404000, Vma.PROT_READ, 0, 0, null, PageData.of(0x400000, mem));
        Vma added = Vma.anonymous(0x500000, 0x501000, PageData.none());
        GenericFile f = GenericFile.open(FileKind.REGULAR, "/etc/hosts", 0, 0100644, 99);
        Task b = a.toBuilder().utime(5).mm(AddressSpace.of(List.of(changed, added)))
                .files(FileTable.of(new FileTable.Entry(0, f, false), new FileTable.Entry(4, f, false)))
                .cpu(null).build();
        Path pb = dir.resolve("b.ckpt");
        Cli.write(pb, "test64", List.of(b));
        Cli.Result r = Cli.run("diff", "--json", small.toString(), pb.toString());
        assertThat(r.exit()).isZero();
        JsonNode root = JSON.readTree(r.out());
        assertThat(root.get("identical").asBoolean()).isFalse();
        String all = root.get("differences").toString();
        assertThat(all).contains("\"where\":\"task pid 42 utime\",\"a\":0,\"b\":5");
        assertThat(all).contains("\"where\":\"vma 0x400000 prot\",\"a\":\"rw-\",\"b\":\"r--\"");
        assertThat(all).contains("vma 0x500000-0x501000", "added");
        assertThat(all).contains("\"where\":\"fd 0 position\",\"a\":12,\"b\":99");
        assertThat(all).contains("fd 3", "closed", "fd 4", "opened");
        JsonNode pages = null;
        for (JsonNode d : root.get("differences")) {
            if (d.get("where").asText().equals("vma 0x400000 pages")) {
                pages = d;
            }
        }
        assertThat(pages).isNotNull();
        assertThat(pages.get("changed").asInt()).isEqualTo(2);
        assertThat(pages.get("only_in_b").asInt()).isEqualTo(1);
        assertThat(pages.get("first").toString()).isEqualTo("[\"0x402000\",\"0x403000\"]");

        Cli.Result text = Cli.run("diff", small.toString(), pb.toString());
        assertThat(text.out()).contains("--- " + small, "+++ " + pb, "task pid 42 utime: 0 -> 5",
                "vma 0x400000 pages: 2 pages differ");
    }

    // ---- restart --------------------------------------------------------------

    @Test
    void restartPrintsWhatCameBack() {
        Cli.Result r = Cli.run("restart", generated.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("restarted", "3 tasks", "task 0: pid " + generatedTasks.get(0).pid(),
                "CPU state: absent (not captured)", "CPU state: test64");
    }

    @Test
    void restartOfAnInvalidImageExitsOne() throws Exception {
        Cli.Result r = Cli.run("restart", corrupt("flipped5.ckpt").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("invalid image");
    }

    @Test
    void aDeletedFileShowsItsSavedContents() throws Exception {
        GenericFile gone = new GenericFile(FileKind.REGULAR, "/tmp/gone", 2, 0100600, 3, 0,
                ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
        Task t = Task.builder().pid(9).tgid(9).comm("x").files(FileTable.of(new FileTable.Entry(5, gone, true))).build();
        Path p = dir.resolve("deleted.ckpt");
        Cli.write(p, "test64", List.of(t));
        Cli.Result r = Cli.run("show", "--all", p.toString());
        assertThat(r.out()).contains("path: /tmp/gone", "deleted: true", "saved bytes: 4", "close on exec: true");
        assertThat(Cli.run("show", p.toString()).out()).contains("5 /tmp/gone (deleted, saved)");
    }
}
