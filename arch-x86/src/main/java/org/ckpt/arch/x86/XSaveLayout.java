package org.ckpt.arch.x86;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a CPU puts each extended XSAVE component in the standard (non-compacted)
 * format: what CPUID leaf 0xD reports, and what Linux writes as the
 * {@code NT_X86_XSAVE_LAYOUT} note. Offsets differ between CPUs (AMD Zen places PKRU
 * at 2432 where Intel uses 2688), so reading or writing an {@code NT_X86_XSTATE}
 * note needs the layout of the CPU that wrote or will read it.
 *
 * @param entries one per extended feature, ascending by bit
 * @since 0.1 (stable)
 */
public record XSaveLayout(List<Entry> entries) {
    /** {@code NT_X86_XSAVE_LAYOUT} bytes per entry: u32 type, size, offset, flags. */
    public static final int NOTE_ENTRY_SIZE = 16;

    /**
     * The place of one component.
     *
     * @param feature the component
     * @param offset  byte offset in the XSAVE image (at least 576)
     * @since 0.1 (stable)
     */
    public record Entry(XFeature feature, int offset) {
        public Entry {
            if (!feature.isExtended()) {
                throw new IllegalArgumentException(feature + " has no XSAVE component");
            }
            if (offset < 576 || offset > (1 << 20)) {
                throw new IllegalArgumentException(feature + " offset " + offset + " outside [576, 1 MiB]");
            }
        }
    }

    public XSaveLayout {
        entries = List.copyOf(entries);
        int last = -1;
        for (Entry e : entries) {
            if (e.feature().bit() <= last) {
                throw new IllegalArgumentException("layout entries must be ascending by feature bit, unique");
            }
            last = e.feature().bit();
        }
    }

    /** Intel's standard offsets for every extended feature ({@link XFeature#standardOffset()}); what gdb 13 writes. */
    public static XSaveLayout standard() {
        List<Entry> l = new ArrayList<>();
        for (XFeature f : XFeature.values()) {
            if (f.isExtended()) {
                l.add(new Entry(f, f.standardOffset()));
            }
        }
        return new XSaveLayout(l);
    }

    /**
     * Parses an {@code NT_X86_XSAVE_LAYOUT} note payload: {@code n × {u32 type, size, offset, flags}}.
     *
     * @throws IllegalArgumentException for a length not a multiple of 16, an unknown feature, a size
     *                                  other than the architectural one, or non-zero flags
     */
    public static XSaveLayout fromNote(byte[] note) {
        if (note.length % NOTE_ENTRY_SIZE != 0) {
            throw new IllegalArgumentException("NT_X86_XSAVE_LAYOUT length " + note.length + " is not a multiple of 16");
        }
        ByteBuffer b = ByteBuffer.wrap(note).order(ByteOrder.LITTLE_ENDIAN);
        List<Entry> l = new ArrayList<>();
        for (int i = 0; i < note.length; i += NOTE_ENTRY_SIZE) {
            int type = b.getInt(i);
            int size = b.getInt(i + 4);
            int offset = b.getInt(i + 8);
            int flags = b.getInt(i + 12);
            XFeature f = type >= 0 && type < 64 ? XFeature.ofBit(type) : null;
            if (f == null || !f.isExtended()) {
                throw new IllegalArgumentException("NT_X86_XSAVE_LAYOUT entry " + i / 16 + ": unknown feature " + type);
            }
            if (size != f.size()) {
                throw new IllegalArgumentException("NT_X86_XSAVE_LAYOUT entry " + i / 16 + ": " + f + " size " + size
                        + ", architectural size " + f.size());
            }
            if (flags != 0) {
                throw new IllegalArgumentException("NT_X86_XSAVE_LAYOUT entry " + i / 16 + ": flags 0x"
                        + Integer.toHexString(flags) + " (compacted components are not supported)");
            }
            l.add(new Entry(f, offset));
        }
        return new XSaveLayout(l);
    }

    /** The {@code NT_X86_XSAVE_LAYOUT} payload for this layout's entries. */
    public byte[] toNote() {
        ByteBuffer b = ByteBuffer.allocate(entries.size() * NOTE_ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (Entry e : entries) {
            b.putInt(e.feature().bit()).putInt(e.feature().size()).putInt(e.offset()).putInt(0);
        }
        return b.array();
    }

    /** The offset of {@code feature}, or -1 if this layout does not place it. */
    public int offset(XFeature feature) {
        for (Entry e : entries) {
            if (e.feature() == feature) {
                return e.offset();
            }
        }
        return -1;
    }

    /** Bytes of an XSAVE image holding the features of {@code xcr0}: the end of the last component, at least 576. */
    public int size(long xcr0) {
        int end = 576;
        for (XFeature f : XFeature.extended(xcr0)) {
            int off = offset(f);
            if (off < 0) {
                throw new IllegalArgumentException("the layout does not place " + f);
            }
            end = Math.max(end, off + f.size());
        }
        return end;
    }
}
