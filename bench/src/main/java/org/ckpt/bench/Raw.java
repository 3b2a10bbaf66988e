package org.ckpt.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * The baselines: what a careful Java program does to write or read exactly the workload's
 * non-zero page bytes, and the compute a checkpoint cannot avoid. None of them frames,
 * checks or checksums anything unless it says so.
 */
final class Raw {
    /** Staging size of the staged raw write. */
    static final int STAGE = 1 << 20;
    /** The largest piece a restart reads into one fresh buffer: a PAGES record's pages. */
    static final int PIECE = 1 << 20;
    /** The longest stretch of non-zero pages the compute floor checksums in one call. */
    static final int CRC_STRETCH = Integer.getInteger("ckpt.bench.crcStretch", 64 << 10);

    private final ByteBuffer stage = ByteBuffer.allocateDirect(STAGE);
    private final ByteBuffer zero = ByteBuffer.allocateDirect(Workload.PAGE);
    private final CRC32C crc = new CRC32C();

    /**
     * The write floor: every non-zero run copied into one reused 1 MiB direct buffer, which is
     * written whenever it is full (the channel takes a direct buffer without another copy).
     */
    long stagedWrite(Workload w, FileChannel out) throws IOException {
        long n = 0;
        stage.clear();
        for (Workload.Run r : w.runs) {
            n += stage(r.bytes(), out);
        }
        return n + drain(out);
    }

    /** One run into the staging buffer, written whenever it fills (a method of its own: compiled, not OSR'd). */
    private long stage(ByteBuffer run, FileChannel out) throws IOException {
        long n = 0;
        int at = run.position();
        int end = run.limit();
        while (at < end) {
            int k = Math.min(stage.remaining(), end - at);
            stage.put(stage.position(), run, at, k);
            stage.position(stage.position() + k);
            at += k;
            if (!stage.hasRemaining()) {
                n += drain(out);
            }
        }
        return n;
    }

    private long drain(FileChannel out) throws IOException {
        stage.flip();
        long n = 0;
        while (stage.hasRemaining()) {
            n += out.write(stage);
        }
        stage.clear();
        return n;
    }

    /**
     * bench/'s earlier raw write: one {@code FileChannel.write} per run of non-zero pages, from
     * the host's heap arrays (the JDK copies each into a temporary direct buffer of its size).
     */
    static long heapWrite(Workload w, FileChannel out) throws IOException {
        long n = 0;
        for (Workload.Run r : w.runs) {
            n += writeFully(out, r.bytes().duplicate());
        }
        return n;
    }

    private static long writeFully(FileChannel out, ByteBuffer b) throws IOException {
        long n = 0;
        while (b.hasRemaining()) {
            n += out.write(b);
        }
        return n;
    }

    /**
     * One gathering write of each area's non-zero runs, as heap buffers (the JDK copies each
     * into a temporary direct buffer of its whole size, from a per-thread cache).
     */
    static long gatherWrite(Workload w, FileChannel out) throws IOException {
        long n = 0;
        for (Workload.Area a : w.areas) {
            if (a.runs().isEmpty()) {
                continue;
            }
            ByteBuffer[] bufs = new ByteBuffer[a.runs().size()];
            long want = 0;
            for (int i = 0; i < bufs.length; i++) {
                bufs[i] = a.runs().get(i).bytes().duplicate();
                want += bufs[i].remaining();
            }
            long done = 0;
            while (done < want) {
                done += out.write(bufs);
            }
            n += done;
        }
        return n;
    }

    /**
     * The compute floor of a checkpoint: every page the checkpoint scans compared with a
     * zero page (the same vectorised {@code mismatch}), and CRC32C over the non-zero ones,
     * straight from the host's memory, in one call per stretch of consecutive non-zero pages
     * of at most {@link #CRC_STRETCH} bytes (still in cache from the scan; fewer, longer calls
     * than one per page).
     */
    long scanAndCrc(Workload w) {
        crc.reset();
        for (Workload.Area a : w.areas) {
            for (ByteBuffer b : a.scanned()) {
                scanAndCrc(b);
            }
        }
        return crc.getValue();
    }

    private void scanAndCrc(ByteBuffer b) {
        ByteBuffer z = zero.duplicate();
        ByteBuffer page = b.duplicate();
        ByteBuffer stretch = b.duplicate();
        int base = b.position();
        int end = base + b.remaining() / Workload.PAGE * Workload.PAGE;
        int from = -1;
        for (int at = base; at < end; at += Workload.PAGE) {
            page.limit(at + Workload.PAGE).position(at);
            boolean nonZero = page.mismatch(z) >= 0;
            if (nonZero && from < 0) {
                from = at;
            }
            if (from >= 0 && (!nonZero || at + Workload.PAGE - from >= CRC_STRETCH)) {
                int to = nonZero ? at + Workload.PAGE : at;
                crc.update(stretch.limit(to).position(from));
                from = -1;
            }
        }
        if (from >= 0) {
            crc.update(stretch.limit(end).position(from));
        }
    }

    /** CRC32C alone: the non-zero page bytes, in one call per run of at most {@link #CRC_STRETCH} bytes. */
    long crc(Workload w) {
        crc.reset();
        for (Workload.Run r : w.runs) {
            crcRun(r.bytes());
        }
        return crc.getValue();
    }

    private void crcRun(ByteBuffer run) {
        ByteBuffer b = run.duplicate();
        int end = b.limit();
        for (int at = b.position(); at < end; at += CRC_STRETCH) {
            crc.update(b.limit(Math.min(end, at + CRC_STRETCH)).position(at));
        }
    }

    /** The zero scan alone: every page the checkpoint scans compared with a zero page. */
    long scan(Workload w) {
        long nonZero = 0;
        for (Workload.Area a : w.areas) {
            for (ByteBuffer b : a.scanned()) {
                nonZero += scan(b);
            }
        }
        return nonZero;
    }

    private int scan(ByteBuffer b) {
        ByteBuffer z = zero.duplicate();
        ByteBuffer page = b.duplicate();
        int end = b.position() + b.remaining() / Workload.PAGE * Workload.PAGE;
        int nonZero = 0;
        for (int at = b.position(); at < end; at += Workload.PAGE) {
            if (page.limit(at + Workload.PAGE).position(at).mismatch(z) >= 0) {
                nonZero++;
            }
        }
        return nonZero;
    }

    /** The memory-copy floor: every non-zero byte copied once into a reused 1 MiB direct buffer. */
    long copy(Workload w) {
        long n = 0;
        stage.clear();
        for (Workload.Run r : w.runs) {
            n += copy(r.bytes());
        }
        return n + stage.position();
    }

    private long copy(ByteBuffer run) {
        long n = 0;
        int at = run.position();
        int end = run.limit();
        while (at < end) {
            int k = Math.min(stage.remaining(), end - at);
            stage.put(stage.position(), run, at, k);
            stage.position(stage.position() + k);
            at += k;
            if (!stage.hasRemaining()) {
                n += stage.position();
                stage.clear();
            }
        }
        return n;
    }

    /**
     * The read floor into fresh heap buffers: each run read back in pieces of at most 1 MiB, each
     * into a heap buffer allocated for it with one read call — the buffers a restart into the
     * model allocates (one per PAGES record).
     */
    static long readFresh(Workload w, FileChannel in, ByteBuffer[] keep) throws IOException {
        long n = 0;
        int k = 0;
        for (Workload.Run r : w.runs) {
            int length = r.bytes().remaining();
            for (int off = 0; off < length; off += PIECE) {
                ByteBuffer b = ByteBuffer.allocate(Math.min(PIECE, length - off));
                n += readFully(in, b);
                keep[k++] = b;
            }
        }
        return n;
    }

    /** How many buffers {@link #readFresh} hands out. */
    static int pieces(Workload w) {
        int k = 0;
        for (Workload.Run r : w.runs) {
            k += (r.bytes().remaining() + PIECE - 1) / PIECE;
        }
        return k;
    }

    /** The read floor into host memory: each run read with one call into its slice of a preallocated arena. */
    static long readInto(Workload w, FileChannel in, Arena arena) throws IOException {
        long n = 0;
        arena.reset();
        for (Workload.Run r : w.runs) {
            n += readFully(in, arena.slice(r.bytes().remaining()));
        }
        return n;
    }

    private static long readFully(FileChannel in, ByteBuffer b) throws IOException {
        long n = 0;
        while (b.hasRemaining()) {
            int got = in.read(b);
            if (got < 0) {
                throw new IOException("raw file shorter than the workload's runs");
            }
            n += got;
        }
        return n;
    }
}
