package org.ckpt.cli;

import java.time.Duration;
import java.util.Locale;

/** Number formatting shared by the commands' text output. */
final class Fmt {
    private Fmt() {
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        double v = n;
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3f s", d.toNanos() / 1e9);
    }

    static String millis(Duration d) {
        return String.format(Locale.ROOT, "%.0f ms", d.toNanos() / 1e6);
    }

    /** A duration in milliseconds, exactly (any duration an image may hold), for JSON. */
    static java.math.BigDecimal ms(Duration d) {
        java.math.BigDecimal v = java.math.BigDecimal.valueOf(d.getSeconds()).multiply(java.math.BigDecimal.valueOf(1000))
                .add(java.math.BigDecimal.valueOf(d.getNano(), 6));
        return v.signum() == 0 ? java.math.BigDecimal.ZERO : v.stripTrailingZeros();
    }

    static String rate(long bytes, Duration d) {
        double s = Math.max(d.toNanos(), 1) / 1e9;
        return Fmt.bytes((long) (bytes / s)) + "/s";
    }

    /** Megabytes per second as a number, for JSON. */
    static double mibPerSecond(long bytes, Duration d) {
        double s = Math.max(d.toNanos(), 1) / 1e9;
        return Math.round(bytes / s / (1 << 20) * 10) / 10.0;
    }

    static String plural(long n, String one) {
        return count(n) + " " + (n == 1 ? one : one.endsWith("s") ? one + "es" : one + "s");
    }

    static String prot(int prot) {
        return ((prot & 1) != 0 ? "r" : "-") + ((prot & 2) != 0 ? "w" : "-") + ((prot & 4) != 0 ? "x" : "-");
    }

    static String octal(long v) {
        return "0" + Long.toOctalString(v);
    }
}
