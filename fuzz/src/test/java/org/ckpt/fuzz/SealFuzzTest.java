package org.ckpt.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;

/**
 * Sealed and encrypted images (docs/FORMAT.md §17) through a host that trusts the test keys
 * ({@link SealOracle}). Derived base images: {@link SealedImages}.
 */
class SealFuzzTest {
    /** SEAL records, and the opening and closing CIPHER records, of every derived image. */
    static final List<SealedImages.Slot> SEAL_RECORDS = SealedImages.slots(
            (image, r) -> r.type() == 0x0005 || r.type() == 0x0007);
    /** Every encrypted record of the encrypted derived images, as plaintext. */
    static final List<SealedImages.Slot> PLAINTEXT = SealedImages.slots(
            (image, r) -> image.name().startsWith("encrypted-") && (r.flags() & 2) != 0);

    /** Whole images as the fuzzer makes them (seeds: the derived images). */
    @FuzzTest(maxDuration = "10m")
    void sealedImage(byte[] image) throws Exception {
        SealOracle.check(image);
    }

    /** Byte 0 picks a SEAL or CIPHER record, the rest is its payload; checksums and tail recomputed. */
    @FuzzTest(maxDuration = "10m")
    void sealRecords(byte[] input) throws Exception {
        SealOracle.check(SealedImages.around(SEAL_RECORDS, input));
    }

    /**
     * Byte 0 picks an encrypted record, the rest is its plaintext; encrypted again and resealed
     * with the test keys, so every record reader is reached through decryption and the seal.
     */
    @FuzzTest(maxDuration = "10m")
    void decryptedRecords(byte[] input) throws Exception {
        SealOracle.check(SealedImages.decrypted(PLAINTEXT, input));
    }
}
