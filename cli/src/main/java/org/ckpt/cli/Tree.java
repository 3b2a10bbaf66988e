package org.ckpt.cli;

import java.util.List;
import java.util.Map;

/**
 * The one tree behind both outputs of a command: nested {@link Map}s (insertion
 * ordered), {@link List}s and scalars. {@link #json} renders it for scripts, {@link #text}
 * as indented YAML-like text for people, so the two can never say different things.
 * Numbers are JSON numbers; everything else that is not a map, list, boolean or
 * {@code null} is written as a string.
 */
final class Tree {
    private Tree() {
    }

    static String json(Object tree) {
        StringBuilder sb = new StringBuilder();
        json(sb, tree, 0);
        return sb.toString();
    }

    private static void json(StringBuilder sb, Object v, int indent) {
        if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{ }");
                return;
            }
            sb.append("{\n");
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append("  ".repeat(indent + 1));
                string(sb, String.valueOf(e.getKey()));
                sb.append(" : ");
                json(sb, e.getValue(), indent + 1);
                sb.append(++i < m.size() ? ",\n" : "\n");
            }
            sb.append("  ".repeat(indent)).append('}');
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append("[ ]");
                return;
            }
            sb.append("[ ");
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                json(sb, l.get(i), indent);
            }
            sb.append(" ]");
        } else if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Double d) {
            sb.append(d.isNaN() || d.isInfinite() ? "null" : d.toString());
        } else if (v instanceof Float f) {
            sb.append(f.isNaN() || f.isInfinite() ? "null" : f.toString());
        } else if (v instanceof java.math.BigDecimal d) {
            sb.append(d.toPlainString());
        } else if (v instanceof Number n) {
            sb.append(n);
        } else {
            string(sb, String.valueOf(v));
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
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
        if (v instanceof java.math.BigDecimal d) {
            return d.toPlainString();
        }
        return String.valueOf(v);
    }
}
