package org.ckpt.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;

/**
 * What a dump knows about a task that the task model has no field for — signal masks,
 * auxv, credentials, cwd/root, rlimits, ppid/pgid/sid — and what it could not capture
 * ({@code ckpt.omitted.*}: pipes with their buffered data, sockets, ttys, devices, event
 * descriptors, areas the kernel refuses to read), as string pairs with namespaced keys
 * ({@code linux.sigmask}, {@code ckpt.omitted.fd.3}).
 *
 * <p>This is the only class that knows where they live in an image. Until the library's
 * {@code Task.info()} (core record TASK_INFO) is on this branch they travel as a task
 * extension object of type {@value #TYPE}, whose ops {@link #register} adds to every
 * checkpointer and restarter the command builds.
 */
final class TaskInfo {
    /** The extension object's type name. */
    static final String TYPE = "ckpt.cli.task-info";
    static final int MAX_ENTRIES = 4096;
    static final int MAX_KEY = 255;
    static final int MAX_VALUE = 4000;

    private TaskInfo() {
    }

    /** The map as an extension object. */
    record Info(Map<String, String> entries) {
        Info {
            entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }
    }

    /** Adds {@code info} to the task being built. */
    static Task.Builder attach(Task.Builder b, Map<String, String> info) {
        if (info.isEmpty()) {
            return b;
        }
        return b.extensions(List.of(new Info(info)));
    }

    /** The info of a task (empty if it has none). */
    static Map<String, String> of(Task t) {
        for (Object e : t.extensions()) {
            if (e instanceof Info i) {
                return i.entries();
            }
        }
        return Map.of();
    }

    static Checkpointer.Builder register(Checkpointer.Builder b) {
        return b.register(new Ops());
    }

    static Restarter.Builder register(Restarter.Builder b) {
        return b.register(new Ops());
    }

    /** Splits a long value (pipe contents in base64) into keys {@code key.0}, {@code key.1}, ... */
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

    /** Shortens a value to what a key may hold. */
    static String clip(String v) {
        return v.length() <= MAX_VALUE ? v : v.substring(0, MAX_VALUE - 3) + "...";
    }

    /** Body: u32 count, then per entry a short-string key and a string value. */
    static final class Ops implements ObjectOps<Info> {
        @Override
        public String typeName() {
            return TYPE;
        }

        @Override
        public Class<Info> type() {
            return Info.class;
        }

        @Override
        public void checkpoint(Info info, CkptContext ctx, PayloadWriter body) throws IOException {
            body.u32(info.entries().size());
            for (Map.Entry<String, String> e : info.entries().entrySet()) {
                body.shortString(e.getKey()).string(clip(e.getValue()));
            }
        }

        @Override
        public Info restore(CkptContext ctx, PayloadReader body) throws IOException {
            int n = body.count("info_count", MAX_ENTRIES, "task info entries");
            Map<String, String> m = new LinkedHashMap<>();
            List<String> dup = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String k = body.shortString("info_key", MAX_KEY);
                String v = body.string("info_value", MAX_VALUE);
                if (m.put(k, v) != null) {
                    dup.add(k);
                }
            }
            if (!dup.isEmpty()) {
                throw body.invalid("task info key " + dup.get(0) + " appears twice");
            }
            return new Info(m);
        }
    }
}
