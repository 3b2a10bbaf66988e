package org.ckpt.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Processes as a tree: parents, descendants, thread groups, from {@code /proc}. */
final class ProcTree {
    /** {@code PF_KTHREAD} in the flags field of {@code stat}. */
    static final long PF_KTHREAD = 0x00200000;

    private ProcTree() {
    }

    /** The parent of {@code pid}, or -1 if it is gone. */
    static long ppid(long pid) {
        try {
            return ProcFs.stat(ProcFs.dir(pid)).num(4);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The thread group (process) a thread id belongs to, or -1 if there is no such thread. */
    static int tgid(long tid) {
        try {
            String t = ProcFs.status(ProcFs.dir(tid)).get("Tgid");
            return t == null ? -1 : Integer.parseInt(t);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** This JVM and its ancestors up to init: the processes a dump must never freeze. */
    static Set<Long> selfAndAncestors() {
        Set<Long> s = new LinkedHashSet<>();
        long p = ProcessHandle.current().pid();
        while (p > 0 && s.add(p)) {
            p = ppid(p);
        }
        return s;
    }

    /**
     * Every descendant of {@code root}, parents before their children: its children by pid, then
     * theirs, level by level (after the pid counter wraps, a child's pid may be lower than its
     * parent's, so ascending pids would not keep that order).
     */
    static List<Integer> descendants(int root) {
        Map<Integer, List<Integer>> children = new HashMap<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(ProcFs.PROC)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (n.isEmpty() || !Character.isDigit(n.charAt(0))) {
                    continue;
                }
                try {
                    ProcFs.Stat st = ProcFs.stat(p);
                    children.computeIfAbsent((int) st.num(4), k -> new ArrayList<>()).add(Integer.parseInt(n));
                } catch (IOException | RuntimeException e) {
                    // exited while listed
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        List<Integer> out = new ArrayList<>();
        ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(root));
        while (!queue.isEmpty()) {
            List<Integer> level = new ArrayList<>(children.getOrDefault(queue.poll(), List.of()));
            level.sort(null);
            for (int c : level) {
                out.add(c);
                queue.add(c);
            }
        }
        return out;
    }
}
