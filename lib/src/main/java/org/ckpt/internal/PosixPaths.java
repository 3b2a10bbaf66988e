package org.ckpt.internal;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * POSIX path handling independent of the JVM's file system, so an image taken on
 * one machine restarts on any other. Images hold paths relative to the root.
 */
final class PosixPaths {
    private PosixPaths() {
    }

    /** A root as given by a host: absolute, normalised, no trailing slash except "/". */
    static String normalizeRoot(String root) {
        if (root == null || !root.startsWith("/") || root.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("root must be an absolute POSIX path without NUL: " + root);
        }
        String n = normalizeAbsolute(root);
        if (n == null) {
            throw new IllegalArgumentException("root escapes '/': " + root);
        }
        return n;
    }

    /** Normalises an absolute path ("." and empty segments dropped, ".." applied); null if it climbs above "/". */
    static String normalizeAbsolute(String path) {
        Deque<String> parts = new ArrayDeque<>();
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".")) {
                continue;
            }
            if (seg.equals("..")) {
                if (parts.isEmpty()) {
                    return null;
                }
                parts.removeLast();
            } else {
                parts.addLast(seg);
            }
        }
        return "/" + String.join("/", parts);
    }

    /**
     * The path of {@code absolute} relative to {@code root} ("" for the root itself),
     * or null when it is not absolute, contains NUL, or lies outside the root.
     */
    static String relativize(String root, String absolute) {
        if (!absolute.startsWith("/") || absolute.indexOf('\0') >= 0) {
            return null;
        }
        String n = normalizeAbsolute(absolute);
        if (n == null) {
            return null;
        }
        if (root.equals("/")) {
            return n.substring(1);
        }
        if (n.equals(root)) {
            return "";
        }
        if (n.startsWith(root) && n.charAt(root.length()) == '/') {
            return n.substring(root.length() + 1);
        }
        return null;
    }

    /**
     * Why an image path is unacceptable, or null if it is fine: it must be relative,
     * contain no NUL, and not climb above the root with "..".
     */
    static String problem(String relative) {
        if (relative.startsWith("/")) {
            return "path '" + relative + "' is absolute; image paths are relative to the root";
        }
        if (relative.indexOf('\0') >= 0) {
            return "path contains a NUL byte";
        }
        int depth = 0;
        for (String seg : relative.split("/", -1)) {
            if (seg.equals("..")) {
                if (--depth < 0) {
                    return "path '" + relative + "' climbs out of the root with '..'";
                }
            } else if (!seg.isEmpty() && !seg.equals(".")) {
                depth++;
            }
        }
        return null;
    }

    /** Resolves a checked relative path under {@code root}. */
    static String resolve(String root, String relative) {
        String joined = root.equals("/") ? "/" + relative : root + "/" + relative;
        return normalizeAbsolute(joined);
    }
}
