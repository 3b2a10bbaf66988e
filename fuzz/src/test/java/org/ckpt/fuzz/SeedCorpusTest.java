package org.ckpt.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import net.jqwik.api.Arbitrary;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Uname;
import org.ckpt.arch.powerpc.PowerPc;
import org.ckpt.arch.x86.I386State;
import org.ckpt.arch.x86.X86CpuState;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.Generators;
import org.ckpt.testkit.arch.PowerPcStates;
import org.ckpt.testkit.arch.X86States;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;

/**
 * The committed seed corpus and base images: valid, and what the harness expects.
 * Regenerate deliberately (committed regression inputs select base-image records by
 * index, so new base images change what they test) in two runs of {@code mvn -pl fuzz -am
 * test -Dtest=SeedCorpusTest -Dsurefire.failIfNoSpecifiedTests=false}: first with
 * {@code -Dckpt.fuzz.regenerate=base} (writes the base images whose files are missing:
 * append new ones to {@link BaseImages#NAMES}), then with {@code -Dckpt.fuzz.regenerate=seeds}.
 */
class SeedCorpusTest {
    private static final Path RESOURCES = Path.of("src/test/resources/org/ckpt/fuzz");
    private static final Map<String, List<BaseImages.Slot>> RECORD_TARGETS = new LinkedHashMap<>();

    static {
        RECORD_TARGETS.put("task", RecordFuzzTest.TASK);
        RECORD_TARGETS.put("addressSpace", RecordFuzzTest.ADDRESS_SPACE);
        RECORD_TARGETS.put("fileTable", RecordFuzzTest.FILE_TABLE);
        RECORD_TARGETS.put("openFile", RecordFuzzTest.OPEN_FILE);
        RECORD_TARGETS.put("x86Cpu", RecordFuzzTest.X86_CPU);
        RECORD_TARGETS.put("powerPcCpu", RecordFuzzTest.POWERPC_CPU);
    }

    @Test
    void baseImagesRestartAndRewrite() throws Exception {
        boolean regenerating = "base".equals(System.getProperty("ckpt.fuzz.regenerate"));
        if (regenerating) {
            regenerateBaseImages();
        }
        for (int i = 0; i < BaseImages.NAMES.size(); i++) {
            String name = BaseImages.NAMES.get(i);
            byte[] image = Files.readAllBytes(RESOURCES.resolve("base/" + name + ".img"));
            RestartResult r = Oracle.check(image);
            assertThat(r).as(name).isNotNull();
            boolean exact = name.endsWith("-exact");
            assertThat(r.info().policy()).as(name)
                    .isEqualTo(exact ? RestorePolicy.EXACT : RestorePolicy.LINUX_USER);
            if (exact) {
                // Its state is one only EXACT accepts.
                assertThat(Oracle.intoTarget(image, TargetCpu.anyFeatures(r.info().architecture()),
                        RestorePolicy.LINUX_USER, false)).as("%s under LINUX_USER", name).isNull();
            }
            if (!regenerating || BaseImages.IMAGES.get(i) != null) {
                // (an image written by this run reaches the class path in the next)
                assertThat(BaseImages.IMAGES.get(i)).as("on the class path: %s", name).isEqualTo(image);
            }
        }
    }

    @Test
    void everyRecordTargetReachesEachKindOfRecordAndItsSeedsRebuildTheBase() throws Exception {
        // Seeds come from the base images on the class path, so regenerate them in a second run.
        assumeFalse("base".equals(System.getProperty("ckpt.fuzz.regenerate")),
                "base images are being written: their seeds in the next run");
        boolean regenerateSeeds = "seeds".equals(System.getProperty("ckpt.fuzz.regenerate"));
        for (Map.Entry<String, List<BaseImages.Slot>> t : RECORD_TARGETS.entrySet()) {
            List<BaseImages.Slot> slots = t.getValue();
            assertThat(slots).as(t.getKey()).isNotEmpty().hasSizeLessThanOrEqualTo(256);
            Path dir = RESOURCES.resolve("RecordFuzzTestInputs").resolve(t.getKey());
            if (regenerateSeeds) {
                Files.createDirectories(dir);
                try (var old = Files.newDirectoryStream(dir, "seed-*")) {
                    for (Path p : old) {
                        Files.delete(p);
                    }
                }
            }
            for (int i = 0; i < slots.size(); i++) {
                byte[] seed = BaseImages.seed(slots, i);
                assertThat(BaseImages.around(slots, seed)).as("%s slot %d", t.getKey(), i)
                        .isEqualTo(BaseImages.IMAGES.get(slots.get(i).image()));
                Path file = dir.resolve(String.format("seed-%03d", i));
                if (regenerateSeeds) {
                    Files.write(file, seed);
                }
                assertThat(Files.readAllBytes(file)).as(file.toString()).isEqualTo(seed);
            }
        }
        assertThat(types(RecordFuzzTest.X86_CPU)).contains(0x0002, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104, 0x0105,
                0x0106);
        // Some regs record sets each flag bit: XSTATE, no DEBUGREGS, no TLS32, FPU_EXT.
        assertThat(x86RegsFlags(RecordFuzzTest.X86_CPU)).isEqualTo(0xF);
        assertThat(types(RecordFuzzTest.POWERPC_CPU)).contains(0x0002, 0x0120, 0x0121, 0x0122, 0x0123, 0x0124,
                0x0125);
        assertThat(types(RecordFuzzTest.ADDRESS_SPACE)).contains(BaseImages.OBJECT, BaseImages.VMA, BaseImages.PAGES);
        // EXACT images, so the CPU and address-space targets reach the EXACT rules.
        for (List<BaseImages.Slot> slots : List.of(RecordFuzzTest.X86_CPU, RecordFuzzTest.POWERPC_CPU,
                RecordFuzzTest.ADDRESS_SPACE)) {
            assertThat(slots).anyMatch(s -> BaseImages.NAMES.get(s.image()).endsWith("-exact"));
        }
        assertThat(types(RecordFuzzTest.OPEN_FILE)).contains(BaseImages.OBJECT, BaseImages.OBJECT_DATA);
        assertThat(types(RecordFuzzTest.TASK)).contains(BaseImages.HEAD, BaseImages.TASK);
    }

    @Test
    void theChainTargetReachesEveryPageRecordOfTheChildAndItsSeedsRebuildIt() throws Exception {
        // The child has PAGE_RUNS records (format 1.4), its digests and its areas; no PAGES_PARENT (not written).
        assertThat(ChainFuzzTest.slotTypes()).containsOnlyKeys(0x0030, 0x0033, 0x0034);
        assertThat(ChainFuzzTest.check(ChainFuzzTest.CHILD)).isNotNull();
        boolean regenerate = "seeds".equals(System.getProperty("ckpt.fuzz.regenerate"));
        Path dir = RESOURCES.resolve("ChainFuzzTestInputs").resolve("childPageRecords");
        if (regenerate) {
            Files.createDirectories(dir);
        }
        for (int i = 0; i < ChainFuzzTest.SLOTS.size(); i++) {
            byte[] seed = ChainFuzzTest.seed(i);
            assertThat(ChainFuzzTest.around(seed)).as("slot %d", i).isEqualTo(ChainFuzzTest.CHILD);
            Path file = dir.resolve(String.format("seed-%03d", i));
            if (regenerate) {
                Files.write(file, seed);
            }
            assertThat(Files.readAllBytes(file)).as(file.toString()).isEqualTo(seed);
        }
    }

    /** The union of the flags (first u32) of the x86 regs records among {@code slots}. */
    private static int x86RegsFlags(List<BaseImages.Slot> slots) {
        int out = 0;
        for (BaseImages.Slot s : slots) {
            ImageRecords.Record r = ImageRecords.parse(BaseImages.IMAGES.get(s.image())).get(s.record());
            if (r.type() == 0x0100 || r.type() == 0x0101) {
                out |= ByteBuffer.wrap(r.payload()).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            }
        }
        return out;
    }

    private static Set<Integer> types(List<BaseImages.Slot> slots) {
        Set<Integer> out = new HashSet<>();
        for (BaseImages.Slot s : slots) {
            out.add(ImageRecords.parse(BaseImages.IMAGES.get(s.image())).get(s.record()).type());
        }
        return out;
    }

    // ---- regeneration ----

    /**
     * Writes the base images whose files are missing, and their whole-image seeds. A
     * committed base image is kept as it is: the regression inputs were found against its
     * bytes, and generating it again would not give them back (the head names the writer's
     * version, and the first eight images' CPU states are sampled at random). Delete a file to
     * replace that image, knowing that it changes what the inputs selecting it test.
     */
    private static void regenerateBaseImages() throws IOException {
        Map<String, ImageSource> sources = baseImageSources();
        assertThat(sources.keySet()).containsExactlyElementsOf(BaseImages.NAMES);
        Files.createDirectories(RESOURCES.resolve("base"));
        Path whole = RESOURCES.resolve("RestartFuzzTestInputs");
        Files.createDirectories(whole);
        for (Map.Entry<String, ImageSource> e : sources.entrySet()) {
            Path file = RESOURCES.resolve("base/" + e.getKey() + ".img");
            if (Files.exists(file)) {
                continue;
            }
            byte[] image = e.getValue().image();
            Files.write(file, image);
            Files.write(whole.resolve("seed-" + e.getKey() + ".img"), image);
        }
    }

    private interface ImageSource {
        byte[] image() throws IOException;
    }

    /** How each base image was made, in {@link BaseImages#NAMES} order. */
    private static Map<String, ImageSource> baseImageSources() {
        CpuState cpu = new TestCpu(0x401000, 0x7ffff000, 1, 2, 3, 4, 0x46);
        Map<String, ImageSource> images = new LinkedHashMap<>();
        images.put("test64-mixed", () -> first(seed -> Generators.build(seed, 1, 2, List.of(cpu)),
                has(BaseImages.VMA, BaseImages.PAGES, BaseImages.OBJECT_DATA, 0x01F0)));
        images.put("test64-shared", () -> first(seed -> Generators.build(seed, 3, 2, List.of(cpu, cpu)),
                has(BaseImages.VMA, BaseImages.PAGES, 0x01F0)));
        images.put("x86_64", () -> firstArch(X86States.x86_64(), has(0x0100, 0x0102, 0x0103, 0x0104)));
        images.put("i386-compat", () -> firstArch(X86States.i386().filter(s -> compat(s)),
                has(0x0101, 0x0102, 0x0103, 0x0104, 0x0105)));
        images.put("i386-native", () -> firstArch(X86States.i386().filter(s -> !compat(s)),
                has(0x0101, 0x0102, 0x0103, 0x0104, 0x0105)));
        long fpDebug = PowerPc.FEATURE_FP | PowerPc.FEATURE_DEBUG;
        images.put("ppc64", () -> firstArch(PowerPcStates.cpu(PowerPc.PPC64,
                fpDebug | PowerPc.FEATURE_ALTIVEC | PowerPc.FEATURE_VSX), has(0x0120)));
        images.put("ppc32-spe", () -> firstArch(PowerPcStates.cpu(PowerPc.PPC32, fpDebug | PowerPc.FEATURE_SPE),
                has(0x0120)));
        images.put("ppc32-altivec", () -> firstArch(PowerPcStates.cpu(PowerPc.PPC32,
                fpDebug | PowerPc.FEATURE_ALTIVEC | PowerPc.FEATURE_VSX), has(0x0120)));
        // Deterministic: fixed states (ExactStates) in generated tasks of a fixed seed.
        images.put("x86_64-exact", () -> exact(ExactStates.x86_64(), ExactStates.x86_64Area(),
                has(0x0100, 0x0102, 0x0106, 0x0103, 0x0104)));
        images.put("i386-exact", () -> exact(ExactStates.i386(), ExactStates.i386Area(),
                has(0x0101, 0x0102, 0x0106)));
        images.put("ppc32-exact", () -> exact(ExactStates.ppc32(), ExactStates.ppc32Area(),
                has(0x0120, 0x0121, 0x0122, 0x0123)));
        return images;
    }

    /**
     * An {@code EXACT} image of one generated task (the first seed whose task has an address
     * space and a file table and passes {@code accept}) holding {@code cpu}, with {@code area}
     * added above its generated areas.
     */
    private static byte[] exact(CpuState cpu, Vma area, Predicate<byte[]> accept) throws IOException {
        for (long seed = 1; seed < 10_000; seed++) {
            Task t = Generators.build(seed, 1, 1, List.of(cpu)).get(0);
            if (t.mm() == null || t.files() == null || t.mm().vmas().isEmpty()
                    || Long.compareUnsigned(t.mm().vmas().get(t.mm().vmas().size() - 1).end(), area.start()) > 0) {
                continue;
            }
            List<Vma> vmas = new ArrayList<>(t.mm().vmas());
            vmas.add(area);
            Task task = t.toBuilder().mm(t.mm().withVmas(vmas)).build();
            byte[] image = write(List.of(task), cpu.architecture(), RestorePolicy.EXACT);
            if (accept.test(image)) {
                return image;
            }
        }
        throw new AssertionError("no generated task satisfies the criteria");
    }

    private static boolean compat(X86CpuState s) {
        return ((I386State) s).regs().toArray()[13] == 0x23;
    }

    private static Predicate<byte[]> has(int... types) {
        return image -> {
            Set<Integer> seen = new HashSet<>();
            ImageRecords.parse(image).forEach(r -> seen.add(r.type()));
            for (int t : types) {
                if (!seen.contains(t)) {
                    return false;
                }
            }
            return image.length < 40_000;
        };
    }

    private interface TaskSource {
        List<Task> tasks(long seed);
    }

    private static byte[] first(TaskSource source, Predicate<byte[]> accept) throws IOException {
        for (long seed = 1; seed < 10_000; seed++) {
            List<Task> tasks = source.tasks(seed);
            byte[] image = write(tasks, TestArch.NAME, RestorePolicy.LINUX_USER);
            if (accept.test(image)) {
                return image;
            }
        }
        throw new AssertionError("no generated image satisfies the criteria");
    }

    private static byte[] firstArch(Arbitrary<? extends CpuState> cpus, Predicate<byte[]> accept) throws IOException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            CpuState cpu = cpus.sample();
            // The test64 generator's address spaces fit every architecture's user limit.
            List<Task> tasks = Generators.build(attempt + 1, 1, 1, List.of(cpu));
            byte[] image = write(tasks, cpu.architecture(), RestorePolicy.LINUX_USER);
            if (accept.test(image)) {
                return image;
            }
        }
        throw new AssertionError("no generated state satisfies the criteria");
    }

    private static byte[] write(List<Task> tasks, String architecture, RestorePolicy policy) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(architecture).policy(policy).checkpointId(0x5EED)
                .created(Instant.parse("2026-11-23T00:00:00Z"))
                .uname(new Uname("Linux", "fuzz", "6.1.0", "#1 SMP", "x86_64")).build()
                .checkpoint(tasks, sink);
        return sink.toByteArray();
    }
}
