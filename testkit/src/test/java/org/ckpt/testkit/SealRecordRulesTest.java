package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.ckpt.ImageSeal;
import org.ckpt.Restarter;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.ImageLimitException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.SealException;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.spi.UnsupportedImageException;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.ImageSeals;
import org.ckpt.testkit.image.TestChannels;
import org.ckpt.testkit.image.TestKeys;
import org.junit.jupiter.api.Test;

/** The reader rules of the SEAL and CIPHER records, field by field (docs/FORMAT.md §17.2–17.4). */
class SealRecordRulesTest {
    private static final String ID = TestKeys.TEST_ID;

    /** A sealed image whose SEAL payload is {@code payload} (checksums and tail recomputed). */
    private static byte[] withSeal(byte[] payload) throws IOException {
        byte[] image = SealedImageTest.image(SealedImageTest.writer().seal(ID, TestKeys.hmac()));
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        rs.set(rs.size() - 2, new ImageRecords.Record(0, ImageSeals.SEAL, ImageSeals.FLAG_OPTIONAL, 0, payload));
        return ImageRecords.assemble(image, rs);
    }

    private static byte[] seal(int algorithm, int tagLength, byte[] keyId, int tagBytes) {
        return ByteBuffer.allocate(10 + keyId.length + tagBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) algorithm).putShort((short) tagLength).putInt(0).putShort((short) keyId.length)
                .put(keyId).array();
    }

    private static <E extends ImageException> E rejectedByBoth(byte[] image, Class<E> type) {
        E plain = SealForgeryTest.rejected(Restarter.builder().build(), image, type);
        E trusting = SealForgeryTest.rejected(Restarter.builder().trust(ID, TestKeys.hmac()).build(), image, type);
        assertThat(trusting.getMessage()).isEqualTo(plain.getMessage());
        assertThat(plain.recordType()).isEqualTo("SEAL");
        return plain;
    }

    private static final byte[] ID_BYTES = ID.getBytes(StandardCharsets.UTF_8);

    @Test
    void anAlgorithmThisReaderDoesNotKnowIsReadButVerifiesUnderNoKey() throws IOException {
        byte[] image = withSeal(seal(3, 16, ID_BYTES, 16));
        assertThat(Restarter.builder().build().inspect(TestChannels.source(image), null).seal())
                .contains(new ImageSeal("algorithm 3", ID, false));
        SealException e = SealForgeryTest.rejected(Restarter.builder().trust(ID, TestKeys.hmac()).build(), image,
                SealException.class);
        assertThat(e.kind()).isEqualTo(SealException.Kind.INVALID);
        assertThat(e).hasMessageContaining("algorithm 3");
    }

    @Test
    void algorithmZeroTagLengthKeyIdAndReservedAreChecked() throws IOException {
        assertThat(rejectedByBoth(withSeal(seal(0, 32, ID_BYTES, 32)), InvalidImageException.class))
                .hasMessageContaining("algorithm 0");
        assertThat(rejectedByBoth(withSeal(seal(1, 64, ID_BYTES, 64)), InvalidImageException.class))
                .hasMessageContaining("tag_length 64 for HMAC-SHA-256");
        assertThat(rejectedByBoth(withSeal(seal(2, 32, ID_BYTES, 32)), InvalidImageException.class))
                .hasMessageContaining("tag_length 32 for Ed25519");
        assertThat(rejectedByBoth(withSeal(seal(1, 32, new byte[0], 32)), InvalidImageException.class))
                .hasMessageContaining("empty key_id");
        byte[] longId = new byte[256];
        java.util.Arrays.fill(longId, (byte) 'k');
        rejectedByBoth(withSeal(seal(1, 32, longId, 32)), ImageLimitException.class);
        byte[] reserved = seal(1, 32, ID_BYTES, 32);
        reserved[4] = 1;
        assertThat(rejectedByBoth(withSeal(reserved), InvalidImageException.class)).hasMessageContaining("reserved");
        // A tag shorter than its length says: the record ends early; longer: bytes left over.
        rejectedByBoth(withSeal(seal(1, 32, ID_BYTES, 31)), TruncatedImageException.class);
        assertThat(rejectedByBoth(withSeal(seal(1, 32, ID_BYTES, 33)), InvalidImageException.class))
                .hasMessageContaining("unread bytes");
    }

    @Test
    void theOpeningCipherRecordsFieldsAreChecked() throws IOException {
        byte[] image = SealedImageTest.image(SealedImageTest.writer().encrypt(ID, TestKeys.aes()));
        Restarter r = Restarter.builder().decryptionKey(ID, TestKeys.aes()).build();
        for (int[] edit : new int[][] {{0, 2}, {2, 2}, {4, 1}}) {
            List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
            ImageRecords.Record c = rs.get(2);
            byte[] p = c.payload().clone();
            p[edit[0]] = (byte) edit[1];
            rs.set(2, new ImageRecords.Record(0, c.type(), c.flags(), 0, p));
            byte[] forged = ImageRecords.assemble(image, rs);
            ImageException e = SealForgeryTest.rejected(r, forged, ImageException.class);
            assertThat(e.recordType()).isEqualTo("CIPHER");
            assertThat(e).isInstanceOf(edit[0] == 4 ? InvalidImageException.class : UnsupportedImageException.class);
            // A scan without the key applies the same rules.
            assertThat(SealForgeryTest.thrown(() -> Restarter.builder().build().scan(TestChannels.source(forged), null),
                    ImageException.class)).isInstanceOf(e.getClass());
        }
    }
}
