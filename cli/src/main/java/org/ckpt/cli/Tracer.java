package org.ckpt.cli;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Freezes processes with ptrace the way gdb and CRIU do, without job control:
 * {@code PTRACE_SEIZE} and {@code PTRACE_INTERRUPT} of every thread — threads and (with
 * {@code tree}) children that appear meanwhile included, through the clone/fork events —
 * until every one has reported a ptrace stop. No SIGSTOP is sent: a shell sees no stopped
 * job, a parent's {@code waitpid} sees nothing, no SIGCONT handler runs. A process that was
 * stopped before stays stopped after {@link #close()}; a signal that arrived meanwhile is
 * delivered on detach.
 *
 * <p>The kernel ties a tracee to the tracing <em>thread</em>, so every ptrace request runs
 * on one thread this class owns. {@link #close()} detaches everything and is safe to call
 * from any thread, more than once (the dump calls it on success, error, SIGINT and SIGTERM);
 * if this JVM dies anyway, the kernel detaches its tracees and they continue.
 */
final class Tracer implements AutoCloseable {
    /** How long a thread may take to reach its stop (one in uninterruptible sleep waits). */
    static final long STOP_TIMEOUT_MILLIS = 5000;

    /** One traced thread. */
    static final class Tracee {
        final int tid;
        int tgid;
        boolean stopped;
        /** A signal that arrived during the freeze: re-delivered on detach. */
        int pendingSignal;
        /** How the thread ended during the freeze, or null while it lives. */
        String gone;
        /** Set when it reported PTRACE_EVENT_EXEC or EXIT: the process is changing under the dump. */
        String event;

        Tracee(int tid, int tgid) {
            this.tid = tid;
            this.tgid = tgid;
        }
    }

    private volatile Thread tracerThread;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ckpt-tracer");
        t.setDaemon(true);
        tracerThread = t;
        return t;
    });
    private final Map<Integer, Tracee> tracees = new LinkedHashMap<>();
    private final Set<Integer> tgids = new LinkedHashSet<>();
    private final boolean tree;
    private final int root;
    private volatile boolean closed;
    private final Memory siginfo = new Memory(128);

    private Tracer(int root, boolean tree) {
        this.root = root;
        this.tree = tree;
        tgids.add(root);
    }

    /**
     * Freezes process {@code tgid} (with {@code tree}, it and every descendant).
     *
     * @throws CliException exit 2 when a thread cannot be seized (already traced, no permission),
     *                      exit 1 when the process exits or a thread does not stop in time
     */
    static Tracer freeze(int tgid, boolean tree) throws CliException {
        Tracer t = prepare(tgid, tree);
        t.freeze();
        return t;
    }

    /** A tracer with its thread running and its classes loaded, that has frozen nothing yet. */
    static Tracer prepare(int tgid, boolean tree) throws CliException {
        Tracer t = new Tracer(tgid, tree);
        t.call(() -> null);
        return t;
    }

    /** Freezes the process (and with {@code tree} its descendants); on failure everything is released. */
    void freeze() throws CliException {
        try {
            call(() -> {
                seizeAll();
                return null;
            });
        } catch (CliException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The frozen processes: the root first, then descendants in the order they were found. */
    synchronized List<Integer> processes() {
        return List.copyOf(tgids);
    }

    /** The live threads of {@code tgid}, ascending. */
    synchronized List<Integer> threads(int tgid) {
        TreeSet<Integer> s = new TreeSet<>();
        for (Tracee t : tracees.values()) {
            if (t.tgid == tgid && t.gone == null) {
                s.add(t.tid);
            }
        }
        return List.copyOf(s);
    }

    synchronized Tracee tracee(int tid) {
        return tracees.get(tid);
    }

    // ---- freezing -------------------------------------------------------------------------

    private void seizeAll() throws CliException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MILLIS);
        while (true) {
            boolean found = false;
            for (int tgid : discover()) {
                for (int tid : tids(tgid)) {
                    if (!tracees.containsKey(tid)) {
                        seize(tid, tgid);
                        found = true;
                    }
                }
            }
            awaitStops(deadline);
            if (!found) {
                return;
            }
        }
    }

    /** The processes to freeze now: the root, and with {@code tree} every descendant of a frozen one. */
    private Collection<Integer> discover() throws CliException {
        if (tree) {
            synchronized (this) {
                tgids.addAll(ProcTree.descendants(root));
            }
        }
        synchronized (this) {
            return List.copyOf(tgids);
        }
    }

    private List<Integer> tids(int tgid) throws CliException {
        try {
            return ProcFs.threads(tgid);
        } catch (IOException e) {
            if (tgid == root) {
                throw CliException.failed("process " + root + " exited while it was being frozen: no image written");
            }
            return List.of(); // a child exited before it was seized: not part of the tree any more
        }
    }

    private void seize(int tid, int tgid) throws CliException {
        int options = Linux.PTRACE_O_TRACECLONE | (tree ? Linux.PTRACE_O_TRACEFORK | Linux.PTRACE_O_TRACEVFORK : 0);
        try {
            Linux.ptrace(Linux.PTRACE_SEIZE, tid, 0L, options);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Linux.ESRCH || e.getErrorCode() == Linux.EPERM && !ProcFs.alive(tid)) {
                return; // the thread exited between listing and seizing (an exiting one gives EPERM)
            }
            if (e.getErrorCode() != Linux.EPERM) {
                throw CliException.usage("cannot trace thread " + tid + " of process " + tgid
                        + ": PTRACE_SEIZE failed (" + Linux.describe(e) + ")");
            }
            if (!tracedByUs(tid)) {
                throw CliException.usage(notPermitted(tid, tgid));
            }
            // A thread cloned by a seized thread before that one stopped: PTRACE_O_TRACECLONE traced
            // it already, to us. Taken as ours; it was reported as "already traced by" this very JVM.
        }
        Tracee t = new Tracee(tid, tgid);
        synchronized (this) {
            tracees.put(tid, t);
        }
        try {
            Linux.ptrace(Linux.PTRACE_INTERRUPT, tid, 0L, 0L);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != Linux.ESRCH) {
                throw CliException.failed("PTRACE_INTERRUPT of thread " + tid + " failed: " + Linux.describe(e));
            }
        }
    }

    /** Whether this (tracing) thread traces {@code tid}: only its tracer may interrupt it. */
    private static boolean tracedByUs(int tid) {
        try {
            Linux.ptrace(Linux.PTRACE_INTERRUPT, tid, 0L, 0L);
            return true;
        } catch (LastErrorException e) {
            return false;
        }
    }

    /** Why PTRACE_SEIZE said EPERM: someone traces it already, or we lack the permission. */
    static String notPermitted(int tid, int tgid) {
        String tracer = null;
        try {
            tracer = ProcFs.status(ProcFs.dir(tid)).get("TracerPid");
        } catch (IOException e) {
            // fall through to the permission message
        }
        if (tracer != null && !tracer.equals("0")) {
            // TracerPid is the tracing thread; name its process
            int tracerProcess = ProcTree.tgid(Long.parseLong(tracer));
            String who = tracerProcess > 0 ? Integer.toString(tracerProcess) : tracer;
            String comm = "";
            try {
                comm = " (" + ProcFs.stat(ProcFs.dir(Long.parseLong(who))).comm() + ")";
            } catch (IOException | RuntimeException e) {
                // the tracer may be gone already
            }
            return "process " + tgid + " is already traced by pid " + who + comm
                    + ": another ckpt dump or a debugger is attached; try again when it has finished";
        }
        String scope = ProcFs.ptraceScope();
        return "no permission to trace process " + tgid + " (PTRACE_SEIZE: Operation not permitted): ckpt dump "
                + "needs ptrace access (PTRACE_MODE_ATTACH) — run as root or with CAP_SYS_PTRACE, or as the "
                + "process's owner" + (scope == null ? "" : " with kernel.yama.ptrace_scope 0 (it is " + scope + ")")
                + ", and the process must not be set-uid or non-dumpable";
    }

    private void awaitStops(long deadline) throws CliException {
        while (true) {
            boolean all = true;
            for (Tracee t : snapshot()) {
                if (t.gone == null && !t.stopped) {
                    poll(t);
                    if (t.gone == null && !t.stopped) {
                        all = false;
                    }
                }
            }
            failIfChanged();
            if (all) {
                return;
            }
            if (closed) {
                throw CliException.failed("interrupted while freezing process " + root);
            }
            if (System.nanoTime() > deadline) {
                StringBuilder late = new StringBuilder();
                for (Tracee t : snapshot()) {
                    if (t.gone == null && !t.stopped) {
                        late.append(late.length() == 0 ? "" : ", ").append(t.tid).append(" (state ")
                                .append(state(t.tid)).append(')');
                    }
                }
                throw CliException.failed("threads of process " + root + " did not stop within " + STOP_TIMEOUT_MILLIS
                        + " ms of PTRACE_INTERRUPT: " + late + " (uninterruptible sleep?); no image written");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.failed("interrupted while freezing process " + root);
            }
        }
    }

    private static String state(int tid) {
        try {
            return String.valueOf(ProcFs.stat(ProcFs.dir(tid)).state());
        } catch (IOException e) {
            return "gone";
        }
    }

    private synchronized List<Tracee> snapshot() {
        return new ArrayList<>(tracees.values());
    }

    /** Consumes the stop {@code t} reported, if any, and notes whether it is gone (without reaping it). */
    private void poll(Tracee t) {
        siginfo.clear();
        try {
            Linux.waitid(Linux.P_PID, t.tid, siginfo, Linux.WSTOPPED | Linux.WNOHANG | Linux.WALL);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Linux.ECHILD) {
                t.gone = "gone";
            }
            return;
        }
        int pidOffset = Native.LONG_SIZE == 8 ? 16 : 12;
        if (siginfo.getInt(pidOffset) != 0 && siginfo.getInt(8) == Linux.CLD_TRAPPED) {
            int status = siginfo.getInt(pidOffset + 8);
            stopped(t, status & 0xFF, status >>> 8);
            return;
        }
        exited(t);
    }

    /** A thread that exited is left unreaped (WNOWAIT): if it is our child, its real parent's wait still sees it. */
    private void exited(Tracee t) {
        siginfo.clear();
        try {
            Linux.waitid(Linux.P_PID, t.tid, siginfo, Linux.WEXITED | Linux.WNOHANG | Linux.WNOWAIT | Linux.WALL);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Linux.ECHILD) {
                t.gone = "gone";
            }
            return;
        }
        int pidOffset = Native.LONG_SIZE == 8 ? 16 : 12;
        int code = siginfo.getInt(8);
        // a tracee's ptrace stops are reported even without WSTOPPED: only exits count here
        if (siginfo.getInt(pidOffset) != 0 && (code == Linux.CLD_EXITED || code == Linux.CLD_KILLED
                || code == Linux.CLD_DUMPED)) {
            int status = siginfo.getInt(pidOffset + 8);
            t.gone = code == Linux.CLD_EXITED ? "exited with status " + status
                    : "killed by signal " + status + " (" + Signals.name(status) + ")";
        }
    }

    private void stopped(Tracee t, int sig, int event) {
        t.stopped = true;
        switch (event) {
            case Linux.PTRACE_EVENT_STOP -> {
                // the interrupt we asked for, or a group-stop (the process was or got stopped)
            }
            case Linux.PTRACE_EVENT_CLONE, Linux.PTRACE_EVENT_FORK, Linux.PTRACE_EVENT_VFORK -> {
                // the new thread or child is traced already; it is found by the next listing
            }
            case Linux.PTRACE_EVENT_EXEC -> t.event = "called execve during the dump";
            case Linux.PTRACE_EVENT_EXIT -> t.event = "is exiting";
            default -> {
                if (event == 0 && sig != 0) {
                    t.pendingSignal = sig; // signal-delivery-stop: hand the signal back on detach
                }
            }
        }
    }

    private void failIfChanged() throws CliException {
        for (Tracee t : snapshot()) {
            if (t.tgid == root && t.tid == root && t.gone != null) {
                throw CliException.failed("process " + root + " " + t.gone + " while it was being frozen: no image written");
            }
            if (t.event != null && tgids.contains(t.tgid)) {
                throw CliException.failed("thread " + t.tid + " of process " + t.tgid + " " + t.event
                        + " while it was being frozen: no image written");
            }
        }
    }

    /**
     * Fails if a frozen thread died since the freeze (only SIGKILL can do that to a stopped
     * thread) — called after everything was read, so an image is never made of a process
     * that did not survive the dump.
     */
    void checkAlive(String suffix) throws CliException {
        checkAlive(suffix, false);
    }

    /**
     * {@link #checkAlive(String)} after a read failed: a thread SIGKILLed while stopped stops
     * answering ptrace (ESRCH) before its exit is reported, so this waits (a bounded time) for
     * the exit of any thread that no longer answers; the reason given is then its death, not
     * the ESRCH of the read that failed on it.
     */
    void checkAliveAfterFailure(String suffix) throws CliException {
        checkAlive(suffix, true);
    }

    private void checkAlive(String suffix, boolean waitForDying) throws CliException {
        call(() -> {
            long deadline = System.nanoTime() + DYING_WAIT_NANOS;
            while (true) {
                boolean unanswered = false;
                for (Tracee t : snapshot()) {
                    if (t.gone == null && tgids.contains(t.tgid)) {
                        exited(t);
                        if (t.gone != null) {
                            throw CliException.failed((t.tid == t.tgid ? "process " + t.tgid : "thread " + t.tid
                                    + " of process " + t.tgid) + " " + t.gone + " during the dump: no image written"
                                    + suffix);
                        }
                        unanswered |= waitForDying && !answers(t.tid);
                    }
                }
                if (!unanswered || System.nanoTime() - deadline > 0) {
                    return null;
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        });
    }

    /** How long {@link #checkAlive} waits for the exit of a thread that no longer answers. */
    private static final long DYING_WAIT_NANOS = 1_000_000_000L;

    /** Whether a stopped tracee still answers ptrace (a dying one gives ESRCH). */
    private static boolean answers(int tid) {
        try {
            Linux.ptrace(Linux.PTRACE_PEEKUSER, tid, 0L, 0L);
            return true;
        } catch (LastErrorException e) {
            return e.getErrorCode() != Linux.ESRCH;
        }
    }

    /** Whether {@link #close()} ran: the processes are released. */
    boolean isClosed() {
        return closed;
    }

    // ---- reading ---------------------------------------------------------------------------

    /**
     * {@code PTRACE_GETREGSET} of note type {@code type}: the bytes the kernel wrote, or
     * {@code null} when this thread or kernel has no such register set.
     */
    byte[] regset(int tid, int type, int maxSize) throws CliException {
        return call(() -> {
            Memory buf = new Memory(maxSize);
            buf.clear();
            Memory iov = new Memory(2L * Native.POINTER_SIZE);
            iov.setPointer(0, buf);
            iov.setLong(Native.POINTER_SIZE, maxSize);
            if (Native.POINTER_SIZE == 4) {
                iov.setInt(4, maxSize);
            }
            try {
                Linux.ptrace(Linux.PTRACE_GETREGSET, tid, new Pointer(type), iov);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Linux.EINVAL || e.getErrorCode() == 19 /* ENODEV */) {
                    return null;
                }
                throw CliException.failed("PTRACE_GETREGSET " + Integer.toHexString(type) + " of thread " + tid
                        + " failed: " + Linux.describe(e));
            }
            long len = Native.POINTER_SIZE == 8 ? iov.getLong(8) : iov.getInt(4) & 0xFFFF_FFFFL;
            return buf.getByteArray(0, (int) len);
        });
    }

    /** {@code PTRACE_PEEKUSER}: one word of the thread's {@code struct user}. */
    long peekUser(int tid, long offset) throws CliException {
        return call(() -> {
            try {
                return Linux.ptrace(Linux.PTRACE_PEEKUSER, tid, offset, 0L);
            } catch (LastErrorException e) {
                throw CliException.failed("PTRACE_PEEKUSER of thread " + tid + " failed: " + Linux.describe(e));
            }
        });
    }

    /** {@code PTRACE_GETSIGMASK}: the blocked-signal mask of one thread. */
    long sigmask(int tid) throws CliException {
        return call(() -> {
            Memory m = new Memory(8);
            m.clear();
            try {
                Linux.ptrace(Linux.PTRACE_GETSIGMASK, tid, new Pointer(8), m);
            } catch (LastErrorException e) {
                throw CliException.failed("PTRACE_GETSIGMASK of thread " + tid + " failed: " + Linux.describe(e));
            }
            return m.getLong(0);
        });
    }

    /** What a body run on the tracing thread does. */
    @FunctionalInterface
    interface Body<T> {
        T run() throws CliException;
    }

    /**
     * Runs {@code body} on the tracing thread: its ptrace requests ({@link #regset},
     * {@link #peekUser}, {@link #sigmask}) then need no hand-over each — which on a loaded
     * machine costs a scheduling delay apiece, inside the freeze.
     */
    <T> T batch(Body<T> body) throws CliException {
        return call(body::run);
    }

    private <T> T call(Callable<T> c) throws CliException {
        if (closed) {
            throw CliException.failed("the freeze was released (interrupted)");
        }
        if (Thread.currentThread() == tracerThread) {
            try {
                return c.call();
            } catch (CliException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        Future<T> f = thread.submit(c);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.failed("interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof CliException ce) {
                throw ce;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error er) {
                throw er;
            }
            throw new IllegalStateException(cause);
        }
    }

    // ---- releasing -------------------------------------------------------------------------

    /** Detaches every thread (re-delivering signals that arrived meanwhile); idempotent, any thread. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Future<?> f = thread.submit(() -> {
            // a thread interrupted a moment ago reaches its stop soon; only a stopped one can be detached
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
            for (Tracee t : snapshot()) {
                while (t.gone == null && !t.stopped && System.nanoTime() < deadline) {
                    poll(t);
                    if (!t.stopped) {
                        Thread.onSpinWait();
                    }
                }
            }
            long self = ProcessHandle.current().pid();
            for (Tracee t : snapshot()) {
                if (t.gone == null) {
                    try {
                        Linux.ptrace(Linux.PTRACE_DETACH, t.tid, 0L, t.pendingSignal);
                        continue;
                    } catch (LastErrorException e) {
                        // ESRCH: it died meanwhile, or never stopped (our exit detaches it)
                    }
                    exited(t);
                    if (t.gone == null) {
                        continue;
                    }
                }
                // A dead tracee waits for its tracer: reap dead threads so that the process's own
                // exit reaches its parent — but never our own child's leader, whose parent is this JVM.
                if (t.tid != t.tgid || ProcTree.ppid(t.tid) != self) {
                    try {
                        siginfo.clear();
                        Linux.waitid(Linux.P_PID, t.tid, siginfo, Linux.WEXITED | Linux.WNOHANG | Linux.WALL);
                    } catch (LastErrorException e) {
                        // not ours to reap any more
                    }
                }
            }
        });
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // nothing more can be done; our exit detaches the rest
        }
        thread.shutdown();
    }
}
