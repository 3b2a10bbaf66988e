package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The allocation-free fast paths must give exactly what the general algorithm gives. */
class PosixPathsTest {
    /** The general algorithm, as PosixPaths had it before the fast path. */
    private static String reference(String path) {
        Deque<String> parts = new ArrayDeque<>();
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".")) {
                continue;
            }
            if (seg.equals("..")) {
                if (parts.isEmpty()) {
                    return null;
                }
                parts.removeLast();
            } else {
                parts.addLast(seg);
            }
        }
        return "/" + String.join("/", parts);
    }

    private static String referenceProblem(String relative) {
        if (relative.startsWith("/") || relative.indexOf('\0') >= 0) {
            return "bad";
        }
        int depth = 0;
        for (String seg : relative.split("/", -1)) {
            if (seg.equals("..")) {
                if (--depth < 0) {
                    return "bad";
                }
            } else if (!seg.isEmpty() && !seg.equals(".")) {
                depth++;
            }
        }
        return null;
    }

    @Provide
    Arbitrary<String> paths() {
        Arbitrary<String> segment = Arbitraries.oneOf(Arbitraries.of("", ".", "..", "a", "bc", ".x", "..y", "z.",
                "...", "d\u00e9j\u00e0"), Arbitraries.strings().withChars("ab./").ofMaxLength(4));
        return segment.list().ofMaxSize(6).map(l -> String.join("/", l));
    }

    @Property(tries = 2000)
    void normalizeAgreesWithTheGeneralAlgorithm(@ForAll("paths") String tail) {
        String path = "/" + tail;
        assertThat(PosixPaths.normalizeAbsolute(path)).isEqualTo(reference(path));
        if (PosixPaths.isNormalAbsolute(path)) {
            assertThat(reference(path)).isEqualTo(path);
        }
    }

    @Property(tries = 2000)
    void problemAgreesWithTheGeneralAlgorithm(@ForAll("paths") String relative) {
        assertThat(PosixPaths.problem(relative) == null).isEqualTo(referenceProblem(relative) == null);
    }

    @Test
    void normalPathsAreReturnedAsGiven() {
        for (String p : List.of("/", "/a", "/srv/app/data-1.log", "/a/.b/c..", "/...")) {
            assertThat(PosixPaths.isNormalAbsolute(p)).as(p).isTrue();
            assertThat(PosixPaths.normalizeAbsolute(p)).isSameAs(p);
        }
        for (String p : List.of("", "a", "//", "/a/", "/a//b", "/./a", "/a/.", "/a/..", "/../a")) {
            assertThat(PosixPaths.isNormalAbsolute(p)).as(p).isFalse();
        }
        assertThat(PosixPaths.relativize("/srv", "/srv/app/../x")).isEqualTo("x");
        assertThat(PosixPaths.resolve("/", "a/./b")).isEqualTo("/a/b");
        assertThat(PosixPaths.resolve("/srv", "a/b")).isEqualTo("/srv/a/b");
    }
}
