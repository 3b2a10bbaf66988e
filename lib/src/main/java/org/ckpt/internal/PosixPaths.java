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
        if (isNormalAbsolute(path)) {
            return path;  // what hosts pass almost always: nothing to do, nothing allocated
        }
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
     * Whether {@code path} is absolute and already normal: "/" itself, or "/"-separated
     * segments none of which is empty, "." or ".." (so no trailing or doubled slash).
     */
    static boolean isNormalAbsolute(String path) {
        int n = path.length();
        if (n == 0 || path.charAt(0) != '/') {
            return false;
        }
        if (n == 1) {
            return true;
        }
        int from = 1;
        for (int i = 1; i <= n; i++) {
            if (i == n || path.charAt(i) == '/') {
                if (isSpecialSegment(path, from, i)) {
                    return false;
                }
                from = i + 1;
            }
        }
        return true;
    }

    /** Whether {@code path[from, to)} is an empty, "." or ".." segment. */
    private static boolean isSpecialSegment(String path, int from, int to) {
        int len = to - from;
        return len == 0 || (path.charAt(from) == '.' && (len == 1 || (len == 2 && path.charAt(from + 1) == '.')));
    }

    /**
     * The path of {@code absolute} relative to {@code root} ("" for the root itself),
     * or null when it is not absolute, contains NUL, or lies outside the root.
     */
    static String relativize(String root, String absolute) {
        String n = normalizeUnder(root, absolute);
        if (n == null) {
            return null;
        }
        int from = relativeStart(root, n);
        return from < 0 ? null : n.substring(from);
    }

    /**
     * {@code absolute} normalised (the same instance when it is normal already), or null when
     * it is not absolute, contains NUL or climbs above "/"; {@link #relativeStart} then says
     * where its path relative to the root begins.
     */
    static String normalizeUnder(String root, String absolute) {
        if (!absolute.startsWith("/") || absolute.indexOf('\0') >= 0) {
            return null;
        }
        return normalizeAbsolute(absolute);
    }

    /**
     * Where the path relative to {@code root} begins in the normalised absolute path {@code n}
     * ({@code n.length()} for the root itself), or -1 when {@code n} lies outside the root.
     */
    static int relativeStart(String root, String n) {
        if (root.equals("/")) {
            return 1;
        }
        if (n.equals(root)) {
            return n.length();
        }
        if (n.startsWith(root) && n.charAt(root.length()) == '/') {
            return root.length() + 1;
        }
        return -1;
    }

    /**
     * Why an image path is unacceptable, or null if it is fine: it must be relative,
     * contain no NUL, and not climb above the root with "..".
     */
    static String problem(String relative) {
        return problem(relative, 0);
    }

    /** {@link #problem(String)} of {@code path.substring(start)}, without making that string. */
    static String problem(String path, int start) {
        if (path.startsWith("/", start)) {
            return "path '" + path.substring(start) + "' is absolute; image paths are relative to the root";
        }
        if (path.indexOf('\0', start) >= 0) {
            return "path contains a NUL byte";
        }
        int depth = 0;
        int from = start;
        int n = path.length();
        for (int i = start; i <= n; i++) {
            if (i == n || path.charAt(i) == '/') {
                int len = i - from;
                if (len == 2 && path.charAt(from) == '.' && path.charAt(from + 1) == '.') {
                    if (--depth < 0) {
                        return "path '" + path.substring(start) + "' climbs out of the root with '..'";
                    }
                } else if (len > 0 && !(len == 1 && path.charAt(from) == '.')) {
                    depth++;
                }
                from = i + 1;
            }
        }
        return null;
    }

    /** What a checked relative path is resolved under: "/" for the root "/", else the root and a slash. */
    static String prefix(String root) {
        return root.equals("/") ? "/" : root + "/";
    }

    /** Resolves a checked relative path under {@code root}. */
    static String resolve(String root, String relative) {
        return normalizeAbsolute(prefix(root) + relative);
    }
}
