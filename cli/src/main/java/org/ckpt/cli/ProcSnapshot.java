package org.ckpt.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.ExitState;
import org.ckpt.model.FileKind;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.TaskState;
import org.ckpt.model.Vma;
import org.ckpt.spi.Limits;

/**
 * A live Linux process as the task model: its threads as tasks sharing one address
 * space and one file table, read from {@code /proc/PID}. Page contents stay in the
 * process and are read lazily ({@link ProcPages}) while the checkpoint writes them.
 * What the model cannot represent is left out and said in {@link #notes()}.
 */
final class ProcSnapshot {
    /** Linux's USER_HZ: the unit of the times in /proc/PID/stat on every architecture ckpt supports. */
    static final long USER_HZ = 100;
    private static final int O_CLOEXEC = 02000000;
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;

    private final long pid;
    private final ProcMemory mem;
    private final long userLimit;
    private final Limits limits;
    private final Map<Integer, Character> statesBeforeFreeze;
    private final List<String> notes = new ArrayList<>();
    private final ProcPages.Stats stats = new ProcPages.Stats();
    private final Map<String, GenericFile> mappedFiles = new HashMap<>();
    private final Map<ProcPages, String> areaLabels = new java.util.LinkedHashMap<>();
    private List<Task> tasks;
    private int areas;

    /**
     * @param statesBeforeFreeze thread states seen before the process was stopped for the dump (the
     *                           image records those, not the stop the dump itself caused)
     */
    ProcSnapshot(long pid, ProcMemory mem, long userLimit, Limits limits, Map<Integer, Character> statesBeforeFreeze) {
        this.pid = pid;
        this.mem = mem;
        this.userLimit = userLimit;
        this.limits = limits;
        this.statesBeforeFreeze = statesBeforeFreeze;
    }

    List<Task> tasks() {
        return tasks;
    }

    List<String> notes() {
        return notes;
    }

    ProcPages.Stats stats() {
        return stats;
    }

    int areas() {
        return areas;
    }

    ProcSnapshot read() throws IOException, CliException {
        Path dir = ProcFs.dir(pid);
        try {
            ProcFs.Stat main = ProcFs.stat(dir);
            if (main.state() == 'X' || main.state() == 'x') {
                throw CliException.failed("process " + pid + " is dead (state X): it cannot be checkpointed");
            }
            AddressSpace mm = addressSpace(main);
            FileTable files = fileTable();
            List<Task> list = new ArrayList<>();
            for (int tid : ProcFs.threads(pid)) {
                Path t = dir.resolve("task").resolve(Integer.toString(tid));
                try {
                    list.add(task(tid, ProcFs.stat(t), ProcFs.status(t), mm, files));
                } catch (NoSuchFileException e) {
                    notes.add("thread " + tid + " exited while being read: left out");
                }
            }
            tasks = list;
            return this;
        } catch (NoSuchFileException e) {
            throw CliException.usage("process " + pid + " exited while being read (" + e.getFile() + " vanished)");
        }
    }

    private Task task(int tid, ProcFs.Stat s, Map<String, String> status, AddressSpace mm, FileTable files) {
        char state = statesBeforeFreeze.getOrDefault(tid, s.state());
        Task.Builder b = Task.builder().pid(tid).tgid((int) pid).comm(s.comm())
                .state(state(state)).exitState(state == 'Z' ? ExitState.ZOMBIE : ExitState.NONE)
                .exitCode(s.integer(52)).exitSignal(s.integer(38))
                .minFlt(s.num(10)).majFlt(s.num(12)).utime(s.num(14)).stime(s.num(15))
                .utimescaled(s.num(14)).stimescaled(s.num(15)).gtime(s.num(43))
                .startTime(ticks(s.num(22))).realStartTime(ticks(s.num(22)))
                .nvcsw(number(status.get("voluntary_ctxt_switches")))
                .nivcsw(number(status.get("nonvoluntary_ctxt_switches")))
                .mm(mm).files(files);
        // registers need ptrace: the image says "no CPU state" rather than inventing one
        return b.cpu(null).build();
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

    // ---- address space ------------------------------------------------------

    private AddressSpace addressSpace(ProcFs.Stat s) throws IOException {
        List<ProcFs.MapsEntry> maps = ProcFs.maps(pid);
        if (maps.isEmpty()) {
            return null; // a kernel thread or a zombie
        }
        if (mem == null) {
            notes.add("the process mapped memory after the dump began: address space left out");
            return null;
        }
        List<Vma> vmas = new ArrayList<>();
        long heapEnd = -1;
        for (ProcFs.MapsEntry e : maps) {
            if (e.path().equals("[heap]")) {
                heapEnd = e.end();
            }
            Vma v = vma(e);
            if (v != null) {
                vmas.add(v);
            }
        }
        areas = vmas.size();
        long startBrk = s.num(47);
        long brk = heapEnd >= 0 ? heapEnd : startBrk;
        long[] l = {s.num(26), s.num(27), s.num(45), s.num(46), startBrk, Math.max(brk, startBrk), s.num(28),
            s.num(48), s.num(49), s.num(50), s.num(51)};
        for (int i = 0; i < l.length; i++) {
            if (Long.compareUnsigned(l[i], userLimit) > 0) {
                notes.add("layout field " + i + " " + Fmt.hex(l[i]) + " is above the user address limit: written as 0");
                l[i] = 0;
            }
        }
        return new AddressSpace(l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7], l[8], l[9], l[10], 0, vmas);
    }

    private Vma vma(ProcFs.MapsEntry e) throws IOException {
        int ps = mem.pageSize;
        if (ProcFs.isSpecialUnreadable(e)) {
            notes.add("area " + e.label() + ": the kernel does not let /proc/PID/mem read it: left out");
            return null;
        }
        if (Long.compareUnsigned(e.end(), userLimit) > 0) {
            notes.add("area " + e.label() + ": above the user address limit " + Fmt.hex(userLimit) + ": left out");
            return null;
        }
        int flags = e.shared() ? Vma.SHARED : 0;
        if (e.path().equals("[stack]")) {
            flags |= Vma.GROWSDOWN | Vma.STACK;
        }
        long pgoff = e.offset() / ps;
        String path = e.path();
        if (path.isEmpty() || path.startsWith("[")) {
            return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, null, pages(e, e.end(), ProcPages.Policy.TOUCHED));
        }
        if (!path.startsWith("/")) {
            notes.add("area " + e.label() + ": not a file the model can represent: left out");
            return null;
        }
        if (e.deleted()) {
            // the file is gone: restart cannot refill clean pages from it, so the image holds them
            ProcPages.Policy p = e.shared() ? ProcPages.Policy.TOUCHED : ProcPages.Policy.ALL;
            notes.add("area " + e.label() + ": its file is deleted: saved as anonymous memory");
            return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, null, pages(e, e.end(), p));
        }
        Path file = Path.of(path);
        Map<String, Object> attrs;
        try {
            attrs = Files.readAttributes(file, "unix:mode,size");
        } catch (IOException ex) {
            notes.add("area " + e.label() + ": cannot stat its file (" + ex.getMessage() + "): saved as anonymous memory");
            return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, null, pages(e, e.end(), ProcPages.Policy.ALL));
        }
        int mode = (Integer) attrs.get("mode");
        if ((mode & S_IFMT) != S_IFREG) {
            notes.add("area " + e.label() + ": maps a " + kind(mode) + ", not a regular file: left out");
            return null;
        }
        GenericFile f = mappedFiles.computeIfAbsent(path, k -> GenericFile.open(FileKind.REGULAR, k,
                e.shared() && (e.prot() & Vma.PROT_WRITE) != 0 ? 2 : 0, mode & GenericFile.MODE_MASK, 0));
        if (!e.shared()) {
            return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, f, pages(e, e.end(), ProcPages.Policy.PRIVATE_FILE));
        }
        // a shared mapping is the file itself: every page up to the end of the file
        long size = (Long) attrs.get("size");
        long fileEnd = e.start() + Math.max(0, ((size - e.offset()) + ps - 1) / ps * ps);
        long readEnd = Long.compareUnsigned(fileEnd, e.end()) < 0 && fileEnd >= e.start() ? fileEnd : e.end();
        return new Vma(e.start(), e.end(), e.prot(), flags, pgoff, f, pages(e, readEnd, ProcPages.Policy.ALL));
    }

    private PageData pages(ProcFs.MapsEntry e, long readEnd, ProcPages.Policy policy) {
        ProcPages p = new ProcPages(mem, e.start(), readEnd, policy, stats);
        areaLabels.put(p, e.label() + (e.shared() ? " (shared)" : ""));
        return p;
    }

    /** After the checkpoint: the {@code n} areas that gave it the most pages, largest first. */
    List<String> largestAreas(int n) {
        List<Map.Entry<ProcPages, String>> all = new ArrayList<>(areaLabels.entrySet());
        all.sort((a, b) -> Long.compare(b.getKey().pagesRead(), a.getKey().pagesRead()));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.min(n, all.size()) && all.get(i).getKey().pagesRead() > 0; i++) {
            out.add(all.get(i).getValue() + ": " + Fmt.bytes(all.get(i).getKey().pagesRead() * mem.pageSize) + " read");
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

    // ---- file table ---------------------------------------------------------

    private FileTable fileTable() throws IOException {
        Path fdDir = ProcFs.dir(pid).resolve("fd");
        TreeMap<Integer, Path> fds = new TreeMap<>();
        try (var s = Files.newDirectoryStream(fdDir)) {
            for (Path p : s) {
                fds.put(Integer.parseInt(p.getFileName().toString()), p);
            }
        }
        List<FileTable.Entry> entries = new ArrayList<>();
        for (Map.Entry<Integer, Path> fd : fds.entrySet()) {
            try {
                FileTable.Entry entry = descriptor(fd.getKey(), fd.getValue());
                if (entry != null) {
                    entries.add(entry);
                }
            } catch (NoSuchFileException e) {
                notes.add("fd " + fd.getKey() + ": closed while being read: left out");
            }
        }
        return new FileTable(entries);
    }

    private FileTable.Entry descriptor(int fd, Path link) throws IOException {
        String target = Files.readSymbolicLink(link).toString();
        Map<String, String> info = new HashMap<>();
        for (String line : ProcFs.read(ProcFs.dir(pid).resolve("fdinfo").resolve(Integer.toString(fd))).split("\n")) {
            int c = line.indexOf(':');
            if (c > 0) {
                info.put(line.substring(0, c), line.substring(c + 1).trim());
            }
        }
        Map<String, Object> attrs = Files.readAttributes(link, "unix:mode,nlink,size");
        int mode = (Integer) attrs.get("mode");
        String what = "fd " + fd + " (" + target + ")";
        if (!target.startsWith("/")) {
            notes.add(what + ": a " + kind(mode) + " cannot be represented (the model has regular files and "
                    + "directories): left out");
            return null;
        }
        int type = mode & S_IFMT;
        if (type != S_IFREG && type != S_IFDIR) {
            notes.add(what + ": a " + kind(mode) + " cannot be represented (the model has regular files and "
                    + "directories): left out");
            return null;
        }
        long flagsAll = Long.parseLong(info.getOrDefault("flags", "0"), 8);
        boolean cloexec = (flagsAll & O_CLOEXEC) != 0;
        int flags = (int) (flagsAll & ~O_CLOEXEC);
        if ((flags & ~GenericFile.FLAGS_MASK) != 0) {
            notes.add(what + ": open flags " + Fmt.octal(flags) + " outside the model's mask: kept "
                    + Fmt.octal(flags & GenericFile.FLAGS_MASK));
            flags &= GenericFile.FLAGS_MASK;
        }
        long pos = Long.parseLong(info.getOrDefault("pos", "0"));
        boolean deleted = ((Integer) attrs.get("nlink")) == 0;
        String path = deleted && target.endsWith(" (deleted)")
                ? target.substring(0, target.length() - " (deleted)".length()) : target;
        FileKind kind = type == S_IFDIR ? FileKind.DIRECTORY : FileKind.REGULAR;
        ByteBuffer contents = null;
        if (deleted) {
            if (kind == FileKind.DIRECTORY) {
                notes.add(what + ": a deleted directory cannot be recreated: left out");
                return null;
            }
            long size = (Long) attrs.get("size");
            if (size > limits.maxDeletedFileSize()) {
                notes.add(what + ": deleted, " + Fmt.bytes(size) + " is more than maxDeletedFileSize "
                        + Fmt.bytes(limits.maxDeletedFileSize()) + ": left out");
                return null;
            }
            contents = readDeleted(link, (int) size);
            if (contents == null) {
                notes.add(what + ": deleted and its contents cannot be read back: left out");
                return null;
            }
        }
        GenericFile f = new GenericFile(kind, path, flags, mode & GenericFile.MODE_MASK, pos, 0, contents);
        return new FileTable.Entry(fd, f, cloexec);
    }

    /** The contents of a deleted file, through the process's descriptor (which keeps it alive). */
    private static ByteBuffer readDeleted(Path link, int size) {
        try (FileChannel ch = FileChannel.open(link)) {
            ByteBuffer b = ByteBuffer.allocate(size);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // a new open file description: the process's own position is untouched
            }
            return b.flip();
        } catch (IOException e) {
            return null;
        }
    }
}
