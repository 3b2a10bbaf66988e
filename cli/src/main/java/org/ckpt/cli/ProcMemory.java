package org.ckpt.cli;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A live process's memory and page table flags. Pages are read with
 * {@code process_vm_readv(2)} — one copy, straight into the caller's direct buffer, up to
 * {@link #IOV_MAX} runs per call; it measured about twice as fast as {@code /proc/PID/mem},
 * which copies every page twice through a kernel bounce page (docs/PERFORMANCE.md). Areas
 * without read permission are read through {@code /proc/PID/mem}, which may force access.
 * Which pages exist comes from {@code /proc/PID/pagemap}.
 *
 * <p>A page that cannot be read is an error, never a silent zero: the process exited, or
 * changed an area the dump had listed.
 */
final class ProcMemory implements AutoCloseable {
    /** pagemap: the page is in RAM. */
    static final long PRESENT = 1L << 63;
    /** pagemap: the page is in swap. */
    static final long SWAPPED = 1L << 62;
    /** pagemap: the page is a page-cache (file) page or shared anonymous memory. */
    static final long FILE_OR_SHARED = 1L << 61;
    /** Pages per pagemap read and per live chunk: 4 MiB of 4 KiB pages, the most one PAGES record holds. */
    static final int CHUNK_PAGES = 1024;
    /** Most iovecs the kernel takes in one call. */
    static final int IOV_MAX = 1024;

    final int pid;
    final int pageSize;
    private final FileChannel pagemap;
    private FileChannel mem;
    private final ByteBuffer entries = ByteBuffer.allocateDirect(CHUNK_PAGES * 8).order(ByteOrder.nativeOrder());
    private final Memory iovLocal = new Memory(16L * IOV_MAX);
    private final Memory iovRemote = new Memory(16L * IOV_MAX);

    private ProcMemory(int pid, int pageSize, FileChannel pagemap) {
        this.pid = pid;
        this.pageSize = pageSize;
        this.pagemap = pagemap;
    }

    /** Opens the page table; a missing permission is a one-line error saying which one (exit 2). */
    static ProcMemory open(int pid, int pageSize) throws CliException {
        return new ProcMemory(pid, pageSize, openOne(pid, "pagemap"));
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
                + (scope == null ? "" : " with kernel.yama.ptrace_scope 0 (it is " + scope + ")")
                + ", and the process must not be set-uid or non-dumpable";
    }

    /** Fills {@code out[0..n)} with the pagemap entries of the {@code n} pages from {@code address}. */
    void pagemap(long address, int n, long[] out) throws IOException {
        entries.clear().limit(n * 8);
        long pos = Long.divideUnsigned(address, pageSize) * 8;
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

    /** Why a read failed: the message names the page and the cause. */
    static final class ReadFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final long address;
        final boolean processGone;

        ReadFailure(long address, boolean processGone, String message) {
            super(message);
            this.address = address;
            this.processGone = processGone;
        }
    }

    /**
     * Reads several runs: run {@code i} is {@code buffers[i].remaining()} bytes at
     * {@code addresses[i]} into {@code buffers[i]} (direct; positions advanced). Every byte
     * must be read.
     */
    void readRuns(long[] addresses, ByteBuffer[] buffers, int count) throws ReadFailure {
        int[] start = new int[count];
        for (int i = 0; i < count; i++) {
            start[i] = buffers[i].position();
        }
        int done = 0;
        while (done < count) {
            int n = Math.min(IOV_MAX, count - done);
            for (int i = 0; i < n; i++) {
                ByteBuffer b = buffers[done + i];
                iovLocal.setPointer(16L * i, Native.getDirectBufferPointer(b).share(b.position()));
                iovLocal.setLong(16L * i + 8, b.remaining());
                iovRemote.setLong(16L * i, addresses[done + i] + (b.position() - start[done + i]));
                iovRemote.setLong(16L * i + 8, b.remaining());
            }
            long got;
            try {
                got = Linux.process_vm_readv(pid, iovLocal, n, iovRemote, n, 0);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Linux.ESRCH) {
                    throw new ReadFailure(addresses[done], true, "process " + pid + " exited during the dump");
                }
                got = 0; // EFAULT, ENOSYS, EPERM...: /proc/PID/mem below says which page, or reads it
            }
            int k = done;
            for (; k < done + n; k++) {
                ByteBuffer b = buffers[k];
                int take = (int) Math.min(got, b.remaining());
                b.position(b.position() + take);
                got -= take;
                if (b.hasRemaining()) {
                    break;
                }
            }
            if (k == done + n) {
                done += n;
                continue;
            }
            // run k stopped short: /proc/PID/mem reads the rest, or reports the page that failed
            readThroughMem(addresses[k] + (buffers[k].position() - start[k]), buffers[k]);
            done = k + 1;
        }
    }

    /**
     * Reads {@code dst.remaining()} bytes at {@code address} through {@code /proc/PID/mem}
     * (areas without read permission, and pages process_vm_readv refused).
     */
    void readThroughMem(long address, ByteBuffer dst) throws ReadFailure {
        long start = address - dst.position();
        while (dst.hasRemaining()) {
            long at = start + dst.position();
            int got;
            try {
                got = mem().read(dst, at);
            } catch (NoSuchFileException e) {
                throw new ReadFailure(at, true, "process " + pid + " exited during the dump");
            } catch (IOException e) {
                got = -1;
            }
            if (got <= 0) {
                boolean gone = !ProcFs.dir(pid).toFile().exists();
                throw new ReadFailure(at, gone, gone ? "process " + pid + " exited during the dump"
                        : "page " + Fmt.hex(at - at % pageSize) + " of process " + pid + " could not be read: the "
                        + "kernel refused it although the page table listed it (the area changed during the dump?)");
            }
        }
    }

    private FileChannel mem() throws IOException {
        if (mem == null) {
            mem = FileChannel.open(ProcFs.dir(pid).resolve("mem"));
        }
        return mem;
    }

    @Override
    public void close() throws IOException {
        try {
            pagemap.close();
        } finally {
            if (mem != null) {
                mem.close();
            }
        }
    }
}
