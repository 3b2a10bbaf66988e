package org.ckpt.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ckpt.ImageInfo;
import org.ckpt.Uname;
import org.ckpt.model.ExitState;
import org.ckpt.model.Task;
import org.ckpt.model.TaskState;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileTable;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.InvalidReferenceException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.UnsupportedImageException;

/**
 * Writers and readers of the core's own records, each pair side by side and
 * field for field (docs/FORMAT.md, "Core records").
 */
final class Records {
    private static final long NANOS = 1_000_000_000L;

    private Records() {
    }

    // ---- HEAD ----------------------------------------------------------------

    static void writeHead(PayloadWriter w, ImageInfo h) {
        w.u16(h.formatMajor()).u16(h.formatMinor()).u32(h.flags());
        w.u64(h.checkpointId());
        w.u64(h.created().getEpochSecond()).u32(h.created().getNano()).u32(h.pageSize());
        w.u32(h.taskCount()).u32(0);
        w.string(h.producerName()).string(h.producerVersion()).string(h.architecture());
        Uname u = h.uname();
        w.string(u.sysname()).string(u.nodename()).string(u.release()).string(u.version()).string(u.machine());
    }

    /** Reads everything but the arch head, which the architecture's provider reads from its own record. */
    static ImageInfo readHead(PayloadReader r, Limits limits) throws ImageException {
        long at = r.position();
        int major = r.u16("major");
        int minor = r.u16("minor");
        if (major != Format.MAJOR) {
            throw new UnsupportedImageException(r.recordName(), at,
                    "format version " + major + "." + minor + " is not supported (this reader knows major "
                            + Format.MAJOR + ")");
        }
        long flagsAt = r.position();
        long flags = r.u32("flags");
        if ((flags & ~Format.KNOWN_HEAD_FLAGS) != 0) {
            throw new InvalidImageException(r.recordName(), flagsAt, "unknown head flags 0x"
                    + Long.toHexString(flags & ~Format.KNOWN_HEAD_FLAGS));
        }
        if ((flags & (ImageInfo.FLAG_EXACT | ImageInfo.FLAG_NO_ARCH)) != 0 && minor < Format.MINOR_EXACT) {
            throw new InvalidImageException(r.recordName(), flagsAt, "head flags 0x" + Long.toHexString(flags)
                    + " in a format " + major + "." + minor + " image (EXACT and NO_ARCH exist since 1."
                    + Format.MINOR_EXACT + ")");
        }
        if ((flags & ImageInfo.FLAG_ENCRYPTED) != 0 && minor < Format.MINOR_SEAL) {
            throw new InvalidImageException(r.recordName(), flagsAt, "head flag ENCRYPTED in a format " + major + "."
                    + minor + " image (it exists since 1." + Format.MINOR_SEAL + ")");
        }
        long id = r.u64("checkpoint_id");
        long sec = r.u64("time_sec");
        long nsecAt = r.position();
        long nsec = r.u32("time_nsec");
        if (nsec >= NANOS) {
            throw new InvalidImageException(r.recordName(), nsecAt, "time_nsec " + nsec + " is not below 10^9");
        }
        Instant created;
        try {
            created = Instant.ofEpochSecond(sec, nsec);
        } catch (java.time.DateTimeException e) {
            throw new InvalidImageException(r.recordName(), nsecAt - 8, "time_sec " + sec + " is out of range");
        }
        long psAt = r.position();
        long pageSize = r.u32("page_size");
        if (pageSize < Format.MIN_PAGE_SIZE || pageSize > Format.MAX_PAGE_SIZE || Long.bitCount(pageSize) != 1) {
            throw new InvalidImageException(r.recordName(), psAt,
                    "page_size " + pageSize + " is not a power of two in [4096, 1 MiB]");
        }
        int tasks = r.count("task_count", limits.maxTasks(), "maxTasks");
        r.reserved32("reserved");
        int max = limits.maxStringLength();
        String producer = r.string("producer_name", max);
        String version = r.string("producer_version", max);
        String arch = r.string("architecture", max);
        Uname uname = new Uname(r.string("sysname", max), r.string("nodename", max), r.string("release", max),
                r.string("version", max), r.string("machine", max));
        return new ImageInfo(major, minor, flags, id, created, (int) pageSize, tasks, producer, version, arch, null,
                uname);
    }

    // ---- TAIL ----------------------------------------------------------------

    static void writeTail(PayloadWriter w, long records, long bytes, long crc) {
        w.u64(Format.TAIL_MAGIC).u64(records).u64(bytes).u32(crc).u32(0);
    }

    /** Checks the tail against what the reader counted before the tail record. */
    static void readTail(PayloadReader r, long records, long bytes, long crc) throws ImageException {
        long at = r.position();
        long magic = r.u64("magic");
        if (magic != Format.TAIL_MAGIC) {
            throw new InvalidImageException(r.recordName(), at, "wrong tail magic 0x" + Long.toHexString(magic));
        }
        at = r.position();
        long rc = r.u64("record_count");
        if (rc != records) {
            throw new InvalidImageException(r.recordName(), at,
                    "tail says " + Long.toUnsignedString(rc) + " records, the image has " + records);
        }
        at = r.position();
        long bc = r.u64("byte_count");
        if (bc != bytes) {
            throw new InvalidImageException(r.recordName(), at,
                    "tail says " + Long.toUnsignedString(bc) + " bytes, the image has " + bytes);
        }
        at = r.position();
        long c = r.u32("image_crc32c");
        if (c != crc) {
            throw new org.ckpt.spi.ChecksumException(r.recordName(), at,
                    String.format("image CRC32C mismatch: tail says %08x, image gives %08x", c, crc));
        }
        r.reserved32("reserved");
    }

    // ---- PARENT ----------------------------------------------------------------

    static void writeParent(PayloadWriter w, org.ckpt.ParentLink link) {
        w.u64(link.checkpointId()).u64(link.tail().recordCount()).u64(link.tail().byteCount())
                .u32(link.tail().imageCrc32c()).u32(link.depth());
    }

    /** The link of an image whose head is {@code head}; depth bounded by {@code maxChainDepth} before any parent is opened. */
    static org.ckpt.ParentLink readParent(PayloadReader r, ImageInfo head, Limits limits) throws ImageException {
        long at = r.position();
        if (head.formatMinor() < Format.MINOR_PARENT) {
            throw new InvalidImageException(r.recordName(), at, "PARENT in a format " + head.formatMajor() + "."
                    + head.formatMinor() + " image (incremental images exist since 1." + Format.MINOR_PARENT + ")");
        }
        long id = r.u64("parent_checkpoint_id");
        if (id == head.checkpointId()) {
            throw new InvalidImageException(r.recordName(), at, "the image names itself (checkpoint 0x"
                    + Long.toHexString(id) + ") as its parent");
        }
        long records = r.u64("parent_record_count");
        long bytes = r.u64("parent_byte_count");
        int crc = (int) r.u32("parent_image_crc32c");
        long depthAt = r.position();
        long depth = r.u32("depth");
        if (depth == 0) {
            throw new InvalidImageException(r.recordName(), depthAt, "depth 0: an image with a parent has depth >= 1");
        }
        if (depth > limits.maxChainDepth()) {
            throw new org.ckpt.spi.ImageLimitException(r.recordName(), depthAt, "chain depth " + depth
                    + " exceeds maxChainDepth = " + limits.maxChainDepth() + " (merge the chain, or raise the limit)");
        }
        return new org.ckpt.ParentLink(id, new org.ckpt.ImageTail(records, bytes, crc), (int) depth);
    }

    // ---- ERROR ---------------------------------------------------------------

    static void writeError(PayloadWriter w, String message, int maxString) {
        byte[] b = message.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (b.length > maxString) {
            message = new String(b, 0, maxString, java.nio.charset.StandardCharsets.UTF_8);
            while (message.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > maxString) {
                message = message.substring(0, message.length() - 1);
            }
        }
        w.string(message);
    }

    static String readError(PayloadReader r, int maxString) throws ImageException {
        return r.string("message", maxString);
    }

    // ---- TASK ----------------------------------------------------------------

    /** Why the TASK record of {@code t} cannot be written (so would not be read), or null. */
    static CheckpointException taskProblem(Task t, int maxComm) {
        if (t.state() == TaskState.DEAD || t.exitState() == ExitState.DEAD) {
            return new CheckpointException("task pid " + t.pid() + " (" + t.comm() + ") is dead (state "
                    + t.state() + ", exit state " + t.exitState() + "): a task being torn down cannot be checkpointed");
        }
        int comm = t.comm().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (comm > maxComm) {
            return new CheckpointException("comm '" + t.comm() + "' of task pid " + t.pid() + " is " + comm
                    + " bytes, more than maxCommLength " + maxComm);
        }
        if (t.startTime().isNegative()) {
            return new CheckpointException("startTime of task pid " + t.pid() + " is negative: " + t.startTime());
        }
        if (t.realStartTime().isNegative()) {
            return new CheckpointException("realStartTime of task pid " + t.pid() + " is negative: "
                    + t.realStartTime());
        }
        return null;
    }

    static void writeTask(PayloadWriter w, Task t, long mmRef, long filesRef, int maxComm) throws CheckpointException {
        CheckpointException problem = taskProblem(t, maxComm);
        if (problem != null) {
            throw problem;
        }
        byte[] comm = t.comm().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        w.i32(t.pid()).i32(t.tgid()).u32(t.state().code()).u32(t.exitState().code());
        w.i32(t.exitCode()).i32(t.exitSignal());
        w.u64(t.utime()).u64(t.stime()).u64(t.utimescaled()).u64(t.stimescaled()).u64(t.gtime());
        w.u64(t.nvcsw()).u64(t.nivcsw());
        writeDuration(w, t.startTime());
        writeDuration(w, t.realStartTime());
        w.u64(t.minFlt()).u64(t.majFlt());
        w.u64(mmRef).u64(filesRef);
        w.u32(t.cpu() != null ? Format.TASK_HAS_CPU : 0).u32(0);
        w.u16(comm.length).bytes(comm);
    }

    private static void writeDuration(PayloadWriter w, Duration d) {
        w.u64(d.getSeconds()).u32(d.getNano()).u32(0);
    }

    /** A TASK record as read: the task without CPU state, and whether CPU records follow. */
    record TaskRecord(Task task, boolean hasCpu) {
    }

    static TaskRecord readTask(PayloadReader r, RestartSession s) throws ImageException {
        Task.Builder b = Task.builder();
        b.pid(r.i32("pid")).tgid(r.i32("tgid"));
        long at = r.position();
        long stateCode = r.u32("state");
        TaskState state = TaskState.ofCode(stateCode);
        if (state == null) {
            throw new InvalidImageException(r.recordName(), at, "unknown task state " + stateCode);
        }
        if (state == TaskState.DEAD) {
            throw new InvalidImageException(r.recordName(), at, "task state DEAD cannot be restarted");
        }
        at = r.position();
        long exitCode = r.u32("exit_state");
        ExitState exit = ExitState.ofCode(exitCode);
        if (exit == null || exit == ExitState.DEAD) {
            throw new InvalidImageException(r.recordName(), at, "exit_state " + exitCode + " is not NONE (0) or ZOMBIE (16)");
        }
        b.state(state).exitState(exit).exitCode(r.i32("exit_code")).exitSignal(r.i32("exit_signal"));
        b.utime(r.u64("utime")).stime(r.u64("stime")).utimescaled(r.u64("utimescaled"))
                .stimescaled(r.u64("stimescaled")).gtime(r.u64("gtime"));
        b.nvcsw(r.u64("nvcsw")).nivcsw(r.u64("nivcsw"));
        b.startTime(readDuration(r, "start_time"));
        b.realStartTime(readDuration(r, "real_start_time"));
        b.minFlt(r.u64("min_flt")).majFlt(r.u64("maj_flt"));
        long mmRef = r.u64("mm_objref");
        long filesRef = r.u64("files_objref");
        b.mm(s.restoreObject(mmRef, AddressSpace.class, true, "mm_objref"));
        b.files(s.restoreObject(filesRef, FileTable.class, true, "files_objref"));
        at = r.position();
        long flags = r.u32("flags");
        if ((flags & ~Format.TASK_HAS_CPU) != 0) {
            throw new InvalidImageException(r.recordName(), at, "unknown task flags 0x" + Long.toHexString(flags));
        }
        r.reserved32("reserved");
        int commLen = s.limits().maxCommLength();
        b.comm(r.shortString("comm", commLen));
        return new TaskRecord(b.build(), (flags & Format.TASK_HAS_CPU) != 0);
    }

    // ---- TASK_EXT --------------------------------------------------------------

    static void writeTaskExt(PayloadWriter w, long[] objrefs) {
        w.u32(objrefs.length).u32(0);
        for (long ref : objrefs) {
            w.u64(ref);
        }
    }

    /** The extension objects, resolved; an mm or files object is not an extension (they have their own slots). */
    static List<Object> readTaskExt(PayloadReader r, RestartSession s) throws ImageException {
        int count = r.count("count", s.limits().maxObjects(), "maxObjects");
        r.reserved32("reserved");
        List<Object> out = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            long at = r.position();
            long ref = r.u64("objref");
            Object o = s.restoreObject(ref, Object.class, false, "extension " + i);
            if (o instanceof AddressSpace || o instanceof FileTable) {
                throw new InvalidReferenceException(r.recordName(), at, "extension " + i + ": objref "
                        + Long.toUnsignedString(ref) + " is a '" + (o instanceof AddressSpace ? "mm" : "files")
                        + "' object, which is a task's own slot, not an extension");
            }
            out.add(o);
        }
        return out;
    }

    // ---- TASK_INFO -------------------------------------------------------------

    /** Why a task's info cannot be written (so would not be read back), or null. */
    static CheckpointException infoProblem(Map<String, String> info, int maxString) {
        for (Map.Entry<String, String> e : info.entrySet()) {
            int k = e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (k == 0 || k > 255) {
                return new CheckpointException("info key '" + e.getKey() + "' is " + k
                        + " UTF-8 bytes; keys are 1 to 255 bytes");
            }
            int v = e.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (v > maxString) {
                return new CheckpointException("info value of '" + e.getKey() + "' is " + v
                        + " bytes, more than maxStringLength " + maxString);
            }
        }
        return null;
    }

    static void writeTaskInfo(PayloadWriter w, Map<String, String> info) {
        w.u32(info.size()).u32(0);
        for (Map.Entry<String, String> e : info.entrySet()) {
            w.shortString(e.getKey()).string(e.getValue());
        }
    }

    /** Entries in strictly ascending key order (UTF-8 bytes), so each key appears once and images are canonical. */
    static Map<String, String> readTaskInfo(PayloadReader r, Limits limits) throws ImageException {
        long at = r.position();
        long count = r.u32("count");
        r.reserved32("reserved");
        // Each entry takes at least 7 bytes (u16 length, one key byte, u32 length): bound before allocating.
        if (count > r.remaining() / 7) {
            throw new org.ckpt.spi.TruncatedImageException(r.recordName(), at, "count " + count
                    + " entries cannot fit the " + r.remaining() + " bytes that follow");
        }
        Map<String, String> out = new java.util.LinkedHashMap<>();
        byte[] prev = null;
        for (long i = 0; i < count; i++) {
            long keyAt = r.position();
            String key = r.shortString("key", 255);
            byte[] k = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (k.length == 0) {
                throw new InvalidImageException(r.recordName(), keyAt, "entry " + i + " has an empty key");
            }
            if (prev != null && java.util.Arrays.compareUnsigned(prev, k) >= 0) {
                throw new InvalidImageException(r.recordName(), keyAt, "key '" + key + "' does not follow '"
                        + new String(prev, java.nio.charset.StandardCharsets.UTF_8)
                        + "' in ascending order (keys are unique and sorted by their UTF-8 bytes)");
            }
            prev = k;
            out.put(key, r.string("value", limits.maxStringLength()));
        }
        return out;
    }

    private static Duration readDuration(PayloadReader r, String name) throws ImageException {
        long sec = r.u64InRange(name + "_sec", Long.MAX_VALUE);
        long at = r.position();
        long nsec = r.u32(name + "_nsec");
        if (nsec >= NANOS) {
            throw new InvalidImageException(r.recordName(), at, name + "_nsec " + nsec + " is not below 10^9");
        }
        r.reserved32(name + "_reserved");
        return Duration.ofSeconds(sec, nsec);
    }

}
