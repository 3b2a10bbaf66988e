package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.arch.powerpc.PowerPcCpuState;
import org.ckpt.arch.powerpc.PowerPcElfNotes;
import org.ckpt.arch.x86.I386State;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileKind;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.RestorePolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cores both ways, checked by real gdb: the core {@code export-core} writes of a dumped,
 * stopped process has, for every thread, the registers and the memory gdb finds in a
 * {@code gcore} of the same stopped process and in the process itself; {@code import-core}
 * of that gcore gives back the dump's registers and pages. The processes are
 * {@code tiny64} (two threads) and {@code tiny32} (i386 under this x86_64 kernel, with a TLS
 * descriptor), static programs without libc whose registers hold known values
 * ({@code src/test/resources/tiny}). PowerPC cores are exported and imported from the arch
 * module's fixture notes (no PowerPC gdb or process here). gdb is a test requirement:
 * {@code .ci/run} installs it.
 */
@EnabledOnOs(OS.LINUX)
class CoreTest {
    @TempDir
    Path dir;

    static Path program(Path dir, String name) throws IOException {
        Path p = dir.resolve(name);
        try (InputStream in = CoreTest.class.getResourceAsStream("/tiny/" + name)) {
            Files.copy(in, p);
        }
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    /**
     * Skips the test unless this kernel runs i386 programs. A kernel without IA32 emulation (or
     * with it off, {@code ia32_emulation=0}) refuses the ELF with ENOEXEC and the JDK then runs
     * it as a shell script, which ends at once; tiny32 itself waits to be killed. Seen on a
     * Firecracker guest kernel (6.18.44-fc-v1045) where the same image ran i386 a day before.
     */
    static void assumeI386Runs(Path tiny32) throws Exception {
        Process p = new ProcessBuilder(tiny32.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            boolean ended = p.waitFor(500, java.util.concurrent.TimeUnit.MILLISECONDS);
            org.junit.jupiter.api.Assumptions.assumeFalse(ended, "this kernel does not run i386 programs (tiny32"
                    + " ended at once, exit " + (ended ? p.exitValue() : 0) + "): no IA32 emulation");
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    /** gdb's answer to {@code commands} on {@code core} (with the program for its symbols). */
    static String gdb(Path program, Path core, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gdb", "-batch", "-nx", "-ex", "set pagination off", "-ex",
                "set width 0", program.toString(), core.toString()));
        for (String c : commands) {
            cmd.add("-ex");
            cmd.add(c);
        }
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("gdb is needed by this test (apt-get install gdb; .ci/run installs it)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    /** {@code thread apply all info registers}: LWP → register name → value. */
    static Map<Integer, Map<String, String>> registers(Path program, Path core) throws Exception {
        String out = gdb(program, core, "thread apply all info registers");
        Map<Integer, Map<String, String>> threads = new TreeMap<>();
        Map<String, String> current = null;
        for (String line : out.split("\n")) {
            if (line.startsWith("Thread ")) {
                int lwp = Integer.parseInt(line.replaceAll(".*\\(LWP (\\d+)\\).*", "$1"));
                current = new LinkedHashMap<>();
                threads.put(lwp, current);
            } else if (current != null && line.matches("^[a-z][a-z0-9_]*\\s+0x[0-9a-f]+.*")) {
                String[] f = line.trim().split("\\s+");
                current.put(f[0], f[1]);
            }
        }
        return threads;
    }

    private Path stoppedImage(Procs.Proc p, int threads) throws Exception {
        awaitAsleep(p.pid, threads);
        // stopped (a group stop) so that gcore, later, finds exactly what the dump found
        Procs.kill(p.pid, Procs.SIGSTOP);
        Procs.awaitState(p.pid, "T");
        Path image = dir.resolve("p.ckpt");
        Cli.Result d = Cli.run("dump", "--pid", Integer.toString(p.pid), "-o", image.toString());
        assertThat(d.exit()).as(d.err()).isZero();
        return image;
    }

    private Path gcore(int pid) throws Exception {
        Process g = new ProcessBuilder("gcore", "-o", dir.resolve("gcore").toString(), Integer.toString(pid))
                .redirectErrorStream(true).redirectOutput(dir.resolve("gcore.log").toFile()).start();
        assertThat(g.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Path core = dir.resolve("gcore." + pid);
        assertThat(core).as(Files.readString(dir.resolve("gcore.log"))).exists();
        return core;
    }

    @Test
    void anExportedCoreOfTwoThreadsMatchesGcoreAndTheProcessInGdb() throws Exception {
        Path program = program(dir, "tiny64");
        try (Procs.Proc p = Procs.start(dir, program.toString())) {
            Path image = stoppedImage(p, 2);
            Path ours = dir.resolve("ours.core");
            Cli.Result e = Cli.run("export-core", image.toString(), "-o", ours.toString());
            assertThat(e.exit()).as(e.err()).isZero();
            assertThat(e.out()).contains("2 threads with registers");
            Path theirs = gcore(p.pid);

            Map<Integer, Map<String, String>> a = registers(program, ours);
            Map<Integer, Map<String, String>> b = registers(program, theirs);
            assertThat(a.keySet()).as("every thread").hasSize(2).isEqualTo(b.keySet());
            for (int lwp : a.keySet()) {
                Map<String, String> ra = a.get(lwp);
                assertThat(ra).containsKeys("rip", "rsp", "rbx", "r15", "eflags", "cs", "ss", "k0");
                assertThat(ra).as("thread " + lwp + ": ckpt's core vs gcore's").isEqualTo(b.get(lwp));
            }
            assertThat(a.get(p.pid)).containsEntry("rbx", "0x1111111111111111").containsEntry("r15", "0x6666666666666666");
            int other = a.keySet().stream().filter(t -> t != p.pid).findFirst().orElseThrow();
            assertThat(a.get(other)).containsEntry("rbx", "0xaaaaaaaaaaaaaaaa").containsEntry("r13", "0xdddddddddddddddd");

            // memory: the marker, the data page and each thread's stack, as gdb reads them from both cores
            String[] reads = {"x/s &marker", "x/64xg 0x402000", "thread apply all x/32xg $sp"};
            String ma = gdb(program, ours, reads);
            String mb = gdb(program, theirs, reads);
            assertThat(ma).contains("\"ckpt tiny64 marker\"").isEqualTo(mb);
            // and as the process has it
            assertThat(live(p.pid, 0x402000, 18)).isEqualTo("ckpt tiny64 marker");

            // import-core of gcore's core: the dump's registers and pages come back
            Path imported = dir.resolve("imported.ckpt");
            Cli.Result i = Cli.run("import-core", theirs.toString(), "-o", imported.toString());
            assertThat(i.exit()).as(i.err()).isZero();
            assertThat(i.out()).contains("x86_64 core, 2 threads");
            RestartResult dumped = Restarter.builder().build().restart(image);
            RestartResult back = Restarter.builder().build().restart(imported);
            assertThat(back.tasks()).hasSize(2);
            for (Task t : dumped.tasks()) {
                Task u = back.tasks().stream().filter(x -> x.pid() == t.pid()).findFirst().orElseThrow();
                assertThat(((X86_64State) u.cpu()).regs()).isEqualTo(((X86_64State) t.cpu()).regs());
                // gcore writes MXCSR_MASK as 0 ("not recorded", FxSave): everything else of the FPU is equal
                var fu = ((X86_64State) u.cpu()).fpu();
                var ft = ((X86_64State) t.cpu()).fpu();
                assertThat(fu.mxcsrMask()).isZero();
                assertThat(fu.withMxcsr(fu.mxcsr(), ft.mxcsrMask())).isEqualTo(ft);
                // gcore marks every component in use (XSTATE_BV = XCR0), ptrace reports init state: same values
                var xu = ((X86_64State) u.cpu()).xsave();
                var xt = ((X86_64State) t.cpu()).xsave();
                assertThat(xu.xcr0()).isEqualTo(xt.xcr0());
                assertThat(xu.components()).isEqualTo(xt.components());
                assertThat(u.tgid()).isEqualTo(p.pid);
            }
            assertThat(page(back.tasks().get(0), 0x402000)).isEqualTo(page(dumped.tasks().get(0), 0x402000));
            assertThat(back.tasks().get(0).info()).containsEntry("linux.ppid", Long.toString(ProcTree.ppid(p.pid)))
                    .containsKey("linux.auxv");
            Procs.kill(p.pid, Procs.SIGCONT);
        }
    }

    @Test
    void anI386ProcessIsDumpedWithItsRegistersAndTlsAndItsCoreReadsInGdb() throws Exception {
        Path program = program(dir, "tiny32");
        assumeI386Runs(program);
        try (Procs.Proc p = Procs.start(dir, program.toString())) {
            Path image = stoppedImage(p, 1);
            RestartResult r = Restarter.builder().build().restart(image);
            assertThat(r.info().architecture()).isEqualTo("i386");
            I386State cpu = (I386State) r.tasks().get(0).cpu();
            assertThat(cpu.regs().ebx()).isEqualTo(0x11111111);
            assertThat(cpu.regs().ebp()).isEqualTo(0x66666666);
            assertThat(cpu.regs().cs()).as("compat mode").isEqualTo(0x23);
            int entry = cpu.regs().gs() >>> 3;
            assertThat(cpu.tls()).anySatisfy(d -> {
                assertThat(d.entryNumber()).isEqualTo(entry);
                assertThat(d.baseAddr()).as("the marker").isEqualTo(0x0804a010);
                assertThat(d.limit()).isEqualTo(0xfffff);
            });

            Path ours = dir.resolve("ours32.core");
            assertThat(Cli.run("export-core", image.toString(), "-o", ours.toString()).exit()).isZero();
            Path theirs = gcore(p.pid);
            Map<Integer, Map<String, String>> a = registers(program, ours);
            assertThat(a.get(p.pid)).containsEntry("ebx", "0x11111111").containsEntry("edi", "0x55555555")
                    .containsEntry("gs", Fmt.hex(cpu.regs().gs()));
            assertThat(a).isEqualTo(registers(program, theirs));
            String[] reads = {"x/s &marker", "x/32xw $sp"};
            assertThat(gdb(program, ours, reads)).contains("\"ckpt tiny32 marker\"").isEqualTo(gdb(program, theirs, reads));

            Path imported = dir.resolve("imported32.ckpt");
            Cli.Result i = Cli.run("import-core", theirs.toString(), "-o", imported.toString());
            assertThat(i.exit()).as(i.err()).isZero();
            I386State back = (I386State) Restarter.builder().build().restart(imported).tasks().get(0).cpu();
            assertThat(back.regs()).isEqualTo(cpu.regs());
            Procs.kill(p.pid, Procs.SIGCONT);
        }
    }

    private static String live(int pid, long address, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        try (FileChannel mem = FileChannel.open(ProcFs.dir(pid).resolve("mem"))) {
            mem.read(b, address);
        }
        return new String(b.array(), StandardCharsets.US_ASCII);
    }

    private static ByteBuffer page(Task t, long address) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        LiveProcessTest.area(t, address).pages().read(address, b);
        return b.flip();
    }

    /** A PowerPC task from the arch module's fixture notes (real gdb/qemu register sets). */
    private static Task powerPcTask(String arch) throws IOException {
        Path fixtures = Path.of("..", "arch-powerpc", "src", "test", "resources", "fixtures");
        Map<Integer, byte[]> notes = new LinkedHashMap<>();
        notes.put(ElfArch.NT_PRSTATUS, Files.readAllBytes(fixtures.resolve(arch + "-gdb-NT_PRSTATUS.bin")));
        notes.put(ElfArch.NT_PRFPREG, Files.readAllBytes(fixtures.resolve(arch + "-gdb-NT_PRFPREG.bin")));
        notes.put(ElfArch.NT_PPC_VMX, Files.readAllBytes(fixtures.resolve(arch + "-gdb-NT_PPC_VMX.bin")));
        if (arch.equals("ppc64")) {
            notes.put(ElfArch.NT_PPC_VSX, Files.readAllBytes(fixtures.resolve(arch + "-gdb-NT_PPC_VSX.bin")));
        }
        PowerPcCpuState cpu = PowerPcElfNotes.toCpu(arch, notes);
        byte[] mem = new byte[2 * 4096];
        for (int i = 0; i < mem.length; i++) {
            mem[i] = (byte) (i * 13 + 1);
        }
        Vma data = new Vma(0x10020000L, 0x10022000L, Vma.PROT_READ | Vma.PROT_WRITE, 0, 0, null,
                PageData.of(0x10020000L, mem));
        GenericFile exe = GenericFile.open(FileKind.REGULAR, "/nonexistent/regs-" + arch, 0, 0100755, 0);
        Vma text = new Vma(0x10000000L, 0x10001000L, Vma.PROT_READ | Vma.PROT_EXEC, 0, 0, exe, PageData.none());
        return Task.builder().pid(4242).tgid(4242).comm("regs-" + arch).mm(AddressSpace.of(List.of(text, data)))
                .cpu(cpu).info(Map.of("linux.ppid", "1", "linux.pgid", "4242", "linux.sid", "4242")).build();
    }

    @Test
    void powerPcImagesGoToBigEndianCoresAndBack() throws Exception {
        for (String arch : List.of("ppc64", "ppc32")) {
            Task t = powerPcTask(arch);
            Path image = dir.resolve(arch + ".ckpt");
            Checkpointer.builder().architecture(arch).policy(RestorePolicy.EXACT).build().checkpoint(t, image);
            Path core = dir.resolve(arch + ".core");
            Cli.Result e = Cli.run("export-core", image.toString(), "-o", core.toString());
            assertThat(e.exit()).as(e.err()).isZero();
            assertThat(e.out()).contains("files no longer there", "/nonexistent/regs-" + arch);
            try (FileChannel ch = FileChannel.open(core)) {
                ElfCore.Core c = ElfCore.read(ch);
                assertThat(c.arch().architecture).isEqualTo(arch);
                assertThat(c.arch().order).isEqualTo(java.nio.ByteOrder.BIG_ENDIAN);
                assertThat(c.notes()).extracting(ElfCore.Note::type).contains(ElfArch.NT_PRPSINFO,
                        ElfArch.NT_PRSTATUS, ElfArch.NT_PRFPREG, ElfArch.NT_PPC_VMX, ElfArch.NT_FILE);
                assertThat(c.loads()).hasSize(2);
            }
            Path back = dir.resolve(arch + "-back.ckpt");
            Cli.Result i = Cli.run("import-core", core.toString(), "-o", back.toString(), "--policy", "exact");
            assertThat(i.exit()).as(i.err()).isZero();
            Task u = Restarter.builder().build().restart(back).tasks().get(0);
            assertThat(u.cpu()).isEqualTo(t.cpu());
            assertThat(u.pid()).isEqualTo(4242);
            assertThat(u.comm()).isEqualTo(t.comm());
            assertThat(page(u, 0x10021000L)).isEqualTo(page(t, 0x10021000L));
            Vma text = LiveProcessTest.area(u, 0x10000000L);
            assertThat(((GenericFile) text.file()).path()).isEqualTo("/nonexistent/regs-" + arch);
        }
    }

    /**
     * A core the kernel itself wrote (not gdb's): the two-thread process killed with SIGSEGV
     * under {@code ulimit -c unlimited}. import-core reads it; the image has the registers the
     * program set and the data page; and the core export-core writes of that image shows gdb
     * every register of the kernel's core with the same value, thread for thread, and the same memory. Skipped where the kernel is
     * configured to hand cores to a program ({@code core_pattern} starting with {@code |}).
     */
    @Test
    void aCoreTheKernelWroteIsImportedAndExportedBackAsGdbReadsIt() throws Exception {
        Path program = program(dir, "tiny64");
        Path kernelCore = kernelCore(program, 2);
        Path imported = dir.resolve("kernel.ckpt");
        Cli.Result i = Cli.run("import-core", kernelCore.toString(), "-o", imported.toString());
        assertThat(i.exit()).as(i.err()).isZero();
        assertThat(i.out()).contains("x86_64 core, 2 threads");
        assertThat(Cli.run("verify", imported.toString()).exit()).isZero();
        RestartResult back = Restarter.builder().build().restart(imported);
        assertThat(back.tasks()).hasSize(2);
        assertThat(back.tasks()).extracting(t -> ((X86_64State) t.cpu()).regs().rbx())
                .containsExactlyInAnyOrder(0x1111111111111111L, 0xaaaaaaaaaaaaaaaaL);
        byte[] marker = new byte[18];
        page(back.tasks().get(0), 0x402000).get(marker);
        assertThat(new String(marker, StandardCharsets.US_ASCII)).isEqualTo("ckpt tiny64 marker");

        Path ours = dir.resolve("again.core");
        Cli.Result e = Cli.run("export-core", imported.toString(), "-o", ours.toString());
        assertThat(e.exit()).as(e.err()).isZero();
        Map<Integer, Map<String, String>> a = registers(program, ours);
        Map<Integer, Map<String, String>> b = registers(program, kernelCore);
        assertThat(a.keySet()).as("every thread").hasSize(2).isEqualTo(b.keySet());
        for (int lwp : a.keySet()) {
            // Every register gdb shows from the kernel's core, with its value. On AMD the kernel
            // writes XSAVE in the CPU's own component offsets, which gdb may not recognise, so it
            // can show fewer (no k0-k7) there; the export uses the standard offsets.
            assertThat(b.get(lwp)).containsKeys("rip", "rsp", "rbx", "r15", "eflags", "cs", "ss");
            assertThat(a.get(lwp)).as("thread %d: exported core vs the kernel's", lwp).containsAllEntriesOf(b.get(lwp));
        }
        String[] reads = {"x/s &marker", "x/64xg 0x402000", "thread apply all x/32xg $sp"};
        // the memory gdb reads (its banner differs: the kernel's core says which signal, and
        // gdb warns that the kernel's AMD-layout XSAVE note is "too small")
        assertThat(memoryLines(gdb(program, ours, reads))).contains("0x402000:\t\"ckpt tiny64 marker\"")
                .isEqualTo(memoryLines(gdb(program, kernelCore, reads)));
    }

    /** The same for an i386 process under this x86_64 kernel: its kernel core, imported and exported back. */
    @Test
    void anI386CoreTheKernelWroteIsImportedAndExportedBackAsGdbReadsIt() throws Exception {
        Path program = program(dir, "tiny32");
        assumeI386Runs(program);
        Path kernelCore = kernelCore(program, 1);
        Path imported = dir.resolve("kernel32.ckpt");
        Cli.Result i = Cli.run("import-core", kernelCore.toString(), "-o", imported.toString());
        assertThat(i.exit()).as(i.err()).isZero();
        assertThat(i.out()).contains("i386 core, 1 thread");
        I386State cpu = (I386State) Restarter.builder().build().restart(imported).tasks().get(0).cpu();
        assertThat(cpu.regs().ebx()).isEqualTo(0x11111111);
        Path ours = dir.resolve("again32.core");
        Cli.Result e = Cli.run("export-core", imported.toString(), "-o", ours.toString());
        assertThat(e.exit()).as(e.err()).isZero();
        Map<Integer, Map<String, String>> a = registers(program, ours);
        Map<Integer, Map<String, String>> b = registers(program, kernelCore);
        assertThat(a.keySet()).hasSize(1).isEqualTo(b.keySet());
        for (int lwp : a.keySet()) {
            assertThat(b.get(lwp)).containsKeys("eip", "esp", "ebx", "eflags", "cs", "gs");
            assertThat(a.get(lwp)).as("exported core vs the kernel's").containsAllEntriesOf(b.get(lwp));
        }
        String[] reads = {"x/s &marker", "x/16xw $sp"};
        assertThat(memoryLines(gdb(program, ours, reads))).contains("0x804a010:\t\"ckpt tiny32 marker\"")
                .isEqualTo(memoryLines(gdb(program, kernelCore, reads)));
    }

    private static List<String> memoryLines(String gdbOutput) {
        return gdbOutput.lines().filter(l -> l.startsWith("0x")).toList();
    }

    /** Waits until the process has {@code threads} threads, every one in pause(2), its registers loaded. */
    private static void awaitAsleep(int pid, int threads) throws Exception {
        Procs.awaitState(pid, "S");
        while (ProcFs.threads(pid).size() < threads
                || !ProcFs.threadStates(pid).values().stream().allMatch(c -> c == 'S')) {
            Thread.sleep(5);
        }
    }

    /**
     * The core the kernel writes of {@code program} (with {@code threads} threads) killed by
     * SIGSEGV under {@code ulimit -c unlimited}; the test is skipped where the kernel hands cores
     * to a program or writes them elsewhere.
     */
    private Path kernelCore(Path program, int threads) throws Exception {
        String pattern = Files.readString(Path.of("/proc/sys/kernel/core_pattern")).strip();
        org.junit.jupiter.api.Assumptions.assumeFalse(pattern.startsWith("|") || pattern.contains("/"),
                "the kernel writes cores elsewhere here: core_pattern = " + pattern);
        Path work = Files.createDirectories(dir.resolve("cores-" + program.getFileName()));
        try (Procs.Proc p = Procs.start(work, "sh", "-c", "ulimit -c unlimited && exec " + program)) {
            awaitAsleep(p.pid, threads);
            Procs.kill(p.pid, 11);
            return awaitCore(work);
        }
    }

    /** The core file the kernel wrote into {@code dir} (named core or core.PID), once complete. */
    private static Path awaitCore(Path dir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long lastSize = -1;
        while (System.nanoTime() < deadline) {
            try (var files = Files.list(dir)) {
                Path core = files.filter(f -> f.getFileName().toString().startsWith("core")).findFirst().orElse(null);
                if (core != null) {
                    long size = Files.size(core);
                    if (size > 0 && size == lastSize) {
                        return core;
                    }
                    lastSize = size;
                }
            }
            Thread.sleep(100);
        }
        org.junit.jupiter.api.Assumptions.abort("no core file appeared in " + dir + " (core dumps disabled here)");
        return null;
    }
}
