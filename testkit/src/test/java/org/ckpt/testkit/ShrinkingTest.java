package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.ckpt.model.FileTable;
import org.ckpt.model.Task;
import org.ckpt.testkit.example.EmulatorDevice;
import org.ckpt.testkit.example.HostPipe;
import org.junit.jupiter.api.Test;

/**
 * Generated task sets shrink field by field to a small sample that prints in a few short
 * lines, host objects included: failing properties are run through jqwik ({@link JqwikRun})
 * and their reports read.
 */
class ShrinkingTest {
    static final Arbitrary<EmulatorDevice> DEVICES = Combinators.combine(Arbitraries.strings().alpha().ofMaxLength(8),
            Arbitraries.longs().array(long[].class).ofMaxSize(4),
            Arbitraries.bytes().array(byte[].class).ofMaxSize(16)).as(EmulatorDevice::new);
    static final Arbitrary<HostPipe> PIPES = Combinators.combine(Arbitraries.strings().alpha().ofMaxLength(8),
            Arbitraries.integers().between(0, 1 << 16), Arbitraries.bytes().array(byte[].class).ofMaxSize(16))
            .as(HostPipe::new);

    /** Properties that fail on purpose; run only through {@link JqwikRun}. */
    static class Failing {
        @Provide
        Arbitrary<List<Task>> sets() {
            return Generators.taskSets();
        }

        @Provide
        Arbitrary<List<Task>> hostSets() {
            return Generators.taskSets(GenConfig.DEFAULT.withExtensions(DEVICES, 4).withOpenFiles(PIPES));
        }

        @Property(seed = "42")
        void noTaskHasAnExitCode(@ForAll("sets") List<Task> tasks) {
            assertThat(tasks).allMatch(t -> t.exitCode() == 0);
        }

        @Property(seed = "42")
        void noAreaIsWritable(@ForAll("sets") List<Task> tasks) {
            assertThat(tasks).allMatch(t -> t.mm() == null
                    || t.mm().vmas().stream().noneMatch(v -> (v.prot() & 2) != 0));
        }

        @Property(seed = "42")
        void noDeviceHasRegisters(@ForAll("hostSets") List<Task> tasks) {
            assertThat(tasks).allMatch(t -> t.extensions().stream()
                    .noneMatch(o -> ((EmulatorDevice) o).registers().length > 0));
        }

        @Property(seed = "42")
        void noDescriptorIsAPipe(@ForAll("hostSets") List<Task> tasks) {
            assertThat(tasks).allMatch(t -> t.files() == null
                    || t.files().entries().stream().map(FileTable.Entry::file).noneMatch(f -> f instanceof HostPipe));
        }
    }

    @Test
    void aFailingFieldShrinksToOneTaskPrintedOnOneLine() throws Exception {
        assertThat(shrunk("noTaskHasAnExitCode")).matches("(?s)\\s*tasks: \\[Task\\{pid=1000, comm=\"\", exitCode=-?1}]\\s*");
    }

    @Test
    void aFailingAreaShrinksToOneZeroPage() throws Exception {
        String s = shrunk("noAreaIsWritable");
        assertThat(s).contains("vmas=[[0x10000, 0x11000) -w-p: 1 page at 0x10000, zero]")
                .doesNotContain("files=", "extensions=", "exitCode");
        assertThat(s.lines().count()).isLessThanOrEqualTo(15);
    }

    @Test
    void hostExtensionsShrinkToOneObjectWithItsArraysPrinted() throws Exception {
        String s = shrunk("noDeviceHasRegisters");
        assertThat(s).contains("extensions=").contains("registers=[0]").contains("buffered=[]")
                .doesNotContain("[J@").doesNotContain(" mm=", "files=");
        assertThat(s.lines().count()).isLessThanOrEqualTo(3);
    }

    @Test
    void hostOpenFilesAppearInFileTablesAndShrinkToOneDescriptor() throws Exception {
        String s = shrunk("noDescriptorIsAPipe");
        assertThat(s).contains("files=").contains("fd 0=").contains("HostPipe{").contains("capacity=0")
                .doesNotContain(" mm=", "extensions=");
        assertThat(s.lines().count()).isLessThanOrEqualTo(3);
    }

    /** The shrunk sample of a failing property in its jqwik report. */
    private static String shrunk(String property) throws Exception {
        JqwikRun run = JqwikRun.of(Failing.class, property);
        assertThat(run.failures()).containsKey(property);
        String report = run.reports(property);
        int from = report.indexOf("------\n", report.indexOf("Shrunk Sample"));
        int to = report.indexOf("Original Sample");
        assertThat(from).as("a shrunk sample in%n%s", report).isPositive();
        return report.substring(from + 7, to);
    }
}
