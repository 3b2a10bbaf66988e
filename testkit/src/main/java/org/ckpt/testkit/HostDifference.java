package org.ckpt.testkit;

import java.lang.reflect.Array;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiPredicate;
import org.assertj.core.api.recursive.comparison.ComparisonDifference;
import org.assertj.core.api.recursive.comparison.RecursiveComparisonConfiguration;
import org.assertj.core.api.recursive.comparison.RecursiveComparisonDifferenceCalculator;

/**
 * How an original host object (a task extension, a host's own open-file type) and its
 * restored copy are compared: the first difference as a readable path
 * ({@code "registers[3]: expected 1016, was 0"}), or empty when they are equivalent.
 *
 * <p>The default, {@link #fieldByField()}, compares every field recursively, whatever the
 * type's {@code equals} says: an {@code ObjectOps} that forgets to write a field is caught
 * even when {@code equals} forgets it too.
 *
 * @since 0.2 (evolving)
 */
@FunctionalInterface
public interface HostDifference {
    /** The first difference between {@code expected} and {@code actual}, or empty. */
    Optional<String> between(Object expected, Object actual);

    /**
     * Recursive field-by-field comparison (AssertJ's recursive comparison, overridden
     * {@code equals} methods ignored, arrays and collections element by element, types of
     * {@code java.*} by their {@code equals}).
     */
    static HostDifference fieldByField() {
        return fieldByField(RecursiveComparisonConfiguration.builder().build());
    }

    /** Recursive comparison as {@code configuration} says (fields to ignore, comparators per type or field, …). */
    static HostDifference fieldByField(RecursiveComparisonConfiguration configuration) {
        Objects.requireNonNull(configuration, "configuration");
        RecursiveComparisonDifferenceCalculator calculator = new RecursiveComparisonDifferenceCalculator();
        return (expected, actual) -> {
            if (expected == null || actual == null) {
                return expected == actual ? Optional.empty()
                        : Optional.of("expected " + describe(expected) + ", was " + describe(actual));
            }
            List<ComparisonDifference> d = calculator.determineDifferences(actual, expected, configuration);
            if (d.isEmpty()) {
                return Optional.empty();
            }
            ComparisonDifference first = d.get(0);
            String path = first.getConcatenatedPath();
            String where = path.isEmpty() ? "" : path + ": ";
            String more = d.size() > 1 ? " (and " + (d.size() - 1) + " more difference" + (d.size() > 2 ? "s" : "")
                    + ")" : "";
            // AssertJ's "compared with equals method" remark says nothing a reader needs here.
            String info = first.getAdditionalInformation().filter(s -> !s.contains("equals method"))
                    .map(s -> " (" + s + ")").orElse("");
            return Optional.of(where + "expected " + describe(first.getExpected()) + ", was "
                    + describe(first.getActual()) + info + more);
        };
    }

    /** The objects' own {@code equals}. */
    static HostDifference equalsMethod() {
        return of(Objects::equals);
    }

    /** {@code equality} decides; a difference is reported as both objects' {@code toString}. */
    static HostDifference of(BiPredicate<Object, Object> equality) {
        Objects.requireNonNull(equality, "equality");
        return (expected, actual) -> equality.test(expected, actual) ? Optional.empty()
                : Optional.of("expected " + describe(expected) + ", was " + describe(actual));
    }

    /** A value for a failure message: arrays element by element, long ones cut. */
    private static String describe(Object o) {
        String s;
        if (o == null) {
            s = "null";
        } else if (o.getClass().isArray()) {
            StringBuilder b = new StringBuilder("[");
            int n = Array.getLength(o);
            for (int i = 0; i < Math.min(n, 16); i++) {
                b.append(i == 0 ? "" : ", ").append(Array.get(o, i));
            }
            s = b.append(n > 16 ? ", … (" + n + " elements)]" : "]").toString();
        } else {
            s = String.valueOf(o);
        }
        return s.length() > 200 ? s.substring(0, 197) + "…" : s;
    }
}
