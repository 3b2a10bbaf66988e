package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The combine must agree with a plain CRC32C over the concatenation, or every big record would be rejected. */
class Crc32cTest {
    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] ab = new byte[a.length + b.length];
        System.arraycopy(a, 0, ab, 0, a.length);
        System.arraycopy(b, 0, ab, a.length, b.length);
        return ab;
    }

    @Test
    void checkValue() {
        assertThat(Crc32c.of(ByteBuffer.wrap("123456789".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo(0xE3069283);
    }

    @Property(tries = 300)
    void combineEqualsTheCrcOfTheConcatenation(@ForAll @Size(max = 300) byte[] a, @ForAll @Size(max = 300) byte[] b) {
        assertThat(Crc32c.combine(crc(a), crc(b), b.length)).isEqualTo(crc(concat(a, b)));
    }

    @Test
    void combineOverLongBlocks() {
        byte[] a = new byte[70_000];
        byte[] b = new byte[(1 << 20) + 8];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 31 + (i >>> 9));
        }
        a[17] = 5;
        assertThat(Crc32c.combine(crc(a), crc(b), b.length)).isEqualTo(crc(concat(a, b)));
    }

    @Property(tries = 200)
    void runningMixesUpdatesAndAppends(@ForAll @Size(max = 6) java.util.List<@Size(max = 200) byte[]> blocks,
                                       @ForAll @Size(max = 6) java.util.List<Boolean> appended) {
        Crc32c.Running running = new Crc32c.Running();
        byte[] all = new byte[0];
        for (int i = 0; i < blocks.size(); i++) {
            byte[] b = blocks.get(i);
            if (i < appended.size() && appended.get(i)) {
                running.append(crc(b), b.length);
            } else {
                running.update(b, 0, b.length);
            }
            all = concat(all, b);
        }
        assertThat((int) running.value()).isEqualTo(crc(all));
    }

    @Test
    void cachedShiftsAgreeWithTheComputedOnes() {
        // Lengths that collide in the cache, repeated, and lengths outside it.
        long[] lengths = {1, 7, 16, 4096, 4112, 1 << 20, (1 << 20) + 16, 65_536, 3, Integer.MAX_VALUE, 1L << 33};
        byte[] a = {1, 2, 3};
        for (int round = 0; round < 3; round++) {
            for (long n : lengths) {
                if (n <= 2_000_000) {
                    byte[] b = new byte[(int) n];
                    b[0] = (byte) n;
                    assertThat(Crc32c.combine(crc(a), crc(b), n)).isEqualTo(crc(concat(a, b)));
                }
            }
            for (int n = 1; n < 5000; n += 37) {
                byte[] b = new byte[n];
                b[n - 1] = (byte) round;
                assertThat(Crc32c.combine(crc(a), crc(b), n)).as("length %d, round %d", n, round)
                        .isEqualTo(crc(concat(a, b)));
            }
        }
    }

    /** A block whose CRC arrives later: ready when the test says, or failed. */
    private static final class Later implements Crc32c.PendingCrc {
        final int crc;
        boolean ready;
        java.io.IOException failure;

        Later(int crc) {
            this.crc = crc;
        }

        @Override
        public long crcIfReady() {
            return ready && failure == null ? crc & 0xFFFF_FFFFL : -1;
        }

        @Override
        public int crc() throws java.io.IOException {
            if (failure != null) {
                throw failure;
            }
            return crc;
        }

        @Override
        public boolean failed() {
            return failure != null;
        }
    }

    /**
     * Blocks whose CRC arrives later (page bytes read on another thread) fold in order: the
     * running value equals the CRC of the whole, whatever the mix of updates, known blocks and
     * pending ones, and whichever pending ones are ready when the next block folds the front.
     */
    @Property(tries = 200)
    void blocksWhoseCrcArrivesLaterFoldInOrder(@ForAll java.util.List<@Size(max = 200) byte[]> blocks,
                                                @ForAll long kinds) {
        Crc32c.Running running = new Crc32c.Running();
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        java.util.List<Later> pending = new java.util.ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            byte[] b = blocks.get(i);
            all.writeBytes(b);
            switch ((int) ((kinds >>> (2 * (i % 32))) & 3)) {
                case 0 -> running.update(b, 0, b.length);
                case 1 -> running.append(crc(b), b.length);
                default -> {
                    Later p = new Later(crc(b));
                    pending.add(p);
                    running.appendLater(p, b.length);
                    if (i % 3 == 0) {
                        pending.forEach(l -> l.ready = true);
                    }
                }
            }
        }
        long value;
        try {
            value = running.valueAwaiting();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        assertThat(running.blocks()).as("blocks whose CRC is still to come").isZero();
        assertThat((int) value).isEqualTo(crc(all.toByteArray()));
    }

    @Test
    void aPendingBlockThatFailedIsReportedAndLeftInPlace() {
        Crc32c.Running running = new Crc32c.Running();
        running.update(new byte[] {1, 2, 3}, 0, 3);
        Later ok = new Later(5);
        running.appendLater(ok, 4);
        Later p = new Later(0);
        p.failure = new java.io.IOException("record at offset 40 failed");
        p.ready = true;
        running.appendLater(p, 10);
        assertThat(running.firstPendingFailed()).as("a block before it still pending").isFalse();
        ok.ready = true;
        running.update(new byte[] {4}, 0, 1);
        running.append(7, 1);
        assertThat(running.firstPendingFailed()).as("the block before it folded").isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(running::valueAwaiting).isSameAs(p.failure);
        assertThat(running.pending()).containsExactly(p);
        org.assertj.core.api.Assertions.assertThatThrownBy(running::value).isInstanceOf(IllegalStateException.class);
    }
}
