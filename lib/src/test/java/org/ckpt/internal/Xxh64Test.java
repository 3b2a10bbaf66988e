package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** XXH64 against the reference implementation's published values; heap and direct buffers agree. */
class Xxh64Test {
    private static long of(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return Xxh64.hash(b, 0, b.length);
    }

    @Test
    void referenceValues() {
        assertThat(of("")).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(of("a")).isEqualTo(0xD24EC4F1A98C6E5BL);
        assertThat(of("abc")).isEqualTo(0x44BC2CF5AD770999L);
        assertThat(of("message digest")).isEqualTo(0x066ED728FCEEB3BEL);
        assertThat(of("abcdefghijklmnopqrstuvwxyz")).isEqualTo(0xCFE1F278FA89835CL);
        assertThat(of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
                .isEqualTo(0xAAA46907D3047814L);
        assertThat(of("12345678901234567890123456789012345678901234567890123456789012345678901234567890"))
                .isEqualTo(0xE04A477F19EE145DL);
    }

    @Test
    void heapDirectAndOffsetsAgree() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int len = 0; len < 300; len++) {
            byte[] a = new byte[len + 5];
            rnd.nextBytes(a);
            long expected = Xxh64.hash(a, 5, len);
            ByteBuffer heap = ByteBuffer.wrap(a, 5, len);
            ByteBuffer direct = ByteBuffer.allocateDirect(len + 3);
            direct.position(3);
            direct.put(a, 5, len);
            direct.position(3);
            assertThat(Xxh64.hash(heap)).as("heap %d", len).isEqualTo(expected);
            assertThat(Xxh64.hash(direct)).as("direct %d", len).isEqualTo(expected);
            assertThat(Xxh64.hash(heap.slice())).isEqualTo(expected);
        }
    }
}
