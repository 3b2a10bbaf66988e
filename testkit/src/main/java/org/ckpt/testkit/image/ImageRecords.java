package org.ckpt.testkit.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A lenient record-level view of image bytes for tests and failure messages: it
 * splits a well-formed image into its records without validating their contents,
 * and re-assembles records into bytes with correct checksums and tail.
 *
 * @since 0.1 (evolving)
 */
public final class ImageRecords {
    /** Size of the magic that precedes the first record. */
    public static final int MAGIC_SIZE = 8;
    /** Size of a record header. */
    public static final int HEADER_SIZE = 16;
    /** Record type of the tail (see docs/FORMAT.md). */
    public static final int TAIL = 0x0003;

    /**
     * One record as found in the bytes.
     *
     * @param offset  offset of its header in the image
     * @param type    record type
     * @param flags   record flags
     * @param crc     the checksum its header carries
     * @param payload its payload (without padding)
     */
    public record Record(long offset, int type, int flags, int crc, byte[] payload) {
        /** The checksum its header should carry. */
        public int computedCrc() {
            return crcOf(type, flags, payload);
        }
    }

    private ImageRecords() {
    }

    /** Splits {@code image} into records; throws IllegalArgumentException if the framing itself is broken. */
    public static List<Record> parse(byte[] image) {
        List<Record> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int pos = MAGIC_SIZE;
        while (pos < image.length) {
            if (pos + HEADER_SIZE > image.length) {
                throw new IllegalArgumentException("truncated header at " + pos);
            }
            int type = b.getInt(pos);
            int flags = b.getInt(pos + 4);
            long len = b.getInt(pos + 8) & 0xFFFF_FFFFL;
            int crc = b.getInt(pos + 12);
            if (pos + HEADER_SIZE + len > image.length) {
                throw new IllegalArgumentException("truncated payload at " + pos);
            }
            byte[] payload = Arrays.copyOfRange(image, pos + HEADER_SIZE, pos + HEADER_SIZE + (int) len);
            out.add(new Record(pos, type, flags, crc, payload));
            pos += HEADER_SIZE + (int) len + padding(len);
        }
        return out;
    }

    /**
     * Re-assembles {@code records} behind the magic of {@code original}: each header's
     * checksum recomputed, and if the last record is a tail, its counts and image CRC too.
     */
    public static byte[] assemble(byte[] magic, List<Record> records) {
        ByteBuffer out = ByteBuffer.allocate(size(records) + MAGIC_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        out.put(magic, 0, MAGIC_SIZE);
        CRC32C image = new CRC32C();
        image.update(magic, 0, MAGIC_SIZE);
        for (int i = 0; i < records.size(); i++) {
            Record r = records.get(i);
            byte[] payload = r.payload();
            if (r.type() == TAIL && i == records.size() - 1 && payload.length >= 32) {
                payload = payload.clone();
                ByteBuffer p = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
                p.putLong(8, i);
                p.putLong(16, out.position());
                p.putInt(24, (int) image.getValue());
            }
            int start = out.position();
            out.putInt(r.type()).putInt(r.flags()).putInt(payload.length).putInt(crcOf(r.type(), r.flags(), payload));
            out.put(payload);
            out.put(new byte[padding(payload.length)]);
            image.update(out.array(), start, out.position() - start);
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    private static int size(List<Record> records) {
        int n = 0;
        for (Record r : records) {
            n += HEADER_SIZE + r.payload().length + padding(r.payload().length);
        }
        return n;
    }

    static int padding(long len) {
        return (int) ((8 - (len & 7)) & 7);
    }

    static int crcOf(int type, int flags, byte[] payload) {
        CRC32C c = new CRC32C();
        ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(type).putInt(flags).putInt(payload.length);
        c.update(h.array());
        c.update(payload);
        return (int) c.getValue();
    }

    /** A one-line-per-record dump: offset, type, flags, length, first payload bytes. */
    public static String dump(byte[] image) {
        StringBuilder sb = new StringBuilder();
        for (Record r : parse(image)) {
            sb.append(String.format("@%-8d type=0x%04x flags=%d len=%-7d ", r.offset(), r.type(), r.flags(),
                    r.payload().length));
            for (int i = 0; i < Math.min(16, r.payload().length); i++) {
                sb.append(String.format("%02x", r.payload()[i]));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
