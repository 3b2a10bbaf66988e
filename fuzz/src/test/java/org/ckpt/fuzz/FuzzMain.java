package org.ckpt.fuzz;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.PrintWriter;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * Runs one fuzz test method outside Maven, for {@code fuzz/run}: Jazzer fuzzes only
 * one {@code @FuzzTest} per JVM, and a plain JVM keeps libFuzzer's progress lines on
 * stderr instead of inside Surefire's fork protocol.
 *
 * <p>Usage: {@code FuzzMain org.ckpt.fuzz.RestartFuzzTest#wholeImage} with
 * {@code JAZZER_FUZZ=1} and {@code JAZZER_MAX_DURATION} in the environment; exit status 0
 * when no finding was reported. {@code -Dckpt.fuzz.timeout=<seconds>} sets the per-input
 * timeout (default 10).
 */
public final class FuzzMain {
    private FuzzMain() {
    }

    public static void main(String[] args) {
        if (args.length != 1 || !args[0].contains("#")) {
            System.err.println("usage: FuzzMain <class>#<method>");
            System.exit(2);
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(args[0].contains("(") ? args[0] : args[0] + "(byte[])"))
                .filters(EngineFilter.includeEngines("junit-jupiter"))
                // libFuzzer flags (argument 0 is its program name): a per-input timeout
                // (JUnit's would time out the whole fuzzing run) and closing statistics.
                .configurationParameter("jazzer.internal.arg.0", "fuzz")
                .configurationParameter("jazzer.internal.arg.1", "-timeout=" + Integer.getInteger("ckpt.fuzz.timeout", 10))
                .configurationParameter("jazzer.internal.arg.2", "-print_final_stats=1")
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        summary.getSummary().printTo(new PrintWriter(System.out, true));
        summary.getSummary().printFailuresTo(new PrintWriter(System.out, true), 40);
        long ran = summary.getSummary().getTestsSucceededCount() + summary.getSummary().getTotalFailureCount();
        System.exit(summary.getSummary().getTotalFailureCount() == 0 && ran > 0 ? 0 : 1);
    }
}
