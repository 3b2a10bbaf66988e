package org.ckpt.fuzz;

import java.security.Key;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.ImageSeals;
import org.ckpt.testkit.image.TestKeys;

/**
 * Sealed and encrypted versions of the base images, derived when the class loads with the
 * testkit's independent implementation of docs/FORMAT.md §17 ({@link ImageSeals}) and its
 * published test keys — deterministic (the seals are, and the encryption uses a fixed data
 * key), so nothing binary is committed for them and committed inputs keep selecting the same
 * records. Never reorder: inputs select images and records by index.
 */
final class SealedImages {
    static final String ID = TestKeys.TEST_ID;
    static final SecretKey HMAC = TestKeys.hmac();
    static final SecretKey AES = TestKeys.aes();
    private static final SecretKey DATA_KEY = new SecretKeySpec(new byte[] {
        0x63, 0x6B, 0x70, 0x74, 0x2D, 0x66, 0x75, 0x7A, 0x7A, 0x2D, 0x64, 0x61, 0x74, 0x61, 0x2D, 0x6B,
        0x65, 0x79, 0x2C, 0x20, 0x6E, 0x65, 0x76, 0x65, 0x72, 0x20, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74}, "AES");

    /** One derived image: its name and bytes. */
    record Named(String name, byte[] bytes) {
    }

    static final List<Named> IMAGES = derive();

    private SealedImages() {
    }

    private static List<Named> derive() {
        List<Named> out = new ArrayList<>();
        for (String base : List.of("test64-mixed", "x86_64", "ppc32-altivec")) {
            byte[] image = BaseImages.IMAGES.get(BaseImages.NAMES.indexOf(base));
            out.add(new Named("hmac-" + base, ImageSeals.seal(image, ID, HMAC)));
            out.add(new Named("ed25519-" + base, ImageSeals.seal(image, ID, TestKeys.ed25519())));
            out.add(new Named("encrypted-" + base, ImageSeals.seal(ImageSeals.encrypt(image, ID, AES, DATA_KEY), ID,
                    TestKeys.ed25519())));
        }
        return List.copyOf(out);
    }

    /** The key that verifies a seal of key id {@code ID}: by the seal's algorithm. */
    static Key verifier(byte[] image) {
        for (ImageRecords.Record r : ImageRecords.parse(image)) {
            if (r.type() == ImageSeals.SEAL && r.payload().length >= 2) {
                return r.payload()[0] == 2 ? TestKeys.ed25519Public() : HMAC;
            }
        }
        return HMAC;
    }

    /** A record of a derived image: image {@code image}, record index {@code record}. */
    record Slot(int image, int record) {
    }

    /** Every record of every derived image that {@code accept} takes. */
    static List<Slot> slots(java.util.function.BiPredicate<Named, ImageRecords.Record> accept) {
        List<Slot> out = new ArrayList<>();
        for (int i = 0; i < IMAGES.size(); i++) {
            List<ImageRecords.Record> rs = ImageRecords.parse(IMAGES.get(i).bytes());
            for (int r = 0; r < rs.size(); r++) {
                if (accept.test(IMAGES.get(i), rs.get(r))) {
                    out.add(new Slot(i, r));
                }
            }
        }
        return List.copyOf(out);
    }

    /**
     * The derived image of {@code slots[input[0]]} with that record's payload replaced by
     * {@code input[1..]}, checksums and tail recomputed; the seal is left as it was, so a
     * change outside the SEAL record must fail its verification.
     */
    static byte[] around(List<Slot> slots, byte[] input) {
        Slot slot = slots.get(input.length == 0 ? 0 : (input[0] & 0xFF) % slots.size());
        byte[] payload = input.length == 0 ? new byte[0] : java.util.Arrays.copyOfRange(input, 1, input.length);
        byte[] base = IMAGES.get(slot.image()).bytes();
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(base));
        ImageRecords.Record r = rs.get(slot.record());
        rs.set(slot.record(), new ImageRecords.Record(r.offset(), r.type(), r.flags(), 0, payload));
        return ImageRecords.assemble(base, rs);
    }

    /**
     * The encrypted derived image of {@code slots[input[0]]} with that record's <em>plaintext</em>
     * replaced by {@code input[1..]}, encrypted again with the image's data key and resealed with
     * the test key: the decryption and the seal pass, and the fuzzer reaches the record's reader.
     */
    static byte[] decrypted(List<Slot> slots, byte[] input) {
        Slot slot = slots.get(input.length == 0 ? 0 : (input[0] & 0xFF) % slots.size());
        byte[] payload = input.length == 0 ? new byte[0] : java.util.Arrays.copyOfRange(input, 1, input.length);
        ImageSeals.Opened o = ImageSeals.open(IMAGES.get(slot.image()).bytes(), AES);
        List<ImageRecords.Record> rs = new ArrayList<>(o.records());
        ImageRecords.Record r = rs.get(slot.record());
        rs.set(slot.record(), new ImageRecords.Record(r.offset(), r.type(), r.flags(), 0, payload));
        return ImageSeals.reseal(ImageSeals.assemble(o.with(rs)), ID, TestKeys.ed25519());
    }

    /** The seed input that reproduces slot {@code index} unchanged ({@code plaintext}: for {@link #decrypted}). */
    static byte[] seed(List<Slot> slots, int index, boolean plaintext) {
        Slot slot = slots.get(index);
        byte[] image = IMAGES.get(slot.image()).bytes();
        byte[] payload = plaintext ? ImageSeals.open(image, AES).records().get(slot.record()).payload()
                : ImageRecords.parse(image).get(slot.record()).payload();
        byte[] out = new byte[payload.length + 1];
        out[0] = (byte) index;
        System.arraycopy(payload, 0, out, 1, payload.length);
        return out;
    }
}
