package org.ckpt.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reading and parsing the files of {@code /proc/PID}. */
final class ProcFs {
    static final Path PROC = Path.of("/proc");

    private ProcFs() {
    }

    static Path dir(long pid) {
        return PROC.resolve(Long.toString(pid));
    }

    /** Fails with exit 2 if there is no such process. */
    static void requireProcess(long pid) throws CliException {
        if (pid <= 0) {
            throw CliException.usage("pid must be positive: " + pid);
        }
        if (!Files.isDirectory(dir(pid))) {
            throw CliException.usage("no such process: " + pid + " (nothing at " + dir(pid) + ")");
        }
    }

    static String read(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
    }

    /** {@code /proc/PID/stat} (or a thread's) split into fields, numbered from 1 as in proc(5). */
    record Stat(String[] f, String comm) {
        static Stat parse(String line) {
            int open = line.indexOf('(');
            int close = line.lastIndexOf(')');
            String comm = line.substring(open + 1, close);
            String[] rest = line.substring(close + 2).trim().split(" ");
            String[] f = new String[rest.length + 3];
            f[1] = line.substring(0, open).trim();
            f[2] = comm;
            System.arraycopy(rest, 0, f, 3, rest.length);
            return new Stat(f, comm);
        }

        char state() {
            return f[3].charAt(0);
        }

        long num(int field) {
            return field < f.length ? Long.parseUnsignedLong(f[field]) : 0;
        }

        int integer(int field) {
            return field < f.length ? (int) Long.parseLong(f[field]) : 0;
        }
    }

    static Stat stat(Path taskDir) throws IOException {
        return Stat.parse(read(taskDir.resolve("stat")).trim());
    }

    /** {@code /proc/PID/status} as key → value. */
    static Map<String, String> status(Path taskDir) throws IOException {
        Map<String, String> m = new HashMap<>();
        for (String line : read(taskDir.resolve("status")).split("\n")) {
            int c = line.indexOf(':');
            if (c > 0) {
                m.put(line.substring(0, c), line.substring(c + 1).trim());
            }
        }
        return m;
    }

    /** One line of {@code /proc/PID/maps}. */
    record MapsEntry(long start, long end, String perms, long offset, String dev, long inode, String path) {
        boolean readable() {
            return perms.charAt(0) == 'r';
        }

        boolean shared() {
            return perms.charAt(3) == 's';
        }

        int prot() {
            return (perms.charAt(0) == 'r' ? 1 : 0) | (perms.charAt(1) == 'w' ? 2 : 0)
                    | (perms.charAt(2) == 'x' ? 4 : 0);
        }

        boolean deleted() {
            return path.endsWith(" (deleted)");
        }

        String pathWithoutDeleted() {
            return deleted() ? path.substring(0, path.length() - " (deleted)".length()) : path;
        }

        String label() {
            return "[" + Fmt.hex(start) + "-" + Fmt.hex(end) + ")" + (path.isEmpty() ? "" : " " + path);
        }
    }

    static List<MapsEntry> maps(long pid) throws IOException {
        List<MapsEntry> out = new ArrayList<>();
        for (String line : read(dir(pid).resolve("maps")).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] p = line.split("\\s+", 6);
            String[] range = p[0].split("-");
            out.add(new MapsEntry(Long.parseUnsignedLong(range[0], 16), Long.parseUnsignedLong(range[1], 16), p[1],
                    Long.parseUnsignedLong(p[2], 16), p[3], Long.parseLong(p[4]), p.length > 5 ? p[5].trim() : ""));
        }
        return out;
    }

    /** Areas the kernel never lets /proc/PID/mem read. */
    static boolean isSpecialUnreadable(MapsEntry e) {
        return e.path().equals("[vvar]") || e.path().equals("[vvar_vclock]") || e.path().equals("[vsyscall]");
    }

    /**
     * The architecture of the process's program, from the ELF header of {@code /proc/PID/exe}
     * (a 32-bit program on a 64-bit kernel is i386), or from this JVM when that is unreadable.
     */
    static String architecture(long pid) {
        try (var in = Files.newInputStream(dir(pid).resolve("exe"))) {
            byte[] h = in.readNBytes(20);
            if (h.length == 20 && h[0] == 0x7F && h[1] == 'E' && h[2] == 'L' && h[3] == 'F') {
                boolean is64 = h[4] == 2;
                ByteOrder order = h[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
                int machine = ByteBuffer.wrap(h, 18, 2).order(order).getShort() & 0xFFFF;
                return elfMachine(machine, is64, order);
            }
        } catch (IOException e) {
            // kernel threads and foreign namespaces have no readable exe
        }
        return jvmArchitecture();
    }

    static String elfMachine(int machine, boolean is64, ByteOrder order) {
        return switch (machine) {
            case 3 -> "i386";
            case 62 -> is64 ? "x86_64" : "x32";
            case 20 -> "ppc32";
            case 21 -> order == ByteOrder.BIG_ENDIAN ? "ppc64" : "ppc64le";
            case 183 -> "aarch64";
            case 40 -> "arm";
            case 243 -> is64 ? "riscv64" : "riscv32";
            case 22 -> "s390x";
            default -> "elf-machine-" + machine;
        };
    }

    static String jvmArchitecture() {
        String a = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return switch (a) {
            case "amd64", "x86_64" -> "x86_64";
            case "x86", "i386", "i486", "i586", "i686" -> "i386";
            case "ppc" -> "ppc32";
            default -> a;
        };
    }

    /** The page size from the process's auxiliary vector (AT_PAGESZ), else 4096. */
    static int pageSize(long pid, boolean is64) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir(pid).resolve("auxv"))).order(ByteOrder.nativeOrder());
            int w = is64 ? 8 : 4;
            while (b.remaining() >= 2 * w) {
                long type = is64 ? b.getLong() : b.getInt() & 0xFFFF_FFFFL;
                long value = is64 ? b.getLong() : b.getInt() & 0xFFFF_FFFFL;
                if (type == 6) {
                    return (int) value;
                }
                if (type == 0) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through to the default
        }
        return 4096;
    }

    /** This kernel's uname, as {@code /proc/sys/kernel} has it. */
    static org.ckpt.Uname uname() {
        return new org.ckpt.Uname(sysctl("ostype", "Linux"), sysctl("hostname", ""), sysctl("osrelease", ""),
                sysctl("version", ""), jvmArchitecture());
    }

    private static String sysctl(String name, String dflt) {
        try {
            return read(PROC.resolve("sys/kernel").resolve(name)).trim();
        } catch (IOException e) {
            return dflt;
        }
    }

    /** States of the process's threads by tid; threads that vanish are left out. */
    static Map<Integer, Character> threadStates(long pid) throws IOException {
        Map<Integer, Character> states = new HashMap<>();
        for (int tid : threads(pid)) {
            try {
                states.put(tid, stat(dir(pid).resolve("task").resolve(Integer.toString(tid))).state());
            } catch (NoSuchFileException e) {
                // the thread exited meanwhile
            }
        }
        return states;
    }

    /** Whether process or thread {@code id} exists and has not exited (not a zombie, not dead). */
    static boolean alive(long id) {
        try {
            char s = stat(dir(id)).state();
            return s != 'Z' && s != 'X' && s != 'x';
        } catch (IOException e) {
            return false;
        }
    }

    /** Thread ids: the group leader first, then ascending. */
    static List<Integer> threads(long pid) throws IOException {
        List<Integer> tids = new ArrayList<>();
        try (var s = Files.newDirectoryStream(dir(pid).resolve("task"))) {
            for (Path p : s) {
                tids.add(Integer.parseInt(p.getFileName().toString()));
            }
        }
        return leaderFirst(pid, tids);
    }

    /**
     * {@code tids} sorted, the group leader {@code pid} first: after the pid counter wraps, a
     * process's other threads may have lower ids than its leader, and the leader is the process's
     * first task (in the image, in {@code show}, and as the first thread of an exported core).
     */
    static List<Integer> leaderFirst(long pid, List<Integer> tids) {
        tids.sort((a, b) -> a == pid ? (b == pid ? 0 : -1) : b == pid ? 1 : Integer.compare(a, b));
        return tids;
    }

    /** kernel.yama.ptrace_scope, or null where Yama is not built in. */
    static String ptraceScope() {
        try {
            return read(PROC.resolve("sys/kernel/yama/ptrace_scope")).trim();
        } catch (IOException e) {
            return null;
        }
    }
}
