package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The writer thread is handed page checksums only where a checkpoint measured that it pays. */
class DeferralTest {
    private static final int MIB = 1 << 20;

    @AfterEach
    void forget() {
        Staging.Deferral.forget();
    }

    /**
     * Runs {@code buffers} buffers of 1 MiB through a chooser whose clock charges {@code handOver}
     * or {@code inline} ns per byte to each buffer by the way it went; returns the ways, in order.
     */
    private static boolean[] run(Staging.Deferral d, int buffers, double handOver, double inline) {
        boolean[] ways = new boolean[buffers];
        long now = 1_000;
        boolean way = false;  // the first buffer never hands over
        for (int b = 0; b < buffers; b++) {
            ways[b] = way;
            now += (long) (MIB * (way ? handOver : inline));
            way = d.next(MIB, now);
        }
        return ways;
    }

    private static int handedOver(boolean[] ways, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            n += ways[i] ? 1 : 0;
        }
        return n;
    }

    @Test
    void aMachineWhereHandingOverCostsKeepsTheChecksumsAfterTheTrials() {
        int d = Staging.Deferral.DECIDED;
        boolean[] ways = run(new Staging.Deferral(), d + 100, 0.19, 0.13);
        assertThat(handedOver(ways, 0, d)).as("the trials go half each way").isBetween(d / 2 - 1, d / 2);
        assertThat(handedOver(ways, d, d + 100)).isZero();
        assertThat(Staging.Deferral.verdict()).isFalse();
        // a later checkpoint too small for trials of its own follows the verdict
        assertThat(handedOver(run(new Staging.Deferral(), Staging.Deferral.BLOCK, 0.19, 0.13), 0,
                Staging.Deferral.BLOCK)).isZero();
    }

    @Test
    void aMachineWhereHandingOverPaysHandsOverAfterTheTrials() {
        int d = Staging.Deferral.DECIDED;
        boolean[] ways = run(new Staging.Deferral(), d + 100, 0.10, 0.13);
        assertThat(handedOver(ways, d, d + 100)).isEqualTo(100);
        assertThat(Staging.Deferral.verdict()).isTrue();
        int block = Staging.Deferral.BLOCK;
        assertThat(handedOver(run(new Staging.Deferral(), block, 0.10, 0.13), 1, block)).isEqualTo(block - 1);
    }

    @Test
    void aGainWithinTheMarginIsNotEnoughToHandOver() {
        int d = Staging.Deferral.DECIDED;
        double inline = 0.13;
        boolean[] ways = run(new Staging.Deferral(), d + 10, inline * (Staging.Deferral.MARGIN + 0.01), inline);
        assertThat(handedOver(ways, d, d + 10)).isZero();
        assertThat(Staging.Deferral.verdict()).isFalse();
    }

    @Test
    void theTrialsAlternateBlocksAndTheirOrderBetweenCheckpointsUntilAVerdict() {
        int block = Staging.Deferral.BLOCK;
        boolean[] a = run(new Staging.Deferral(), 3 * block, 0.1, 0.1);
        boolean[] b = run(new Staging.Deferral(), 3 * block, 0.1, 0.1);
        assertThat(Staging.Deferral.verdict()).isNull();
        assertThat(a[block + 1]).isNotEqualTo(b[block + 1]);
        assertThat(a[1]).isNotEqualTo(a[block + 1]).isEqualTo(a[2 * block + 1]);
    }
}
