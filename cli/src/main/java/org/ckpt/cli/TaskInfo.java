package org.ckpt.cli;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.ckpt.model.Task;

/**
 * What a dump knows about a task that the task model has no field for — signal masks,
 * auxv, credentials, cwd/root, rlimits, ppid/pgid/sid — and what it could not capture
 * ({@code ckpt.omitted.*}: pipes with their buffered data, sockets, ttys, devices, event
 * descriptors, areas the kernel refuses to read), kept in {@link Task#info()} (the optional
 * {@code TASK_INFO} record, docs/FORMAT.md §5.6) with namespaced keys: {@code linux.*} for
 * facts from {@code /proc} and ptrace, {@code ckpt.*} for what the dump did and left out.
 */
final class TaskInfo {
    /** The most UTF-8 bytes of one value: {@code Limits.DEFAULTS.maxStringLength()} less a margin. */
    static final int MAX_VALUE = 4000;

    private TaskInfo() {
    }

    /** Adds {@code info} to the task being built. */
    static Task.Builder attach(Task.Builder b, Map<String, String> info) {
        return b.info(info);
    }

    /** The info of a task (empty if it has none). */
    static Map<String, String> of(Task t) {
        return t.info();
    }

    /** Splits a long ASCII value (pipe contents in base64) into keys {@code key.0}, {@code key.1}, ... */
    static void putChunked(Map<String, String> info, String key, String value) {
        for (int i = 0, at = 0; at < value.length(); i++, at += MAX_VALUE) {
            info.put(key + "." + i, value.substring(at, Math.min(value.length(), at + MAX_VALUE)));
        }
    }

    /** Joins what {@link #putChunked} split. */
    static String chunked(Map<String, String> info, String key) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; info.containsKey(key + "." + i); i++) {
            sb.append(info.get(key + "." + i));
        }
        return sb.toString();
    }

    /** Shortens a value to what a value may hold ({@link #MAX_VALUE} UTF-8 bytes), marking the cut. */
    static String clip(String v) {
        if (v.length() * 3 <= MAX_VALUE || v.getBytes(StandardCharsets.UTF_8).length <= MAX_VALUE) {
            return v;
        }
        int n = Math.min(v.length(), MAX_VALUE - 3);
        while (n > 0 && (v.substring(0, n).getBytes(StandardCharsets.UTF_8).length > MAX_VALUE - 3
                || Character.isHighSurrogate(v.charAt(n - 1)))) {
            n -= Math.max(1, n / 16);
        }
        return v.substring(0, n) + "...";
    }
}
