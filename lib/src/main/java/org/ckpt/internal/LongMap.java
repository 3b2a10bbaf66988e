package org.ckpt.internal;

import java.util.function.Consumer;

/**
 * Non-zero long keys → objects, for the objrefs of a restart: open addressing with linear
 * probing over parallel arrays, so a put or a get allocates nothing (no boxed keys, no entry
 * objects) and the table grows by doubling. Keys are never removed.
 */
final class LongMap<V> {
    private long[] keys;
    private Object[] values;
    private int size;

    LongMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;
        keys = new long[cap];
        values = new Object[cap];
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }

    int size() {
        return size;
    }

    /** The value of {@code key}, or null. */
    @SuppressWarnings("unchecked")
    V get(long key) {
        long[] k = keys;
        int mask = k.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            long o = k[i];
            if (o == key && key != 0) {
                return (V) values[i];
            }
            if (o == 0) {
                return null;
            }
        }
    }

    /** Adds {@code key} (not 0, not present yet). */
    void put(long key, V value) {
        if (key == 0) {
            throw new IllegalArgumentException("key 0");
        }
        long[] k = keys;
        int mask = k.length - 1;
        int i = slot(key, mask);
        while (k[i] != 0) {
            if (k[i] == key) {
                values[i] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        k[i] = key;
        values[i] = value;
        if (++size * 2 > k.length) {
            grow();
        }
    }

    @SuppressWarnings("unchecked")
    void forEach(Consumer<? super V> action) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != 0) {
                action.accept((V) values[i]);
            }
        }
    }

    /** Fourfold while the table is small (less copying on the way up), then twofold. */
    private int growth() {
        return keys.length < (1 << 18) ? 4 : 2;
    }

    private void grow() {
        long[] oldKeys = keys;
        Object[] oldValues = values;
        int cap = oldKeys.length * growth();
        keys = new long[cap];
        values = new Object[cap];
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            long key = oldKeys[j];
            if (key != 0) {
                int i = slot(key, mask);
                while (keys[i] != 0) {
                    i = (i + 1) & mask;
                }
                keys[i] = key;
                values[i] = oldValues[j];
            }
        }
    }
}
