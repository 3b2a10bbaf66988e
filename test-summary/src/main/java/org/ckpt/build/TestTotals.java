package org.ckpt.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Prints, at the end of a build, one line per module with the tests it ran and the total over
 * all modules, from the surefire reports this build wrote ({@code <module>/target/surefire-reports/TEST-*.xml}
 * newer than the build's start; reports left from earlier builds do not count).
 *
 * <p>Arguments: the reactor's root directory and the build's start, as an ISO instant.
 */
public final class TestTotals {
    private static final Pattern SUITE = Pattern.compile("<testsuite\\b([^>]*)>");

    private TestTotals() {
    }

    /** Counts of one module, or of the whole build. */
    record Counts(String module, int tests, int failures, int errors, int skipped, double seconds) {
        Counts plus(Counts o) {
            return new Counts(module, tests + o.tests, failures + o.failures, errors + o.errors, skipped + o.skipped,
                    seconds + o.seconds);
        }
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args[0]);
        Instant started = Instant.parse(args[1]).minusSeconds(2);
        List<Counts> modules = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.sorted().toList()) {
                Counts c = module(dir, started);
                if (c != null) {
                    modules.add(c);
                }
            }
        }
        Counts total = new Counts("all", 0, 0, 0, 0, 0);
        StringBuilder out = new StringBuilder();
        for (Counts c : modules) {
            total = total.plus(c);
            out.append(String.format(Locale.ROOT, "  %-14s %,6d tests  %6.1f s%s%n", c.module(), c.tests(),
                    c.seconds(), c.failures() + c.errors() > 0 ? "  FAILED: " + (c.failures() + c.errors()) : ""));
        }
        long elapsed = Duration.between(started.plusSeconds(2), Instant.now()).toSeconds();
        out.append(String.format(Locale.ROOT, "Tests run: %,d, Failures: %d, Errors: %d, Skipped: %d"
                + " (all modules: %d with tests; build %d min %02d s)", total.tests(), total.failures(),
                total.errors(), total.skipped(), modules.size(), elapsed / 60, elapsed % 60));
        System.out.println(out);
        System.out.flush();
    }

    /** The counts of the reports {@code dir} wrote in this build, or null if it wrote none. */
    private static Counts module(Path dir, Instant started) throws IOException {
        Path reports = dir.resolve("target/surefire-reports");
        if (!Files.isDirectory(reports)) {
            return null;
        }
        Counts sum = null;
        try (Stream<Path> files = Files.list(reports)) {
            for (Path f : files.filter(TestTotals::isReport).sorted().toList()) {
                if (Files.getLastModifiedTime(f).toInstant().isBefore(started)) {
                    continue;
                }
                Counts c = suite(dir.getFileName().toString(), f);
                sum = sum == null ? c : sum.plus(c);
            }
        }
        return sum;
    }

    private static boolean isReport(Path f) {
        String n = f.getFileName().toString();
        return n.startsWith("TEST-") && n.endsWith(".xml");
    }

    /**
     * The counts of one report, from its {@code testcase} elements: a class that holds both JUnit
     * Jupiter tests and jqwik properties is reported by both engines, and the suite's own
     * {@code tests} attribute then counts only one engine's.
     */
    private static Counts suite(String module, Path report) throws IOException {
        String xml = Files.readString(report, StandardCharsets.UTF_8);
        Matcher m = SUITE.matcher(xml);
        double time = m.find() ? Double.parseDouble(attr(m.group(1), "time", "0").replace(",", "")) : 0;
        return new Counts(module, count(xml, "<testcase\\b"), count(xml, "<failure\\b"), count(xml, "<error\\b"),
                count(xml, "<skipped\\b"), time);
    }

    private static int count(String xml, String regex) {
        Matcher m = Pattern.compile(regex).matcher(xml);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private static String attr(String attrs, String name, String otherwise) {
        Matcher m = Pattern.compile("\\b" + name + "=\"([^\"]*)\"").matcher(attrs);
        return m.find() ? m.group(1) : otherwise;
    }
}
