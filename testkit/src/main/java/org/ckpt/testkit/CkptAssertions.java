package org.ckpt.testkit;

import java.util.List;
import java.util.Optional;
import org.assertj.core.api.AbstractAssert;
import org.ckpt.model.Task;

/**
 * AssertJ entry point: {@code assertThat(restored).isEquivalentTo(original)} reports
 * the first difference with its path instead of two object graphs.
 *
 * @since 0.1 (evolving)
 */
public final class CkptAssertions {
    private CkptAssertions() {
    }

    public static TaskListAssert assertThat(List<Task> actual) {
        return new TaskListAssert(actual);
    }

    /** Assertions on a restored task list. */
    public static final class TaskListAssert extends AbstractAssert<TaskListAssert, List<Task>> {
        TaskListAssert(List<Task> actual) {
            super(actual, TaskListAssert.class);
        }

        /** Equal contents and equal sharing, as {@link Equivalence} defines it. */
        public TaskListAssert isEquivalentTo(List<Task> expected) {
            isNotNull();
            Optional<String> d = Equivalence.firstDifference(expected, actual);
            if (d.isPresent()) {
                failWithMessage("restored tasks differ from the original at %s", d.get());
            }
            return this;
        }
    }
}
