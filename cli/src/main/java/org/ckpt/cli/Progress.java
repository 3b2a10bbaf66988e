package org.ckpt.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.ckpt.ProgressListener;

/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal
 * ({@link System#console()} is not null); otherwise silent, so that scripts and
 * logs get no control characters.
 */
final class Progress implements ProgressListener, AutoCloseable {
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final String label;
    private final long totalBytes;
    private final boolean enabled;
    private final long started = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    private Progress(PrintWriter err, String label, long totalBytes, boolean enabled) {
        this.err = err;
        this.label = label;
        this.totalBytes = totalBytes;
        this.enabled = enabled;
    }

    /** @param totalBytes expected bytes, or 0 if unknown (then no percentage is shown) */
    static Progress of(PrintWriter err, String label, long totalBytes) {
        return new Progress(err, label, totalBytes, System.console() != null);
    }

    @Override
    public void progress(int tasksDone, int tasksTotal, long bytes, long pages) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        double secs = Math.max(now - started, 1) / 1e9;
        StringBuilder sb = new StringBuilder("\r").append(label).append(' ');
        if (totalBytes > 0) {
            double f = Math.min(1.0, (double) bytes / totalBytes);
            int width = 30;
            int full = (int) (f * width);
            sb.append('[').append("#".repeat(full)).append(".".repeat(width - full)).append("] ");
            sb.append(String.format(Locale.ROOT, "%3.0f%% ", f * 100));
        }
        sb.append(Fmt.bytes(bytes)).append(", ").append(Fmt.count(pages)).append(" pages, ")
                .append(Fmt.bytes((long) (bytes / secs))).append("/s   ");
        err.print(sb);
        err.flush();
        drawn = true;
    }

    @Override
    public void close() {
        if (drawn) {
            err.print("\r" + " ".repeat(100) + "\r");
            err.flush();
        }
    }
}
