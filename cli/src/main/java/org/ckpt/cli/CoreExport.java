package org.ckpt.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.model.GenericFile;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/**
 * One process of an image as an ELF core file gdb loads: {@code NT_PRPSINFO}, per thread
 * {@code NT_PRSTATUS} and the FP/XSAVE/TLS or PowerPC vector notes ({@link CpuNotes}),
 * {@code NT_AUXV} and {@code NT_FILE}; one {@code PT_LOAD} per area holding its whole
 * contents as the process saw them: the image's pages, zero where the image has none,
 * and — for the clean pages of private file mappings, which an image leaves to the file —
 * the file's bytes, read from the file (or from the image, for deleted and memfd files).
 */
final class CoreExport {
    /** What an export wrote. */
    record Summary(int pid, String comm, String architecture, int threads, int areas, long bytes,
                   long pagesFromImage, long pagesFromFiles, long pagesMissingFiles, List<String> missing) {
    }

    private final int pageSize;
    private long fromImage;
    private long fromFiles;
    private long missingPages;
    private final List<String> missing = new ArrayList<>();
    private final Map<String, FileChannel> files = new HashMap<>();

    private CoreExport(int pageSize) {
        this.pageSize = pageSize;
    }

    /** The tasks (threads) of process {@code pid} in {@code tasks}, its leader first; {@code pid < 0}: the first process. */
    static List<Task> process(List<Task> tasks, long pid) {
        int tgid = pid < 0 && !tasks.isEmpty() ? tasks.get(0).tgid() : (int) pid;
        List<Task> out = new ArrayList<>();
        for (Task t : tasks) {
            if (t.tgid() == tgid) {
                if (t.pid() == tgid) {
                    out.add(0, t);
                } else {
                    out.add(t);
                }
            }
        }
        return out;
    }

    static Summary write(String architecture, int pageSize, List<Task> threads, WritableByteChannel out)
            throws IOException, CliException {
        ElfArch arch = ElfArch.of(architecture);
        if (arch == null) {
            throw CliException.usage("export-core writes x86_64, i386, ppc64 and ppc32 cores; this image is "
                    + architecture);
        }
        Task leader = threads.get(0);
        if (leader.mm() == null) {
            throw CliException.usage("process " + leader.tgid() + " has no address space in the image: nothing for "
                    + "a core");
        }
        Map<String, String> pinfo = TaskInfo.of(leader);
        List<ElfCore.Note> notes = new ArrayList<>();
        notes.add(new ElfCore.Note("CORE", ElfArch.NT_PRPSINFO, arch.prPsInfo(psInfo(leader, pinfo))));
        for (Task t : threads) {
            if (t.cpu() == null) {
                String why = TaskInfo.of(t).get("ckpt.cpu");
                throw CliException.failed("thread " + t.pid() + " has no CPU state in the image"
                        + (why != null ? " (" + why + ")" : "") + ": a core needs every thread's registers");
            }
            if (!t.cpu().architecture().equals(architecture)) {
                throw CliException.failed("thread " + t.pid() + " has " + t.cpu().architecture()
                        + " registers in an " + architecture + " image");
            }
            for (CpuNotes.Note n : CpuNotes.toNotes(t.cpu(), header(t, pinfo))) {
                notes.add(new ElfCore.Note(n.name(), n.type(), n.desc()));
            }
        }
        String auxv = pinfo.get("linux.auxv");
        if (auxv != null && !auxv.isEmpty()) {
            notes.add(new ElfCore.Note("CORE", ElfArch.NT_AUXV, HexFormat.of().parseHex(auxv)));
        }
        List<Vma> vmas = leader.mm().vmas();
        notes.add(new ElfCore.Note("CORE", ElfArch.NT_FILE, ntFile(arch, vmas, pageSize)));
        List<long[]> areas = new ArrayList<>();
        for (Vma v : vmas) {
            int flags = ((v.prot() & Vma.PROT_READ) != 0 ? ElfCore.PF_R : 0)
                    | ((v.prot() & Vma.PROT_WRITE) != 0 ? ElfCore.PF_W : 0)
                    | ((v.prot() & Vma.PROT_EXEC) != 0 ? ElfCore.PF_X : 0);
            areas.add(new long[] {v.start(), v.end() - v.start(), flags});
        }
        ElfCore.Layout layout = new ElfCore.Layout(arch, notes, areas, pageSize);
        ElfCore.Writer w = new ElfCore.Writer(out);
        w.write(layout.head());
        CoreExport e = new CoreExport(pageSize);
        try {
            for (int i = 0; i < vmas.size(); i++) {
                w.zeros(layout.loads.get(i).offset() - w.position());
                e.contents(vmas.get(i), w);
            }
            w.finish();
        } finally {
            for (FileChannel f : e.files.values()) {
                if (f != null) {
                    f.close();
                }
            }
        }
        return new Summary(leader.tgid(), leader.comm(), architecture, threads.size(), vmas.size(), w.position(),
                e.fromImage, e.fromFiles, e.missingPages, e.missing);
    }

    private static ElfArch.PsInfo psInfo(Task t, Map<String, String> info) {
        char state = switch (t.state()) {
            case RUNNING -> t.exitState() == org.ckpt.model.ExitState.ZOMBIE ? 'Z' : 'R';
            case UNINTERRUPTIBLE -> 'D';
            case STOPPED, TRACED -> 'T';
            default -> 'S';
        };
        return new ElfArch.PsInfo(state, (int) num(info.get("linux.nice")), 0, (int) first(info.get("linux.uid")),
                (int) first(info.get("linux.gid")), t.tgid(), (int) num(info.get("linux.ppid")),
                (int) num(info.get("linux.pgid")), (int) num(info.get("linux.sid")), t.comm(),
                info.getOrDefault("linux.cmdline", t.comm()));
    }

    private static ElfArch.PrHeader header(Task t, Map<String, String> pinfo) {
        Map<String, String> info = TaskInfo.of(t);
        long hz = ProcSnapshot.USER_HZ;
        return new ElfArch.PrHeader(0, 0, 0, 0, hex(info.get("linux.sigpending")), hex(info.get("linux.sigmask")),
                t.pid(), (int) num(pinfo.get("linux.ppid")), (int) num(pinfo.get("linux.pgid")),
                (int) num(pinfo.get("linux.sid")), t.utime() * 1_000_000 / hz, t.stime() * 1_000_000 / hz, 0, 0, 1);
    }

    private static long num(String v) {
        try {
            return v == null ? 0 : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static long first(String v) {
        return v == null || v.isBlank() ? 0 : num(v.trim().split("\\s+")[0]);
    }

    private static long hex(String v) {
        try {
            return v == null || v.isBlank() ? 0 : Long.parseUnsignedLong(v.trim(), 16);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** {@code NT_FILE}: count, page size, (start, end, offset in pages) per file-backed area, then the names. */
    private static byte[] ntFile(ElfArch arch, List<Vma> vmas, int pageSize) {
        List<Vma> mapped = new ArrayList<>();
        for (Vma v : vmas) {
            if (v.file() instanceof GenericFile) {
                mapped.add(v);
            }
        }
        ByteBuffer b = ByteBuffer.allocate(1 << 20).order(arch.order);
        arch.word(b, mapped.size());
        arch.word(b, pageSize);
        for (Vma v : mapped) {
            arch.word(b, v.start());
            arch.word(b, v.end());
            arch.word(b, v.pgoff());
        }
        for (Vma v : mapped) {
            GenericFile g = (GenericFile) v.file();
            byte[] name = (g.path() + (g.isDeleted() ? " (deleted)" : "")).getBytes(StandardCharsets.UTF_8);
            if (b.remaining() < name.length + 1) {
                break;
            }
            b.put(name).put((byte) 0);
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /** The bytes of one area: the image's runs, and between them the file's pages or zeros. */
    private void contents(Vma v, ElfCore.Writer w) throws IOException {
        long[] next = {v.start()};
        v.pages().forEachRun((address, bytes, clean) -> {
            fill(v, next[0], address, w);
            fromImage += bytes.remaining() / pageSize;
            w.write(bytes.duplicate());
            next[0] = address + bytes.remaining();
        });
        fill(v, next[0], v.end(), w);
    }

    /** {@code [from, to)} of {@code v} that the image has no pages for. */
    private void fill(Vma v, long from, long to, ElfCore.Writer w) throws IOException {
        if (from >= to) {
            return;
        }
        GenericFile g = v.file() instanceof GenericFile f ? f : null;
        boolean fromFile = g != null && (!v.isShared() || g.isDeleted());
        if (!fromFile) {
            w.zeros(to - from);
            return;
        }
        long fileOffset = v.pgoff() * pageSize + (from - v.start());
        long len = to - from;
        if (g.isDeleted()) {
            ByteBuffer all = g.deletedContents();
            long have = Math.max(0, Math.min(len, all.remaining() - fileOffset));
            if (have > 0) {
                w.write(all.duplicate().position((int) fileOffset).limit((int) (fileOffset + have)));
            }
            w.zeros(len - have);
            fromFiles += (len + pageSize - 1) / pageSize;
            return;
        }
        FileChannel f = open(g.path());
        if (f == null) {
            missingPages += len / pageSize;
            w.zeros(len);
            return;
        }
        ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(len, 1 << 20));
        long done = 0;
        while (done < len) {
            buf.clear().limit((int) Math.min(buf.capacity(), len - done));
            int got = f.read(buf, fileOffset + done);
            if (got <= 0) {
                break;
            }
            buf.flip();
            done += buf.remaining();
            w.write(buf);
        }
        w.zeros(len - done); // past the end of the file: zero, as the kernel maps it
        fromFiles += len / pageSize;
    }

    private FileChannel open(String path) {
        if (files.containsKey(path)) {
            return files.get(path);
        }
        FileChannel f = null;
        try {
            f = FileChannel.open(Path.of(path));
        } catch (IOException | RuntimeException e) {
            missing.add(path);
        }
        files.put(path, f);
        return f;
    }

    /** The fields of a summary as a JSON tree. */
    static Map<String, Object> json(Summary s, String output) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", s.pid());
        m.put("comm", s.comm());
        m.put("output", output);
        m.put("architecture", s.architecture());
        m.put("threads", s.threads());
        m.put("areas", s.areas());
        m.put("bytes", s.bytes());
        m.put("pages_from_image", s.pagesFromImage());
        m.put("pages_from_files", s.pagesFromFiles());
        m.put("pages_of_missing_files", s.pagesMissingFiles());
        m.put("missing_files", s.missing());
        return m;
    }
}
