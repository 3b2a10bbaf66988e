package org.ckpt.fuzz;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.ckpt.testkit.image.ImageRecords;

/**
 * The valid images the record targets build around fuzzer bytes (committed under
 * {@code base/}, written by {@link SeedCorpusTest}), and the record slots of each
 * target: which record of which base image the fuzzer's payload replaces.
 */
final class BaseImages {
    static final int HEAD = 0x0001;
    static final int ARCH_HEAD = 0x0002;
    static final int TASK = 0x0010;
    static final int OBJECT = 0x0020;
    static final int OBJECT_DATA = 0x0021;
    static final int VMA = 0x0030;
    static final int PAGES = 0x0031;

    /**
     * Base image names, in the order slots are numbered; never reorder, only append (committed
     * inputs select by index). The {@code -exact} images are written under the EXACT policy.
     */
    static final List<String> NAMES = List.of("test64-mixed", "test64-shared", "x86_64", "i386-compat", "i386-native",
            "ppc64", "ppc32-spe", "ppc32-altivec", "x86_64-exact", "i386-exact", "ppc32-exact");

    static final List<byte[]> IMAGES = load();

    /** One replaceable record: image {@code image}, record index {@code record}. */
    record Slot(int image, int record) {
    }

    private BaseImages() {
    }

    private static List<byte[]> load() {
        List<byte[]> out = new ArrayList<>();
        for (String name : NAMES) {
            try (InputStream in = BaseImages.class.getResourceAsStream("base/" + name + ".img")) {
                out.add(in == null ? null : in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** Every record of every base image that {@code accept} takes, in image and record order. */
    static List<Slot> slots(Predicate<ImageRecords.Record> accept, Predicate<String> images) {
        List<Slot> out = new ArrayList<>();
        for (int i = 0; i < IMAGES.size(); i++) {
            if (IMAGES.get(i) == null || !images.test(NAMES.get(i))) {
                continue;
            }
            List<ImageRecords.Record> records = ImageRecords.parse(IMAGES.get(i));
            for (int r = 0; r < records.size(); r++) {
                if (accept.test(records.get(r))) {
                    out.add(new Slot(i, r));
                }
            }
        }
        return out;
    }

    /**
     * The base image of {@code slots[input[0]]} with that record's payload replaced by
     * {@code input[1..]}: record checksums, tail counts and image checksum all correct.
     */
    static byte[] around(List<Slot> slots, byte[] input) {
        Slot slot = slots.get(input.length == 0 ? 0 : (input[0] & 0xFF) % slots.size());
        byte[] payload = input.length == 0 ? new byte[0] : java.util.Arrays.copyOfRange(input, 1, input.length);
        byte[] base = IMAGES.get(slot.image());
        List<ImageRecords.Record> records = new ArrayList<>(ImageRecords.parse(base));
        ImageRecords.Record r = records.get(slot.record());
        records.set(slot.record(), new ImageRecords.Record(r.offset(), r.type(), r.flags(), 0, payload));
        return ImageRecords.assemble(base, records);
    }

    /** The seed input that reproduces slot {@code index} unchanged. */
    static byte[] seed(List<Slot> slots, int index) {
        Slot slot = slots.get(index);
        byte[] payload = ImageRecords.parse(IMAGES.get(slot.image())).get(slot.record()).payload();
        byte[] out = new byte[payload.length + 1];
        out[0] = (byte) index;
        System.arraycopy(payload, 0, out, 1, payload.length);
        return out;
    }

    /** Whether {@code r} is an OBJECT record of type {@code name}. */
    static boolean isObject(ImageRecords.Record r, String name) {
        if (r.type() != OBJECT || r.payload().length < 10) {
            return false;
        }
        ByteBuffer p = ByteBuffer.wrap(r.payload()).order(ByteOrder.LITTLE_ENDIAN);
        int len = p.getShort(8) & 0xFFFF;
        return r.payload().length >= 10 + len
                && new String(r.payload(), 10, len, StandardCharsets.UTF_8).equals(name);
    }
}
