package org.ckpt.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Positioned reads of a live process's memory ({@code /proc/PID/mem}) and page
 * table flags ({@code /proc/PID/pagemap}), through buffers allocated once: memory
 * is read a chunk at a time and never held whole.
 */
final class ProcMemory implements AutoCloseable {
    /** pagemap: the page is in RAM. */
    static final long PRESENT = 1L << 63;
    /** pagemap: the page is in swap. */
    static final long SWAPPED = 1L << 62;
    /** pagemap: the page is a page-cache (file) page or shared anonymous memory. */
    static final long FILE_OR_SHARED = 1L << 61;
    /** Pages per chunk: 4 MiB of 4 KiB pages, the most one PAGES record holds. */
    static final int CHUNK_PAGES = 1024;

    final long pid;
    final int pageSize;
    private final FileChannel mem;
    private final FileChannel pagemap;
    private final ByteBuffer entries = ByteBuffer.allocateDirect(CHUNK_PAGES * 8).order(ByteOrder.nativeOrder());
    final ByteBuffer chunk;

    private ProcMemory(long pid, int pageSize, FileChannel mem, FileChannel pagemap) {
        this.pid = pid;
        this.pageSize = pageSize;
        this.mem = mem;
        this.pagemap = pagemap;
        this.chunk = ByteBuffer.allocateDirect(CHUNK_PAGES * pageSize);
    }

    /** Opens both files; a missing permission is a one-line error saying which one (exit 2). */
    static ProcMemory open(long pid, int pageSize) throws CliException {
        FileChannel m = openOne(pid, "mem");
        try {
            return new ProcMemory(pid, pageSize, m, openOne(pid, "pagemap"));
        } catch (CliException e) {
            try {
                m.close();
            } catch (IOException ignored) {
                // the first error is the one to report
            }
            throw e;
        }
    }

    private static FileChannel openOne(long pid, String name) throws CliException {
        Path p = ProcFs.dir(pid).resolve(name);
        try {
            return FileChannel.open(p);
        } catch (NoSuchFileException e) {
            throw CliException.usage("no such process: " + pid);
        } catch (AccessDeniedException e) {
            throw CliException.usage(denied(pid, p));
        } catch (FileSystemException e) {
            String reason = e.getReason() == null ? "" : e.getReason();
            if (reason.contains("not permitted") || reason.contains("denied")) {
                throw CliException.usage(denied(pid, p));
            }
            throw CliException.usage("cannot open " + p + ": " + reason);
        } catch (IOException e) {
            throw CliException.usage("cannot open " + p + ": " + e.getMessage());
        }
    }

    static String denied(long pid, Path p) {
        String scope = ProcFs.ptraceScope();
        return "permission denied reading " + p + ": reading another process's memory needs ptrace access to pid "
                + pid + " (PTRACE_MODE_ATTACH): run as root or with CAP_SYS_PTRACE, or as the process's owner"
                + (scope == null ? "" : " with kernel.yama.ptrace_scope = 0 (it is " + scope + " here)")
                + " and a process that is not set-uid or non-dumpable";
    }

    /** Fills {@code out[0..n)} with the pagemap entries of the {@code n} pages from {@code address}. */
    void pagemap(long address, int n, long[] out) throws IOException {
        entries.clear().limit(n * 8);
        long pos = (address / pageSize) * 8;
        while (entries.hasRemaining()) {
            int got = pagemap.read(entries, pos + entries.position());
            if (got <= 0) {
                break;
            }
        }
        entries.flip();
        int i = 0;
        while (entries.remaining() >= 8) {
            out[i++] = entries.getLong();
        }
        while (i < n) {
            out[i++] = 0;
        }
    }

    /**
     * Reads {@code dst.remaining()} bytes from {@code address}; stops early at memory the
     * kernel refuses to read (EIO). Returns the number of bytes read.
     */
    int read(long address, ByteBuffer dst) {
        int start = dst.position();
        try {
            while (dst.hasRemaining()) {
                int got = mem.read(dst, address + (dst.position() - start));
                if (got <= 0) {
                    break;
                }
            }
        } catch (IOException e) {
            // EIO: an unreadable page; the caller splits the run there
        }
        return dst.position() - start;
    }

    @Override
    public void close() throws IOException {
        try {
            mem.close();
        } finally {
            pagemap.close();
        }
    }
}
