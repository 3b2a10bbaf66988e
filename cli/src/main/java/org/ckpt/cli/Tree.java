package org.ckpt.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;
import java.util.Map;

/**
 * The one tree behind both outputs of a command: nested {@link Map}s (insertion
 * ordered), {@link List}s and scalars. {@link #json} renders it for scripts, {@link #text}
 * as indented YAML-like text for people, so the two can never say different things.
 */
final class Tree {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Tree() {
    }

    static String json(Object tree) {
        try {
            return JSON.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("tree is not serialisable", e);
        }
    }

    static String text(Object tree) {
        StringBuilder sb = new StringBuilder();
        if (tree instanceof Map<?, ?> m) {
            map(sb, m, 0);
        } else if (tree instanceof List<?> l) {
            list(sb, l, 0);
        } else {
            sb.append(scalar(tree)).append('\n');
        }
        return sb.toString();
    }

    /** A JSON key as a person reads it: {@code cpu_state} → {@code CPU state}. */
    static String label(String key) {
        String s = key.replace('_', ' ');
        return s.startsWith("cpu") ? "CPU" + s.substring(3) : s;
    }

    private static void map(StringBuilder sb, Map<?, ?> m, int indent) {
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            // the first entry of a list element shares the line of its "- "
            if (!first || indent == 0 || sb.length() == 0 || sb.charAt(sb.length() - 1) == '\n') {
                sb.append("  ".repeat(indent));
            }
            first = false;
            sb.append(label(String.valueOf(e.getKey()))).append(':');
            value(sb, e.getValue(), indent);
        }
    }

    private static void value(StringBuilder sb, Object v, int indent) {
        if (v instanceof Map<?, ?> m && !m.isEmpty()) {
            sb.append('\n');
            map(sb, m, indent + 1);
        } else if (v instanceof List<?> l && !l.isEmpty()) {
            sb.append('\n');
            list(sb, l, indent + 1);
        } else {
            sb.append(' ').append(scalar(v)).append('\n');
        }
    }

    private static void list(StringBuilder sb, List<?> l, int indent) {
        for (Object o : l) {
            sb.append("  ".repeat(indent)).append("- ");
            if (o instanceof Map<?, ?> m && !m.isEmpty()) {
                map(sb, m, indent + 1);
            } else if (o instanceof List<?> inner && !inner.isEmpty()) {
                sb.append('\n');
                list(sb, inner, indent + 1);
            } else {
                sb.append(scalar(o)).append('\n');
            }
        }
    }

    private static String scalar(Object v) {
        if (v == null) {
            return "none";
        }
        if (v instanceof Map<?, ?>) {
            return "{}";
        }
        if (v instanceof List<?>) {
            return "[]";
        }
        return String.valueOf(v);
    }
}
