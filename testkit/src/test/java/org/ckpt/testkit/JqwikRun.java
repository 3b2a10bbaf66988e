package org.ckpt.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs a class of jqwik properties in this JVM, as a downstream build would, and keeps what
 * it reports: the failures (property name, exception) and jqwik's report entries (samples,
 * seeds, statistics) — published to the JUnit Platform instead of printed, so a test about a
 * deliberately failing property prints nothing.
 */
public final class JqwikRun {
    /** One failed property: its display name and what it threw. */
    public record Failure(String property, Throwable thrown) {
        public String message() {
            StringBuilder b = new StringBuilder();
            for (Throwable t = thrown; t != null; t = t.getCause()) {
                b.append(t).append('\n');
            }
            return b.toString();
        }
    }

    private final Map<String, Failure> failures = new LinkedHashMap<>();
    private final List<String> succeeded = new ArrayList<>();
    private final Map<String, List<String>> reports = new LinkedHashMap<>();

    private JqwikRun() {
    }

    /** Runs every property of {@code type} (optionally only {@code method}) with a fresh jqwik database. */
    public static JqwikRun of(Class<?> type, String... methods) throws Exception {
        Path db = Files.createTempFile("jqwik-selftest", ".db");
        Files.delete(db);
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request()
                .filters(EngineFilter.includeEngines("jqwik"))
                .configurationParameter("jqwik.reporting.usejunitplatform", "true")
                .configurationParameter("jqwik.database", db.toString())
                .configurationParameter("jqwik.shrinking.bounded.seconds", "20");
        if (methods.length == 0) {
            b.selectors(DiscoverySelectors.selectClass(type));
        } else {
            for (String m : methods) {
                b.selectors(DiscoverySelectors.selectMethod(type, findMethod(type, m)));
            }
        }
        LauncherDiscoveryRequest request = b.build();
        JqwikRun run = new JqwikRun();
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) {
                    return;
                }
                if (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                    run.succeeded.add(id.getDisplayName());
                } else {
                    run.failures.put(id.getDisplayName(), new Failure(id.getDisplayName(),
                            result.getThrowable().orElse(null)));
                }
            }

            @Override
            public void reportingEntryPublished(TestIdentifier id, ReportEntry entry) {
                run.reports.computeIfAbsent(id.getDisplayName(), k -> new ArrayList<>())
                        .add(entry.getKeyValuePairs().toString());
            }
        });
        Files.deleteIfExists(db);
        return run;
    }

    private static java.lang.reflect.Method findMethod(Class<?> type, String name) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                for (java.lang.reflect.Method m : i.getMethods()) {
                    if (m.getName().equals(name)) {
                        return m;
                    }
                }
            }
            for (java.lang.reflect.Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(name)) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException("no method " + name + " in " + type);
    }

    /** Failed properties by name. */
    public Map<String, Failure> failures() {
        return failures;
    }

    /** Names of the properties that passed. */
    public List<String> succeeded() {
        return succeeded;
    }

    /** Everything jqwik reported for {@code property} (sample, shrunk sample, seed, statistics), one entry per line. */
    public String reports(String property) {
        return String.join("\n", reports.getOrDefault(property, List.of()));
    }
}
