package org.ckpt.internal;

/**
 * Objects by identity → long, for the objrefs of a checkpoint: open addressing with linear
 * probing over parallel arrays, so a put or a get allocates nothing (no boxed values, no
 * entry objects) and the table grows by doubling. 0 is the value of an absent key; a key put
 * with 0 reads as absent again.
 */
final class IdentityLongMap {
    private Object[] keys;
    private long[] values;
    private int used;

    IdentityLongMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;
        keys = new Object[cap];
        values = new long[cap];
    }

    private static int slot(Object key, int mask) {
        int h = System.identityHashCode(key) * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }

    /** The value of {@code key}, or 0 if it has none. */
    long get(Object key) {
        Object[] k = keys;
        int mask = k.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            Object o = k[i];
            if (o == key) {
                return values[i];
            }
            if (o == null) {
                return 0;
            }
        }
    }

    void put(Object key, long value) {
        Object[] k = keys;
        int mask = k.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            Object o = k[i];
            if (o == key) {
                values[i] = value;
                return;
            }
            if (o == null) {
                k[i] = key;
                values[i] = value;
                if (++used * 2 > k.length) {
                    grow();
                }
                return;
            }
        }
    }

    /** Fourfold while the table is small (less copying on the way up), then twofold. */
    private int growth() {
        return keys.length < (1 << 18) ? 4 : 2;
    }

    private void grow() {
        Object[] oldKeys = keys;
        long[] oldValues = values;
        int cap = oldKeys.length * growth();
        keys = new Object[cap];
        values = new long[cap];
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            Object key = oldKeys[j];
            if (key != null) {
                int i = slot(key, mask);
                while (keys[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = key;
                values[i] = oldValues[j];
            }
        }
    }
}
