package org.ckpt.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.ckpt.testkit.image.ImageMutator;

/**
 * Whole images from the fuzzer through {@code Restarter.restart}, into the model and
 * into recording targets ({@link Oracle}). Regression inputs and seeds live in
 * {@code src/test/resources/org/ckpt/fuzz/RestartFuzzTestInputs/<method>/}.
 */
class RestartFuzzTest {

    /** The bytes as they come: the fuzzer has to get past framing and checksums itself. */
    @FuzzTest(maxDuration = "10m")
    void wholeImage(byte[] image) throws Exception {
        Oracle.check(image);
    }

    /**
     * The fuzzer's bytes with every record checksum and the tail (counts, image CRC)
     * recomputed, so mutations reach the semantic checks behind the checksum gate.
     * Bytes whose framing no longer parses go in unrepaired.
     */
    @FuzzTest(maxDuration = "10m")
    void checksumsRepaired(byte[] mutated) throws Exception {
        byte[] image;
        try {
            image = ImageMutator.fixChecksums(mutated);
        } catch (RuntimeException framingBroken) {
            image = mutated;
        }
        Oracle.check(image);
    }
}
