package org.ckpt.testkit;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiPredicate;
import org.assertj.core.api.AbstractAssert;
import org.assertj.core.api.InstanceOfAssertFactory;
import org.assertj.core.api.recursive.comparison.RecursiveComparisonConfiguration;
import org.ckpt.model.Task;

/**
 * AssertJ entry points for restored tasks, named so that they sit beside AssertJ's own
 * {@code Assertions.assertThat} in one test class without clashing:
 *
 * <pre>{@code
 * import static org.assertj.core.api.Assertions.assertThat;
 * import static org.ckpt.testkit.CkptAssertions.assertThatTasks;
 *
 * assertThat(back).hasSize(1);                       // AssertJ's list assertions
 * assertThatTasks(back).isEquivalentTo(original);    // ckpt's: contents and sharing, first difference with its path
 * assertThat(result.tasks()).asInstanceOf(CkptAssertions.TASKS).isEquivalentTo(original);
 * }</pre>
 *
 * <p>A difference is reported with its path, down into a host's own objects:
 * {@code task 0 › extension 1 › EmulatorDevice.registers[3]: expected 1016, was 0}.
 *
 * @since 0.1 (evolving)
 */
public final class CkptAssertions {
    /**
     * For AssertJ's {@code asInstanceOf} and {@code extracting(…, factory)}: a list of tasks
     * as a {@link TaskListAssert}.
     *
     * @since 0.2
     */
    @SuppressWarnings("rawtypes")
    public static final InstanceOfAssertFactory<List, TaskListAssert> TASKS =
            new InstanceOfAssertFactory<>(List.class, CkptAssertions::tasksOf);

    private CkptAssertions() {
    }

    /**
     * Assertions on a restored task list (replaces {@code assertThat(List<Task>)} of 0.1,
     * which clashed with AssertJ's own {@code assertThat}).
     *
     * @since 0.2
     */
    public static TaskListAssert assertThatTasks(List<Task> actual) {
        return new TaskListAssert(actual);
    }

    private static TaskListAssert tasksOf(List<?> actual) {
        if (actual != null) {
            for (Object o : actual) {
                if (!(o instanceof Task)) {
                    throw new IllegalArgumentException("not a list of tasks: it holds a "
                            + (o == null ? "null" : o.getClass().getName()));
                }
            }
        }
        @SuppressWarnings("unchecked")
        List<Task> tasks = (List<Task>) actual;
        return new TaskListAssert(tasks);
    }

    /** Assertions on a restored task list. */
    public static final class TaskListAssert extends AbstractAssert<TaskListAssert, List<Task>> {
        private HostDifference host = HostDifference.fieldByField();

        TaskListAssert(List<Task> actual) {
            super(actual, TaskListAssert.class);
        }

        /**
         * Compares a host's own objects (extensions, further open-file types) field by field,
         * recursively, ignoring their {@code equals} (the default).
         *
         * @since 0.2
         */
        public TaskListAssert comparingHostObjectsFieldByField() {
            return comparingHostObjectsUsing(HostDifference.fieldByField());
        }

        /**
         * Compares a host's own objects field by field as {@code configuration} says
         * (ignored fields, comparators for a type or a field).
         *
         * @since 0.2
         */
        public TaskListAssert comparingHostObjectsFieldByField(RecursiveComparisonConfiguration configuration) {
            return comparingHostObjectsUsing(HostDifference.fieldByField(configuration));
        }

        /** Compares a host's own objects with {@code equality} (their {@code equals}: {@code Objects::equals}). */
        public TaskListAssert comparingHostObjectsWith(BiPredicate<Object, Object> equality) {
            return comparingHostObjectsUsing(HostDifference.of(equality));
        }

        /**
         * Compares a host's own objects with {@code difference}.
         *
         * @since 0.2
         */
        public TaskListAssert comparingHostObjectsUsing(HostDifference difference) {
            host = Objects.requireNonNull(difference, "difference");
            return this;
        }

        /** Equal contents and equal sharing, as {@link Equivalence} defines it. */
        public TaskListAssert isEquivalentTo(List<Task> expected) {
            isNotNull();
            Optional<String> d = Equivalence.firstDifference(expected, actual, host);
            if (d.isPresent()) {
                failWithMessage("restored tasks differ from the original at %s", d.get());
            }
            return this;
        }

        /**
         * Holds exactly {@code count} tasks.
         *
         * @since 0.2
         */
        public TaskListAssert hasTaskCount(int count) {
            isNotNull();
            if (actual.size() != count) {
                failWithMessage("expected %d tasks, got %d", count, actual.size());
            }
            return this;
        }
    }
}
