package org.ckpt.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What must not change between the two freezes of a dump whose pages are read while the
 * process runs: its threads, their registers (every register set), its areas, its signal
 * state — and no page may be written ({@code /proc/PID/pagemap}'s soft-dirty bit, cleared
 * at the first freeze through {@code /proc/PID/clear_refs}, as CRIU's pre-dump does). If
 * nothing changed, every page read while it ran is the page it had when its registers were
 * read, and the image is a snapshot of that moment.
 */
final class Fingerprint {
    /** pagemap: the page was written since the soft-dirty bits were cleared. */
    static final long SOFT_DIRTY = 1L << 55;
    private static final int SCAN_PAGES = 1 << 16;
    /** {@code -ERESTART_RESTARTBLOCK}: a sleep interrupted by the freeze, restarted as restart_syscall. */
    private static final long ERESTART_RESTARTBLOCK = -516;

    private final Map<Integer, String> maps = new LinkedHashMap<>();
    private final Map<Integer, String> signals = new LinkedHashMap<>();
    private final Map<Integer, List<Integer>> threads = new LinkedHashMap<>();
    private final Map<Integer, Map<Integer, byte[]>> registers = new LinkedHashMap<>();
    private final ElfArch arch;

    private Fingerprint(ElfArch arch) {
        this.arch = arch;
    }

    /**
     * Clears the soft-dirty bits of every page of {@code tgid}; false where the kernel cannot
     * (no CONFIG_MEM_SOFT_DIRTY, or no permission), and then a dump must read while frozen. A
     * kernel without CONFIG_MEM_SOFT_DIRTY accepts the write and never sets a bit, which would
     * make every page look unwritten at the second freeze: {@link SoftDirty#works()} is asked first.
     */
    static boolean clearSoftDirty(int tgid) {
        if (!SoftDirty.works()) {
            return false;
        }
        try {
            Files.writeString(ProcFs.dir(tgid).resolve("clear_refs"), "4", StandardOpenOption.WRITE);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Takes the fingerprint of frozen processes. */
    static Fingerprint take(Tracer t, List<Integer> processes, ElfArch arch) throws IOException, CliException {
        Fingerprint f = new Fingerprint(arch);
        for (int tgid : processes) {
            Path dir = ProcFs.dir(tgid);
            f.maps.put(tgid, ProcFs.read(dir.resolve("maps")));
            List<Integer> tids = t.threads(tgid);
            f.threads.put(tgid, tids);
            StringBuilder sig = new StringBuilder();
            for (int tid : tids) {
                Map<String, String> st = ProcFs.status(dir.resolve("task").resolve(Integer.toString(tid)));
                sig.append(tid).append(' ').append(st.get("SigPnd")).append(' ').append(st.get("ShdPnd"))
                        .append(' ').append(st.get("SigBlk")).append('\n');
                if (arch != null) {
                    f.registers.put(tid, t.batch(() -> Registers.raw(t, tid, arch)));
                }
            }
            f.signals.put(tgid, sig.toString());
        }
        return f;
    }

    /** Why {@code later} (taken at the second freeze) differs from this, or {@code null} if it does not. */
    String changes(Fingerprint later, int pageSize, long userLimit) throws IOException {
        if (!threads.equals(later.threads)) {
            return "its threads or processes changed (" + threads + " then " + later.threads + ")";
        }
        for (int tgid : maps.keySet()) {
            if (!maps.get(tgid).equals(later.maps.get(tgid))) {
                return "process " + tgid + " mapped or unmapped memory";
            }
            if (!signals.get(tgid).equals(later.signals.get(tgid))) {
                return "process " + tgid + "'s pending or blocked signals changed";
            }
            long dirty = softDirty(tgid, pageSize, userLimit);
            if (dirty >= 0) {
                return "process " + tgid + " wrote page " + Fmt.hex(dirty);
            }
        }
        for (Map.Entry<Integer, Map<Integer, byte[]>> e : registers.entrySet()) {
            Map<Integer, byte[]> b = later.registers.get(e.getKey());
            for (Map.Entry<Integer, byte[]> r : e.getValue().entrySet()) {
                byte[] after = b == null ? null : b.get(r.getKey());
                if (!sameRegisters(r.getKey(), r.getValue(), after)) {
                    return "thread " + e.getKey() + " ran (register set 0x" + Integer.toHexString(r.getKey())
                            + " changed)";
                }
            }
        }
        return null;
    }

    /**
     * Equal register sets — up to the kernel restarting a sleep the first freeze interrupted
     * ({@code -ERESTART_RESTARTBLOCK}: the thread re-enters through {@code restart_syscall},
     * which changes only {@code orig_ax}; the image keeps the first freeze's registers).
     */
    private boolean sameRegisters(int type, byte[] before, byte[] after) {
        if (Arrays.equals(before, after)) {
            return true;
        }
        if (after == null || before.length != after.length || type != ElfArch.NT_PRSTATUS
                || (arch != ElfArch.X86_64 && arch != ElfArch.I386)) {
            return false;
        }
        int w = arch.is64 ? 8 : 4;
        int ax = arch.is64 ? 10 : 6;
        int origAx = arch.is64 ? 15 : 11;
        int restartSyscall = arch.is64 ? 219 : 0;
        ByteBuffer x = ByteBuffer.wrap(before).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer y = ByteBuffer.wrap(after).order(ByteOrder.LITTLE_ENDIAN);
        long rax = arch.is64 ? x.getLong(ax * w) : x.getInt(ax * w);
        long rax2 = arch.is64 ? y.getLong(ax * w) : y.getInt(ax * w);
        long orig2 = arch.is64 ? y.getLong(origAx * w) : y.getInt(origAx * w);
        if (rax != ERESTART_RESTARTBLOCK || rax2 != ERESTART_RESTARTBLOCK || orig2 != restartSyscall) {
            return false;
        }
        for (int i = 0; i < before.length; i += w) {
            if (i != origAx * w && !Arrays.equals(before, i, i + w, after, i, i + w)) {
                return false;
            }
        }
        return true;
    }

    /** The first page of {@code tgid} written since the soft-dirty bits were cleared, or -1. */
    static long softDirty(int tgid, int pageSize, long userLimit) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(SCAN_PAGES * 8).order(ByteOrder.nativeOrder());
        try (FileChannel pagemap = FileChannel.open(ProcFs.dir(tgid).resolve("pagemap"))) {
            for (ProcFs.MapsEntry e : ProcFs.maps(tgid)) {
                if (ProcFs.isSpecialUnreadable(e) || Long.compareUnsigned(e.end(), userLimit) > 0) {
                    continue;
                }
                for (long at = e.start(); at < e.end(); at += (long) SCAN_PAGES * pageSize) {
                    int n = (int) Math.min(SCAN_PAGES, (e.end() - at) / pageSize);
                    b.clear().limit(n * 8);
                    long pos = Long.divideUnsigned(at, pageSize) * 8;
                    while (b.hasRemaining() && pagemap.read(b, pos + b.position()) > 0) {
                        // positioned reads of the page table
                    }
                    b.flip();
                    for (int i = 0; b.remaining() >= 8; i++) {
                        if ((b.getLong() & SOFT_DIRTY) != 0) {
                            return at + (long) i * pageSize;
                        }
                    }
                }
            }
        }
        return -1;
    }
}
