package org.ckpt.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.ExitState;
import org.ckpt.model.FileKind;
import org.ckpt.model.GenericFile;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.CpuState;

/**
 * An ELF core file (gdb's gcore or the kernel's, x86_64, i386, ppc64, ppc32) as tasks:
 * one per {@code NT_PRSTATUS} (thread), with the CPU state its notes give
 * ({@link CpuNotes}), sharing one address space made of the {@code PT_LOAD} segments —
 * file-backed where {@code NT_FILE} says so, with the segment's bytes as the pages (a
 * segment the core left empty, as gcore does for unchanged file pages, comes from the
 * file) — and the process header of {@code NT_PRPSINFO}/{@code NT_PRSTATUS}, {@code NT_AUXV}
 * and {@code NT_SIGINFO} as task info. A core has no descriptors: the tasks have no file table.
 * Segment bytes are mapped from the core file, not copied.
 */
final class CoreImport {
    /** One entry of {@code NT_FILE}. */
    private record Mapped(long start, long end, long offset, String path) {
    }

    final ElfArch arch;
    final List<Task> tasks = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    int areas;
    long pages;

    private CoreImport(ElfArch arch) {
        this.arch = arch;
    }

    static CoreImport read(FileChannel ch, Path source, int pageSize, long userLimit) throws IOException, CliException {
        ElfCore.Core core = ElfCore.read(ch);
        CoreImport imp = new CoreImport(core.arch());
        imp.build(core, ch, source, pageSize, userLimit);
        return imp;
    }

    private void build(ElfCore.Core core, FileChannel ch, Path source, int pageSize, long userLimit)
            throws IOException, CliException {
        ElfArch.PsInfo ps = null;
        byte[] auxv = null;
        List<Mapped> mapped = List.of();
        List<Map<Integer, byte[]>> threads = new ArrayList<>();
        byte[] layout = null;
        for (ElfCore.Note n : core.notes()) {
            switch (n.type()) {
                case ElfArch.NT_PRPSINFO -> ps = arch.psInfo(n.desc());
                case ElfArch.NT_AUXV -> auxv = n.desc();
                case ElfArch.NT_FILE -> mapped = ntFile(n.desc());
                case ElfArch.NT_PRSTATUS -> {
                    Map<Integer, byte[]> t = new LinkedHashMap<>();
                    t.put(n.type(), n.desc());
                    threads.add(t);
                }
                default -> {
                    if (n.type() == ElfArch.NT_X86_XSAVE_LAYOUT) {
                        layout = n.desc();
                    }
                    if (!threads.isEmpty() && (n.name().equals("CORE") || n.name().equals("LINUX"))) {
                        threads.get(threads.size() - 1).putIfAbsent(n.type(), n.desc());
                    }
                }
            }
        }
        if (threads.isEmpty()) {
            throw CliException.failed("the core has no NT_PRSTATUS note: no thread to import");
        }
        AddressSpace mm = addressSpace(core, ch, mapped, pageSize, userLimit);
        ElfArch.PrHeader first = arch.prHeader(threads.get(0).get(ElfArch.NT_PRSTATUS));
        int tgid = ps != null ? ps.pid() : first.pid();
        String comm = ps != null ? ps.fname() : "core";
        for (Map<Integer, byte[]> t : threads) {
            if (layout != null) {
                t.putIfAbsent(ElfArch.NT_X86_XSAVE_LAYOUT, layout);
            }
            ElfArch.PrHeader h = arch.prHeader(t.get(ElfArch.NT_PRSTATUS));
            CpuState cpu;
            try {
                cpu = CpuNotes.toCpu(arch.architecture, t, null);
            } catch (IllegalArgumentException e) {
                throw CliException.failed("thread " + h.pid() + ": " + e.getMessage());
            }
            Map<String, String> info = new LinkedHashMap<>();
            info.put("ckpt.source", "imported from the ELF core " + source);
            info.put("ckpt.cpu", "from the core's register notes (debug registers are not in cores: zero)");
            info.put("linux.sigpending", String.format("%016x", h.sigpend()));
            info.put("linux.sigmask", String.format("%016x", h.sighold()));
            if (h.cursig() != 0) {
                info.put("linux.signal.current", Signals.name(h.cursig()));
            }
            byte[] siginfo = t.get(ElfArch.NT_SIGINFO);
            if (siginfo != null) {
                info.put("linux.siginfo", HexFormat.of().formatHex(siginfo));
            }
            if (h.pid() == tgid || (threads.get(0) == t && ps == null)) {
                // gcore leaves them 0 in NT_PRSTATUS and fills NT_PRPSINFO; the kernel fills both
                info.put("linux.ppid", Integer.toString(ps != null && ps.ppid() != 0 ? ps.ppid() : h.ppid()));
                info.put("linux.pgid", Integer.toString(ps != null && ps.pgrp() != 0 ? ps.pgrp() : h.pgrp()));
                info.put("linux.sid", Integer.toString(ps != null && ps.sid() != 0 ? ps.sid() : h.sid()));
                if (ps != null) {
                    info.put("linux.cmdline", ps.psargs());
                    info.put("linux.uid", Integer.toString(ps.uid()));
                    info.put("linux.gid", Integer.toString(ps.gid()));
                    info.put("linux.nice", Integer.toString(ps.nice()));
                }
                if (auxv != null) {
                    info.put("linux.auxv", HexFormat.of().formatHex(auxv));
                }
            }
            char state = ps != null && h.pid() == tgid ? ps.state() : 'S';
            Task.Builder b = Task.builder().pid(h.pid()).tgid(tgid).comm(comm).state(ProcSnapshot.state(state))
                    .exitState(state == 'Z' ? ExitState.ZOMBIE : ExitState.NONE)
                    .utime(h.utimeMicros() * ProcSnapshot.USER_HZ / 1_000_000)
                    .stime(h.stimeMicros() * ProcSnapshot.USER_HZ / 1_000_000)
                    .startTime(Duration.ZERO).mm(mm).cpu(cpu);
            tasks.add(TaskInfo.attach(b, info).build());
        }
        // the leader first, as a dump orders them
        tasks.sort((x, y) -> Boolean.compare(y.pid() == tgid, x.pid() == tgid));
    }

    private List<Mapped> ntFile(byte[] desc) {
        ByteBuffer b = ByteBuffer.wrap(desc).order(arch.order);
        long count = arch.word(b);
        long pageSize = arch.word(b);
        List<long[]> r = new ArrayList<>();
        for (long i = 0; i < count && b.remaining() >= 3 * arch.word(); i++) {
            r.add(new long[] {arch.word(b), arch.word(b), arch.word(b) * pageSize});
        }
        List<Mapped> out = new ArrayList<>();
        for (long[] m : r) {
            int s = b.position();
            while (b.hasRemaining() && b.get() != 0) {
                // to the terminating NUL
            }
            String name = new String(desc, s, b.position() - s - (b.position() > s ? 1 : 0),
                    java.nio.charset.StandardCharsets.UTF_8);
            out.add(new Mapped(m[0], m[1], m[2], name));
        }
        return out;
    }

    private AddressSpace addressSpace(ElfCore.Core core, FileChannel ch, List<Mapped> mapped, int pageSize,
                                      long userLimit) throws IOException {
        List<Vma> vmas = new ArrayList<>();
        Map<String, GenericFile> files = new LinkedHashMap<>();
        List<ElfCore.Load> loads = new ArrayList<>(core.loads());
        loads.sort((x, y) -> Long.compareUnsigned(x.vaddr(), y.vaddr()));
        for (ElfCore.Load l : loads) {
            long start = l.vaddr();
            long end = start + ((l.memsz() + pageSize - 1) / pageSize) * pageSize;
            if (l.memsz() == 0) {
                continue;
            }
            if (start % pageSize != 0 || Long.compareUnsigned(end, userLimit) > 0) {
                notes.add("segment " + Fmt.hex(start) + "-" + Fmt.hex(end) + ": "
                        + (start % pageSize != 0 ? "not page aligned" : "above the user address limit "
                        + Fmt.hex(userLimit) + " (the vsyscall page)") + ": left out");
                continue;
            }
            int prot = ((l.flags() & ElfCore.PF_R) != 0 ? Vma.PROT_READ : 0)
                    | ((l.flags() & ElfCore.PF_W) != 0 ? Vma.PROT_WRITE : 0)
                    | ((l.flags() & ElfCore.PF_X) != 0 ? Vma.PROT_EXEC : 0);
            GenericFile file = null;
            long pgoff = 0;
            for (Mapped m : mapped) {
                if (m.start() == start) {
                    String path = m.path().endsWith(" (deleted)")
                            ? m.path().substring(0, m.path().length() - " (deleted)".length()) : m.path();
                    file = files.computeIfAbsent(path, p -> GenericFile.open(FileKind.REGULAR, p, 0, mode(p), 0));
                    pgoff = m.offset() / pageSize;
                    break;
                }
            }
            long whole = (l.filesz() / pageSize) * pageSize;
            PageData pages = PageData.none();
            if (whole > 0) {
                PageData.Builder b = PageData.builder();
                for (long at = 0; at < whole; at += 1L << 30) {
                    long len = Math.min(1L << 30, whole - at);
                    b.run(start + at, ch.map(FileChannel.MapMode.READ_ONLY, l.offset() + at, len));
                }
                pages = b.build();
                this.pages += whole / pageSize;
            }
            if (l.filesz() % pageSize != 0) {
                notes.add("segment " + Fmt.hex(start) + ": its last " + (l.filesz() % pageSize) + " bytes are not a "
                        + "whole page: left out");
            }
            vmas.add(new Vma(start, end, prot, 0, pgoff, file, pages));
        }
        areas = vmas.size();
        return AddressSpace.of(vmas);
    }

    private static int mode(String path) {
        try {
            return (Integer) Files.getAttribute(Path.of(path), "unix:mode") & GenericFile.MODE_MASK;
        } catch (IOException | RuntimeException e) {
            return 0100444; // not here: a regular file, mode unknown
        }
    }
}
