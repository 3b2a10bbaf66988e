package org.ckpt.internal;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.ckpt.ImageInfo;
import org.ckpt.ImageObject;
import org.ckpt.ImageRecord;
import org.ckpt.ProgressListener;
import org.ckpt.RestartResult;
import org.ckpt.model.Task;
import org.ckpt.spi.ArchHead;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.ImageLimitException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.InvalidReferenceException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.RecordInput;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TargetCpu;
import org.ckpt.spi.UnsupportedImageException;

/**
 * One restart: reads and verifies the whole image into the model, runs the
 * architecture check phase, and returns — committing nothing anywhere.
 */
public final class RestartSession implements CkptContext {
    private final Registry registry;
    private final Limits limits;
    private final String root;
    private final ProgressListener progress;
    private final ImageReader in;
    private final TargetCpu requestedTarget;
    private final Map<Long, Object> objects = new HashMap<>();
    private final Map<Long, String> objectTypes = new HashMap<>();
    private final List<ImageObject> objectList = new ArrayList<>();
    private List<Task> imageTasks = List.of();
    private ImageInfo head;
    private ArchProvider arch;
    private ArchHead archHead;
    private TargetCpu target;
    private long pagesRead;
    private long lastProgressBytes;
    private int tasksDone;

    /** @param target what the restart target runs, or {@code null} for the in-memory model (every feature) */
    public RestartSession(Registry registry, Limits limits, String root, ProgressListener progress,
                          ReadableByteChannel channel, TargetCpu target) throws IOException {
        this.registry = registry;
        this.limits = limits;
        this.root = PosixPaths.normalizeRoot(root);
        this.progress = progress;
        this.in = new ImageReader(channel, limits.maxRecordSize(), limits.maxStringLength());
        this.requestedTarget = target;
    }

    /** For inspection tools: told of every record as it is read (see {@link ImageRecord}). */
    public void recordListener(Consumer<ImageRecord> listener) {
        in.recordListener(listener);
    }

    /** After {@link #run}: every object read, in image order. */
    public List<ImageObject> objects() {
        return List.copyOf(objectList);
    }

    /** After {@link #run}: the tasks as read, before the check phase. */
    public List<Task> imageTasks() {
        return imageTasks;
    }

    public RestartResult run() throws IOException {
        long started = System.nanoTime();
        in.readMagic();
        head = Records.readHead(in.next(RecordTypes.HEAD), limits);
        arch = registry.arch(head.architecture());
        if (arch == null) {
            throw new UnsupportedImageException("HEAD", in.recordOffset(), "no ArchProvider for architecture '"
                    + head.architecture() + "' on the class path (known: " + registry.architectures() + ")");
        }
        in.archTypes(arch.recordTypes());
        archHead = arch.readArchHead(head.architecture(), in.next(RecordTypes.ARCH_HEAD));
        head = new ImageInfo(head.formatMajor(), head.formatMinor(), head.flags(), head.checkpointId(),
                head.created(), head.pageSize(), head.taskCount(), head.producerName(), head.producerVersion(),
                head.architecture(), archHead, head.uname());
        target = requestedTarget != null ? requestedTarget : TargetCpu.anyFeatures(head.architecture());
        if (registry.arch(target.architecture()) != arch) {
            throw new UnsupportedImageException("HEAD", 0, "an image of architecture '" + head.architecture()
                    + "' cannot restart on a target of architecture '" + target.architecture() + "'");
        }
        Log.SYS.debug("restart {} of {} task(s), arch {}, page size {}", Long.toHexString(head.checkpointId()),
                head.taskCount(), head.architecture(), head.pageSize());

        List<Task> tasks = new ArrayList<>();
        loop:
        while (true) {
            int type = in.peekType();
            switch (type) {
                case RecordTypes.OBJECT -> readObject();
                case RecordTypes.TASK -> {
                    long at = in.recordOffset();
                    if (tasks.size() == head.taskCount()) {
                        throw new InvalidImageException("TASK", at,
                                "more tasks than the " + head.taskCount() + " the head announces");
                    }
                    try {
                        tasks.add(readTask());
                    } catch (ImageException e) {
                        throw e.addTrace("task " + tasks.size());
                    }
                    tasksDone++;
                    progress(true);
                }
                case RecordTypes.TAIL -> {
                    break loop;
                }
                default -> throw in.unexpected(type, "OBJECT, TASK or TAIL");
            }
        }
        long records = in.recordsBefore();
        long bytes = in.recordOffset();
        long crc = in.crcBeforeRecord();
        Records.readTail(in.next(RecordTypes.TAIL), records, bytes, crc);
        in.expectEnd();
        if (tasks.size() != head.taskCount()) {
            throw new InvalidImageException("TAIL", bytes,
                    "the head announces " + head.taskCount() + " tasks, the image holds " + tasks.size());
        }
        imageTasks = List.copyOf(tasks);
        List<Task> checked = checkPhase(tasks);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        Log.SYS.debug("restart verified: {} bytes, {} records, {} pages in {}", in.offset(), in.records(), pagesRead,
                elapsed);
        return new RestartResult(head, checked, in.offset(), in.records(), pagesRead, elapsed);
    }

    private List<Task> checkPhase(List<Task> tasks) throws ImageException {
        List<Task> out = new ArrayList<>(tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            Task t = tasks.get(i);
            if (t.cpu() != null) {
                try {
                    CpuState sane = arch.check(t.cpu(), this);
                    t = t.toBuilder().cpu(sane).build();
                } catch (ImageException e) {
                    throw e.addTrace("task " + i + " (pid " + t.pid() + ") \u203a cpu");
                }
            }
            out.add(t);
        }
        return out;
    }

    private Task readTask() throws IOException {
        Records.TaskRecord tr = Records.readTask(in.next(RecordTypes.TASK), this);
        Task t = tr.task();
        if (in.peekType() == RecordTypes.TASK_EXT) {
            if (head.formatMinor() < Format.MINOR_TASK_EXT) {
                throw new InvalidImageException("TASK_EXT", in.recordOffset(), "TASK_EXT in a format "
                        + head.formatMajor() + "." + head.formatMinor() + " image (it exists since 1."
                        + Format.MINOR_TASK_EXT + ")");
            }
            t = t.toBuilder().extensions(Records.readTaskExt(in.next(RecordTypes.TASK_EXT), this)).build();
        }
        if (tr.hasCpu()) {
            CpuState cpu;
            try {
                cpu = arch.restoreCpu(this);
            } catch (ImageException e) {
                throw e.addTrace("cpu");
            }
            if (cpu == null) {
                throw new IllegalStateException(arch.getClass().getName() + ".restoreCpu returned null");
            }
            t = t.toBuilder().cpu(cpu).build();
        }
        Log.SYS.debug("TASK pid {} ({}) restored", t.pid(), t.comm());
        return t;
    }

    private void readObject() throws IOException {
        long at = in.recordOffset();
        PayloadReader body = in.next(RecordTypes.OBJECT);
        long refAt = body.position();
        long objref = body.u64("objref");
        String typeName = body.shortString("type_name", 255);
        if (objref == 0) {
            throw new InvalidReferenceException("OBJECT", refAt, "objref 0 is reserved for 'none'");
        }
        if (objects.containsKey(objref)) {
            throw new InvalidReferenceException("OBJECT", refAt, "duplicate objref " + Long.toUnsignedString(objref)
                    + " (already a '" + objectTypes.get(objref) + "' object)");
        }
        if (objects.size() >= limits.maxObjects()) {
            throw new ImageLimitException("OBJECT", at, "more than maxObjects = " + limits.maxObjects() + " objects");
        }
        ObjectOps<?> ops = registry.opsForName(typeName);
        if (ops == null) {
            throw new UnsupportedImageException("OBJECT", at, "no ObjectOps for object type '" + typeName
                    + "' on the class path: add the provider that handles it");
        }
        Object obj;
        try {
            obj = ops.restore(this, body);
        } catch (ImageException e) {
            throw e.addTrace("object " + Long.toUnsignedString(objref) + " (" + typeName + ")");
        }
        if (obj == null || !ops.type().isInstance(obj)) {
            throw new IllegalStateException(ops.getClass().getName() + ".restore returned "
                    + (obj == null ? "null" : obj.getClass().getName()) + ", not a " + ops.type().getName());
        }
        objects.put(objref, obj);
        objectTypes.put(objref, typeName);
        objectList.add(new ImageObject(objref, typeName, at, obj));
        Log.OBJ.debug("OBJECT objref {} type {} restored from offset {}", objref, typeName, at);
    }

    /** Called by the address-space ops for each PAGES record read. */
    void pagesRead(int count) {
        pagesRead += count;
        progress(false);
    }

    private void progress(boolean force) {
        if (progress != null && (force || in.offset() - lastProgressBytes >= (8 << 20))) {
            lastProgressBytes = in.offset();
            progress.progress(tasksDone, head.taskCount(), in.offset(), pagesRead);
        }
    }

    long userAddressLimit() {
        return arch.userAddressLimit(head.architecture());
    }

    @Override
    public <T> T restoreObject(long objref, Class<T> type, boolean nullable, String what) throws ImageException {
        if (objref == 0) {
            if (nullable) {
                return null;
            }
            throw new InvalidReferenceException(in.recordName(), in.recordOffset(),
                    what + ": objref 0 (none) where a " + type.getSimpleName() + " is required");
        }
        Object o = objects.get(objref);
        if (o == null) {
            throw new InvalidReferenceException(in.recordName(), in.recordOffset(),
                    what + ": dangling objref " + Long.toUnsignedString(objref) + " (no such object before it)");
        }
        if (!type.isInstance(o)) {
            throw new InvalidReferenceException(in.recordName(), in.recordOffset(), what + ": objref "
                    + Long.toUnsignedString(objref) + " is a '" + objectTypes.get(objref) + "' object, expected a "
                    + type.getSimpleName());
        }
        return type.cast(o);
    }

    @Override
    public Direction direction() {
        return Direction.RESTART;
    }

    @Override
    public Limits limits() {
        return limits;
    }

    @Override
    public String root() {
        return root;
    }

    @Override
    public String architecture() {
        return head.architecture();
    }

    @Override
    public ArchHead archHead() {
        return archHead;
    }

    @Override
    public int pageSize() {
        return head.pageSize();
    }

    @Override
    public long checkpointId() {
        return head.checkpointId();
    }

    @Override
    public long bytes() {
        return in.offset();
    }

    @Override
    public long records() {
        return in.records();
    }

    @Override
    public long checkpointObject(Object object) {
        throw new IllegalStateException("checkpointObject during a restart");
    }

    @Override
    public RecordOutput output() {
        throw new IllegalStateException("output() during a restart");
    }

    @Override
    public RecordInput input() {
        return in;
    }

    @Override
    public TargetCpu target() {
        return target;
    }
}
