package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.sessions.JqwikSession;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.Task;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.RecordTypes;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.arch.PowerPcStates;
import org.ckpt.testkit.arch.X86States;
import org.ckpt.testkit.example.EmulatorDevice;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden images pin the format: today's code must read each committed image and
 * write it back byte for byte. Images without extension objects are format 1.0 and
 * stay so (a writer uses the lowest minor that describes its content), so the 1.0
 * images double as read-compatibility fixtures; {@code extensions.img} is 1.1.
 * {@code x86_64.img} and {@code ppc32.img} hold CPU states of real architectures (from the
 * testkit's architecture generators, fixed seeds), so that the {@code ckpt} command, which
 * has no test architecture, reads them too ({@code ckpt verify}).
 * Regenerating them is deliberate (docs/FORMAT.md):
 * {@code mvn -pl testkit -am test -Dtest=GoldenImageTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dckpt.golden.regenerate=true} (or {@code =x86_64,ppc32}: only the images named).
 */
class GoldenImageTest {
    private static final Path DIR = Path.of("src/test/resources/golden");

    static List<Task> golden(String name) {
        CpuState cpu = new TestCpu(0x401000, 0x7ffff000, 1, 2, 3, 4, 0x46);
        return switch (name) {
            case "single-task" -> Generators.build(1, 1, 3, List.of(cpu));
            case "shared-objects" -> Generators.build(7, 4, 5, List.of(cpu, cpu));
            case "no-cpu" -> Generators.build(99, 2, 2, List.of());
            // Format 1.1: task extension objects (TASK_EXT), shared between tasks.
            case "extensions" -> Generators.build(5, 3, 2, List.of(cpu), List.of(
                    new EmulatorDevice("uart0", new long[] {0x3F8, 0x60, 0}, "login: ".getBytes(UTF_8)),
                    new EmulatorDevice("rtc", new long[] {1_700_000_000L}, new byte[0])), GenConfig.DEFAULT);
            // Real architectures (the ckpt command reads these): states from the arch generators, fixed seeds.
            case "x86_64" -> Generators.build(3, 2, 2, List.of(state(X86States.cpu("x86_64"), 11),
                    state(X86States.cpu("x86_64"), 12)));
            case "ppc32" -> Generators.build(21, 2, 2, List.of(state(PowerPcStates.cpu("ppc32"), 21),
                    state(PowerPcStates.cpu("ppc32"), 22)));
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static String architecture(String name) {
        return switch (name) {
            case "x86_64", "ppc32" -> name;
            default -> TestArch.NAME;
        };
    }

    /** The state an arch generator gives for {@code seed} (generators need a jqwik session outside a property). */
    private static CpuState state(Arbitrary<? extends CpuState> states, long seed) {
        JqwikSession.start();
        try {
            return states.generator(100).next(new Random(seed)).value();
        } finally {
            JqwikSession.finish();
        }
    }

    /** {@code -Dckpt.golden.regenerate=true} regenerates every image, {@code =x86_64,ppc32} the ones named. */
    private static boolean regenerate(String name) {
        String v = System.getProperty("ckpt.golden.regenerate", "false");
        return v.equals("true") || List.of(v.split(",")).contains(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"single-task", "shared-objects", "no-cpu", "extensions", "x86_64", "ppc32"})
    void readsAndRewritesByteIdentically(String name) throws Exception {
        Path file = DIR.resolve(name + ".img");
        if (regenerate(name)) {
            Checkpointer golden = Checkpointer.builder().architecture(architecture(name)).checkpointId(0x0123456789ABCDEFL)
                    .created(Instant.parse("2026-11-23T00:00:00Z"))
                    .uname(new Uname("Linux", "golden", "6.1.0", "#1 SMP", "x86_64")).build();
            TestChannels.Sink sink = TestChannels.sink();
            golden.checkpoint(golden(name), sink);
            // What a restart under the image's policy gives back (x86 eflags with IF, the user MSR):
            // the image of that is a fixed point, rewritten byte for byte.
            List<Task> restored = Restarter.builder().build().restart(TestChannels.source(sink.toByteArray())).tasks();
            sink = TestChannels.sink();
            golden.checkpoint(restored, sink);
            Files.createDirectories(DIR);
            Files.write(file, sink.toByteArray());
        }
        byte[] image = Files.readAllBytes(file);
        RestartResult r = Restarter.builder().build().restart(TestChannels.source(image));
        TestChannels.Sink again = TestChannels.sink();
        Checkpointer.builder().sameHeadAs(r.info()).build().checkpoint(r.tasks(), again);
        assertThat(again.toByteArray())
                .as("re-written %s differs; records:%n%s", name, ImageRecords.dump(again.toByteArray()))
                .isEqualTo(image);
    }

    /** The version policy: 1.1 exactly when an image needs TASK_EXT. */
    @ParameterizedTest
    @ValueSource(strings = {"single-task", "shared-objects", "no-cpu", "extensions", "x86_64", "ppc32"})
    void minorVersionIsTheLowestThatDescribesTheImage(String name) throws Exception {
        byte[] image = Files.readAllBytes(DIR.resolve(name + ".img"));
        boolean ext = ImageRecords.parse(image).stream().anyMatch(r -> r.type() == RecordTypes.TASK_EXT);
        assertThat(ext).isEqualTo(name.equals("extensions"));
        assertThat(Restarter.builder().build().restart(TestChannels.source(image)).info().formatMinor())
                .isEqualTo(ext ? 1 : 0);
    }
}
