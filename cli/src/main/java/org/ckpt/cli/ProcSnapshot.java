package org.ckpt.cli;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.ExitState;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.PageRanges;
import org.ckpt.model.Task;
import org.ckpt.model.TaskState;
import org.ckpt.model.Vma;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.Limits;

/**
 * Live processes as the task model, read from {@code /proc} and ptrace while they are
 * frozen: every thread as a task with its registers; one address space and one file
 * table per process — or fewer, when {@code kcmp(2)} says processes or threads share
 * them; one open file per open file description (kcmp again), a deleted or memfd file's
 * contents once, referenced by its descriptors and its mappings. Pages are copied into
 * {@link Staging} while the process is frozen, or read while the image is written when
 * staging is full or the process runs ({@code --leave-running}). What the model cannot
 * hold is recorded per task ({@link TaskInfo}, {@code ckpt.omitted.*}) and in {@link #notes}.
 */
final class ProcSnapshot implements AutoCloseable {
    /** Linux's USER_HZ: the unit of the times in /proc/PID/stat on every architecture ckpt supports. */
    static final long USER_HZ = 100;
    private static final int O_CLOEXEC = 02000000;
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    /** Pages per staged run: 4 MiB of 4 KiB pages, the most one PAGES record holds. */
    private static final int RUN_PAGES = 1024;
    /**
     * For the signal tests only: {@code -Dckpt.test.stallWrite=true} makes writing the first page
     * wait until interrupted, so that a SIGINT or SIGTERM surely arrives while the image is written.
     */
    private static final boolean STALL_WRITE = Boolean.getBoolean("ckpt.test.stallWrite");
    /** Most buffered pipe bytes recorded per descriptor. */
    private static final int MAX_PIPE_BYTES = 1 << 20;

    /**
     * @param tracer         the freeze, or {@code null} when the processes run ({@code --leave-running})
     * @param statesBefore   thread states before the freeze (the image records those, not the freeze)
     * @param elf            the core-note layout of the architecture, or {@code null} (then no registers)
     * @param dryRun         read everything but pages and registers (before the freeze, to load classes)
     * @param deferPages     read no page now: every page is read while the image is written (the
     *                       two-freeze dump, which checks afterwards that none changed)
     * @param softDirtyParent an incremental dump whose parent's dump reset the soft-dirty bits:
     *                       each private area's pages carry the dirty set the bits give
     *                       ({@link SoftDirty#changed}), read now, before this dump resets them
     */
    record Options(List<Integer> processes, Tracer tracer, Staging staging, Limits limits, long userLimit,
                   int pageSize, String architecture, ElfArch elf, Map<Integer, Character> statesBefore,
                   boolean dryRun, boolean deferPages, boolean softDirtyParent) {
        /**
         * The options of a dry run: everything but pages and registers is read, once, before the
         * freeze, so that the frozen pass finds every class loaded and every lambda linked.
         */
        Options dry() {
            return new Options(processes, null, Staging.none(), limits, userLimit, pageSize, architecture, elf,
                    statesBefore, true, false, false);
        }

        /** The same options for {@code processes}, frozen by {@code tracer}. */
        Options frozen(List<Integer> processes, Tracer tracer, Staging staging, boolean deferPages) {
            return new Options(processes, tracer, staging, limits, userLimit, pageSize, architecture, elf,
                    statesBefore, false, deferPages, softDirtyParent);
        }

        /** The same options, without soft-dirty dirty sets. */
        Options withoutSoftDirty() {
            return new Options(processes, tracer, staging, limits, userLimit, pageSize, architecture, elf,
                    statesBefore, dryRun, deferPages, false);
        }
    }

    /** Page counts over every area of one dump. */
    static final class Stats {
        long staged;
        long live;
        long untouched;
        long leftToFile;
        long inFileObjects;
    }

    private final Options o;
    final List<Task> tasks = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final Stats stats = new Stats();
    boolean allStaged = true;
    /** Pages of shared writable areas that a two-freeze dump could not copy while frozen (staging was full). */
    long sharedNotCopied;
    private boolean copyNow;
    boolean kcmpAvailable = true;
    int areas;
    private final Map<String, GenericFile> mappedFiles = new HashMap<>();
    private final Map<String, GenericFile> deletedByInode = new HashMap<>();
    private final List<Description> descriptions = new ArrayList<>();
    private final Map<Integer, AddressSpace> spaces = new LinkedHashMap<>();
    private final Map<Integer, FileTable> tables = new LinkedHashMap<>();
    private final List<ProcMemory> open = new ArrayList<>();
    private final List<Area> read = new ArrayList<>();
    private final Map<String, String> pipeData = new HashMap<>();

    /** An open file description already met: where, and as which object. */
    private record Description(int pid, int fd, String key, GenericFile file) {
    }

    /** One area's pages, for the summary of the largest (counted when they are read). */
    private static final class Area {
        final String label;
        long pages;

        Area(String label) {
            this.label = label;
        }
    }

    ProcSnapshot(Options o) {
        this.o = o;
    }

    ProcSnapshot read() throws IOException, CliException {
        for (int tgid : o.processes()) {
            try {
                process(tgid);
            } catch (NoSuchFileException e) {
                throw CliException.failed("process " + tgid + " exited while it was being read (" + e.getFile()
                        + " vanished): no image written");
            }
        }
        return this;
    }

    // ---- one process -------------------------------------------------------------------------

    private void process(int tgid) throws IOException, CliException {
        Path dir = ProcFs.dir(tgid);
        ProcFs.Stat st = ProcFs.stat(dir);
        Map<String, String> status = ProcFs.status(dir);
        Map<String, String> pinfo = processInfo(tgid, dir, st, status);
        FileTable files = shared(tables, tgid, Linux.KCMP_FILES);
        if (files == null) {
            files = fileTable(tgid, dir.resolve("fd"), dir.resolve("fdinfo"), pinfo);
        }
        tables.put(tgid, files);
        AddressSpace mm = shared(spaces, tgid, Linux.KCMP_VM);
        if (mm == null && !spaces.containsKey(tgid)) {
            mm = addressSpace(tgid, st, pinfo);
        }
        spaces.put(tgid, mm);
        List<Integer> tids = o.tracer() != null ? o.tracer().threads(tgid) : ProcFs.threads(tgid);
        for (int tid : tids) {
            try {
                FileTable own = files;
                if (tid != tgid && kcmp(tgid, tid, Linux.KCMP_FILES, 0, 0) > 0) {
                    Path td = dir.resolve("task").resolve(Integer.toString(tid));
                    own = fileTable(tid, td.resolve("fd"), td.resolve("fdinfo"), pinfo);
                }
                tasks.add(task(tgid, tid, mm, own, tid == tgid ? pinfo : Map.of()));
            } catch (NoSuchFileException e) {
                if (o.tracer() != null) {
                    throw CliException.failed("thread " + tid + " of process " + tgid
                            + " vanished while frozen: no image written");
                }
                notes.add("thread " + tid + " exited while being read: left out");
            }
        }
    }

    /** An object an earlier process shares with {@code tgid} (kcmp says so), or null. */
    private <T> T shared(Map<Integer, T> seen, int tgid, int type) {
        for (Map.Entry<Integer, T> e : seen.entrySet()) {
            if (e.getValue() != null && kcmp(e.getKey(), tgid, type, 0, 0) == 0) {
                return e.getValue();
            }
        }
        return null;
    }

    /** kcmp, or -1 where the kernel has none (then nothing is taken as shared across processes). */
    private int kcmp(int pid1, int pid2, int type, long idx1, long idx2) {
        if (!kcmpAvailable) {
            return -1;
        }
        try {
            return Linux.kcmp(pid1, pid2, type, idx1, idx2);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Linux.ENOSYS) {
                kcmpAvailable = false;
                notes.add("the kernel has no kcmp(2): descriptors sharing an open file description are saved "
                        + "as separate files");
            }
            return -1;
        }
    }

    private Task task(int tgid, int tid, AddressSpace mm, FileTable files, Map<String, String> pinfo)
            throws IOException, CliException {
        Path t = ProcFs.dir(tgid).resolve("task").resolve(Integer.toString(tid));
        ProcFs.Stat s = ProcFs.stat(t);
        Map<String, String> status = ProcFs.status(t);
        char state = o.statesBefore().getOrDefault(tid, s.state());
        Map<String, String> info = new LinkedHashMap<>();
        info.put("linux.sigmask", hex(status.get("SigBlk")));
        info.put("linux.sigpending", hex(status.get("SigPnd")));
        CpuState cpu = null;
        if (o.tracer() == null) {
            info.put("ckpt.cpu", "not captured: --leave-running reads the process without stopping it, and "
                    + "registers can only be read from a stopped thread");
        } else if (o.elf() == null) {
            info.put("ckpt.cpu", "not captured: no register notes for architecture " + o.architecture());
        } else {
            Tracer.Tracee tr = o.tracer().tracee(tid);
            if (tr != null && tr.pendingSignal != 0) {
                info.put("linux.signal.delivering", Signals.name(tr.pendingSignal)
                        + " (arrived during the freeze; delivered when the dump released the thread)");
            }
            long blocked = o.tracer().sigmask(tid);
            info.put("linux.sigmask", String.format("%016x", blocked));
            ElfArch.PrHeader h = new ElfArch.PrHeader(0, 0, 0, tr != null ? tr.pendingSignal : 0,
                    parseHex(status.get("SigPnd")), blocked, tid, (int) s.num(4), (int) s.num(5), (int) s.num(6),
                    s.num(14) * 1_000_000 / USER_HZ, s.num(15) * 1_000_000 / USER_HZ,
                    s.num(16) * 1_000_000 / USER_HZ, s.num(17) * 1_000_000 / USER_HZ, 1);
            cpu = Registers.cpu(o.tracer(), tid, o.elf(), h);
            info.put("ckpt.cpu", "captured with ptrace (PTRACE_GETREGSET)");
        }
        info.putAll(pinfo);
        Task.Builder b = Task.builder().pid(tid).tgid(tgid).comm(s.comm())
                .state(state(state)).exitState(state == 'Z' ? ExitState.ZOMBIE : ExitState.NONE)
                .exitCode(s.integer(52)).exitSignal(s.integer(38))
                .minFlt(s.num(10)).majFlt(s.num(12)).utime(s.num(14)).stime(s.num(15))
                .utimescaled(s.num(14)).stimescaled(s.num(15)).gtime(s.num(43))
                .startTime(ticks(s.num(22))).realStartTime(ticks(s.num(22)))
                .nvcsw(number(status.get("voluntary_ctxt_switches")))
                .nivcsw(number(status.get("nonvoluntary_ctxt_switches")))
                .mm(mm).files(files).cpu(cpu);
        return TaskInfo.attach(b, info).build();
    }

    /** What /proc says about the process as a whole (stored with its thread-group leader). */
    private Map<String, String> processInfo(int tgid, Path dir, ProcFs.Stat st, Map<String, String> status) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("linux.ppid", Long.toString(st.num(4)));
        m.put("linux.pgid", Long.toString(st.num(5)));
        m.put("linux.sid", Long.toString(st.num(6)));
        long tty = st.num(7);
        m.put("linux.tty", tty == 0 ? "none" : ((tty >> 8) & 0xFFF) + ":" + ((tty & 0xFF) | ((tty >> 12) & 0xFFF00)));
        m.put("linux.nice", Long.toString(Long.parseLong(st.f()[19])));
        m.put("linux.sigpending.shared", hex(status.get("ShdPnd")));
        m.put("linux.sigignore", hex(status.get("SigIgn")));
        m.put("linux.sigcatch", hex(status.get("SigCgt")));
        m.put("linux.uid", String.valueOf(status.get("Uid")).replace('\t', ' '));
        m.put("linux.gid", String.valueOf(status.get("Gid")).replace('\t', ' '));
        m.put("linux.groups", String.valueOf(status.getOrDefault("Groups", "")).trim());
        m.put("linux.cap.effective", String.valueOf(status.get("CapEff")));
        link(m, "linux.cwd", dir.resolve("cwd"));
        link(m, "linux.root", dir.resolve("root"));
        link(m, "linux.exe", dir.resolve("exe"));
        try {
            byte[] cmd = Files.readAllBytes(dir.resolve("cmdline"));
            m.put("linux.cmdline", TaskInfo.clip(new String(cmd, java.nio.charset.StandardCharsets.UTF_8)
                    .replace('\0', ' ').trim()));
        } catch (IOException e) {
            // a kernel thread or a zombie has none
        }
        try {
            m.put("linux.auxv", HexFormat.of().formatHex(Files.readAllBytes(dir.resolve("auxv"))));
        } catch (IOException e) {
            // not readable: left out
        }
        try {
            for (String line : ProcFs.read(dir.resolve("limits")).split("\n")) {
                // "Max open files            1024                 1048576              files"
                if (!line.startsWith("Max ")) {
                    continue;
                }
                String[] parts = line.substring(0, Math.min(line.length(), 26)).trim().split(" ");
                String name = String.join("_", parts).toLowerCase(java.util.Locale.ROOT).replace("max_", "");
                String[] v = line.substring(Math.min(line.length(), 26)).trim().split("\\s+");
                if (v.length >= 2) {
                    m.put("linux.rlimit." + name, v[0] + " " + v[1]);
                }
            }
        } catch (IOException e) {
            // no limits file
        }
        return m;
    }

    private static void link(Map<String, String> m, String key, Path p) {
        try {
            m.put(key, Files.readSymbolicLink(p).toString());
        } catch (IOException | UnsupportedOperationException e) {
            // not readable: left out
        }
    }

    private static String hex(String v) {
        return v == null ? "" : v.trim();
    }

    private static long parseHex(String v) {
        return v == null || v.isBlank() ? 0 : Long.parseUnsignedLong(v.trim(), 16);
    }

    private static Duration ticks(long t) {
        return Duration.ofMillis(t * 1000 / USER_HZ);
    }

    private static long number(String v) {
        return v == null ? 0 : Long.parseLong(v.trim());
    }

    /** proc(5) state letters; a zombie keeps RUNNING with exit state ZOMBIE. */
    static TaskState state(char c) {
        return switch (c) {
            case 'R', 'Z' -> TaskState.RUNNING;
            case 'D', 'I', 'P' -> TaskState.UNINTERRUPTIBLE;
            case 'T' -> TaskState.STOPPED;
            case 't' -> TaskState.TRACED;
            default -> TaskState.INTERRUPTIBLE;
        };
    }

    // ---- address space -----------------------------------------------------------------------

    private AddressSpace addressSpace(int tgid, ProcFs.Stat s, Map<String, String> pinfo)
            throws IOException, CliException {
        List<ProcFs.MapsEntry> maps = ProcFs.maps(tgid);
        if (maps.isEmpty()) {
            return null;
        }
        ProcMemory mem = ProcMemory.open(tgid, o.pageSize());
        open.add(mem);
        List<Vma> vmas = new ArrayList<>();
        long heapEnd = -1;
        for (ProcFs.MapsEntry e : maps) {
            if (e.path().equals("[heap]")) {
                heapEnd = e.end();
            }
            Vma v = vma(tgid, e, mem, pinfo);
            if (v != null) {
                vmas.add(v);
            }
        }
        areas += vmas.size();
        long startBrk = s.num(47);
        long brk = heapEnd >= 0 ? heapEnd : startBrk;
        long[] l = {s.num(26), s.num(27), s.num(45), s.num(46), startBrk, Math.max(brk, startBrk), s.num(28),
            s.num(48), s.num(49), s.num(50), s.num(51)};
        for (int i = 0; i < l.length; i++) {
            if (Long.compareUnsigned(l[i], o.userLimit()) > 0) {
                notes.add("layout field " + i + " " + Fmt.hex(l[i]) + " is above the user address limit: written as 0");
                l[i] = 0;
            }
        }
        return new AddressSpace(l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7], l[8], l[9], l[10], 0, vmas);
    }

    private void omitArea(int tgid, ProcFs.MapsEntry e, Map<String, String> pinfo, String why) {
        pinfo.put("ckpt.omitted.vma." + Fmt.hex(e.start()), TaskInfo.clip(e.label() + " " + e.perms() + ": " + why));
        notes.add("pid " + tgid + " area " + e.label() + ": " + why + ": left out");
    }

    private Vma vma(int tgid, ProcFs.MapsEntry e, ProcMemory mem, Map<String, String> pinfo)
            throws IOException, CliException {
        int ps = o.pageSize();
        // memory others may write too: its pages are copied while frozen even when the rest is
        // read later (soft-dirty bits only see the process's own writes)
        copyNow = e.shared() && (e.prot() & Vma.PROT_WRITE) != 0;
        if (ProcFs.isSpecialUnreadable(e)) {
            omitArea(tgid, e, pinfo, "the kernel lets no process read it (vDSO data / legacy vsyscall page)");
            return null;
        }
        if (Long.compareUnsigned(e.end(), o.userLimit()) > 0) {
            omitArea(tgid, e, pinfo, "above the user address limit " + Fmt.hex(o.userLimit()));
            return null;
        }
        int flags = e.shared() ? Vma.SHARED : 0;
        if (e.path().equals("[stack]")) {
            flags |= Vma.GROWSDOWN | Vma.STACK;
        }
        long pgoff = e.offset() / ps;
        String path = e.path();
        String label = e.label() + (e.shared() ? " (shared)" : "");
        if (path.isEmpty() || path.startsWith("[")) {
            // the vDSO is read whole: its pages need not be in the page table yet, and a debugger
            // reading the image's core needs its ELF image
            boolean whole = e.shared() || path.equals("[vdso]");
            return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, null,
                    pages(mem, e.start(), e.end(), whole ? Policy.ALL : Policy.TOUCHED, label));
        }
        if (!path.startsWith("/")) {
            omitArea(tgid, e, pinfo, "maps " + path + ", which the model cannot represent");
            return null;
        }
        if (e.deleted()) {
            String p = e.pathWithoutDeleted();
            if (p.equals("/dev/zero") || p.startsWith("/SYSV")) {
                // shared anonymous memory: its pages are the only copy
                return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, null,
                        pages(mem, e.start(), e.end(), e.shared() ? Policy.ALL : Policy.TOUCHED, label));
            }
            GenericFile f = deletedFile(tgid, e);
            if (f != null) {
                if (e.shared()) {
                    // a shared mapping is the file itself: its contents are in the file object once
                    stats.inFileObjects += (e.end() - e.start()) / ps;
                    return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, f, PageData.none());
                }
                return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, f,
                        pages(mem, e.start(), e.end(), Policy.PRIVATE_FILE, label));
            }
            notes.add("pid " + tgid + " area " + e.label() + ": its file is deleted and its contents could not be "
                    + "saved once: saved as anonymous memory");
            return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, null,
                    pages(mem, e.start(), e.end(), e.shared() ? Policy.TOUCHED : Policy.ALL, label));
        }
        Path file = Path.of(path);
        Map<String, Object> attrs;
        try {
            attrs = Files.readAttributes(file, "unix:mode,size");
        } catch (IOException ex) {
            notes.add("pid " + tgid + " area " + e.label() + ": cannot stat its file (" + ex.getMessage()
                    + "): saved as anonymous memory");
            return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, null,
                    pages(mem, e.start(), e.end(), Policy.ALL, label));
        }
        int mode = (Integer) attrs.get("mode");
        if ((mode & S_IFMT) != S_IFREG) {
            omitArea(tgid, e, pinfo, "maps a " + kind(mode) + ", not a regular file");
            return null;
        }
        int fileFlags = e.shared() && (e.prot() & Vma.PROT_WRITE) != 0 ? 2 : 0;
        GenericFile f = mappedFiles.computeIfAbsent(path + "\0" + fileFlags + "\0" + mode, k -> GenericFile.open(
                FileKind.REGULAR, path, fileFlags, mode & GenericFile.MODE_MASK, 0));
        if (!e.shared()) {
            return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, f,
                    pages(mem, e.start(), e.end(), Policy.PRIVATE_FILE, label));
        }
        // a shared mapping is the file itself: every page up to the end of the file
        long size = (Long) attrs.get("size");
        long fileEnd = e.start() + Math.max(0, ((size - e.offset()) + ps - 1) / ps * ps);
        long readEnd = Long.compareUnsigned(fileEnd, e.end()) < 0 && fileEnd >= e.start() ? fileEnd : e.end();
        return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, f, pages(mem, e.start(), readEnd, Policy.ALL, label));
    }

    /**
     * The deleted file (a memfd, or a file removed while mapped) behind an area, with its
     * contents — the object a descriptor of the same file already has, or one read through
     * {@code /proc/PID/map_files} — or {@code null} if the contents cannot be saved.
     */
    private GenericFile deletedFile(int tgid, ProcFs.MapsEntry e) throws IOException {
        String key = devIno(e.dev(), e.inode());
        GenericFile f = deletedByInode.get(key);
        if (f != null) {
            return f;
        }
        Path mf = ProcFs.dir(tgid).resolve("map_files").resolve(Long.toHexString(e.start()) + "-"
                + Long.toHexString(e.end()));
        Map<String, Object> attrs;
        try {
            attrs = Files.readAttributes(mf, "unix:mode,size");
        } catch (IOException ex) {
            return null;
        }
        long size = (Long) attrs.get("size");
        if (size > o.limits().maxDeletedFileSize()) {
            return null;
        }
        ByteBuffer contents = readAll(mf, (int) size);
        if (contents == null) {
            return null;
        }
        int mode = (Integer) attrs.get("mode");
        f = new GenericFile(FileKind.REGULAR, e.pathWithoutDeleted(), e.shared() ? 2 : 0,
                mode & GenericFile.MODE_MASK, 0, 0, contents);
        deletedByInode.put(key, f);
        return f;
    }

    /** maps' {@code MAJOR:MINOR} (hex) and inode as the key {@link #fdKey} uses too. */
    private static String devIno(String dev, long ino) {
        String[] mm = dev.split(":");
        long major = Long.parseLong(mm[0], 16);
        long minor = Long.parseLong(mm[1], 16);
        return major + ":" + minor + ":" + ino;
    }

    /** Which pages of an area hold something the image needs. */
    enum Policy {
        /** Anonymous memory: pages in RAM or swap; the rest was never touched and reads as zero. */
        TOUCHED,
        /** Private file mapping: pages copied on write (anonymous) or swapped; clean ones come from the file. */
        PRIVATE_FILE,
        /** Every page (shared mappings, whose contents are the file's or the shared memory's). */
        ALL
    }

    private static boolean wanted(Policy p, long e) {
        return switch (p) {
            case ALL -> true;
            case TOUCHED -> (e & (ProcMemory.PRESENT | ProcMemory.SWAPPED)) != 0;
            case PRIVATE_FILE -> (e & ProcMemory.SWAPPED) != 0
                    || ((e & ProcMemory.PRESENT) != 0 && (e & ProcMemory.FILE_OR_SHARED) == 0);
        };
    }

    /**
     * The pages of {@code [start, end)} the image needs: copied into staging now (the
     * process is frozen), or — when staging is full or the process runs — read while the
     * image is written.
     */
    private PageData pages(ProcMemory mem, long start, long end, Policy policy, String label)
            throws IOException, CliException {
        int ps = o.pageSize();
        if (o.dryRun()) {
            runs(mem, start, Math.min(end, start + (long) ProcMemory.CHUNK_PAGES * ps), policy, new Stats());
            return PageData.none();
        }
        Area area = new Area(label);
        read.add(area);
        PageData data;
        if (o.deferPages() && !copyNow) {
            // which pages exist is asked of the page table only when they are written: a page the
            // process touches after the first freeze is soft-dirty, and the second freeze sees it
            allStaged = false;
            data = new LazyPages(mem, start, end, policy, area);
        } else {
            List<long[]> runs = runs(mem, start, end, policy, stats);
            for (long[] r : runs) {
                area.pages += r[1];
            }
            data = stagedOrLive(mem, runs, area.pages, ps);
        }
        if (o.softDirtyParent() && policy != Policy.ALL) {
            // shared memory is written by others too, whom the bits do not see: its pages are
            // compared by digest instead (no dirty set)
            data = data.withChangedSinceParent(changed(mem, start, end, policy));
        }
        if (STALL_WRITE) {
            PageData real = data;
            return visitor -> {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while writing");
                }
                real.forEachRun(visitor);
            };
        }
        return data;
    }

    /** The dirty set of {@code [start, end)} since the parent's dump (soft-dirty bits, and every page not presented). */
    private PageRanges changed(ProcMemory mem, long start, long end, Policy policy) throws IOException {
        int ps = o.pageSize();
        PageRanges.Builder b = PageRanges.builder();
        long[] entries = new long[ProcMemory.CHUNK_PAGES];
        for (long at = start; at < end; at += (long) ProcMemory.CHUNK_PAGES * ps) {
            int n = (int) Math.min(ProcMemory.CHUNK_PAGES, (end - at) / ps);
            mem.pagemap(at, n, entries);
            SoftDirty.changed(at, entries, n, ps, e -> wanted(policy, e), b);
        }
        return b.build();
    }

    /** Pages of an area found in the page table when the checkpoint writes them, then read. */
    private final class LazyPages implements PageData {
        private final ProcMemory mem;
        private final long start;
        private final long end;
        private final Policy policy;
        private final Area area;
        private List<long[]> runs;

        LazyPages(ProcMemory mem, long start, long end, Policy policy, Area area) {
            this.mem = mem;
            this.start = start;
            this.end = end;
            this.policy = policy;
            this.area = area;
        }

        @Override
        public void forEachRun(RunVisitor visitor) throws IOException {
            if (runs == null) {
                runs = runs(mem, start, end, policy, stats);
                for (long[] r : runs) {
                    area.pages += r[1];
                }
                stats.live += area.pages;
            }
            new ProcPages(mem, runs, o.pageSize()).forEachRun(visitor);
        }
    }

    /** The runs of pages of {@code [start, end)} the image needs, per the page table; counts the rest in {@code st}. */
    private List<long[]> runs(ProcMemory mem, long start, long end, Policy policy, Stats st) throws IOException {
        int ps = o.pageSize();
        List<long[]> runs = new ArrayList<>();
        long[] entries = new long[ProcMemory.CHUNK_PAGES];
        for (long at = start; at < end; at += (long) ProcMemory.CHUNK_PAGES * ps) {
            int n = (int) Math.min(ProcMemory.CHUNK_PAGES, (end - at) / ps);
            if (policy != Policy.ALL) {
                mem.pagemap(at, n, entries);
            }
            int i = 0;
            while (i < n) {
                if (policy != Policy.ALL && !wanted(policy, entries[i])) {
                    if (policy == Policy.PRIVATE_FILE) {
                        st.leftToFile++;
                    } else {
                        st.untouched++;
                    }
                    i++;
                    continue;
                }
                int j = i + 1;
                while (j < n && (policy == Policy.ALL || wanted(policy, entries[j]))) {
                    j++;
                }
                long a = at + (long) i * ps;
                int last = runs.size() - 1;
                if (last >= 0 && runs.get(last)[0] + runs.get(last)[1] * ps == a
                        && runs.get(last)[1] + (j - i) <= RUN_PAGES) {
                    runs.get(last)[1] += j - i;
                } else {
                    runs.add(new long[] {a, j - i});
                }
                i = j;
            }
        }
        return runs;
    }

    private PageData stagedOrLive(ProcMemory mem, List<long[]> runs, long total, int ps) throws CliException {
        if (runs.isEmpty()) {
            return PageData.none();
        }
        if (o.tracer() == null || (o.deferPages() && !copyNow)) {
            allStaged = false;
            stats.live += total;
            return new ProcPages(mem, runs, ps);
        }
        PageData.Builder b = PageData.builder();
        List<long[]> live = new ArrayList<>();
        long[] addresses = new long[runs.size()];
        ByteBuffer[] buffers = new ByteBuffer[runs.size()];
        int n = 0;
        for (long[] r : runs) {
            ByteBuffer slice = live.isEmpty() ? o.staging().take((int) (r[1] * ps)) : null;
            if (slice == null) {
                live.add(r);
                continue;
            }
            addresses[n] = r[0];
            buffers[n++] = slice;
        }
        try {
            mem.readRuns(addresses, buffers, n);
        } catch (ProcMemory.ReadFailure f) {
            throw CliException.failed(f.getMessage() + ": no image written");
        }
        for (int i = 0; i < n; i++) {
            b.run(addresses[i], buffers[i].rewind());
            stats.staged += buffers[i].capacity() / ps;
        }
        if (live.isEmpty()) {
            return b.build();
        }
        // staging is full: the rest of this area is read while the image is written, still frozen
        allStaged = false;
        if (o.deferPages()) {
            for (long[] r : live) {
                sharedNotCopied += r[1];
            }
        }
        PageData staged = b.build();
        ProcPages rest = new ProcPages(mem, live, ps);
        for (long[] r : live) {
            stats.live += r[1];
        }
        return visitor -> {
            staged.forEachRun(visitor);
            rest.forEachRun(visitor);
        };
    }

    /** After the checkpoint: the {@code n} areas that gave it the most pages, largest first. */
    List<String> largestAreas(int n) {
        List<Area> all = new ArrayList<>(read);
        all.sort((a, b) -> Long.compare(b.pages, a.pages));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.min(n, all.size()) && all.get(i).pages > 0; i++) {
            out.add(all.get(i).label + ": " + Fmt.bytes(all.get(i).pages * o.pageSize()) + " read");
        }
        return out;
    }

    private static String kind(int mode) {
        return switch (mode & S_IFMT) {
            case 0020000 -> "character device";
            case 0060000 -> "block device";
            case 0010000 -> "pipe";
            case 0140000 -> "socket";
            case 0120000 -> "symbolic link";
            case S_IFDIR -> "directory";
            default -> "file of mode " + Fmt.octal(mode);
        };
    }

    // ---- file table --------------------------------------------------------------------------

    private FileTable fileTable(int pid, Path fdDir, Path fdinfoDir, Map<String, String> pinfo) throws IOException {
        TreeMap<Integer, Path> fds = new TreeMap<>();
        try (var s = Files.newDirectoryStream(fdDir)) {
            for (Path p : s) {
                fds.put(Integer.parseInt(p.getFileName().toString()), p);
            }
        }
        List<FileTable.Entry> entries = new ArrayList<>();
        for (Map.Entry<Integer, Path> fd : fds.entrySet()) {
            try {
                FileTable.Entry entry = descriptor(pid, fd.getKey(), fd.getValue(), fdinfoDir, pinfo);
                if (entry != null) {
                    entries.add(entry);
                }
            } catch (NoSuchFileException e) {
                notes.add("pid " + pid + " fd " + fd.getKey() + ": closed while being read: left out");
            }
        }
        return new FileTable(entries);
    }

    private FileTable.Entry descriptor(int pid, int fd, Path link, Path fdinfoDir, Map<String, String> pinfo)
            throws IOException {
        String target = Files.readSymbolicLink(link).toString();
        Map<String, String> info = new LinkedHashMap<>();
        String fdinfo = ProcFs.read(fdinfoDir.resolve(Integer.toString(fd)));
        for (String line : fdinfo.split("\n")) {
            int c = line.indexOf(':');
            if (c > 0) {
                info.putIfAbsent(line.substring(0, c), line.substring(c + 1).trim());
            }
        }
        Map<String, Object> attrs = Files.readAttributes(link, "unix:mode,nlink,size,dev,ino");
        int mode = (Integer) attrs.get("mode");
        int type = mode & S_IFMT;
        long flagsAll = Long.parseLong(info.getOrDefault("flags", "0"), 8);
        boolean cloexec = (flagsAll & O_CLOEXEC) != 0;
        if (!target.startsWith("/") || (type != S_IFREG && type != S_IFDIR)) {
            omitDescriptor(pid, fd, link, target, mode, flagsAll, fdinfo, pinfo);
            return null;
        }
        String what = "pid " + pid + " fd " + fd + " (" + target + ")";
        int flags = (int) (flagsAll & ~O_CLOEXEC);
        if ((flags & ~GenericFile.FLAGS_MASK) != 0) {
            notes.add(what + ": open flags " + Fmt.octal(flags) + " outside the model's mask: kept "
                    + Fmt.octal(flags & GenericFile.FLAGS_MASK));
            flags &= GenericFile.FLAGS_MASK;
        }
        long pos = Long.parseLong(info.getOrDefault("pos", "0"));
        String inode = fdKey(attrs);
        String key = inode + ":" + flags + ":" + pos;
        for (Description d : descriptions) {
            if (d.key().equals(key) && kcmp(d.pid(), pid, Linux.KCMP_FILE, d.fd(), fd) == 0) {
                return new FileTable.Entry(fd, d.file(), cloexec);
            }
        }
        boolean deleted = ((Integer) attrs.get("nlink")) == 0;
        String path = deleted && target.endsWith(" (deleted)")
                ? target.substring(0, target.length() - " (deleted)".length()) : target;
        FileKind kind = type == S_IFDIR ? FileKind.DIRECTORY : FileKind.REGULAR;
        ByteBuffer contents = null;
        if (deleted) {
            if (kind == FileKind.DIRECTORY) {
                pinfo.put("ckpt.omitted.fd." + fd, TaskInfo.clip(target + ": a deleted directory cannot be recreated"));
                notes.add(what + ": a deleted directory cannot be recreated: left out");
                return null;
            }
            long size = (Long) attrs.get("size");
            GenericFile known = deletedByInode.get(inode);
            if (known != null) {
                contents = known.deletedContents(); // the same file: its contents are read once
            } else if (size > o.limits().maxDeletedFileSize()) {
                pinfo.put("ckpt.omitted.fd." + fd, TaskInfo.clip(target + ": deleted, " + size + " bytes, more than "
                        + "maxDeletedFileSize"));
                notes.add(what + ": deleted, " + Fmt.bytes(size) + " is more than maxDeletedFileSize "
                        + Fmt.bytes(o.limits().maxDeletedFileSize()) + ": left out");
                return null;
            } else {
                contents = readAll(link, (int) size);
            }
            if (contents == null) {
                pinfo.put("ckpt.omitted.fd." + fd, TaskInfo.clip(target + ": deleted and its contents cannot be read"));
                notes.add(what + ": deleted and its contents cannot be read back: left out");
                return null;
            }
        }
        GenericFile f = new GenericFile(kind, path, flags, mode & GenericFile.MODE_MASK, pos, 0, contents);
        if (deleted) {
            deletedByInode.putIfAbsent(inode, f);
        }
        descriptions.add(new Description(pid, fd, key, f));
        return new FileTable.Entry(fd, f, cloexec);
    }

    private static String fdKey(Map<String, Object> attrs) {
        long dev = (Long) attrs.get("dev");
        // glibc's makedev encoding back to major:minor, as /proc/PID/maps prints them
        long major = ((dev >>> 8) & 0xFFF) | ((dev >>> 32) & ~0xFFFL);
        long minor = (dev & 0xFF) | ((dev >>> 12) & ~0xFFL);
        return major + ":" + minor + ":" + attrs.get("ino");
    }

    /**
     * A descriptor the model has no type for: what it is goes into the task info
     * ({@code ckpt.omitted.fd.N}) and the notes — with a pipe's buffered bytes, which
     * {@code tee(2)} copies without taking them from the pipe.
     */
    private void omitDescriptor(int pid, int fd, Path link, String target, int mode, long flags, String fdinfo,
                                Map<String, String> pinfo) {
        String key = "ckpt.omitted.fd." + fd;
        String kind;
        String detail = "";
        int type = mode & S_IFMT;
        int acc = (int) (flags & 3);
        String access = acc == 0 ? "read" : acc == 1 ? "write" : "read-write";
        if (target.startsWith("pipe:") || type == 0010000) {
            kind = target.startsWith("pipe:") ? "pipe" : "FIFO";
            byte[] data = pipeContents(link);
            // one pipe, its bytes once: the first descriptor met holds them, the others point there
            String holder = pipeData.putIfAbsent(target, "pid " + pid + "'s " + key + ".data.*");
            detail = ", " + access + " end, " + (data == null ? "buffered bytes unknown"
                    : data.length + " bytes buffered" + (data.length > 0 ? " (in " + (holder != null ? holder
                    : key + ".data.*") + ", base64)" : ""));
            if (data != null && data.length > 0 && holder == null) {
                TaskInfo.putChunked(pinfo, key + ".data", java.util.Base64.getEncoder().encodeToString(data));
            }
        } else if (target.startsWith("socket:")) {
            kind = "socket";
            detail = Sockets.describe(pid, target);
        } else if (target.startsWith("anon_inode:")) {
            kind = target.substring("anon_inode:".length()).replace("[", "").replace("]", "");
            StringBuilder sb = new StringBuilder();
            for (String line : fdinfo.split("\n")) {
                if (!line.startsWith("pos:") && !line.startsWith("flags:") && !line.startsWith("mnt_id:")
                        && !line.startsWith("ino:") && !line.isBlank()) {
                    sb.append(sb.length() == 0 ? "; " : ", ").append(line.trim().replace('\t', ' '));
                }
            }
            detail = sb.toString();
        } else if (type == 0020000 || type == 0060000) {
            boolean tty = target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            kind = (tty ? "tty, " : "") + kind(mode);
            detail = ", " + access;
        } else {
            kind = kind(mode);
        }
        pinfo.put(key, TaskInfo.clip(target + ": " + kind + detail + "; not restorable (the model has regular files "
                + "and directories)"));
        notes.add("pid " + pid + " fd " + fd + " (" + target + "): " + kind + detail + ": recorded, not restorable");
    }

    /** The bytes buffered in a pipe, copied with tee(2) (the pipe keeps them), or null if unknown. */
    private static byte[] pipeContents(Path link) {
        int in = -1;
        int[] ours = {-1, -1};
        try {
            in = Linux.open(link.toString(), Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_CLOEXEC);
            int[] n = new int[1];
            Linux.ioctl(in, Linux.FIONREAD, n);
            if (n[0] == 0) {
                return new byte[0];
            }
            Linux.pipe2(ours, Linux.O_CLOEXEC | Linux.O_NONBLOCK);
            Linux.fcntl(ours[1], Linux.F_SETPIPE_SZ, Math.min(Math.max(n[0], 4096), MAX_PIPE_BYTES));
            long copied = Linux.tee(in, ours[1], Math.min(n[0], MAX_PIPE_BYTES), Linux.SPLICE_F_NONBLOCK);
            com.sun.jna.Memory buf = new com.sun.jna.Memory(Math.max(copied, 1));
            long got = 0;
            while (got < copied) {
                long r = Linux.read(ours[0], buf.share(got), copied - got);
                if (r <= 0) {
                    break;
                }
                got += r;
            }
            return buf.getByteArray(0, (int) got);
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return null;
        } finally {
            for (int fd : new int[] {in, ours[0], ours[1]}) {
                if (fd >= 0) {
                    try {
                        Linux.close(fd);
                    } catch (LastErrorException e) {
                        // nothing to do
                    }
                }
            }
        }
    }

    /** The contents of a deleted file through a link that keeps it alive (a new open file description). */
    private static ByteBuffer readAll(Path link, int size) {
        try (FileChannel ch = FileChannel.open(link)) {
            ByteBuffer b = ByteBuffer.allocate(size);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // positioned reads: the process's own position is untouched
            }
            return b.flip();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        for (ProcMemory m : open) {
            try {
                m.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }
}
