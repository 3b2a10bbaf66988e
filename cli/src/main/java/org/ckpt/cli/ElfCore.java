package org.ckpt.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A small reader and writer of Linux ELF core files: the ELF header, program headers,
 * one {@code PT_NOTE} segment and one {@code PT_LOAD} per memory area. Notes are
 * 4-byte aligned in 32- and 64-bit cores alike, as Linux and gdb write them. What the
 * notes and segments mean is {@link CoreExport}'s and {@link CoreImport}'s business.
 */
final class ElfCore {
    static final int ET_CORE = 4;
    static final int PT_LOAD = 1;
    static final int PT_NOTE = 4;
    static final int PF_X = 1;
    static final int PF_W = 2;
    static final int PF_R = 4;
    private static final int PN_XNUM = 0xFFFF;

    private ElfCore() {
    }

    /** One note: owner name, type, descriptor. */
    record Note(String name, int type, byte[] desc) {
    }

    /** One PT_LOAD: where it is in memory, its permissions, and where its bytes are in the file. */
    record Load(long vaddr, long memsz, int flags, long offset, long filesz) {
    }

    /** A parsed core: its architecture, notes in file order, and loads. */
    record Core(ElfArch arch, List<Note> notes, List<Load> loads) {
    }

    // ---- reading -----------------------------------------------------------------------------

    /** Parses the headers and notes of a core file (segment contents stay in the file). */
    static Core read(SeekableByteChannel ch) throws IOException, CliException {
        ByteBuffer ident = readAt(ch, 0, 16);
        if (ident.get(0) != 0x7F || ident.get(1) != 'E' || ident.get(2) != 'L' || ident.get(3) != 'F') {
            throw CliException.failed("not an ELF file (no \\x7fELF magic)");
        }
        boolean is64 = ident.get(4) == 2;
        if (ident.get(4) != 1 && !is64) {
            throw CliException.failed("unknown ELF class " + ident.get(4));
        }
        ByteOrder order = ident.get(5) == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        ByteBuffer h = readAt(ch, 0, is64 ? 64 : 52).order(order);
        int type = h.getShort(16) & 0xFFFF;
        int machine = h.getShort(18) & 0xFFFF;
        if (type != ET_CORE) {
            throw CliException.failed("not a core file (ELF type " + type + ", a core is " + ET_CORE + ")");
        }
        ElfArch arch = ElfArch.of(machine, is64, order);
        if (arch == null) {
            throw CliException.failed("a core of ELF machine " + machine + " (" + (is64 ? "64" : "32") + "-bit, "
                    + (order == ByteOrder.BIG_ENDIAN ? "big" : "little") + "-endian): ckpt imports x86_64, i386, "
                    + "ppc64 and ppc32 cores");
        }
        long phoff = is64 ? h.getLong(32) : h.getInt(28) & 0xFFFF_FFFFL;
        int phentsize = h.getShort(is64 ? 54 : 42) & 0xFFFF;
        int phnum = h.getShort(is64 ? 56 : 44) & 0xFFFF;
        if (phnum == PN_XNUM) {
            long shoff = is64 ? h.getLong(40) : h.getInt(32) & 0xFFFF_FFFFL;
            ByteBuffer sh = readAt(ch, shoff, is64 ? 64 : 40).order(order);
            phnum = sh.getInt(is64 ? 44 : 28);
        }
        if (phentsize != (is64 ? 56 : 32) || phnum < 0 || phnum > 1 << 20) {
            throw CliException.failed("bad program header table (" + phnum + " entries of " + phentsize + " bytes)");
        }
        ByteBuffer ph = readAt(ch, phoff, phnum * phentsize).order(order);
        List<Note> notes = new ArrayList<>();
        List<Load> loads = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int at = i * phentsize;
            int ptype = ph.getInt(at);
            long offset;
            long vaddr;
            long filesz;
            long memsz;
            int flags;
            if (is64) {
                flags = ph.getInt(at + 4);
                offset = ph.getLong(at + 8);
                vaddr = ph.getLong(at + 16);
                filesz = ph.getLong(at + 32);
                memsz = ph.getLong(at + 40);
            } else {
                offset = ph.getInt(at + 4) & 0xFFFF_FFFFL;
                vaddr = ph.getInt(at + 8) & 0xFFFF_FFFFL;
                filesz = ph.getInt(at + 16) & 0xFFFF_FFFFL;
                memsz = ph.getInt(at + 20) & 0xFFFF_FFFFL;
                flags = ph.getInt(at + 24);
            }
            if (ptype == PT_NOTE) {
                if (filesz > 256 << 20) {
                    throw CliException.failed("PT_NOTE segment of " + filesz + " bytes is too large");
                }
                notes.addAll(notes(readAt(ch, offset, (int) filesz).order(order), offset));
            } else if (ptype == PT_LOAD) {
                if (filesz > memsz || offset + filesz > ch.size()) {
                    throw CliException.failed("PT_LOAD at " + Fmt.hex(vaddr) + ": " + filesz + " bytes at file offset "
                            + offset + " do not fit (memsz " + memsz + ", file " + ch.size() + " bytes)");
                }
                loads.add(new Load(vaddr, memsz, flags, offset, filesz));
            }
        }
        return new Core(arch, notes, loads);
    }

    private static List<Note> notes(ByteBuffer b, long fileOffset) throws CliException {
        List<Note> out = new ArrayList<>();
        while (b.remaining() >= 12) {
            int at = b.position();
            long namesz = b.getInt() & 0xFFFF_FFFFL;
            long descsz = b.getInt() & 0xFFFF_FFFFL;
            int type = b.getInt();
            long need = align4(namesz) + align4(descsz);
            if (need > b.remaining()) {
                throw CliException.failed("note at file offset " + (fileOffset + at) + " (type 0x"
                        + Integer.toHexString(type) + ") runs past its segment");
            }
            byte[] name = new byte[(int) namesz];
            b.get(name);
            b.position(b.position() + (int) (align4(namesz) - namesz));
            byte[] desc = new byte[(int) descsz];
            b.get(desc);
            b.position(b.position() + (int) (align4(descsz) - descsz));
            out.add(new Note(ElfArch.cString(name), type, desc));
        }
        return out;
    }

    private static long align4(long n) {
        return (n + 3) & ~3L;
    }

    static ByteBuffer readAt(SeekableByteChannel ch, long offset, int length) throws IOException, CliException {
        ByteBuffer b = ByteBuffer.allocate(length);
        ch.position(offset);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw CliException.failed("truncated: " + length + " bytes at offset " + offset + " run past the end "
                        + "of the file (" + ch.size() + " bytes)");
            }
        }
        return b.flip();
    }

    // ---- writing -----------------------------------------------------------------------------

    /** Where each segment's bytes go, decided before anything is written (so a pipe can take the core too). */
    static final class Layout {
        final ElfArch arch;
        final byte[] notes;
        final List<Load> loads = new ArrayList<>();
        final long headerSize;
        long end;

        Layout(ElfArch arch, List<Note> notes, List<long[]> areas, int pageSize) {
            this.arch = arch;
            this.notes = encode(arch, notes);
            int phnum = 1 + areas.size();
            headerSize = (arch.is64 ? 64 : 52) + (long) phnum * (arch.is64 ? 56 : 32);
            long at = align(headerSize + this.notes.length, pageSize);
            for (long[] a : areas) { // {vaddr, memsz, flags}
                loads.add(new Load(a[0], a[1], (int) a[2], at, a[1]));
                at += a[1];
            }
            end = at;
        }

        /** The ELF header, program headers and notes: everything before the first segment's bytes. */
        ByteBuffer head() {
            boolean w = arch.is64;
            int phnum = 1 + loads.size();
            ByteBuffer b = ByteBuffer.allocate((int) (headerSize + notes.length)).order(arch.order);
            b.put(new byte[] {0x7F, 'E', 'L', 'F', (byte) (w ? 2 : 1),
                (byte) (arch.order == ByteOrder.BIG_ENDIAN ? 2 : 1), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
            b.putShort((short) ET_CORE).putShort((short) arch.machine).putInt(1);
            if (w) {
                b.putLong(0).putLong(64).putLong(0);
            } else {
                b.putInt(0).putInt(52).putInt(0);
            }
            b.putInt(0).putShort((short) (w ? 64 : 52)).putShort((short) (w ? 56 : 32));
            b.putShort((short) Math.min(phnum, PN_XNUM)).putShort((short) (w ? 64 : 40)).putShort((short) 0)
                    .putShort((short) 0);
            phdr(b, PT_NOTE, 0, headerSize, 0, notes.length, 0, 4);
            for (Load l : loads) {
                phdr(b, PT_LOAD, l.flags(), l.offset(), l.vaddr(), l.filesz(), l.memsz(), 4096);
            }
            b.put(notes);
            return b.flip();
        }

        private void phdr(ByteBuffer b, int type, int flags, long offset, long vaddr, long filesz, long memsz,
                          long align) {
            if (arch.is64) {
                b.putInt(type).putInt(flags).putLong(offset).putLong(vaddr).putLong(0).putLong(filesz).putLong(memsz)
                        .putLong(align);
            } else {
                b.putInt(type).putInt((int) offset).putInt((int) vaddr).putInt(0).putInt((int) filesz)
                        .putInt((int) memsz).putInt(flags).putInt((int) align);
            }
        }
    }

    private static long align(long n, long a) {
        return (n + a - 1) / a * a;
    }

    private static byte[] encode(ElfArch arch, List<Note> notes) {
        int size = 0;
        for (Note n : notes) {
            size += 12 + align4(n.name().length() + 1) + align4(n.desc().length);
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(arch.order);
        for (Note n : notes) {
            byte[] name = (n.name() + "\0").getBytes(StandardCharsets.US_ASCII);
            b.putInt(name.length).putInt(n.desc().length).putInt(n.type());
            b.put(name).position((int) (b.position() + align4(name.length) - name.length));
            b.put(n.desc()).position((int) (b.position() + align4(n.desc().length) - n.desc().length));
        }
        return b.array();
    }

    /**
     * Writes segment bytes sequentially: zeros in a seekable file become holes (the core is
     * sparse, as cores of large mostly-empty address spaces should be), in a stream real zeros.
     */
    static final class Writer {
        private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20);
        private final WritableByteChannel out;
        private final FileChannel file;
        private long position;

        Writer(WritableByteChannel out) {
            this.out = out;
            this.file = out instanceof FileChannel f && isRegular(f) ? f : null;
        }

        private static boolean isRegular(FileChannel f) {
            try {
                f.position(f.position());
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        long position() {
            return position;
        }

        void write(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                position += file != null ? file.write(b, position) : out.write(b);
            }
        }

        void zeros(long n) throws IOException {
            if (file != null) {
                position += n;
                return;
            }
            while (n > 0) {
                ByteBuffer z = ZEROS.duplicate().limit((int) Math.min(n, ZEROS.capacity()));
                n -= z.remaining();
                write(z);
            }
        }

        /** Ends the file at the current position (a trailing hole still counts). */
        void finish() throws IOException {
            if (file != null && file.size() < position) {
                file.write(ByteBuffer.allocate(1), position - 1);
            }
        }
    }
}
