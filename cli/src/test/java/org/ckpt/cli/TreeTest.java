package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TreeTest {
    private record Inner(int regsSize, long rip, byte[] bytes) {
    }

    private record Outer(String name, Inner inner, List<Inner> more) {
    }

    @Test
    void recordsBecomeTreesWithHexRegistersAndDecimalSizes() {
        Object t = Values.tree(new Outer("x", new Inner(224, -1L, new byte[] {1, (byte) 0xAB}), List.of()));
        assertThat(t).isEqualTo(Map.of("name", "x", "inner",
                Map.of("regsSize", 224L, "rip", "0xffffffffffffffff", "bytes", "01ab"), "more", List.of()));
        assertThat(Values.flatten(t)).containsEntry("inner.rip", "0xffffffffffffffff").containsEntry("name", "x");
        Object longBytes = Values.tree(new Inner(0, 0, new byte[40]));
        assertThat((List<?>) ((Map<?, ?>) longBytes).get("bytes")).hasSize(3);
    }

    @Test
    void textRendersMapsAndListsAsIndentedLines() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu_state", "absent");
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("fd", 1);
        e.put("close_on_exec", true);
        m.put("descriptors", List.of(e, "x"));
        m.put("empty", List.of());
        assertThat(Tree.text(m)).isEqualTo("""
                CPU state: absent
                descriptors:
                  - fd: 1
                    close on exec: true
                  - x
                empty: []
                """);
        assertThat(Tree.json(m)).contains("\"cpu_state\" : \"absent\"");
    }
}
