package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.ckpt.testkit.CkptAssertions.assertThatTasks;

import java.util.List;
import org.assertj.core.api.recursive.comparison.RecursiveComparisonConfiguration;
import org.ckpt.model.Task;
import org.ckpt.testkit.example.EmulatorDevice;
import org.junit.jupiter.api.Test;

/** CkptAssertions sits beside AssertJ's own static imports, and names the first difference down into host objects. */
class CkptAssertionsTest {
    private static final EmulatorDevice UART = new EmulatorDevice("uart0", new long[] {0x3F8, 0x60, 0}, new byte[] {1});

    private static List<Task> tasks(EmulatorDevice d) {
        return List.of(Task.builder().pid(1).comm("emu").extensions(List.of(d)).build());
    }

    @Test
    void composesWithAssertJsAssertThat() {
        List<Task> back = tasks(UART);
        assertThat(back).hasSize(1);
        assertThatTasks(back).hasTaskCount(1).isEquivalentTo(tasks(UART));
        assertThat(back).asInstanceOf(CkptAssertions.TASKS).isEquivalentTo(tasks(UART));
        assertThat((Object) back).asInstanceOf(CkptAssertions.TASKS).hasTaskCount(1);
    }

    @Test
    void reportsTheFieldPathOfTheFirstDifferenceInAHostObject() {
        EmulatorDevice other = new EmulatorDevice("uart0", new long[] {0x3F8, 0x61, 0}, new byte[] {1});
        assertThatThrownBy(() -> assertThatTasks(tasks(other)).isEquivalentTo(tasks(UART)))
                .hasMessage("restored tasks differ from the original at task 0 \u203a extension 0 \u203a "
                        + "EmulatorDevice.registers[1]: expected 96, was 97");
    }

    @Test
    void fieldByFieldIgnoresEqualsAndCanBeConfigured() {
        record Cached(int value, long cachedHash) {
            @Override
            public boolean equals(Object o) {
                return o instanceof Cached c && c.value == value;
            }

            @Override
            public int hashCode() {
                return value;
            }
        }
        List<Task> a = List.of(Task.builder().pid(1).comm("x").extensions(List.of(new Cached(1, 17))).build());
        List<Task> b = List.of(Task.builder().pid(1).comm("x").extensions(List.of(new Cached(1, 0))).build());
        assertThatThrownBy(() -> assertThatTasks(b).isEquivalentTo(a)).hasMessageContaining("Cached.cachedHash");
        assertThatTasks(b).comparingHostObjectsWith(Object::equals).isEquivalentTo(a);
        assertThatTasks(b).comparingHostObjectsFieldByField(RecursiveComparisonConfiguration.builder()
                .withIgnoredFields("cachedHash").build()).isEquivalentTo(a);
    }

    @Test
    void aListOfSomethingElseIsRefusedByTheFactory() {
        assertThatThrownBy(() -> assertThat((Object) List.of("x")).asInstanceOf(CkptAssertions.TASKS))
                .hasMessageContaining("not a list of tasks");
    }

    /** With ModelRepresentation, AssertJ's own messages print tasks compactly. */
    @Test
    void assertJPrintsTasksCompactlyWithTheModelRepresentation() {
        List<Task> tasks = Generators.build(3, 2, 2, List.of());
        org.assertj.core.api.Assertions.useRepresentation(new ModelRepresentation());
        try {
            assertThatThrownBy(() -> assertThat(tasks).allMatch(t -> t.exitCode() == 0))
                    .hasMessageContaining("Task{pid=1000, comm=")
                    .hasMessageContaining("mm=AddressSpace{")
                    .hasMessageNotContaining("utimescaled=");
        } finally {
            org.assertj.core.api.Assertions.useDefaultRepresentation();
        }
    }
}
