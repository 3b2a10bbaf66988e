package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The writer thread is handed page checksums only where checkpoints measured that it pays. */
class DeferralTest {
    private static final int MIB = 1 << 20;
    private static final int BLOCK = Staging.Deferral.BLOCK;
    /** Buffers of one checkpoint whose trials alone reach a verdict. */
    private static final int ENOUGH = 2 * BLOCK * Staging.Deferral.MEASURED / (BLOCK - Staging.Deferral.SETTLE);

    @BeforeEach
    @AfterEach
    void forget() {
        Staging.Deferral.forget();
    }

    /**
     * Runs one checkpoint of {@code buffers} buffers of 1 MiB through a new chooser whose clock
     * charges {@code handOver} or {@code inline} ns per byte to each buffer by the way it went;
     * the writer takes the checksums offered if {@code writerIdle}. Returns the ways, in order.
     */
    private static boolean[] checkpoint(int buffers, double handOver, double inline, boolean writerIdle) {
        Staging.Deferral d = new Staging.Deferral();
        boolean[] ways = new boolean[buffers];
        long now = 1_000;
        boolean offered = false;  // the first buffer is never offered
        for (int b = 0; b < buffers; b++) {
            boolean taken = offered && writerIdle;
            ways[b] = taken;
            now += (long) (MIB * (taken ? handOver : inline));
            offered = d.next(MIB, taken, false, now);
        }
        return ways;
    }

    private static boolean[] checkpoint(int buffers, double handOver, double inline) {
        return checkpoint(buffers, handOver, inline, true);
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
        boolean[] ways = checkpoint(ENOUGH + 100, 0.19, 0.13);
        assertThat(handedOver(ways, 0, ENOUGH)).as("the trials go half each way").isBetween(ENOUGH / 2 - 1, ENOUGH / 2);
        assertThat(handedOver(ways, ENOUGH, ENOUGH + 100)).isZero();
        assertThat(Staging.Deferral.verdict()).isFalse();
        // a later checkpoint of any size follows the verdict from its first buffer
        assertThat(handedOver(checkpoint(ENOUGH - 1, 0.19, 0.13), 0, ENOUGH - 1)).isZero();
    }

    @Test
    void aMachineWhereHandingOverPaysHandsOverAfterTheTrials() {
        boolean[] ways = checkpoint(ENOUGH + 100, 0.10, 0.13);
        assertThat(handedOver(ways, ENOUGH, ENOUGH + 100)).isEqualTo(100);
        assertThat(Staging.Deferral.verdict()).isTrue();
        assertThat(handedOver(checkpoint(ENOUGH - 1, 0.10, 0.13), 1, ENOUGH - 1)).isEqualTo(ENOUGH - 2);
    }

    @Test
    void aGainWithinTheMarginIsNotEnoughToHandOver() {
        double inline = 0.13;
        boolean[] ways = checkpoint(ENOUGH + 10, inline * (Staging.Deferral.MARGIN + 0.01), inline);
        assertThat(handedOver(ways, ENOUGH, ENOUGH + 10)).isZero();
        assertThat(Staging.Deferral.verdict()).isFalse();
    }

    @Test
    void smallCheckpointsReachAVerdictTogether() {
        int small = BLOCK + 4;  // each times the second half of its first block only
        int n = 0;
        while (Staging.Deferral.verdict() == null && n < 100) {
            boolean[] ways = checkpoint(small, 0.19, 0.13);
            assertThat(handedOver(ways, 1, BLOCK)).as("checkpoint %d's first block", n).isIn(0, BLOCK - 1);
            n++;
        }
        assertThat(n).isEqualTo(2 * Staging.Deferral.MEASURED / (BLOCK - Staging.Deferral.SETTLE));
        assertThat(Staging.Deferral.verdict()).isFalse();
    }

    @Test
    void aWriterThatTakesNothingGivesNoVerdict() {
        boolean[] ways = checkpoint(3 * ENOUGH, 0.10, 0.13, false);
        assertThat(handedOver(ways, 0, ways.length)).isZero();
        assertThat(Staging.Deferral.verdict()).isNull();
    }

    @Test
    void afterAVerdictEverySixteenthCheckpointTriesAgain() {
        checkpoint(ENOUGH, 0.19, 0.13);
        assertThat(Staging.Deferral.verdict()).isFalse();
        int tried = 0;
        for (int i = 1; i < 2 * Staging.Deferral.RETRIAL; i++) {
            // the machine changed: handing over now pays, but only a trial can see it
            if (handedOver(checkpoint(2 * BLOCK, 0.10, 0.13), 0, 2 * BLOCK) > 0) {
                tried++;
            }
        }
        assertThat(tried).isEqualTo(1);
    }

    @Test
    void theTrialsAlternateBlocksAndTheirOrderBetweenCheckpointsUntilAVerdict() {
        boolean[] a = checkpoint(2 * BLOCK + 4, 0.1, 0.1);
        boolean[] b = checkpoint(2 * BLOCK + 4, 0.1, 0.1);
        assertThat(Staging.Deferral.verdict()).isNull();
        assertThat(a[BLOCK + 1]).isNotEqualTo(b[BLOCK + 1]);
        assertThat(a[1]).isNotEqualTo(a[BLOCK + 1]).isEqualTo(a[2 * BLOCK + 1]);
    }
}
