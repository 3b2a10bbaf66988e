package org.ckpt.testkit;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiPredicate;
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
        private BiPredicate<Object, Object> hostEquality = Objects::equals;

        TaskListAssert(List<Task> actual) {
            super(actual, TaskListAssert.class);
        }

        /** Compares a host's own objects (extensions, further open-file types) with {@code equality}. */
        public TaskListAssert comparingHostObjectsWith(BiPredicate<Object, Object> equality) {
            hostEquality = Objects.requireNonNull(equality);
            return this;
        }

        /** Equal contents and equal sharing, as {@link Equivalence} defines it. */
        public TaskListAssert isEquivalentTo(List<Task> expected) {
            isNotNull();
            Optional<String> d = Equivalence.firstDifference(expected, actual, hostEquality);
            if (d.isPresent()) {
                failWithMessage("restored tasks differ from the original at %s", d.get());
            }
            return this;
        }
    }
}
