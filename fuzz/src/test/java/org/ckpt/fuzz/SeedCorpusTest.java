package org.ckpt.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
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
import org.ckpt.spi.CpuState;
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
 * {@code -Dckpt.fuzz.regenerate=base}, then with {@code -Dckpt.fuzz.regenerate=seeds}.
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
        if ("base".equals(System.getProperty("ckpt.fuzz.regenerate"))) {
            regenerateBaseImages();
        }
        for (int i = 0; i < BaseImages.NAMES.size(); i++) {
            byte[] image = Files.readAllBytes(RESOURCES.resolve("base/" + BaseImages.NAMES.get(i) + ".img"));
            RestartResult r = Oracle.check(image);
            assertThat(r).as(BaseImages.NAMES.get(i)).isNotNull();
            assertThat(BaseImages.IMAGES.get(i)).as("on the class path: %s", BaseImages.NAMES.get(i))
                    .isEqualTo(image);
        }
    }

    @Test
    void everyRecordTargetReachesEachKindOfRecordAndItsSeedsRebuildTheBase() throws Exception {
        // Seeds come from the base images on the class path, so regenerate them in a second run.
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
        assertThat(types(RecordFuzzTest.X86_CPU)).contains(0x0002, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104, 0x0105);
        assertThat(types(RecordFuzzTest.POWERPC_CPU)).contains(0x0002, 0x0120, 0x0121, 0x0122, 0x0123, 0x0124,
                0x0125);
        assertThat(types(RecordFuzzTest.ADDRESS_SPACE)).contains(BaseImages.OBJECT, BaseImages.VMA, BaseImages.PAGES);
        assertThat(types(RecordFuzzTest.OPEN_FILE)).contains(BaseImages.OBJECT, BaseImages.OBJECT_DATA);
        assertThat(types(RecordFuzzTest.TASK)).contains(BaseImages.HEAD, BaseImages.TASK);
    }

    private static Set<Integer> types(List<BaseImages.Slot> slots) {
        Set<Integer> out = new HashSet<>();
        for (BaseImages.Slot s : slots) {
            out.add(ImageRecords.parse(BaseImages.IMAGES.get(s.image())).get(s.record()).type());
        }
        return out;
    }

    // ---- regeneration ----

    private static void regenerateBaseImages() throws IOException {
        CpuState cpu = new TestCpu(0x401000, 0x7ffff000, 1, 2, 3, 4, 0x46);
        Map<String, byte[]> images = new LinkedHashMap<>();
        images.put("test64-mixed", first(seed -> Generators.build(seed, 1, 2, List.of(cpu)),
                has(BaseImages.VMA, BaseImages.PAGES, BaseImages.OBJECT_DATA, 0x01F0)));
        images.put("test64-shared", first(seed -> Generators.build(seed, 3, 2, List.of(cpu, cpu)),
                has(BaseImages.VMA, BaseImages.PAGES, 0x01F0)));
        images.put("x86_64", firstArch(X86States.x86_64(), has(0x0100, 0x0102, 0x0103, 0x0104)));
        images.put("i386-compat", firstArch(X86States.i386().filter(s -> compat(s)),
                has(0x0101, 0x0102, 0x0103, 0x0104, 0x0105)));
        images.put("i386-native", firstArch(X86States.i386().filter(s -> !compat(s)),
                has(0x0101, 0x0102, 0x0103, 0x0104, 0x0105)));
        long fpDebug = PowerPc.FEATURE_FP | PowerPc.FEATURE_DEBUG;
        images.put("ppc64", firstArch(PowerPcStates.cpu(PowerPc.PPC64,
                fpDebug | PowerPc.FEATURE_ALTIVEC | PowerPc.FEATURE_VSX), has(0x0120)));
        images.put("ppc32-spe", firstArch(PowerPcStates.cpu(PowerPc.PPC32, fpDebug | PowerPc.FEATURE_SPE),
                has(0x0120)));
        images.put("ppc32-altivec", firstArch(PowerPcStates.cpu(PowerPc.PPC32,
                fpDebug | PowerPc.FEATURE_ALTIVEC | PowerPc.FEATURE_VSX), has(0x0120)));
        assertThat(images.keySet()).containsExactlyElementsOf(BaseImages.NAMES);
        Files.createDirectories(RESOURCES.resolve("base"));
        Path whole = RESOURCES.resolve("RestartFuzzTestInputs");
        Files.createDirectories(whole);
        for (Map.Entry<String, byte[]> e : images.entrySet()) {
            Files.write(RESOURCES.resolve("base/" + e.getKey() + ".img"), e.getValue());
            Files.write(whole.resolve("seed-" + e.getKey() + ".img"), e.getValue());
        }
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
            byte[] image = write(tasks, TestArch.NAME);
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
            byte[] image = write(tasks, cpu.architecture());
            if (accept.test(image)) {
                return image;
            }
        }
        throw new AssertionError("no generated state satisfies the criteria");
    }

    private static byte[] write(List<Task> tasks, String architecture) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(architecture).checkpointId(0x5EED)
                .created(Instant.parse("2026-11-23T00:00:00Z"))
                .uname(new Uname("Linux", "fuzz", "6.1.0", "#1 SMP", "x86_64")).build()
                .checkpoint(tasks, sink);
        return sink.toByteArray();
    }
}
