package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ckpt.CheckpointResult;
import org.ckpt.ImageInfo;
import org.ckpt.ProgressListener;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileTable;
import org.ckpt.model.Task;
import org.ckpt.spi.ArchHead;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordInput;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TargetCpu;

/** One checkpoint: the writing side of the engine and the {@link CkptContext} its providers see. */
public final class CheckpointSession implements CkptContext {
    /** Pages per PAGES record at most (fewer when large pages would exceed maxRecordSize). */
    private static final int MAX_PAGES_PER_RECORD = 1024;
    private final int pagesPerRecord;

    private final Registry registry;
    private final ArchProvider arch;
    private final ImageInfo head;
    private final Limits limits;
    private final String root;
    private final ProgressListener progress;
    private final ImageWriter out;
    private final ArchHead archHead;
    private final Map<Object, Long> objrefs = new IdentityHashMap<>();
    private final Set<Object> inProgress = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Deque<Runnable> releases = new ArrayDeque<>();
    private final ByteBuffer zeroPage;
    private long nextObjref = 1;
    private int writing;
    private long pagesWritten;
    private long zeroPagesSkipped;
    private long cleanPagesSkipped;
    private long lastProgressBytes;
    private int tasksDone;

    public CheckpointSession(Registry registry, ImageInfo head, Limits limits, String root,
                             ProgressListener progress, WritableByteChannel channel, boolean writerThread)
            throws CheckpointException {
        this.registry = registry;
        this.head = head;
        this.limits = limits;
        this.root = PosixPaths.normalizeRoot(root);
        this.progress = progress;
        this.arch = registry.arch(head.architecture());
        if (arch == null) {
            throw new CheckpointException("no ArchProvider for architecture '" + head.architecture()
                    + "' on the class path (known: " + registry.architectures() + ")");
        }
        this.archHead = arch.archHead(head.architecture());
        this.out = new ImageWriter(channel, limits.maxRecordSize(), writerThread);
        this.out.archTypes(arch.recordTypes());
        this.zeroPage = ByteBuffer.allocateDirect(head.pageSize());
        this.pagesPerRecord = Math.min(MAX_PAGES_PER_RECORD, (limits.maxRecordSize() - 16) / head.pageSize());
        if (pagesPerRecord < 1) {
            throw new CheckpointException("maxRecordSize " + limits.maxRecordSize()
                    + " cannot hold one page of " + head.pageSize() + " bytes");
        }
    }

    /** The minor format version an image of {@code tasks} is written in: the lowest that describes them. */
    public static int formatMinor(List<Task> tasks) {
        for (Task t : tasks) {
            if (!t.extensions().isEmpty()) {
                return Format.MINOR_TASK_EXT;
            }
        }
        return 0;
    }

    /** Writes the whole image; on a failure after the head, the image ends with an ERROR record. */
    public CheckpointResult run(List<Task> tasks) throws IOException {
        long started = System.nanoTime();
        boolean begun = false;
        try {
            if (tasks.size() > limits.maxTasks()) {
                throw new CheckpointException(tasks.size() + " tasks exceed maxTasks " + limits.maxTasks());
            }
            Log.SYS.debug("checkpoint {} of {} task(s), arch {}", Long.toHexString(head.checkpointId()),
                    tasks.size(), head.architecture());
            begun = true;
            out.writeMagic();
            Records.writeHead(out.begin(RecordTypes.HEAD), head);
            arch.writeArchHead(archHead, out.begin(RecordTypes.ARCH_HEAD));
            out.end();
            for (int i = 0; i < tasks.size(); i++) {
                Task t = tasks.get(i);
                try {
                    writeTask(t);
                } catch (CheckpointException e) {
                    throw e.addTrace("task " + i + " (pid " + t.pid() + ")");
                }
                tasksDone++;
                progress(true);
            }
            long crcBefore = out.imageCrc();
            long bytesBefore = out.bytes();
            long recordsBefore = out.records();
            Records.writeTail(out.begin(RecordTypes.TAIL), recordsBefore, bytesBefore, crcBefore);
            out.end();
            out.flush();
        } catch (IOException | RuntimeException e) {
            if (begun) {
                abort(e);
            }
            throw e;
        } finally {
            out.close();
            while (!releases.isEmpty()) {
                releases.pop().run();
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        Log.SYS.debug("checkpoint done: {} bytes, {} records, {} pages, {} zero pages skipped in {}",
                out.bytes(), out.records(), pagesWritten, zeroPagesSkipped, elapsed);
        return new CheckpointResult(head.checkpointId(), out.bytes(), out.records(), pagesWritten, zeroPagesSkipped,
                cleanPagesSkipped, elapsed);
    }

    private void abort(Exception cause) {
        try {
            out.discardOpen();
            String msg = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            Records.writeError(out.begin(RecordTypes.ERROR), msg, limits.maxStringLength());
            out.end();
            out.flush();
            Log.SYS.debug("checkpoint aborted, error record written: {}", msg);
        } catch (IOException | RuntimeException e) {
            // The writer thread reports a failed channel again at every call: the same exception.
            if (e != cause) {
                cause.addSuppressed(e);
            }
        }
    }

    private void writeTask(Task t) throws IOException {
        long mm;
        long files;
        try {
            mm = checkpointObject(t.mm());
        } catch (CheckpointException e) {
            throw e.addTrace("mm");
        }
        try {
            files = checkpointObject(t.files());
        } catch (CheckpointException e) {
            throw e.addTrace("files");
        }
        if (t.extensions().size() > limits.maxObjects()) {
            throw new CheckpointException(t.extensions().size() + " extensions exceed maxObjects "
                    + limits.maxObjects());
        }
        long[] ext = new long[t.extensions().size()];
        for (int i = 0; i < ext.length; i++) {
            Object o = t.extensions().get(i);
            try {
                if (o instanceof AddressSpace || o instanceof FileTable) {
                    throw new CheckpointException("an " + o.getClass().getSimpleName()
                            + " is a task's mm or files, not an extension");
                }
                ext[i] = checkpointObject(o);
            } catch (CheckpointException e) {
                throw e.addTrace("extension " + i);
            }
        }
        Records.writeTask(out.begin(RecordTypes.TASK), t, mm, files, limits.maxCommLength());
        out.end();
        if (ext.length > 0) {
            if (head.formatMinor() < Format.MINOR_TASK_EXT) {
                throw new IllegalStateException("a task with extensions in a format 1." + head.formatMinor()
                        + " image; use formatMinor(tasks) for the head");
            }
            Records.writeTaskExt(out.begin(RecordTypes.TASK_EXT), ext);
            out.end();
        }
        Log.SYS.debug("TASK pid {} ({}) mm objref {} files objref {} at offset {}", t.pid(), t.comm(), mm, files,
                out.lastRecordStart());
        if (t.cpu() != null) {
            if (!arch.architectures().contains(t.cpu().architecture())
                    || !t.cpu().architecture().equals(head.architecture())) {
                throw new CheckpointException("CPU state of architecture '" + t.cpu().architecture()
                        + "' in an image of architecture '" + head.architecture() + "'");
            }
            try {
                arch.checkpointCpu(t.cpu(), this);
                out.end();
            } catch (CheckpointException e) {
                throw e.addTrace("cpu");
            }
        }
    }

    @Override
    public long checkpointObject(Object object) throws IOException {
        if (object == null) {
            return 0;
        }
        Long known = objrefs.get(object);
        if (known != null) {
            return known;
        }
        if (writing > 0) {
            throw new IllegalStateException("an ObjectOps referenced " + object.getClass().getName()
                    + " while writing its own records without listing it in forEachReference");
        }
        ObjectOps<?> ops = registry.opsForClass(object.getClass());
        if (ops == null) {
            throw new CheckpointException("no ObjectOps handles " + object.getClass().getName()
                    + ": add the provider for it (a META-INF/services/org.ckpt.spi.ObjectOps entry"
                    + " or a module 'provides org.ckpt.spi.ObjectOps')");
        }
        if (!inProgress.add(object)) {
            throw new CheckpointException("reference cycle through a " + ops.typeName() + " object ("
                    + object.getClass().getName() + ")");
        }
        try {
            return write(ops, object);
        } finally {
            inProgress.remove(object);
        }
    }

    @SuppressWarnings("unchecked")
    private <T> long write(ObjectOps<T> ops, Object object) throws IOException {
        T obj = (T) object;
        List<String> labels = new ArrayList<>();
        List<Object> refs = new ArrayList<>();
        ops.forEachReference(obj, (what, ref) -> {
            labels.add(what);
            refs.add(ref);
        });
        for (int i = 0; i < refs.size(); i++) {
            try {
                checkpointObject(refs.get(i));
            } catch (CheckpointException e) {
                throw e.addTrace(labels.get(i));
            }
        }
        if (objrefs.size() >= limits.maxObjects()) {
            throw new CheckpointException("more than maxObjects " + limits.maxObjects() + " objects");
        }
        long ref = nextObjref++;
        objrefs.put(obj, ref);
        ops.grab(obj);
        releases.push(() -> ops.release(obj));
        PayloadWriter body = out.begin(RecordTypes.OBJECT);
        body.u64(ref).shortString(ops.typeName());
        Log.OBJ.debug("OBJECT objref {} type {} at offset {}", ref, ops.typeName(), out.bytes());
        writing++;
        try {
            ops.checkpoint(obj, this, body);
            out.end();
        } catch (PayloadBuffer.PayloadTooLargeException e) {
            throw new CheckpointException(ops.typeName() + " object: " + e.getMessage());
        } finally {
            writing--;
        }
        return ref;
    }

    /**
     * Writes the non-zero pages of one host run as PAGES records: scans page by
     * page (vectorised compare against a zero page, no allocation), and emits
     * each maximal run of non-zero pages straight from the host's buffer.
     * In a private file-backed area a missing page means "as in the file", so
     * there dirty zero pages are written too ({@code keepZero}).
     */
    void writePageRun(long address, ByteBuffer bytes, boolean skipAsClean, boolean keepZero) throws IOException {
        int pages = bytes.remaining() / head.pageSize();
        if (skipAsClean) {
            cleanPagesSkipped += pages;
            return;
        }
        try {
            writeNonZeroPages(address, bytes, pages, keepZero);
        } catch (IOException | RuntimeException e) {
            // Even when failing: the host's buffer may change once its visitor call has ended.
            try {
                out.releaseHostBuffers();
            } catch (IOException | RuntimeException again) {
                if (again != e) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
        // The host's buffer is valid only during its visitor call (PageData.RunVisitor).
        out.releaseHostBuffers();
    }

    private void writeNonZeroPages(long address, ByteBuffer bytes, int pages, boolean keepZero) throws IOException {
        int ps = head.pageSize();
        ByteBuffer page = bytes.duplicate();
        int base = bytes.position();
        int runStart = -1;
        for (int i = 0; i <= pages; i++) {
            boolean zero = true;
            if (i < pages) {
                page.limit(base + (i + 1) * ps).position(base + i * ps);
                zero = !keepZero && page.mismatch(zeroPage) < 0;
            }
            if (!zero && runStart < 0) {
                runStart = i;
            }
            boolean flush = runStart >= 0 && (zero || i - runStart == pagesPerRecord);
            if (flush) {
                emitPages(address, bytes, base, runStart, i, ps);
                runStart = zero ? -1 : i;
            }
            if (zero && i < pages) {
                zeroPagesSkipped++;
            }
        }
    }

    private void emitPages(long address, ByteBuffer bytes, int base, int from, int to, int ps) throws IOException {
        ByteBuffer run = bytes.duplicate();
        run.limit(base + to * ps).position(base + from * ps);
        out.writePages(address + (long) from * ps, to - from, run);
        pagesWritten += to - from;
        progress(false);
    }

    private void progress(boolean force) {
        if (progress != null && (force || out.bytes() - lastProgressBytes >= (8 << 20))) {
            lastProgressBytes = out.bytes();
            progress.progress(tasksDone, head.taskCount(), out.bytes(), pagesWritten);
        }
    }

    @Override
    public Direction direction() {
        return Direction.CHECKPOINT;
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
        return out.bytes();
    }

    @Override
    public long records() {
        return out.records();
    }

    @Override
    public RecordOutput output() {
        return out;
    }

    long userAddressLimit() {
        return arch.userAddressLimit(head.architecture());
    }

    @Override
    public <T> T restoreObject(long objref, Class<T> type, boolean nullable, String what) throws ImageException {
        throw new IllegalStateException("restoreObject during a checkpoint");
    }

    @Override
    public RecordInput input() {
        throw new IllegalStateException("input() during a checkpoint");
    }

    @Override
    public TargetCpu target() {
        throw new IllegalStateException("target() during a checkpoint");
    }
}
