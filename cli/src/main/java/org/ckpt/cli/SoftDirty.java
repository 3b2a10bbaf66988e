package org.ckpt.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.ckpt.model.PageRanges;

/**
 * The kernel's soft-dirty page tracking as the dirty set of an incremental dump
 * ({@code dump --parent}): a page of the process that was written since its bits were reset
 * ({@code /proc/PID/clear_refs}, "4") has bit 55 set in {@code /proc/PID/pagemap}, as CRIU's
 * pre-dumps use it.
 *
 * <p>Two things must hold before the bits may say "unchanged since the parent image". The kernel
 * must track them: built without {@code CONFIG_MEM_SOFT_DIRTY}, it accepts the reset and never
 * sets a bit, so every page would look unchanged — {@link #works()} tries it on a page of this
 * JVM's own. And the last reset of the process's bits must have been the parent's dump, at the
 * moment its image is a snapshot of: every dump that resets them records which image it wrote
 * in a marker per process (boot, pid and start time, so a reused pid never matches), removed
 * before the reset and written once the image is in place; {@code dump --parent PREV} trusts the
 * bits only when the marker names PREV. A reset by another tool (CRIU) is not seen.
 */
final class SoftDirty {
    /** pagemap: written since the soft-dirty bits were reset. */
    static final long BIT = 1L << 55;

    private static String unavailable;
    private static boolean probed;

    private SoftDirty() {
    }

    /** Whether the kernel tracks soft-dirty pages (probed once on a page of this JVM's own). */
    static synchronized boolean works() {
        if (!probed) {
            unavailable = probe();
            probed = true;
        }
        return unavailable == null;
    }

    /** Why {@link #works()} is false ("" when it is true). */
    static synchronized String unavailable() {
        works();
        return unavailable == null ? "" : unavailable;
    }

    /**
     * Maps a page of a new file of our own privately, writes it, and reads its area's flags
     * ({@code sd} in {@code /proc/self/smaps}: the area is tracked) and its pagemap entry (bit 55
     * set). Null when both say yes, else why not. Nothing of this process's own bits is reset.
     */
    private static String probe() {
        Path f = null;
        try {
            f = Files.createTempFile("ckpt-soft-dirty-", ".probe");
            int ps = 4096;
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(ps), 0);
                MappedByteBuffer m = ch.map(FileChannel.MapMode.PRIVATE, 0, ps);
                m.put(0, (byte) 1);
                String name = f.toRealPath().toString();
                long start = -1;
                boolean flag = false;
                for (String line : ProcFs.read(ProcFs.PROC.resolve("self/smaps")).split("\n")) {
                    if (start == -1) {
                        if (line.endsWith(" " + name) && line.indexOf('-') > 0) {
                            start = Long.parseUnsignedLong(line.substring(0, line.indexOf('-')), 16);
                        }
                    } else if (line.startsWith("VmFlags:")) {
                        flag = (line + " ").contains(" sd ");
                        break;
                    }
                }
                if (start == -1) {
                    return "the probe page's mapping is not in /proc/self/smaps";
                }
                if (!flag) {
                    return "this kernel does not track soft-dirty pages (built without CONFIG_MEM_SOFT_DIRTY)";
                }
                ByteBuffer e = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
                try (FileChannel pm = FileChannel.open(ProcFs.PROC.resolve("self/pagemap"))) {
                    pm.read(e, Long.divideUnsigned(start, ps) * 8);
                }
                if (e.position() < 8 || (e.getLong(0) & BIT) == 0) {
                    return "a page written here is not reported soft-dirty in /proc/self/pagemap";
                }
                return null;
            }
        } catch (IOException | RuntimeException e) {
            return "the soft-dirty probe failed: " + e.getMessage();
        } finally {
            if (f != null) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    // a temporary file left behind
                }
            }
        }
    }

    /**
     * The dirty set of pages {@code [start, start + n × pageSize)} from their pagemap
     * {@code entries}, added to {@code out}: a page is unchanged since the bits were reset only
     * if it is not soft-dirty and the dump presents it now ({@code presented}); every page it
     * does not present is in the set too, so that a page dropped since (zero again, or the
     * file's again after {@code MADV_DONTNEED}) is never taken from the parent — as CRIU takes
     * only pages it would dump from a parent.
     */
    static void changed(long start, long[] entries, int n, int pageSize, java.util.function.LongPredicate presented,
                        PageRanges.Builder out) {
        int i = 0;
        while (i < n) {
            if (!isChanged(entries[i], presented)) {
                i++;
                continue;
            }
            int j = i + 1;
            while (j < n && isChanged(entries[j], presented)) {
                j++;
            }
            out.add(start + (long) i * pageSize, start + (long) j * pageSize);
            i = j;
        }
    }

    private static boolean isChanged(long entry, java.util.function.LongPredicate presented) {
        return (entry & BIT) != 0 || !presented.test(entry);
    }

    // ---- markers: which image the last reset of a process's bits belongs to ----------------------

    /** Where markers live: {@code $XDG_RUNTIME_DIR/ckpt}, else {@code /tmp/ckpt-USER}; {@code ckpt.state} in tests. */
    static Path stateDir() {
        String test = System.getProperty("ckpt.state");
        if (test != null) {
            return Path.of(test);
        }
        String run = System.getenv("XDG_RUNTIME_DIR");
        return run != null && !run.isEmpty() ? Path.of(run, "ckpt")
                : Path.of("/tmp", "ckpt-" + System.getProperty("user.name", "user"));
    }

    /** The marker of process {@code tgid}: boot id, pid and start time; null if it is gone. */
    static Path marker(int tgid) {
        try {
            String boot = ProcFs.read(ProcFs.PROC.resolve("sys/kernel/random/boot_id")).trim();
            long started = ProcFs.stat(ProcFs.dir(tgid)).num(22);
            return stateDir().resolve("soft-dirty-" + boot + "-" + tgid + "-" + started);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Before a reset: whatever image the marker named is no longer what the bits count from. */
    static void forget(int tgid) {
        Path m = marker(tgid);
        if (m != null) {
            try {
                Files.deleteIfExists(m);
            } catch (IOException e) {
                // an unwritable state directory: remember() fails too, and no marker is trusted
            }
        }
    }

    /** After the image of a dump whose freeze reset the bits is in place: the bits count from it. */
    static void remember(int tgid, long checkpointId) {
        Path m = marker(tgid);
        if (m == null) {
            return;
        }
        try {
            Files.createDirectories(m.getParent());
            Files.writeString(m, Fmt.hex(checkpointId) + "\n");
        } catch (IOException e) {
            // no marker: the next dump --parent compares digests
        }
    }

    /** Whether the last reset of the bits of {@code tgid} was the freeze of image {@code checkpointId}. */
    static boolean resetAt(int tgid, long checkpointId) {
        Path m = marker(tgid);
        try {
            return m != null && Files.isRegularFile(m) && Files.readString(m).trim().equals(Fmt.hex(checkpointId));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether the bits of every process can be reset: the kernel tracks them and each
     * {@code clear_refs} opens for writing (nothing is written).
     */
    static boolean canReset(List<Integer> processes) {
        if (!works()) {
            return false;
        }
        for (int tgid : processes) {
            try {
                FileChannel.open(ProcFs.dir(tgid).resolve("clear_refs"), StandardOpenOption.WRITE).close();
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
        return true;
    }

    /** Resets the bits of {@code tgid} (frozen); false where the kernel or the permissions do not allow it. */
    static boolean reset(int tgid) {
        return Fingerprint.clearSoftDirty(tgid);
    }
}
