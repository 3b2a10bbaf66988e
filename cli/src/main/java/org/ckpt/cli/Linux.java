package org.ckpt.cli;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.Locale;

/**
 * The Linux system calls {@code ckpt} needs and Java lacks, bound with JNA's direct
 * mapping (one JNI stub per method, no proxy): ptrace, waitpid, process_vm_readv, kcmp,
 * mmap/madvise, tee. Only this module uses JNA; the library modules stay free of it.
 * Errors surface as {@link LastErrorException} carrying {@code errno}; the class is loaded
 * (and libc bound) on first use, so commands that need none of this never pay for it.
 */
final class Linux {
    static {
        // libc by its soname: the name "c" makes JNA search the library directories
        Native.register(NativeLibrary.getInstance("libc.so.6"));
    }

    // errno values the callers tell apart
    static final int EPERM = 1;
    static final int ESRCH = 3;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int EFAULT = 14;
    static final int EINVAL = 22;
    static final int ECHILD = 10;
    static final int ENOSYS = 38;

    // ptrace requests (include/uapi/linux/ptrace.h)
    static final int PTRACE_PEEKUSER = 3;
    static final int PTRACE_DETACH = 17;
    static final int PTRACE_SETOPTIONS = 0x4200;
    static final int PTRACE_GETEVENTMSG = 0x4201;
    static final int PTRACE_GETSIGINFO = 0x4202;
    static final int PTRACE_GETREGSET = 0x4204;
    static final int PTRACE_SEIZE = 0x4206;
    static final int PTRACE_INTERRUPT = 0x4207;
    static final int PTRACE_GETSIGMASK = 0x420a;

    static final int PTRACE_O_TRACEFORK = 0x02;
    static final int PTRACE_O_TRACEVFORK = 0x04;
    static final int PTRACE_O_TRACECLONE = 0x08;

    static final int PTRACE_EVENT_FORK = 1;
    static final int PTRACE_EVENT_VFORK = 2;
    static final int PTRACE_EVENT_CLONE = 3;
    static final int PTRACE_EVENT_EXEC = 4;
    static final int PTRACE_EVENT_EXIT = 6;
    static final int PTRACE_EVENT_STOP = 128;

    // waitpid / waitid options
    static final int WNOHANG = 1;
    static final int WSTOPPED = 2;
    static final int WEXITED = 4;
    static final int WNOWAIT = 0x01000000;
    static final int WALL = 0x40000000;
    static final int P_PID = 1;
    static final int CLD_EXITED = 1;
    static final int CLD_KILLED = 2;
    static final int CLD_DUMPED = 3;
    static final int CLD_TRAPPED = 4;

    // mmap / madvise
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int PROT_EXEC = 4;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    /** 0x4000 on x86 and most, 0x40 on PowerPC. */
    static final int MAP_NORESERVE = Arch.HOST == Arch.PPC ? 0x40 : 0x4000;
    static final int MADV_POPULATE_WRITE = 23;

    // kcmp types
    static final int KCMP_FILE = 0;
    static final int KCMP_VM = 1;
    static final int KCMP_FILES = 2;

    static final int O_RDONLY = 0;
    static final int O_NONBLOCK = 04000;
    static final int O_CLOEXEC = 02000000;
    static final int SPLICE_F_NONBLOCK = 2;
    /** 0x541B on x86 and most, _IOR('f', 127, int) on PowerPC. */
    static final int FIONREAD = Arch.HOST == Arch.PPC ? 0x4004667f : 0x541B;
    static final int F_SETPIPE_SZ = 1031;
    static final int SYNC_FILE_RANGE_WRITE = 2;

    private Linux() {
    }

    static native long ptrace(int request, int pid, Pointer addr, Pointer data) throws LastErrorException;

    static native long ptrace(int request, int pid, long addr, long data) throws LastErrorException;

    /** {@code waitid(2)}; {@code info} is a 128-byte {@code siginfo_t}. */
    static native int waitid(int idtype, int id, Pointer info, int options) throws LastErrorException;

    static native long process_vm_readv(int pid, Pointer localIov, long liovcnt, Pointer remoteIov, long riovcnt,
                                        long flags) throws LastErrorException;

    static native long syscall(long number, long a, long b, long c, long d, long e) throws LastErrorException;

    static native Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset)
            throws LastErrorException;

    static native int munmap(Pointer addr, long length) throws LastErrorException;

    static native int madvise(Pointer addr, long length, int advice) throws LastErrorException;

    static native int mprotect(Pointer addr, long length, int prot) throws LastErrorException;

    static native int open(String path, int flags) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native int ioctl(int fd, long request, int[] arg) throws LastErrorException;

    static native int pipe2(int[] fds, int flags) throws LastErrorException;

    static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    static native int sync_file_range(int fd, long offset, long nbytes, int flags) throws LastErrorException;

    static native long tee(int in, int out, long len, int flags) throws LastErrorException;

    static native long read(int fd, Pointer buf, long count) throws LastErrorException;

    static native int kill(int pid, int sig) throws LastErrorException;

    static native int mkfifo(String path, int mode) throws LastErrorException;

    static native int geteuid();

    static native int memfd_create(String name, int flags) throws LastErrorException;

    /** {@code kcmp(2)}: 0 when the two resources are the same, 1 or 2 to order them. */
    static int kcmp(int pid1, int pid2, int type, long idx1, long idx2) {
        return (int) syscall(Arch.HOST.kcmp, pid1, pid2, type, idx1, idx2);
    }

    /** {@code strerror}-like text for the errno values the callers meet. */
    static String describe(LastErrorException e) {
        return switch (e.getErrorCode()) {
            case EPERM -> "Operation not permitted";
            case ESRCH -> "No such process";
            case EIO -> "Input/output error";
            case EFAULT -> "Bad address";
            case EINVAL -> "Invalid argument";
            case ECHILD -> "No child processes";
            case ENOSYS -> "Function not implemented";
            case EAGAIN -> "Resource temporarily unavailable";
            default -> "errno " + e.getErrorCode();
        };
    }

    /** System call numbers and user-area offsets of the machine this JVM runs on. */
    enum Arch {
        X86_64(312, 848),
        I386(349, 252),
        PPC(354, -1),
        AARCH64(272, -1),
        OTHER(-1, -1);

        static final Arch HOST = host();

        final long kcmp;
        /** {@code offsetof(struct user, u_debugreg)} for PTRACE_PEEKUSER, or -1. */
        final long debugRegs;

        Arch(long kcmp, long debugRegs) {
            this.kcmp = kcmp;
            this.debugRegs = debugRegs;
        }

        private static Arch host() {
            String a = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            return switch (a) {
                case "amd64", "x86_64" -> X86_64;
                case "x86", "i386", "i486", "i586", "i686" -> I386;
                case "ppc", "ppc64", "powerpc", "powerpc64" -> PPC;
                case "aarch64" -> AARCH64;
                default -> OTHER;
            };
        }
    }
}
