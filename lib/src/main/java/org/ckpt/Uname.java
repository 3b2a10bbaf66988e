package org.ckpt;

import java.util.Objects;

/**
 * The producing machine's identity, as {@code uname(2)} gives it; informational.
 *
 * @since 0.1 (stable)
 */
public record Uname(String sysname, String nodename, String release, String version, String machine) {
    public Uname {
        Objects.requireNonNull(sysname, "sysname");
        Objects.requireNonNull(nodename, "nodename");
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(machine, "machine");
    }

    /** This JVM's machine, from system properties (the node name from the environment when available). */
    public static Uname current() {
        String node = System.getenv("HOSTNAME");
        return new Uname(System.getProperty("os.name", ""), node == null ? "" : node,
                System.getProperty("os.version", ""), "", System.getProperty("os.arch", ""));
    }
}
