package org.ckpt.testkit.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.zip.CRC32C;
import org.ckpt.spi.RecordTypes;

/**
 * Damage to image bytes, the ways a restart must survive, each described in words
 * ({@link ImageMap}): truncations, single-bit flips, and semantic damage with every checksum
 * repaired — payloads cut short, records dropped and duplicated, numeric fields set to
 * extremes, single bytes replaced, unknown bits set in flag fields — so that the restart's own
 * checks are exercised, not only the checksum gate. Pair with {@link RestartChecks} to judge a
 * restart of each; {@code contract.CorruptionContract} and {@code contract.ObjectOpsContract}
 * are built from these.
 *
 * <pre>{@code
 * byte[] image = ...;                                       // a checkpoint holding your objects
 * List<Integer> mine = Corruption.objectRecords(image, "example.uart");
 * for (Corruption.Damaged d : Corruption.damage(ImageMap.of(image), mine, 100, seed)) {
 *     RestartChecks.rejectsOrStaysConsistent(restarter, checkpointer, d.image(), target, HostDifference.fieldByField(),
 *             d.description());
 * }
 * }</pre>
 *
 * @since 0.2 (evolving)
 */
public final class Corruption {
    /**
     * A damaged image and what was done to it, e.g. {@code record 4 (OBJECT 'example.uart',
     * objref 2, at offset 248), body byte 6: field 'lcr' (u8) set to 0xff (was 0x3)}.
     */
    public record Damaged(String description, byte[] image) {
        public Damaged {
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(image, "image");
        }

        @Override
        public String toString() {
            return description + " [" + image.length + " bytes]";
        }
    }

    private Corruption() {
    }

    /** Every length from 0 to the image's, or, past {@code budget}, each record's edges and a sample. */
    public static List<Integer> truncationLengths(byte[] image, int budget, long seed) {
        if (image.length <= budget) {
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < image.length; i++) {
                all.add(i);
            }
            return all;
        }
        TreeSet<Integer> out = new TreeSet<>();
        for (int i = 0; i <= ImageRecords.MAGIC_SIZE; i++) {
            out.add(i);
        }
        for (ImageRecords.Record rec : ImageRecords.parse(image)) {
            int at = (int) rec.offset();
            int[] edges = {at - 1, at + 1, at + ImageRecords.HEADER_SIZE - 1, at + ImageRecords.HEADER_SIZE,
                at + ImageRecords.HEADER_SIZE + rec.payload().length - 1};
            for (int e : edges) {
                if (e >= 0 && e < image.length) {
                    out.add(e);
                }
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        while (out.size() < budget) {
            out.add(rnd.nextInt(image.length));
        }
        return new ArrayList<>(out);
    }

    /**
     * Bit positions: all of them up to {@code budget}; past it every bit of the headers and
     * first 64 payload bytes of the {@code focus} records (up to half the budget) and a sample.
     */
    public static List<Long> bitPositions(byte[] image, int budget, long seed, List<Integer> focus) {
        long total = image.length * 8L;
        List<Long> out = new ArrayList<>();
        if (total <= budget) {
            for (long b = 0; b < total; b++) {
                out.add(b);
            }
            return out;
        }
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        for (int i : focus) {
            ImageRecords.Record rec = rs.get(i);
            int n = ImageRecords.HEADER_SIZE + Math.min(rec.payload().length, 64);
            for (long b = rec.offset() * 8; b < (rec.offset() + n) * 8 && out.size() < budget / 2; b++) {
                out.add(b);
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        while (out.size() < budget) {
            out.add(rnd.nextLong(total));
        }
        return out;
    }

    /** Indices of the records of the objects of {@code typeName}: each {@code OBJECT} and the records that follow it. */
    public static List<Integer> objectRecords(byte[] image, String typeName) {
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        List<Integer> out = new ArrayList<>();
        boolean inside = false;
        for (int i = 0; i < rs.size(); i++) {
            int type = rs.get(i).type();
            if (type == RecordTypes.OBJECT) {
                inside = typeName.equals(ImageMap.objectType(rs.get(i)));
            } else if (type == RecordTypes.TASK || type == RecordTypes.TAIL) {
                inside = false;
            }
            if (inside) {
                out.add(i);
            }
        }
        return out;
    }

    /** The type name of an {@code OBJECT} record, or {@code null} if its payload is too short to hold one. */
    public static String objectTypeName(ImageRecords.Record object) {
        return ImageMap.objectType(object);
    }

    /**
     * First payload byte of {@code r} that belongs to an object: for an {@code OBJECT} record
     * the body's (after objref and type name), for every other record 0.
     */
    public static int firstBodyByte(ImageRecords.Record r) {
        return r.type() == RecordTypes.OBJECT ? Math.max(0, ImageMap.bodyStart(r)) : 0;
    }

    /**
     * Semantic damage to the given records, every checksum repaired: records after an
     * {@code OBJECT} dropped and duplicated; payloads cut short; every numeric field the map
     * knows in them set to 0, 1, its largest value, its largest and smallest signed value and
     * just past the payload's length (up to {@code budget} of those); and {@code budget} single
     * bytes replaced by random values, 0, 0xFF and other edges (biased toward the first 64
     * bytes of a body, where counts, flags and lengths sit).
     */
    public static List<Damaged> damage(ImageMap map, List<Integer> records, int budget, long seed) {
        byte[] image = map.image();
        List<ImageRecords.Record> rs = map.records();
        List<Damaged> out = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i : records) {
            if (rs.get(i).type() != RecordTypes.OBJECT) {
                out.add(new Damaged(map.record(i) + " dropped", ImageMutator.drop(image, i)));
                out.add(new Damaged(map.record(i) + " duplicated", ImageMutator.duplicate(image, i)));
            }
        }
        for (int i : records) {
            ImageRecords.Record r = rs.get(i);
            int len = r.payload().length;
            int first = firstBodyByte(r);
            int[] cuts = {len - 1, first, first + 1, rnd.nextInt(Math.max(1, len))};
            for (int cut : new TreeSet<>(java.util.Arrays.stream(cuts).boxed().toList())) {
                if (cut >= 0 && cut < len) {
                    out.add(new Damaged(map.record(i) + ": payload cut to " + cut + " of " + len + " bytes",
                            ImageMutator.editPayload(image, i, p -> p.limit(cut))));
                }
            }
        }
        out.addAll(extremes(map, records, budget, rnd));
        int[] values = {-1, 0, 0x80, 0xFF, 1, 7, 0x7F};
        for (int n = 0; n < budget && !records.isEmpty(); n++) {
            int idx = records.get(rnd.nextInt(records.size()));
            ImageRecords.Record r = rs.get(idx);
            int from = firstBodyByte(r);
            int len = r.payload().length - from;
            if (len <= 0) {
                continue;
            }
            int pos = from + (rnd.nextBoolean() ? rnd.nextInt(Math.min(len, 64)) : rnd.nextInt(len));
            long abs = r.offset() + ImageRecords.HEADER_SIZE + pos;
            int kind = rnd.nextInt(3);
            int value = values[rnd.nextInt(values.length)];
            byte rand = (byte) rnd.nextInt(256);
            int was = r.payload()[pos] & 0xFF;
            String where = map.describe(abs);
            if (kind == 0) {
                out.add(new Damaged(where + ": byte set to " + hex(rand & 0xFF) + " (was " + hex(was) + ")",
                        ImageMutator.editPayload(image, idx, p -> p.put(pos, rand))));
            } else if (kind == 1) {
                out.add(new Damaged(where + ": byte set to " + hex(value & 0xFF) + " (was " + hex(was) + ")",
                        ImageMutator.editPayload(image, idx, p -> p.put(pos, (byte) value))));
            } else if (pos + 4 <= r.payload().length) {
                int v = value == -1 ? -1 : value << 24;
                out.add(new Damaged(where + ": 4 bytes from here set to " + hex(v & 0xFFFF_FFFFL) + " (little-endian)",
                        ImageMutator.editPayload(image, idx, p -> p.putInt(pos, v))));
            } else {
                out.add(new Damaged(where + ": bits of the byte inverted (was " + hex(was) + ")",
                        ImageMutator.editPayload(image, idx, p -> p.put(pos, (byte) ~p.get(pos)))));
            }
        }
        return out;
    }

    /** Numeric fields the map knows in {@code records} set to their edge values, at most {@code budget}. */
    private static List<Damaged> extremes(ImageMap map, List<Integer> records, int budget, SplittableRandom rnd) {
        List<Damaged> all = new ArrayList<>();
        for (int i : records) {
            ImageRecords.Record r = map.records().get(i);
            long payloadEnd = r.offset() + ImageRecords.HEADER_SIZE + r.payload().length;
            for (ImageMap.Field f : map.fields(i)) {
                if (!isNumber(f) || f.offset() + f.width() > payloadEnd) {
                    continue;
                }
                int w = f.width();
                long max = w == 8 ? -1L : (1L << (8 * w)) - 1;
                long signedMax = max >>> 1;
                long[] values = {0, 1, max, signedMax, signedMax + 1, r.payload().length + 1L};
                long was = read(map.image(), f.offset(), w);
                for (long v : new TreeSet<>(java.util.Arrays.stream(values).map(x -> x & max).boxed().toList())) {
                    if (v != was) {
                        all.add(set(map, f, v, "set to " + hex(v) + " (was " + hex(was) + ")"));
                    }
                }
            }
        }
        while (all.size() > budget) {
            all.remove(rnd.nextInt(all.size()));
        }
        return all;
    }

    /**
     * The image with each bit of flag field {@code field} that {@code knownBits} does not
     * name set, one damaged image per bit (at most 64), checksums repaired.
     */
    public static List<Damaged> unknownFlagBits(ImageMap map, ImageMap.Field field, long knownBits) {
        List<Damaged> out = new ArrayList<>();
        int bits = Math.min(64, field.width() * 8);
        long was = read(map.image(), field.offset(), field.width());
        for (int bit = 0; bit < bits; bit++) {
            long b = 1L << bit;
            if ((knownBits & b) == 0) {
                out.add(set(map, field, was | b, "unknown bit " + bit + " (" + hex(b) + ") set (value " + hex(was | b)
                        + ", known bits " + hex(knownBits) + ")"));
            }
        }
        return out;
    }

    /** The image with {@code field} set to {@code value} (little-endian, its width), checksums repaired. */
    public static Damaged set(ImageMap map, ImageMap.Field field, long value, String what) {
        Objects.requireNonNull(what, "what");
        int index = map.recordAt(field.offset());
        ImageRecords.Record r = map.records().get(index);
        int pos = (int) (field.offset() - r.offset() - ImageRecords.HEADER_SIZE);
        byte[] bad = ImageMutator.editPayload(map.image(), index, p -> {
            for (int k = 0; k < field.width(); k++) {
                p.put(pos + k, (byte) (value >>> (8 * k)));
            }
            return p;
        });
        return new Damaged(map.describe(field.offset()) + " " + what, bad);
    }

    /** The image with one bit of the tail's image CRC32C flipped and the tail record's own checksum repaired. */
    public static byte[] withWrongImageChecksum(byte[] image) {
        byte[] bad = image.clone();
        int tail = image.length - 48;
        bad[image.length - 8] ^= 1;
        ByteBuffer b = ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C c = new CRC32C();
        c.update(bad, tail, 12);
        c.update(bad, tail + ImageRecords.HEADER_SIZE, 32);
        b.putInt(tail + 12, (int) c.getValue());
        return bad;
    }

    private static boolean isNumber(ImageMap.Field f) {
        return switch (f.kind()) {
            case "u8", "u16", "u32", "i32", "u64", "i64", "count" -> f.width() <= 8;
            default -> false;
        };
    }

    private static long read(byte[] image, long offset, int width) {
        long v = 0;
        for (int k = 0; k < Math.min(width, 8); k++) {
            v |= (image[(int) offset + k] & 0xFFL) << (8 * k);
        }
        return v;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
