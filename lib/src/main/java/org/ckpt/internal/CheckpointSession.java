package org.ckpt.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
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
import org.ckpt.spi.CpuState;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordInput;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;

/** One checkpoint: the writing side of the engine and the {@link CkptContext} its providers see. */
public final class CheckpointSession implements CkptContext {
    /**
     * How the image is protected (docs/FORMAT.md §17): sealed with {@code seal} and/or its
     * payloads encrypted under a data key wrapped with {@code encrypt}; either may be null.
     */
    public record Protection(Keys.SealingKey seal, Keys.CipherKey encrypt) {
        public static final Protection NONE = new Protection(null, null);

        public boolean any() {
            return seal != null || encrypt != null;
        }
    }

    private static final java.security.SecureRandom DATA_KEYS = new java.security.SecureRandom();

    /** A PAGES record holds at most this many bytes of pages (fewer when maxRecordSize says so). */
    static final int MAX_PAGES_BYTES = 1 << 20;
    private static final Map<Integer, ByteBuffer> ZERO_PAGES = new ConcurrentHashMap<>();

    private final Registry registry;
    private final ArchProvider arch;
    private final ImageInfo head;
    private final RestorePolicy policy;
    private final Limits limits;
    private final String root;
    private final ProgressListener progress;
    private final WritableByteChannel channel;
    private final boolean writerThread;
    private final Duration stallTimeout;
    private final ArchHead archHead;
    private final TargetCpu anyTarget;
    private final long addressLimit;
    private final int pagesPerRecord;
    private final ByteBuffer zeroPage;
    private final Protection protection;
    /** Objects met → objref; {@link #IN_PROGRESS} while the object's references are being written. */
    private final IdentityLongMap objrefs;
    /** Grabbed objects and their ops, in grab order: (ops, object) pairs, released in reverse. */
    private Object[] grabbed = new Object[32];
    private int grabbedSize;
    private ImageWriter out;
    private long nextObjref = 1;
    private int objects;
    // The depth-first walk of checkpointObject: one frame per object on the way to being written,
    // its references collected into a shared array (refs of frame f at [refFrom[f], refTo[f])).
    private Object[] frameObject = new Object[8];
    private String[] frameLabel = new String[8];
    private ObjectOps<?>[] frameOps = new ObjectOps<?>[8];
    private int[] refFrom = new int[8];
    private int[] refTo = new int[8];
    private int[] refNext = new int[8];
    private int depth;
    private Object[] refObject = new Object[64];
    private String[] refLabel = new String[64];
    private int refTop;
    private final BiConsumer<String, Object> collector = this::addReference;
    private int writing;
    /** The host's ops whose object is being written, or null while the core writes (FORMAT §6.4 H4). */
    private ObjectOps<?> hostWriting;
    private RecordOutput hostOutput;
    private long pagesWritten;
    private long zeroPagesSkipped;
    private long cleanPagesSkipped;
    private long lastProgressBytes;
    private int tasksDone;
    // Incremental images and page digests (docs/FORMAT.md §15): null/false/0 for a plain image.
    private org.ckpt.ParentLink parentLink;
    private IncrementalWriter incremental;
    private int currentTask;
    private long pagesFromParent;
    private org.ckpt.ImageTail tail;
    private final List<Long> taskMms = new ArrayList<>();
    private final Map<Long, List<ParentIndex.Area>> mmAreas = new java.util.LinkedHashMap<>();

    /** Checks the configuration; starts no thread and allocates no buffer (that happens in {@link #run}). */
    public CheckpointSession(Registry registry, ImageInfo head, RestorePolicy policy, Limits limits, String root,
                             ProgressListener progress, WritableByteChannel channel, boolean writerThread,
                             Duration stallTimeout) throws CheckpointException {
        this(registry, head, policy, limits, root, progress, channel, writerThread, stallTimeout, Protection.NONE);
    }

    /** As above, for an image sealed and/or encrypted as {@code protection} says. */
    public CheckpointSession(Registry registry, ImageInfo head, RestorePolicy policy, Limits limits, String root,
                             ProgressListener progress, WritableByteChannel channel, boolean writerThread,
                             Duration stallTimeout, Protection protection) throws CheckpointException {
        ChannelIo.requireBlocking(channel, "the image channel");
        this.registry = registry;
        this.head = head;
        this.policy = policy;
        this.limits = limits;
        this.root = PosixPaths.normalizeRoot(root);
        this.progress = progress;
        this.channel = channel;
        this.writerThread = writerThread;
        this.stallTimeout = stallTimeout;
        this.protection = protection;
        if (protection.any() && head.formatMinor() < Format.MINOR_SEAL) {
            throw new IllegalArgumentException("a sealed or encrypted image in a format 1." + head.formatMinor()
                    + " head; sealing and encryption exist since 1." + Format.MINOR_SEAL);
        }
        if ((protection.encrypt() != null) != ((head.flags() & ImageInfo.FLAG_ENCRYPTED) != 0)) {
            throw new IllegalArgumentException("head flag ENCRYPTED must be set exactly when encrypting");
        }
        // Null for an image without an architecture head: then no task may have CPU state.
        this.arch = (head.flags() & ImageInfo.FLAG_NO_ARCH) != 0 ? null : registry.arch(head.architecture());
        if (arch == null && (head.flags() & ImageInfo.FLAG_NO_ARCH) == 0) {
            throw new CheckpointException("no ArchProvider for architecture '" + head.architecture()
                    + "' available (known: " + registry.architectures() + ")");
        }
        int ps = head.pageSize();
        // An encrypted PAGES record holds its 16-byte GCM tag too.
        int byRecord = (limits.maxRecordSize() - 16 - (protection.encrypt() != null ? RecordCipher.TAG_LENGTH : 0))
                / ps;
        if (byRecord < 1) {
            throw new CheckpointException("maxRecordSize " + limits.maxRecordSize()
                    + " cannot hold one page of " + ps + " bytes");
        }
        this.pagesPerRecord = Math.min(byRecord, pagesPerRecord(limits, ps));
        this.archHead = arch == null ? null : arch.archHead(head.architecture());
        this.anyTarget = TargetCpu.anyFeatures(head.architecture());
        this.addressLimit = arch == null ? KnownArchitectures.addressLimit(head.architecture(), policy)
                : arch.addressLimit(head.architecture(), policy);
        this.zeroPage = ZERO_PAGES.computeIfAbsent(ps, ByteBuffer::allocateDirect);
        this.objrefs = new IdentityLongMap(256);
    }

    /**
     * Makes this checkpoint write an incremental image on {@code parent} (with {@code link} in
     * its PARENT record; both null for a full image) and, if {@code digests}, PAGE_DIGESTS
     * records. Call before {@link #run}.
     */
    public void incremental(ParentIndex parent, org.ckpt.ParentLink link, boolean digests) {
        this.parentLink = link;
        this.incremental = parent != null || digests ? new IncrementalWriter(this, parent, digests, zeroPage) : null;
    }

    /** The minor format version of an image of {@code tasks}, incremental if {@code child}. */
    public static int formatMinor(List<Task> tasks, RestorePolicy policy, boolean noArch, boolean child) {
        return child ? Format.MINOR_PAGE_RUNS : formatMinor(tasks, policy, noArch);
    }

    /** Pages per PAGES record of this image (fewer when encrypted: the record holds its tag). */
    int pagesPerRecord() {
        return pagesPerRecord;
    }

    /** Pages per PAGES record the writer produces for this page size under {@code limits}. */
    public static int pagesPerRecord(Limits limits, int pageSize) {
        return Math.min((limits.maxRecordSize() - 16) / pageSize, Math.max(1, MAX_PAGES_BYTES / pageSize));
    }

    /** After {@link #run}: what this image is as a parent (its tail is what children pin). */
    public ParentIndex parentIndex() {
        long[] mms = new long[taskMms.size()];
        for (int i = 0; i < mms.length; i++) {
            mms[i] = taskMms.get(i);
        }
        return new ParentIndex(mms, Map.copyOf(mmAreas));
    }

    /** After {@link #run}: the tail written. */
    public org.ckpt.ImageTail tail() {
        return tail;
    }

    /** The minor format version an image of {@code tasks} is written in: the lowest that describes them. */
    public static int formatMinor(List<Task> tasks, RestorePolicy policy, boolean noArch) {
        if (policy == RestorePolicy.EXACT || noArch) {
            return Format.MINOR_EXACT;
        }
        for (Task t : tasks) {
            if (!t.extensions().isEmpty()) {
                return Format.MINOR_TASK_EXT;
            }
        }
        return 0;
    }

    /** The head flags of an image written under {@code policy}. */
    public static long headFlags(RestorePolicy policy, boolean noArch) {
        return (policy == RestorePolicy.EXACT ? ImageInfo.FLAG_EXACT : 0) | (noArch ? ImageInfo.FLAG_NO_ARCH : 0);
    }

    /**
     * Writes the whole image. Every task is first checked against the rules its restart will
     * apply; only then is the first byte written. On a failure after that, the image ends
     * with an ERROR record — unless the channel itself failed or the thread was interrupted,
     * when nothing more is written, so the image reads as truncated.
     */
    public CheckpointResult run(List<Task> tasks) throws IOException {
        long started = System.nanoTime();
        validate(tasks);
        Log.SYS.debug("checkpoint {} of {} task(s), arch {}, policy {}", Long.toHexString(head.checkpointId()),
                tasks.size(), head.architecture(), policy);
        out = new ImageWriter(channel, limits.maxRecordSize(), writerThread, stallTimeout);
        try {
            out.archTypes(arch == null ? Set.of() : arch.recordTypes());
            if (protection.seal() != null) {
                out.sealed();
            }
            if (protection.encrypt() != null) {
                out.encrypted();
            }
            out.writeMagic();
            Records.writeHead(out.begin(RecordTypes.HEAD), head);
            PayloadWriter ah = out.begin(RecordTypes.ARCH_HEAD);
            if (arch != null) {
                arch.writeArchHead(archHead, ah);
            }
            out.end();
            if (protection.encrypt() != null) {
                out.startEncryption(protection.encrypt(), DATA_KEYS);
            }
            if (parentLink != null) {
                Records.writeParent(out.begin(RecordTypes.PARENT), parentLink);
                out.end();
            }
            for (int i = 0; i < tasks.size(); i++) {
                Task t = tasks.get(i);
                currentTask = i;
                try {
                    writeTask(t);
                } catch (CheckpointException e) {
                    throw e.addTrace("task " + i + " (pid " + t.pid() + ")");
                }
                tasksDone++;
                if (progress != null) {
                    // "Completely written": a host may resume the task once told, so no page of it may
                    // still wait to be copied at sealing.
                    out.copyPending();
                }
                progress(true);
            }
            if (protection.encrypt() != null) {
                out.endEncryption();
            }
            if (protection.seal() != null) {
                out.seal(protection.seal());
            }
            long crcBefore = out.imageCrc();
            long bytesBefore = out.bytes();
            long recordsBefore = out.records();
            tail = new org.ckpt.ImageTail(recordsBefore, bytesBefore, (int) crcBefore);
            Records.writeTail(out.begin(RecordTypes.TAIL), recordsBefore, bytesBefore, crcBefore);
            out.end();
            out.flush();
        } catch (IOException | RuntimeException | Error e) {
            abort(e);
            throw e;
        } finally {
            out.close();
            releaseAll();
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        Log.SYS.debug("checkpoint done: {} bytes, {} records, {} pages, {} zero pages skipped in {}",
                out.bytes(), out.records(), pagesWritten, zeroPagesSkipped, elapsed);
        return new CheckpointResult(head.checkpointId(), out.bytes(), out.records(), pagesWritten, zeroPagesSkipped,
                cleanPagesSkipped, elapsed, pagesFromParent, tail, null);
    }

    /**
     * The rules a restart under this policy applies to what the tasks hold — task fields,
     * CPU state (the provider's check), address-space layouts and areas — before anything is
     * written, with the restart's messages.
     */
    private void validate(List<Task> tasks) throws CheckpointException {
        if (tasks.size() > limits.maxTasks()) {
            throw new CheckpointException(tasks.size() + " tasks exceed maxTasks " + limits.maxTasks());
        }
        Set<AddressSpace> checked = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < tasks.size(); i++) {
            Task t = tasks.get(i);
            CheckpointException problem = Records.taskProblem(t, limits.maxCommLength());
            if (problem == null && !t.info().isEmpty()) {
                problem = Records.infoProblem(t.info(), limits.maxStringLength());
            }
            if (problem != null) {
                throw problem.addTrace(where(i, t));
            }
            if (t.mm() != null && checked.add(t.mm())) {
                problem = AddressSpaceOps.problem(t.mm(), head.pageSize(), addressLimit, limits.maxVmas());
                if (problem != null) {
                    throw problem.addTrace("mm").addTrace(where(i, t));
                }
            }
            if (t.extensions().size() > limits.maxObjects()) {
                throw new CheckpointException(t.extensions().size() + " extensions exceed maxObjects "
                        + limits.maxObjects()).addTrace(where(i, t));
            }
            for (int k = 0; k < t.extensions().size(); k++) {
                Object o = t.extensions().get(k);
                if (o instanceof AddressSpace || o instanceof FileTable) {
                    throw new CheckpointException("an " + o.getClass().getSimpleName()
                            + " is a task's mm or files, not an extension").addTrace("extension " + k)
                            .addTrace(where(i, t));
                }
            }
            CpuState cpu = t.cpu();
            if (cpu != null && arch == null) {
                throw new CheckpointException("no ArchProvider for architecture '" + head.architecture()
                        + "' available: a task with CPU state needs it (known: " + registry.architectures() + ")")
                        .addTrace(where(i, t));
            }
            if (cpu != null) {
                if (!arch.architectures().contains(cpu.architecture())
                        || !cpu.architecture().equals(head.architecture())) {
                    throw new CheckpointException("CPU state of architecture '" + cpu.architecture()
                            + "' in an image of architecture '" + head.architecture() + "'").addTrace(where(i, t));
                }
                try {
                    arch.check(cpu, this);
                } catch (ImageException e) {
                    // The restart's own message, trail included: what it would refuse, refused here.
                    throw new CheckpointException(e.getMessage(), e).addTrace("cpu").addTrace(where(i, t));
                }
            }
        }
    }

    private static String where(int i, Task t) {
        return "task " + i + " (pid " + t.pid() + ")";
    }

    private void abort(Throwable cause) {
        if (out.broken() || cause instanceof InterruptedIOException) {
            // The channel failed or the checkpoint was interrupted: the image stays a prefix of
            // whole or cut records, which reads as truncated; nothing may follow it.
            return;
        }
        try {
            out.discardOpen();
            String msg = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            Records.writeError(out.begin(RecordTypes.ERROR), msg, limits.maxStringLength());
            out.end();
            out.flush();
            Log.SYS.debug("checkpoint aborted, error record written: {}", msg);
        } catch (IOException | RuntimeException e) {
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
        long[] ext = t.extensions().isEmpty() ? NO_OBJREFS : new long[t.extensions().size()];
        for (int i = 0; i < ext.length; i++) {
            try {
                ext[i] = checkpointObject(t.extensions().get(i));
            } catch (CheckpointException e) {
                throw e.addTrace("extension " + i);
            }
        }
        taskMms.add(mm);
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
        if (!t.info().isEmpty()) {
            Records.writeTaskInfo(out.begin(RecordTypes.TASK_INFO, RecordOutput.FLAG_OPTIONAL), t.info());
            out.end();
        }
        if (Log.SYS.isDebugEnabled()) {
            Log.SYS.debug("TASK pid {} ({}) mm objref {} files objref {} at offset {}", t.pid(), t.comm(), mm, files,
                    out.lastRecordStart());
        }
        if (t.cpu() != null) {
            try {
                arch.checkpointCpu(t.cpu(), this);
                out.end();
            } catch (CheckpointException e) {
                throw e.addTrace("cpu");
            }
        }
    }

    /**
     * Writes {@code object} (after everything it refers to) unless it has been written, and
     * returns its objref. Iterative: a chain of objects costs heap, not stack; the walk's
     * frames and the references it collects live in arrays reused for every object.
     */
    @Override
    public long checkpointObject(Object object) throws IOException {
        if (object == null) {
            return 0;
        }
        long known = objrefs.get(object);
        if (known > 0) {
            return known;
        }
        if (writing > 0) {
            throw new IllegalStateException("an ObjectOps referenced " + object.getClass().getName()
                    + " while writing its own records without listing it in forEachReference");
        }
        int bottom = depth;
        int refBottom = refTop;
        push(object, null);
        boolean done = false;
        try {
            while (depth > bottom) {
                int f = depth - 1;
                if (frameOps[f] == null) {
                    enter(f);
                }
                if (refNext[f] < refTo[f]) {
                    int i = refNext[f]++;
                    Object ref = refObject[i];
                    if (ref != null && objrefs.get(ref) <= 0) {
                        push(ref, refLabel[i]);
                    }
                    continue;
                }
                write(frameOps[f], frameObject[f]);
                pop();
            }
            done = true;
        } catch (CheckpointException e) {
            for (int f = depth - 1; f >= bottom; f--) {
                if (frameLabel[f] != null) {
                    e.addTrace(frameLabel[f]);
                }
            }
            throw e;
        } finally {
            if (!done) {
                // Objects whose references were being written are not written: forget them.
                while (depth > bottom) {
                    if (objrefs.get(frameObject[depth - 1]) == IN_PROGRESS) {
                        objrefs.put(frameObject[depth - 1], 0);
                    }
                    pop();
                }
                refTop = refBottom;
            }
        }
        return objrefs.get(object);
    }

    /** The objref value of an object whose references are being written. */
    private static final long IN_PROGRESS = -1;
    private static final long[] NO_OBJREFS = {};

    private void push(Object object, String label) {
        if (depth == frameObject.length) {
            int n = depth * 2;
            frameObject = Arrays.copyOf(frameObject, n);
            frameLabel = Arrays.copyOf(frameLabel, n);
            frameOps = Arrays.copyOf(frameOps, n);
            refFrom = Arrays.copyOf(refFrom, n);
            refTo = Arrays.copyOf(refTo, n);
            refNext = Arrays.copyOf(refNext, n);
        }
        frameObject[depth] = object;
        frameLabel[depth] = label;
        frameOps[depth] = null;
        depth++;
    }

    private void pop() {
        int f = --depth;
        if (frameOps[f] != null) {
            for (int i = refFrom[f]; i < refTo[f]; i++) {
                refObject[i] = null;
                refLabel[i] = null;
            }
            refTop = refFrom[f];
        }
        frameObject[f] = null;
        frameLabel[f] = null;
        frameOps[f] = null;
    }

    private void enter(int f) throws CheckpointException {
        Object object = frameObject[f];
        ObjectOps<?> ops = registry.opsForClass(object.getClass());
        if (ops == null) {
            throw new CheckpointException("no ObjectOps handles " + object.getClass().getName()
                    + ": add the provider for it (a META-INF/services/org.ckpt.spi.ObjectOps entry,"
                    + " a module 'provides org.ckpt.spi.ObjectOps', or the builder's register)");
        }
        if (objrefs.get(object) == IN_PROGRESS) {
            throw new CheckpointException("reference cycle through a " + ops.typeName() + " object ("
                    + object.getClass().getName() + ")");
        }
        objrefs.put(object, IN_PROGRESS);
        refFrom[f] = refTop;
        collect(ops, object);
        refTo[f] = refTop;
        refNext[f] = refFrom[f];
        frameOps[f] = ops;
    }

    @SuppressWarnings("unchecked")
    private <T> void collect(ObjectOps<T> ops, Object object) {
        ops.forEachReference((T) object, collector);
    }

    private void addReference(String label, Object ref) {
        if (refTop == refObject.length) {
            refObject = Arrays.copyOf(refObject, refTop * 2);
            refLabel = Arrays.copyOf(refLabel, refTop * 2);
        }
        refObject[refTop] = ref;
        refLabel[refTop] = label;
        refTop++;
    }

    @SuppressWarnings("unchecked")
    private <T> void write(ObjectOps<T> ops, Object object) throws IOException {
        T obj = (T) object;
        if (objects >= limits.maxObjects()) {
            throw new CheckpointException("more than maxObjects " + limits.maxObjects() + " objects");
        }
        long ref = nextObjref++;
        objrefs.put(obj, ref);
        objects++;
        ops.grab(obj);
        if (grabbedSize == grabbed.length) {
            grabbed = Arrays.copyOf(grabbed, grabbedSize * 2);
        }
        grabbed[grabbedSize++] = ops;
        grabbed[grabbedSize++] = obj;
        PayloadWriter body = out.begin(RecordTypes.OBJECT);
        body.u64(ref).shortString(ops.typeName());
        if (Log.OBJ.isDebugEnabled()) {
            Log.OBJ.debug("OBJECT objref {} type {} at offset {}", ref, ops.typeName(), out.bytes());
        }
        writing++;
        ObjectOps<?> outer = hostWriting;
        // The core's object types define records of their own (mm: VMA, PAGES...); their ops may
        // be wrapped (the testkit's probe) or replaced by a host, so the type name decides.
        String type = ops.typeName();
        hostWriting = type.equals(AddressSpaceOps.TYPE) || type.equals(FileTableOps.TYPE)
                || type.equals(GenericFileOps.TYPE) ? null : ops;
        try {
            ops.checkpoint(obj, this, body);
            out.end();
        } catch (PayloadBuffer.PayloadTooLargeException e) {
            throw new CheckpointException(ops.typeName() + " object: " + e.getMessage());
        } finally {
            writing--;
            hostWriting = outer;
        }
    }

    /** Releases every grabbed object, the last grabbed first. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private void releaseAll() {
        while (grabbedSize > 0) {
            Object obj = grabbed[--grabbedSize];
            ObjectOps ops = (ObjectOps) grabbed[--grabbedSize];
            grabbed[grabbedSize] = null;
            grabbed[grabbedSize + 1] = null;
            ops.release(obj);
        }
    }

    /**
     * The largest window of pages the writer fills into one staging buffer on either thread: its
     * records (at worst one per two pages, each with its header and padding) must fit the buffer.
     */
    private static final long PARALLEL_WINDOW_MAX = 1 << 20;
    /**
     * The smallest: a window is a staging buffer, a write and a hand-over between the threads (a
     * small maxRecordSize, one page per record, made every page one: 4099 writes for 16 MiB).
     */
    private static final long PARALLEL_WINDOW_MIN = 256 << 10;
    /** Image bytes between two progress reports. */
    private static final long PROGRESS_EVERY = 8L << 20;

    /**
     * Writes the non-zero pages of one host run as PAGES records in one pass over the host's
     * memory: each page is compared with a zero page (vectorised, no allocation) and, if it is
     * not zero, copied at once into the staging buffer (for a stable run, maybe at sealing:
     * below), where it is checksummed. In a private file-backed area a missing page means "as
     * in the file", so there dirty zero pages are written too ({@code keepZero}). A run of two
     * windows or more may be written by both threads
     * ({@link ImageWriter#pagesInParallel}), the same bytes. A host's own run is not referenced
     * after this returns.
     */
    void writePageRun(long address, ByteBuffer bytes, boolean skipAsClean, boolean keepZero) throws IOException {
        writePageRun(address, bytes, skipAsClean, keepZero, false);
    }

    /**
     * {@link #writePageRun(long, ByteBuffer, boolean, boolean)}; with {@code stableRuns} the run
     * is of a {@link StableRuns} page data, whose heap pages may be copied when their staging
     * buffer is sealed ({@link ImageWriter#stableSource}) rather than before this returns.
     */
    void writePageRun(long address, ByteBuffer bytes, boolean skipAsClean, boolean keepZero, boolean stableRuns)
            throws IOException {
        int ps = head.pageSize();
        int pages = bytes.remaining() / ps;
        if (skipAsClean) {
            cleanPagesSkipped += pages;
            return;
        }
        long window = (long) pagesPerRecord * ps;
        if (pages >= 2 * pagesPerRecord && window >= PARALLEL_WINDOW_MIN && window <= PARALLEL_WINDOW_MAX
                && out.parallelPages(bytes.remaining())) {
            // One phase for the whole run, progress reported from inside it: at a phase's end one thread
            // waits while the other writes the last window, and both start again (mem-1g, runs of 32 MiB,
            // ckptToFile with phases of 8 MiB 111.1 and 118.7 ms, one phase a run 89.4 and 90.4: bench/run
            // --quick --workloads mem-1g --ops ckptToFile,rawWrite[,ckptToNull], alternated).
            long bytesBefore = out.bytes();
            long pagesBefore = pagesWritten;
            ImageWriter.RunProgress inRun = progress == null ? null : (b, p) -> {
                long since = bytesBefore + b - lastProgressBytes;
                if (since >= PROGRESS_EVERY) {
                    // Every 8 MiB of the run, however many windows a report comes late.
                    lastProgressBytes += since - since % PROGRESS_EVERY;
                    progress.progress(tasksDone, head.taskCount(), bytesBefore + b, pagesBefore + p);
                }
            };
            long[] c = out.pagesInParallel(address, bytes, ps, window, keepZero, zeroPage, inRun);
            pagesWritten += c[0];
            zeroPagesSkipped += c[1];
            progress(false);
            return;
        }
        ByteBuffer page = bytes.duplicate();
        ByteBuffer zero = zeroPage.duplicate();
        int base = bytes.position();
        boolean open = false;
        if (stableRuns && !bytes.isDirect()) {
            out.stableSource(bytes);
        }
        try {
            for (int i = 0; i < pages; i++) {
                page.limit(base + (i + 1) * ps).position(base + i * ps);
                if (!keepZero && page.mismatch(zero) < 0) {
                    zeroPagesSkipped++;
                    if (open) {
                        closeRecord();
                        open = false;
                    }
                    continue;
                }
                if (open && Long.remainderUnsigned(address + (long) i * ps, window) == 0) {
                    // Records end at multiples of their largest size, so that the windows between can be
                    // filled independently (and an image does not depend on where the host's runs begin).
                    closeRecord();
                    open = false;
                }
                if (!open) {
                    out.pagesBegin(address + (long) i * ps, ps);
                    open = true;
                }
                out.pagesAppend(page);
                if (out.pagesCount() == pagesPerRecord) {
                    closeRecord();
                    open = false;
                }
            }
            if (open) {
                closeRecord();
                open = false;
            }
        } finally {
            out.stableSource(null);
            if (open) {
                out.discardOpen();
            }
        }
    }

    /**
     * The page records of one area, right after its VMA: a plain image's, or an incremental
     * image's and those with digests (IncrementalWriter). Notes the area for {@link #parentIndex}.
     */
    void writeAreaPages(org.ckpt.model.AddressSpace mm, org.ckpt.model.Vma v) throws IOException {
        DigestIndex digests = null;
        if (incremental != null) {
            digests = incremental.writeArea(v, currentTask);
        } else {
            AddressSpaceOps.writePages(this, v);
        }
        boolean zeroAbsent = v.file() == null || v.isShared();
        mmAreas.computeIfAbsent(objrefs.get(mm), k -> new ArrayList<>())
                .add(new ParentIndex.Area(v.start(), v.end(), zeroAbsent, digests));
    }

    void countZero(int pages) {
        zeroPagesSkipped += pages;
    }

    void countClean(int pages) {
        cleanPagesSkipped += pages;
    }

    /** Pages a PAGE_RUNS record carried (IncrementalWriter stages it through {@link #imageWriter}). */
    void countWritten(int pages) {
        pagesWritten += pages;
        progress(false);
    }

    ImageWriter imageWriter() {
        return out;
    }

    void countFromParent(long pages) {
        pagesFromParent += pages;
    }

    private void closeRecord() throws IOException {
        pagesWritten += out.pagesCount();
        out.pagesEnd();
        progress(false);
    }

    private void progress(boolean force) {
        if (progress != null && (force || out.bytes() - lastProgressBytes >= PROGRESS_EVERY)) {
            lastProgressBytes = out.bytes();
            progress.progress(tasksDone, head.taskCount(), out.bytes(), pagesWritten);
        }
    }

    /** The highest address an area may end at under this checkpoint's policy (unsigned). */
    long addressLimit() {
        return addressLimit;
    }

    @Override
    public Direction direction() {
        return Direction.CHECKPOINT;
    }

    @Override
    public RestorePolicy policy() {
        return policy;
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
        return out == null ? 0 : out.bytes();
    }

    @Override
    public long records() {
        return out == null ? 0 : out.records();
    }

    @Override
    public RecordOutput output() {
        if (hostWriting == null) {
            return out;
        }
        if (hostOutput == null) {
            hostOutput = new HostRecords();
        }
        return hostOutput;
    }

    /**
     * What a host's ops may write after its OBJECT: OBJECT_DATA records only (FORMAT §6.4 H1, H4).
     * Any other type has a meaning of its own to every reader, so writing it would give an image
     * that restarts as something else or not at all; the checkpoint refuses it instead.
     */
    private final class HostRecords implements RecordOutput {
        @Override
        public PayloadWriter begin(int type, int flags) throws IOException {
            if (type != RecordTypes.OBJECT_DATA) {
                throw new CheckpointException(hostWriting.typeName() + " object: its ops began a record of type "
                        + RecordTypes.name(type) + "; a host object's continuation is OBJECT_DATA records only"
                        + " (FORMAT §6.4 H4)");
            }
            return out.begin(type, flags);
        }

        @Override
        public void end() throws IOException {
            out.end();
        }
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
        return anyTarget;
    }
}
