package org.ckpt.testkit.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.ckpt.spi.RecordTypes;

/**
 * Says in words what a byte offset of an image is, for failure messages a host developer
 * can read without the format's source: {@code record 4 (OBJECT 'example.uart', objref 2),
 * body byte 6: field 'lcr' (u8)}. Fields come from {@code docs/FORMAT.md} for the core
 * records (head, task, object header, areas, page runs, the library's {@code mm},
 * {@code files} and {@code file} bodies, tail) and, for a host's records, from what an
 * {@link OpsProbe} saw its ops read.
 *
 * @since 0.2 (evolving)
 */
public final class ImageMap {
    /** A named field of a record: absolute offset, width in bytes, name and kind. */
    public record Field(long offset, int width, String name, String kind) {
        public Field {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
        }
    }

    private final byte[] image;
    private final List<ImageRecords.Record> records;
    private final TreeMap<Long, Field> fields = new TreeMap<>();

    private ImageMap(byte[] image, Collection<OpsProbe.FieldRead> probed) {
        this.image = image;
        this.records = ImageRecords.parse(image);
        for (ImageRecords.Record r : records) {
            core(r);
        }
        for (OpsProbe.FieldRead f : probed) {
            fields.put(f.offset(), new Field(f.offset(), Math.max(1, f.width()), f.name(), f.kind()));
        }
    }

    /** A map of {@code image} with the fields of the core records. */
    public static ImageMap of(byte[] image) {
        return new ImageMap(image, List.of());
    }

    /** A map of {@code image} with the core records' fields and those {@code probed} (from restarts of this image). */
    public static ImageMap of(byte[] image, Collection<OpsProbe.FieldRead> probed) {
        return new ImageMap(image, probed);
    }

    /** The records of the image. */
    public List<ImageRecords.Record> records() {
        return records;
    }

    /** The field covering absolute offset {@code offset}, if one is known. */
    public Optional<Field> fieldAt(long offset) {
        Map.Entry<Long, Field> e = fields.floorEntry(offset);
        return e != null && offset < e.getKey() + e.getValue().width() ? Optional.of(e.getValue()) : Optional.empty();
    }

    /** The known fields that lie in the payload of record {@code index}, in offset order. */
    public List<Field> fields(int index) {
        ImageRecords.Record r = records.get(index);
        long from = r.offset() + ImageRecords.HEADER_SIZE;
        return new ArrayList<>(fields.subMap(from, true, from + r.payload().length, false).values());
    }

    /** Index of the record whose header, payload or padding holds {@code offset}, or -1 (magic, or past the end). */
    public int recordAt(long offset) {
        int lo = 0;
        int hi = records.size() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (records.get(mid).offset() <= offset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /**
     * The record at {@code index} in words: {@code record 4 (OBJECT 'example.uart', objref 2)}.
     */
    public String record(int index) {
        ImageRecords.Record r = records.get(index);
        StringBuilder b = new StringBuilder("record ").append(index).append(" (").append(RecordTypes.name(r.type()));
        if (r.type() == RecordTypes.OBJECT && r.payload().length >= 10) {
            ByteBuffer p = ByteBuffer.wrap(r.payload()).order(ByteOrder.LITTLE_ENDIAN);
            String type = objectType(r);
            if (type != null) {
                b.append(" '").append(type).append("', objref ").append(Long.toUnsignedString(p.getLong(0)));
            }
        }
        return b.append(", at offset ").append(r.offset()).append(')').toString();
    }

    /**
     * Where two images first differ, in the words of {@link #describe} on the expected image, e.g.
     * {@code images differ first at byte 412 of 2048 and 2056: record 6 (PAGES, at offset 380),
     * ...}; empty when they are equal. Meant for assertion messages, where two whole byte arrays
     * would fill a screen and say nothing.
     */
    public static java.util.Optional<String> difference(byte[] expected, byte[] actual) {
        int at = java.util.Arrays.mismatch(expected, actual);
        if (at < 0) {
            return java.util.Optional.empty();
        }
        String where;
        try {
            where = at < expected.length ? of(expected).describe(at) : "past the end of the expected image";
        } catch (RuntimeException e) {
            where = "an image the map cannot parse (" + e.getMessage() + ")";
        }
        return java.util.Optional.of("images differ first at byte " + at + " of " + expected.length + " and "
                + actual.length + ": " + where);
    }

    /**
     * What byte {@code offset} of the image is, e.g. {@code record 4 (OBJECT 'example.uart',
     * objref 2, at offset 248), body byte 6: field 'lcr' (u8)}, or {@code record 9 (TASK, at
     * offset 8768), header: length}.
     */
    public String describe(long offset) {
        if (offset < ImageRecords.MAGIC_SIZE) {
            return "magic byte " + offset;
        }
        int i = recordAt(offset);
        if (i < 0) {
            return "offset " + offset + " (past the end of the image)";
        }
        ImageRecords.Record r = records.get(i);
        long rel = offset - r.offset();
        String head = record(i);
        if (rel < ImageRecords.HEADER_SIZE) {
            String[] names = {"type", "flags", "length", "crc32c"};
            return head + ", header: " + names[(int) rel / 4];
        }
        long p = rel - ImageRecords.HEADER_SIZE;
        if (p >= r.payload().length) {
            return head + ", padding byte " + (p - r.payload().length);
        }
        StringBuilder b = new StringBuilder(head);
        int body = bodyStart(r);
        if (body >= 0 && p >= body) {
            b.append(", body byte ").append(p - body);
        } else {
            b.append(", payload byte ").append(p);
        }
        fieldAt(offset).ifPresent(f -> {
            b.append(": field '").append(f.name()).append("' (").append(f.kind());
            if (f.width() > 1 && offset != f.offset()) {
                b.append(", byte ").append(offset - f.offset()).append(" of ").append(f.width());
            }
            b.append(')');
        });
        return b.toString();
    }

    /** Payload offset where an {@code OBJECT} record's body begins (after objref and type name), or -1. */
    static int bodyStart(ImageRecords.Record r) {
        if (r.type() != RecordTypes.OBJECT || r.payload().length < 10) {
            return -1;
        }
        int len = ByteBuffer.wrap(r.payload()).order(ByteOrder.LITTLE_ENDIAN).getShort(8) & 0xFFFF;
        return 10 + len <= r.payload().length ? 10 + len : -1;
    }

    /** The type name of an {@code OBJECT} record, or null if its payload cannot hold one. */
    static String objectType(ImageRecords.Record r) {
        int body = bodyStart(r);
        return body < 0 ? null : new String(r.payload(), 10, body - 10, StandardCharsets.UTF_8);
    }

    // ---- core fields (docs/FORMAT.md §5–§7) ---------------------------------------------------

    private void put(long base, int off, int width, String name, String kind, int payloadLength) {
        if (off + width <= payloadLength) {
            fields.put(base + off, new Field(base + off, width, name, kind));
        }
    }

    private void core(ImageRecords.Record r) {
        long base = r.offset() + ImageRecords.HEADER_SIZE;
        int n = r.payload().length;
        ByteBuffer p = ByteBuffer.wrap(r.payload()).order(ByteOrder.LITTLE_ENDIAN);
        switch (r.type()) {
            case RecordTypes.HEAD -> {
                Object[][] f = {{0, 2, "major", "u16"}, {2, 2, "minor", "u16"}, {4, 4, "flags", "u32"},
                    {8, 8, "checkpoint_id", "u64"}, {16, 8, "time_sec", "i64"}, {24, 4, "time_nsec", "u32"},
                    {28, 4, "page_size", "u32"}, {32, 4, "task_count", "u32"}, {36, 4, "reserved", "u32"}};
                table(base, f, n);
                strings(base, p, 40, n, "producer_name", "producer_version", "architecture", "sysname", "nodename",
                        "release", "version", "machine");
            }
            case RecordTypes.TASK -> {
                Object[][] f = {{0, 4, "pid", "i32"}, {4, 4, "tgid", "i32"}, {8, 4, "state", "u32"},
                    {12, 4, "exit_state", "u32"}, {16, 4, "exit_code", "i32"}, {20, 4, "exit_signal", "i32"},
                    {24, 8, "utime", "u64"}, {32, 8, "stime", "u64"}, {40, 8, "utimescaled", "u64"},
                    {48, 8, "stimescaled", "u64"}, {56, 8, "gtime", "u64"}, {64, 8, "nvcsw", "u64"},
                    {72, 8, "nivcsw", "u64"}, {80, 8, "start_time_sec", "u64"}, {88, 4, "start_time_nsec", "u32"},
                    {92, 4, "start_time_reserved", "u32"}, {96, 8, "real_start_time_sec", "u64"},
                    {104, 4, "real_start_time_nsec", "u32"}, {108, 4, "real_start_time_reserved", "u32"},
                    {112, 8, "min_flt", "u64"}, {120, 8, "maj_flt", "u64"}, {128, 8, "mm_objref", "objref"},
                    {136, 8, "files_objref", "objref"}, {144, 4, "flags", "u32"}, {148, 4, "reserved", "u32"},
                    {152, 2, "comm_length", "u16"}};
                table(base, f, n);
                if (n > 154) {
                    put(base, 154, n - 154, "comm", "bytes", n);
                }
            }
            case RecordTypes.TASK_EXT -> {
                put(base, 0, 4, "count", "u32", n);
                put(base, 4, 4, "reserved", "u32", n);
                for (int i = 8; i + 8 <= n; i += 8) {
                    put(base, i, 8, "objref[" + (i - 8) / 8 + "]", "objref", n);
                }
            }
            case RecordTypes.OBJECT -> {
                put(base, 0, 8, "objref", "objref", n);
                int body = bodyStart(r);
                if (body < 0) {
                    return;
                }
                put(base, 8, body - 8, "type_name", "sstring", n);
                String type = objectType(r);
                long b = base + body;
                int bn = n - body;
                if ("mm".equals(type)) {
                    String[] layout = {"start_code", "end_code", "start_data", "end_data", "start_brk", "brk",
                        "start_stack", "arg_start", "arg_end", "env_start", "env_end", "flags"};
                    for (int i = 0; i < layout.length; i++) {
                        put(b, 8 * i, 8, layout[i], "u64", bn);
                    }
                    put(b, 96, 4, "vma_count", "u32", bn);
                    put(b, 100, 4, "reserved", "u32", bn);
                } else if ("files".equals(type)) {
                    put(b, 0, 4, "count", "u32", bn);
                    put(b, 4, 4, "reserved", "u32", bn);
                    for (int i = 8, e = 0; i + 16 <= bn; i += 16, e++) {
                        put(b, i, 4, "fd (entry " + e + ")", "i32", bn);
                        put(b, i + 4, 4, "flags (entry " + e + ")", "u32", bn);
                        put(b, i + 8, 8, "file_objref (entry " + e + ")", "objref", bn);
                    }
                } else if ("file".equals(type)) {
                    Object[][] f = {{0, 4, "kind", "u32"}, {4, 4, "flags", "u32"}, {8, 4, "mode", "u32"},
                        {12, 4, "file_flags", "u32"}, {16, 8, "position", "u64"}, {24, 8, "version", "u64"}};
                    table(b, f, bn);
                    if (bn >= 36) {
                        long len = ByteBuffer.wrap(r.payload(), body + 32, 4).order(ByteOrder.LITTLE_ENDIAN)
                                .getInt() & 0xFFFF_FFFFL;
                        put(b, 32, 4, "path.length", "u32", bn);
                        if (36 + len <= bn) {
                            put(b, 36, (int) len, "path", "bytes", bn);
                            put(b, 36 + (int) len, 8, "content_length", "u64", bn);
                        }
                    }
                }
            }
            case RecordTypes.VMA -> {
                Object[][] f = {{0, 8, "start", "u64"}, {8, 8, "end", "u64"}, {16, 4, "prot", "u32"},
                    {20, 4, "flags", "u32"}, {24, 8, "pgoff", "u64"}, {32, 8, "file_objref", "objref"}};
                table(base, f, n);
            }
            case RecordTypes.PAGES -> {
                put(base, 0, 8, "address", "u64", n);
                put(base, 8, 4, "page_count", "u32", n);
                put(base, 12, 4, "reserved", "u32", n);
                if (n > 16) {
                    put(base, 16, n - 16, "pages", "bytes", n);
                }
            }
            case RecordTypes.PAGES_PARENT -> {
                Object[][] f = {{0, 8, "address", "u64"}, {8, 8, "page_count", "u64"}, {16, 8, "parent_mm", "objref"}};
                table(base, f, n);
            }
            case RecordTypes.PAGE_RUNS -> {
                put(base, 0, 8, "parent_mm", "objref", n);
                put(base, 8, 4, "run_count", "u32", n);
                put(base, 12, 4, "reserved", "u32", n);
                long runs = n >= 16 ? p.getInt(8) & 0xFFFF_FFFFL : 0;
                int off = 16;
                for (long i = 0; i < runs && off + 16 <= n; i++, off += 16) {
                    put(base, off, 8, "run[" + i + "].address", "u64", n);
                    put(base, off + 8, 4, "run[" + i + "].page_count", "u32", n);
                    put(base, off + 12, 4, "run[" + i + "].source", "u32", n);
                }
                if (n > off) {
                    put(base, off, n - off, "pages", "bytes", n);
                }
            }
            case RecordTypes.TAIL -> {
                Object[][] f = {{0, 8, "magic", "u64"}, {8, 8, "record_count", "u64"}, {16, 8, "byte_count", "u64"},
                    {24, 4, "image_crc32c", "u32"}, {28, 4, "reserved", "u32"}};
                table(base, f, n);
            }
            case RecordTypes.ERROR -> strings(base, p, 0, n, "message");
            default -> {
            }
        }
    }

    private void table(long base, Object[][] f, int n) {
        for (Object[] x : f) {
            put(base, (Integer) x[0], (Integer) x[1], (String) x[2], (String) x[3], n);
        }
    }

    /** u32-length strings one after another from payload offset {@code at}. */
    private void strings(long base, ByteBuffer p, int at, int n, String... names) {
        for (String name : names) {
            if (at + 4 > n) {
                return;
            }
            long len = p.getInt(at) & 0xFFFF_FFFFL;
            put(base, at, 4, name + ".length", "u32", n);
            if (at + 4 + len > n) {
                return;
            }
            if (len > 0) {
                put(base, at + 4, (int) len, name, "bytes", n);
            }
            at += 4 + (int) len;
        }
    }

    /** The image this map describes (not copied). */
    byte[] image() {
        return image;
    }
}
