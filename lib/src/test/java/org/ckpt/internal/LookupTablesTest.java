package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The engine's allocation-free tables and encoders against the JDK's. */
class LookupTablesTest {
    @Test
    void identityLongMapKeepsIdentityNotEquality() {
        IdentityLongMap m = new IdentityLongMap(4);
        Map<Object, Long> ref = new IdentityHashMap<>();
        List<Object> keys = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            Object k = new String("k" + (i % 100));  // equal but distinct keys
            keys.add(k);
            m.put(k, i + 1);
            ref.put(k, (long) i + 1);
        }
        for (Object k : keys) {
            assertThat(m.get(k)).isEqualTo(ref.get(k));
        }
        assertThat(m.get(new Object())).isZero();
        Object k = keys.get(5);
        m.put(k, 0);
        assertThat(m.get(k)).isZero();
        m.put(k, -1);
        assertThat(m.get(k)).isEqualTo(-1);
    }

    @Property(tries = 200)
    void longMapAgreesWithHashMap(@ForAll @Size(max = 3000) List<@LongRange(min = 1) Long> keys) {
        LongMap<String> m = new LongMap<>(1);
        Map<Long, String> ref = new HashMap<>();
        for (long k : keys) {
            m.put(k, "v" + k);
            ref.put(k, "v" + k);
        }
        assertThat(m.size()).isEqualTo(ref.size());
        for (long k : keys) {
            assertThat(m.get(k)).isEqualTo(ref.get(k));
            assertThat(m.get(-k)).isEqualTo(ref.get(-k));
        }
        assertThat(m.get(0)).isNull();
        List<String> all = new ArrayList<>();
        m.forEach(all::add);
        assertThat(all).containsExactlyInAnyOrderElementsOf(ref.values());
    }

    @Property(tries = 1000)
    void utf8LengthIsTheLengthOfGetBytes(@ForAll String s) {
        assertThat(PayloadBuffer.utf8Length(s)).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void utf8LengthOfSurrogates() {
        for (String s : List.of("\ud83d\ude00", "\ud83d", "\ude00", "a\ud83dz", "\ude00\ud83d", "\u07ff\u0800")) {
            assertThat(PayloadBuffer.utf8Length(s)).as(s).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Property(tries = 500)
    void stringsAreWrittenAsTheirUtf8Bytes(@ForAll @Size(max = 300) String s) {
        PayloadBuffer b = new PayloadBuffer(1 << 20);
        b.string(s);
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        assertThat(b.size()).isEqualTo(4 + utf8.length);
        byte[] a = b.array();
        assertThat(a[0] & 0xFF | (a[1] & 0xFF) << 8 | (a[2] & 0xFF) << 16 | (a[3] & 0xFF) << 24).isEqualTo(utf8.length);
        assertThat(java.util.Arrays.copyOfRange(a, 4, 4 + utf8.length)).isEqualTo(utf8);
        PayloadBuffer c = new PayloadBuffer(1 << 20);
        c.shortString(s);
        assertThat(c.size()).isEqualTo(2 + utf8.length);
        assertThat(java.util.Arrays.copyOfRange(c.array(), 2, 2 + utf8.length)).isEqualTo(utf8);
    }
}
