package org.ckpt.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the value types of any architecture (CPU states, arch heads: records of
 * records, numbers, byte arrays, lists, enums) into a {@link Tree}, by reflection over
 * record components, so that a new architecture's registers print without code here.
 * Integers print in hex, except those whose name says they count or size something.
 */
final class Values {
    private static final int BYTES_PER_LINE = 16;

    private Values() {
    }

    static Object tree(Object v) {
        return tree(v, "");
    }

    private static Object tree(Object v, String name) {
        if (v == null) {
            return null;
        }
        if (v instanceof Record r) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                m.put(c.getName(), tree(read(c, r), c.getName()));
            }
            return m;
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            long n = ((Number) v).longValue();
            if (isQuantity(name)) {
                return n;
            }
            long unsigned = v instanceof Integer ? n & 0xFFFF_FFFFL : v instanceof Short ? n & 0xFFFF
                    : v instanceof Byte ? n & 0xFF : n;
            return "0x" + Long.toHexString(unsigned);
        }
        if (v instanceof byte[] b) {
            return bytes(b);
        }
        if (v instanceof long[] a) {
            List<Object> out = new ArrayList<>();
            for (long x : a) {
                out.add(tree(x, name));
            }
            return out;
        }
        if (v instanceof int[] a) {
            List<Object> out = new ArrayList<>();
            for (int x : a) {
                out.add(tree(x, name));
            }
            return out;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>();
            for (Object x : c) {
                out.add(tree(x, name));
            }
            return out;
        }
        if (v instanceof Boolean || v instanceof String) {
            return v;
        }
        if (v instanceof Enum<?> e) {
            return e.name();
        }
        return String.valueOf(v);
    }

    private static boolean isQuantity(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith("size") || n.endsWith("count") || n.endsWith("entries") || n.endsWith("number")
                || n.endsWith("words");
    }

    private static Object bytes(byte[] b) {
        if (b.length <= BYTES_PER_LINE * 2) {
            return hex(b, 0, b.length);
        }
        List<Object> lines = new ArrayList<>();
        for (int i = 0; i < b.length; i += BYTES_PER_LINE) {
            lines.add(hex(b, i, Math.min(b.length, i + BYTES_PER_LINE)));
        }
        return lines;
    }

    private static String hex(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder(2 * (to - from));
        for (int i = from; i < to; i++) {
            sb.append(Character.forDigit((b[i] >> 4) & 0xF, 16)).append(Character.forDigit(b[i] & 0xF, 16));
        }
        return sb.toString();
    }

    private static Object read(RecordComponent c, Record r) {
        Method m = c.getAccessor();
        try {
            return m.invoke(r);
        } catch (IllegalAccessException e) {
            // records of a provider's internal package (its arch head) are not public
            try {
                m.setAccessible(true);
                return m.invoke(r);
            } catch (ReflectiveOperationException | RuntimeException e2) {
                return "?";
            }
        } catch (InvocationTargetException e) {
            return "? (" + e.getCause() + ")";
        }
    }

    /** Flattens a tree into dotted paths ({@code regs.rip}), for comparing two values field by field. */
    static Map<String, Object> flatten(Object tree) {
        Map<String, Object> out = new LinkedHashMap<>();
        flatten("", tree, out);
        return out;
    }

    private static void flatten(String prefix, Object t, Map<String, Object> out) {
        if (t instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                flatten(prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else if (t instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                flatten(prefix + "[" + i + "]", l.get(i), out);
            }
        } else {
            out.put(prefix, t);
        }
    }
}
