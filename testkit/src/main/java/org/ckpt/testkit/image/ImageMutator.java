package org.ckpt.testkit.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Damages image bytes the ways a restart must survive: truncation, bit flips,
 * rewritten length fields, dropped or duplicated records, and edited payloads with
 * checksums recomputed (so that the semantic checks, not only the checksum gate,
 * are exercised).
 *
 * @since 0.1 (evolving)
 */
public final class ImageMutator {
    private ImageMutator() {
    }

    public static byte[] truncate(byte[] image, int length) {
        return Arrays.copyOf(image, length);
    }

    public static byte[] flipBit(byte[] image, long bit) {
        byte[] b = image.clone();
        b[(int) (bit >>> 3)] ^= (byte) (1 << (bit & 7));
        return b;
    }

    /** Overwrites the header length field of record {@code index} without fixing anything else. */
    public static byte[] setLength(byte[] image, int index, long length) {
        ImageRecords.Record r = ImageRecords.parse(image).get(index);
        byte[] b = image.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt((int) r.offset() + 8, (int) length);
        return b;
    }

    /** Removes record {@code index}; checksums and tail recomputed. */
    public static byte[] drop(byte[] image, int index) {
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        rs.remove(index);
        return ImageRecords.assemble(image, rs);
    }

    /** Duplicates record {@code index} in place; checksums and tail recomputed. */
    public static byte[] duplicate(byte[] image, int index) {
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        rs.add(index, rs.get(index));
        return ImageRecords.assemble(image, rs);
    }

    /** Inserts {@code record} before {@code index}; checksums and tail recomputed. */
    public static byte[] insert(byte[] image, int index, int type, int flags, byte[] payload) {
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        rs.add(index, new ImageRecords.Record(0, type, flags, 0, payload));
        return ImageRecords.assemble(image, rs);
    }

    /** Replaces the payload of record {@code index} by {@code edit(payload)}; checksums and tail recomputed. */
    public static byte[] editPayload(byte[] image, int index, UnaryOperator<ByteBuffer> edit) {
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        ImageRecords.Record r = rs.get(index);
        ByteBuffer p = ByteBuffer.wrap(r.payload().clone()).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer edited = edit.apply(p);
        byte[] payload = new byte[edited.limit()];
        edited.duplicate().position(0).get(payload);
        rs.set(index, new ImageRecords.Record(r.offset(), r.type(), r.flags(), 0, payload));
        return ImageRecords.assemble(image, rs);
    }

    /** Index of the first record of {@code type}, or -1. */
    public static int indexOf(byte[] image, int type) {
        return indexOf(image, type, 0);
    }

    /** Index of the {@code nth} (0-based) record of {@code type}, or -1. */
    public static int indexOf(byte[] image, int type, int nth) {
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        for (int i = 0; i < rs.size(); i++) {
            if (rs.get(i).type() == type && nth-- == 0) {
                return i;
            }
        }
        return -1;
    }

    /** Recomputes every checksum and the tail of an image whose bytes were edited in place. */
    public static byte[] fixChecksums(byte[] image) {
        return ImageRecords.assemble(image, ImageRecords.parse(image));
    }
}
