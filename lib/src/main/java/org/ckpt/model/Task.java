package org.ckpt.model;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.ckpt.spi.CpuState;

/**
 * One task: identity, accounting, CPU state and its shared address space and file
 * table. Times are as the host counts them (the kernel series used clock ticks and
 * nanoseconds since boot); the library carries them, it does not interpret them.
 *
 * @param pid           process id as seen by the host
 * @param tgid          thread group id as seen by the host
 * @param state         scheduler state
 * @param exitState     exit state
 * @param exitCode      exit code
 * @param exitSignal    signal sent to the parent on exit
 * @param comm          command name (UTF-8, at most {@code Limits.maxCommLength} bytes)
 * @param startTime     monotonic start time
 * @param realStartTime boot-based start time
 * @param mm            address space, or {@code null} (kernel threads have none)
 * @param files         file table, or {@code null}
 * @param cpu           CPU state, or {@code null} when the host could not read it
 * @param extensions    the host's own per-task objects (an emulator's devices, a sandbox's
 *                      sockets...), in order; each is checkpointed by the
 *                      {@link org.ckpt.spi.ObjectOps} registered for its class, shared by
 *                      identity like every object (the same instance in two tasks, or twice
 *                      in one list, comes back as one instance). Never {@code null} (a
 *                      {@code null} given is taken as empty); no {@code null} elements. An
 *                      address space or file table is not an extension (they have their own
 *                      slots). Images holding extensions are format 1.1 (docs/FORMAT.md,
 *                      {@code TASK_EXT}).
 * @param info          facts about the task that a restart does not need and the model has no
 *                      field for, as text: what a producer read but the format does not
 *                      model (a signal mask, credentials, limits), and what it could not
 *                      capture and left out (a socket, a pipe's buffered data). Keys are
 *                      namespaced ({@code linux.sigmask}, {@code ckpt.omitted.fd.3}), 1–255
 *                      UTF-8 bytes; values at most {@code Limits.maxStringLength} bytes. Never
 *                      {@code null} (a {@code null} given is taken as empty); iterated in key
 *                      order (UTF-8 byte order). Written as an optional {@code TASK_INFO}
 *                      record that readers which do not know it skip (docs/FORMAT.md). @since 0.2
 * @since 0.1 (stable)
 */
public record Task(
        int pid,
        int tgid,
        TaskState state,
        ExitState exitState,
        int exitCode,
        int exitSignal,
        long utime,
        long stime,
        long utimescaled,
        long stimescaled,
        long gtime,
        long nvcsw,
        long nivcsw,
        Duration startTime,
        Duration realStartTime,
        long minFlt,
        long majFlt,
        String comm,
        AddressSpace mm,
        FileTable files,
        CpuState cpu,
        List<Object> extensions,
        Map<String, String> info) {

    public Task {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(exitState, "exitState");
        Objects.requireNonNull(startTime, "startTime");
        Objects.requireNonNull(realStartTime, "realStartTime");
        Objects.requireNonNull(comm, "comm");
        extensions = extensions == null ? List.of() : List.copyOf(extensions);
        info = info == null || info.isEmpty() ? Map.of() : sortedInfo(info);
    }

    /** The info entries in UTF-8 byte order of their keys, unmodifiable; no null keys or values. */
    private static Map<String, String> sortedInfo(Map<String, String> info) {
        TreeMap<String, String> sorted = new TreeMap<>(Task::compareUtf8);
        for (Map.Entry<String, String> e : info.entrySet()) {
            sorted.put(Objects.requireNonNull(e.getKey(), "info key"), Objects.requireNonNull(e.getValue(),
                    "info value of " + e.getKey()));
        }
        return Collections.unmodifiableMap(new LinkedHashMap<>(sorted));
    }

    /** Compares strings by their UTF-8 bytes, unsigned (which is code point order). */
    private static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder initialised from this task. */
    public Builder toBuilder() {
        return new Builder().pid(pid).tgid(tgid).state(state).exitState(exitState).exitCode(exitCode)
                .exitSignal(exitSignal).utime(utime).stime(stime).utimescaled(utimescaled)
                .stimescaled(stimescaled).gtime(gtime).nvcsw(nvcsw).nivcsw(nivcsw).startTime(startTime)
                .realStartTime(realStartTime).minFlt(minFlt).majFlt(majFlt).comm(comm).mm(mm).files(files)
                .cpu(cpu).extensions(extensions).info(info);
    }

    /** Builds a {@link Task}; every field not set is zero, empty or {@code null}. */
    public static final class Builder {
        private int pid;
        private int tgid;
        private TaskState state = TaskState.RUNNING;
        private ExitState exitState = ExitState.NONE;
        private int exitCode;
        private int exitSignal;
        private long utime;
        private long stime;
        private long utimescaled;
        private long stimescaled;
        private long gtime;
        private long nvcsw;
        private long nivcsw;
        private Duration startTime = Duration.ZERO;
        private Duration realStartTime = Duration.ZERO;
        private long minFlt;
        private long majFlt;
        private String comm = "";
        private AddressSpace mm;
        private FileTable files;
        private CpuState cpu;
        private List<Object> extensions = List.of();
        private Map<String, String> info = Map.of();

        private Builder() {
        }

        public Builder pid(int v) { pid = v; return this; }
        public Builder tgid(int v) { tgid = v; return this; }
        public Builder state(TaskState v) { state = v; return this; }
        public Builder exitState(ExitState v) { exitState = v; return this; }
        public Builder exitCode(int v) { exitCode = v; return this; }
        public Builder exitSignal(int v) { exitSignal = v; return this; }
        public Builder utime(long v) { utime = v; return this; }
        public Builder stime(long v) { stime = v; return this; }
        public Builder utimescaled(long v) { utimescaled = v; return this; }
        public Builder stimescaled(long v) { stimescaled = v; return this; }
        public Builder gtime(long v) { gtime = v; return this; }
        public Builder nvcsw(long v) { nvcsw = v; return this; }
        public Builder nivcsw(long v) { nivcsw = v; return this; }
        public Builder startTime(Duration v) { startTime = v; return this; }
        public Builder realStartTime(Duration v) { realStartTime = v; return this; }
        public Builder minFlt(long v) { minFlt = v; return this; }
        public Builder majFlt(long v) { majFlt = v; return this; }
        public Builder comm(String v) { comm = v; return this; }
        public Builder mm(AddressSpace v) { mm = v; return this; }
        public Builder files(FileTable v) { files = v; return this; }
        public Builder cpu(CpuState v) { cpu = v; return this; }
        /** The task's extension objects, in order (copied; no {@code null} elements). */
        public Builder extensions(List<?> v) { extensions = List.<Object>copyOf(v); return this; }
        /** The task's info entries (copied). @since 0.2 */
        public Builder info(Map<String, String> v) { info = Map.copyOf(v); return this; }

        public Task build() {
            return new Task(pid, tgid, state, exitState, exitCode, exitSignal, utime, stime, utimescaled,
                    stimescaled, gtime, nvcsw, nivcsw, startTime, realStartTime, minFlt, majFlt, comm, mm, files,
                    cpu, extensions, info);
        }
    }
}
