package org.ckpt.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the guest kernel does to memory beside the runs, for the report: transparent huge pages,
 * DAMON schemes, and how long the DAMON threads ran during the run. On the 2026-12-03 VM a DAMON
 * scheme pages out page cache untouched for a minute (quota 50 ms of CPU a second), and its
 * {@code kdamond} thread ran 13-24 ms inside some slow checkpoints: a third runnable thread takes
 * a CPU from a two-thread checkpoint, never from the one-thread raw write (docs/PERFORMANCE.md).
 */
final class GuestKernel {
    private static final Path DAMON = Path.of("/sys/kernel/mm/damon/admin/kdamonds");

    private GuestKernel() {
    }

    /** One line: THP mode and each kdamond's state and scheme actions; "unknown" parts left out. */
    static String memorySetup() {
        List<String> parts = new ArrayList<>();
        String thp = read(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
        if (thp != null) {
            int a = thp.indexOf('[');
            int b = thp.indexOf(']');
            parts.add("transparent huge pages " + (a >= 0 && b > a ? thp.substring(a + 1, b) : thp));
        }
        String n = read(DAMON.resolve("nr_kdamonds"));
        if (n != null && n.matches("\\d+")) {
            for (int k = 0; k < Integer.parseInt(n); k++) {
                Path d = DAMON.resolve(Integer.toString(k));
                List<String> actions = new ArrayList<>();
                try (DirectoryStream<Path> ss = Files.newDirectoryStream(d.resolve("contexts/0/schemes"), "[0-9]*")) {
                    for (Path s : ss) {
                        String act = read(s.resolve("action"));
                        if (act != null) {
                            actions.add(act);
                        }
                    }
                } catch (IOException e) {
                    // no schemes readable: state alone
                }
                String state = read(d.resolve("state"));
                parts.add("DAMON kdamond " + k + " " + (state != null ? state : "state unknown")
                        + (actions.isEmpty() ? "" : " (schemes: " + String.join(", ", actions) + ")"));
            }
        }
        return parts.isEmpty() ? "unknown" : String.join("; ", parts);
    }

    /**
     * The CPU time, in ns, a thread has run: the first field of its {@code schedstat} ({@code task}
     * a {@code /proc/<pid>} or {@code /proc/<pid>/task/<tid>} directory).
     */
    static long ranNs(Path task) throws IOException {
        String stat = Files.readString(task.resolve("schedstat"));
        return Long.parseLong(stat.substring(0, stat.indexOf(' ')));
    }

    /** The DAMON threads' {@code /proc} directories, found once (they live as long as the guest). */
    private static List<Path> kdamonds;

    /** CPU time the kernel's DAMON threads ({@code kdamond.*}) have run, in ns; 0 without them. */
    static synchronized long kdamondNanos() {
        if (kdamonds == null) {
            kdamonds = new ArrayList<>();
            try (DirectoryStream<Path> ps = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
                for (Path p : ps) {
                    String comm = read(p.resolve("comm"));
                    if (comm != null && comm.startsWith("kdamond")) {
                        kdamonds.add(p);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no /proc: none
            }
        }
        long sum = 0;
        for (Path p : kdamonds) {
            try {
                sum += ranNs(p);
            } catch (IOException | RuntimeException e) {
                // a thread that ended: its time no longer counts
            }
        }
        return sum;
    }

    static String ms(long ns) {
        return String.format(Locale.ROOT, "%.0f ms", ns / 1e6);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
