package org.ckpt.internal;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import javax.crypto.SecretKey;
import org.ckpt.ImageEncryption;
import org.ckpt.ImageInfo;
import org.ckpt.ImageObject;
import org.ckpt.ImageRecord;
import org.ckpt.ImageSeal;
import org.ckpt.PageDestination;
import org.ckpt.ProgressListener;
import org.ckpt.RestartResult;
import org.ckpt.model.Task;
import org.ckpt.spi.ArchHead;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.DecryptionException;
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
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.SealException;
import org.ckpt.spi.TargetCpu;
import org.ckpt.spi.UnsupportedImageException;

/**
 * One restart: reads and verifies the whole image into the model ({@link #readImage}), then
 * runs the architecture check phase ({@link #checkedResult}) — committing nothing anywhere.
 */
public final class RestartSession implements CkptContext {
    /**
     * How the channel is read, what the restart trusts and can decrypt, and whether a seal's
     * hash may run on a thread of its own.
     */
    public record Options(Duration stallTimeout, boolean mapImmutableFiles, Trust trust, boolean hashThread) {
        public Options(Duration stallTimeout, boolean mapImmutableFiles) {
            this(stallTimeout, mapImmutableFiles, Trust.NONE, true);
        }
    }

    /**
     * The host's trust configuration (docs/FORMAT.md §17): with any {@code trusted} key, only
     * images sealed by one of them are accepted; {@code decryption} keys by key id; an expected
     * checkpoint id and an oldest accepted creation time against replays (null: not checked).
     */
    public record Trust(Map<String, Keys.TrustedKey> trusted, Map<String, Keys.CipherKey> decryption,
                        Long expectedCheckpointId, Instant notOlderThan) {
        public static final Trust NONE = new Trust(Map.of(), Map.of(), null, null);

        public Trust {
            trusted = Map.copyOf(trusted);
            decryption = Map.copyOf(decryption);
        }

        public boolean requiresSeal() {
            return !trusted.isEmpty();
        }

        /** The same keys without the replay checks: for the parents of a chain, older by nature. */
        public Trust withoutReplayChecks() {
            return new Trust(trusted, decryption, null, null);
        }
    }

    /*
     * Heap a restart keeps per thing it restores, charged against Limits.maxRestartHeap: measured
     * retained sizes (objects, map entries, lists) with a margin, so an image cannot make the
     * restart hold much more than the budget whatever it declares.
     */
    static final int COST_RECORD = 64;
    static final int COST_OBJECT = 256;
    static final int COST_TASK = 512;
    static final int COST_VMA = 192;
    static final int COST_PAGE_RUN = 128;

    private final Registry registry;
    private final Limits limits;
    private final String root;
    private final String rootPrefix;
    private final ProgressListener progress;
    private final ImageReader in;
    private final TargetCpu requestedTarget;
    private final RestorePolicy requestedPolicy;
    private final PageDestination pages;
    private LongMap<ImageObject> objects = new LongMap<>(16);
    private List<Task> imageTasks = List.of();
    private ImageInfo head;
    private ArchProvider arch;
    private ArchHead archHead;
    private TargetCpu target;
    private RestorePolicy policy;
    private long addressLimit;
    private long pagesRead;
    private long lastProgressBytes;
    private int tasksDone;
    private boolean pagesAllocated;
    private RestartResult imageResult;
    private long started;
    private long currentObjref;
    // Chains (docs/FORMAT.md §15): this image's PARENT, the verified parent it resolves against,
    // an index-only read (ParentImage), the heap budget shared by the chain, the verified tail.
    private org.ckpt.ParentLink parentLink;
    private long parentAt = -1;
    private RestartSession parent;
    private boolean indexOnly;
    private boolean hashPages;
    private final Map<Long, Map<Long, DigestIndex.Builder>> digests = new HashMap<>();
    private final Map<Long, Map<Long, DigestIndex.Builder>> hashed = new HashMap<>();
    private final Map<org.ckpt.model.Vma, Slices> sliceIndex = new java.util.IdentityHashMap<>();
    private boolean indexesSlices;
    private long[] budget = new long[1];
    private org.ckpt.ImageTail tail;
    private boolean prologueRead;
    private final Trust trust;
    private final boolean hashThread;
    private ImageSeal seal;
    private ImageEncryption encryption;

    /**
     * @param target what the restart target runs, or {@code null} for the in-memory model (every feature)
     * @param policy the target's policy, or {@code null} for the image's own
     */
    public RestartSession(Registry registry, Limits limits, String root, ProgressListener progress,
                          ReadableByteChannel channel, TargetCpu target, RestorePolicy policy, PageDestination pages,
                          Options options) throws IOException {
        this.registry = registry;
        this.limits = limits;
        this.root = PosixPaths.normalizeRoot(root);
        this.rootPrefix = PosixPaths.prefix(this.root);
        this.progress = progress;
        this.in = new ImageReader(channel, limits.maxRecordSize(), limits.maxStringLength(), options.stallTimeout(),
                options.mapImmutableFiles());
        this.requestedTarget = target;
        this.requestedPolicy = policy;
        this.pages = pages;
        this.trust = options.trust();
        this.hashThread = options.hashThread();
    }

    /** After {@link #readImage}: the image's seal, or null if it has none. */
    public ImageSeal seal() {
        return seal;
    }

    /** After {@link #readImage}: how the image is encrypted, or null if it is not. */
    public ImageEncryption encryption() {
        return encryption;
    }

    /** For inspection tools: told of every record as it is read (see {@link ImageRecord}). */
    public void recordListener(Consumer<ImageRecord> listener) {
        in.recordListener(listener);
    }

    /** After {@link #readImage}: every object read, in image order. */
    public List<ImageObject> objects() {
        List<ImageObject> list = new ArrayList<>(objects.size());
        objects.forEach(list::add);
        list.sort(Comparator.comparingLong(ImageObject::offset));
        return List.copyOf(list);
    }

    /** After {@link #readImage}: the image as read, tasks before the check phase; null before. */
    public RestartResult imageResult() {
        return imageResult;
    }

    /** Reads, verifies and checks the whole image. */
    public RestartResult run() throws IOException {
        readImage();
        return checkedResult();
    }

    /**
     * Reads only what a child checkpoint needs of this image as a parent (ParentImage): every
     * record is verified, runs taken from the parent are not resolved, page bytes are not kept, and the
     * digests come from PAGE_DIGESTS or — in a full image, if {@code hash} — from the page bytes.
     */
    public void indexOnly(boolean hash) {
        indexOnly = true;
        hashPages = hash;
    }

    /** The chain's sessions share one heap budget: this one charges {@code first}'s. */
    public void shareBudget(RestartSession first) {
        budget = first.budget;
    }

    private AddressSpaceOps.RunTable runTable;

    /** The run table of a PAGE_RUNS record of {@code runs} runs (one buffer, reused). */
    AddressSpaceOps.RunTable runTable(int runs) {
        if (runTable == null) {
            runTable = new AddressSpaceOps.RunTable();
        }
        return runTable.reset(runs);
    }

    /** The verified parent whose model this image's runs taken from the parent (PAGE_RUNS, PAGES_PARENT) resolve against. */
    public void parent(RestartSession p) {
        parent = p;
    }

    /** After the prologue: what this image's PARENT record says, or null for a full image. */
    public org.ckpt.ParentLink parentLink() {
        return parentLink;
    }

    /** Image offset of this image's PARENT record, or -1. */
    public long parentRecordOffset() {
        return parentAt;
    }

    /** After the prologue: the head as read. */
    public ImageInfo head() {
        return head;
    }

    /** After the body: the verified tail. */
    public org.ckpt.ImageTail tail() {
        return tail;
    }

    /** After {@link #readImage} in index-only mode: the image as a parent. */
    public ParentIndex parentIndex() {
        java.util.IdentityHashMap<Object, Long> refs = new java.util.IdentityHashMap<>();
        objects.forEach(o -> refs.put(o.object(), o.objref()));
        long[] taskMms = new long[imageTasks.size()];
        Map<Long, List<ParentIndex.Area>> mms = new java.util.LinkedHashMap<>();
        for (int i = 0; i < taskMms.length; i++) {
            org.ckpt.model.AddressSpace mm = imageTasks.get(i).mm();
            if (mm == null) {
                continue;
            }
            long ref = refs.get(mm);
            taskMms[i] = ref;
            if (mms.containsKey(ref)) {
                continue;
            }
            Map<Long, DigestIndex.Builder> recorded = digests.getOrDefault(ref, Map.of());
            Map<Long, DigestIndex.Builder> computed = parentLink == null ? hashed.getOrDefault(ref, Map.of()) : Map.of();
            List<ParentIndex.Area> areas = new ArrayList<>();
            for (org.ckpt.model.Vma v : mm.vmas()) {
                DigestIndex.Builder d = recorded.get(v.start());
                if (d == null && hashPages && parentLink == null) {
                    d = computed.getOrDefault(v.start(), new DigestIndex.Builder());
                }
                areas.add(new ParentIndex.Area(v.start(), v.end(), v.file() == null || v.isShared(),
                        d == null ? null : d.build()));
            }
            mms.put(ref, areas);
        }
        return new ParentIndex(taskMms, mms);
    }

    /** Index-only reads: whether the image is full and some area has no recorded digests (so a hashing pass gives them). */
    public boolean needsHashing() {
        if (parentLink != null) {
            return false;
        }
        for (Task t : imageTasks) {
            if (t.mm() == null) {
                continue;
            }
            for (ImageObject o : objects()) {
                if (o.object() == t.mm()) {
                    Map<Long, DigestIndex.Builder> rec = digests.getOrDefault(o.objref(), Map.of());
                    for (org.ckpt.model.Vma v : t.mm().vmas()) {
                        if (!rec.containsKey(v.start())) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    /**
     * Reads and verifies the whole image, tail included, without the check phase. On failure
     * the page destination is told to release what it handed out.
     */
    public void readImage() throws IOException {
        if (!prologueRead) {
            readPrologue();
        }
        readBody();
    }

    /** Reads magic, HEAD, ARCH_HEAD and PARENT (if any). Allocates no page buffer. */
    public void readPrologue() throws IOException {
        started = System.nanoTime();
        prologueRead = true;
        try {
            prologue();
        } catch (InternalError e) {
            in.close();
            if (!in.isMapped()) {
                throw e;
            }
            throw in.fileChanged(e);
        } catch (IOException | RuntimeException | Error e) {
            in.close();
            throw e;
        }
    }

    /**
     * Stops reading the image (the read-ahead thread, if any, ends and its buffers return to
     * the pool): for a session whose body is not read after its prologue (a chain that failed
     * elsewhere). {@link #readBody} does it itself; closing twice is harmless.
     */
    public void close() {
        in.close();
    }

    /** Reads the rest of the image, tail included; for a child, its parent must have been read and set. */
    public void readBody() throws IOException {
        try {
            if (parentLink == null && !indexOnly && in.readPagesInParallel()) {
                Log.RW.debug("page bytes of large PAGES records read on a thread of their own");
            }
            read();
        } catch (InternalError e) {
            // A fault on a mapped image file surfaces asynchronously, possibly outside the guarded copies.
            if (!in.isMapped()) {
                in.settle(e);
                release(e);
                throw e;
            }
            ImageException ie = in.fileChanged(e);
            release(ie);
            throw ie;
        } catch (IOException | RuntimeException | Error e) {
            // The page reads still running end first: then nothing writes the page destination.
            Throwable first = in.settle(e);
            release(first);
            IoThreads.raise(first);
        } finally {
            in.close();
        }
    }

    private void release(Throwable failure) {
        try {
            in.abandonHash();
        } catch (java.io.InterruptedIOException e) {
            failure.addSuppressed(e);
            Thread.currentThread().interrupt();
        }
        if (pagesAllocated) {
            pagesAllocated = false;
            try {
                pages.release(failure);
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }

    private void prologue() throws IOException {
        if (trust.requiresSeal()) {
            in.hashForSeal(hashThread);
        }
        in.readMagic();
        long headAt = in.recordOffset();
        head = Records.readHead(in.next(RecordTypes.HEAD), limits);
        checkReplay(trust, head, headAt);
        policy = requestedPolicy != null ? requestedPolicy : head.policy();
        // Sized for the tasks the head announces, within a bound (a head's claim costs little until objects arrive).
        objects = new LongMap<>((int) Math.min(16_384, 64 + 16L * head.taskCount()));
        boolean noArch = (head.flags() & ImageInfo.FLAG_NO_ARCH) != 0;
        if (noArch) {
            // Tasks without CPU state, written without a provider: read without one, limits of the name.
            addressLimit = KnownArchitectures.addressLimit(head.architecture(), policy);
            PayloadReader ah = in.next(RecordTypes.ARCH_HEAD);
            if (ah.remaining() != 0) {
                throw new InvalidImageException("ARCH_HEAD", in.recordOffset(), "an image with head flag NO_ARCH"
                        + " has an ARCH_HEAD of " + ah.remaining() + " bytes; it must be empty");
            }
        } else {
            arch = registry.arch(head.architecture());
            if (arch == null) {
                throw new UnsupportedImageException("HEAD", in.recordOffset(), "no ArchProvider for architecture '"
                        + head.architecture() + "' available (known: " + registry.architectures() + ")");
            }
            addressLimit = arch.addressLimit(head.architecture(), policy);
            in.archTypes(arch.recordTypes());
            archHead = arch.readArchHead(head.architecture(), in.next(RecordTypes.ARCH_HEAD));
        }
        head = new ImageInfo(head.formatMajor(), head.formatMinor(), head.flags(), head.checkpointId(),
                head.created(), head.pageSize(), head.taskCount(), head.producerName(), head.producerVersion(),
                head.architecture(), archHead, head.uname());
        byte[] headDigest = in.headDigest();
        boolean encrypted = (head.flags() & ImageInfo.FLAG_ENCRYPTED) != 0;
        if (encrypted) {
            encryption = openCipher(in, trust, headDigest, true);
        }
        target = requestedTarget != null ? requestedTarget : TargetCpu.anyFeatures(head.architecture());
        if (noArch ? !target.architecture().equals(head.architecture()) : registry.arch(target.architecture()) != arch) {
            throw new UnsupportedImageException("HEAD", 0, "an image of architecture '" + head.architecture()
                    + "' cannot restart on a target of architecture '" + target.architecture() + "'");
        }
        Log.SYS.debug("restart {} of {} task(s), arch {}, page size {}, policy {}",
                Long.toHexString(head.checkpointId()), head.taskCount(), head.architecture(), head.pageSize(), policy);
        if (in.peekType() == RecordTypes.PARENT) {
            parentAt = in.recordOffset();
            charge(COST_RECORD, "PARENT");
            parentLink = Records.readParent(in.next(RecordTypes.PARENT), head, limits);
        }
    }

    private void read() throws IOException {
        if (parentLink != null && parent == null && !indexOnly) {
            throw new UnsupportedImageException("PARENT", parentAt, "an incremental image: its parent, checkpoint 0x"
                    + Long.toHexString(parentLink.checkpointId()) + ", is needed to restart it (give the Restarter a"
                    + " ParentResolver: Restarter.Builder.parents)");
        }

        List<Task> tasks = new ArrayList<>();
        End end = new End(in, trust, head, (head.flags() & ImageInfo.FLAG_ENCRYPTED) != 0);
        loop:
        while (true) {
            int type = in.peekType();
            end.before(type);
            switch (type) {
                case RecordTypes.OBJECT -> readObject();
                case RecordTypes.TASK -> {
                    long at = in.recordOffset();
                    if (tasks.size() == head.taskCount()) {
                        throw new InvalidImageException("TASK", at,
                                "more tasks than the " + head.taskCount() + " the head announces");
                    }
                    in.enter(ImageReader.TRAIL_TASK, tasks.size(), null);
                    try {
                        tasks.add(readTask());
                    } catch (ImageException e) {
                        throw e.addTrace(ImageReader.trailLabel(ImageReader.TRAIL_TASK, tasks.size(), null));
                    } finally {
                        in.leave();
                    }
                    tasksDone++;
                    progress(true);
                }
                case RecordTypes.CIPHER -> end.closingCipher();
                case RecordTypes.SEAL -> seal = end.seal();
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
        tail = new org.ckpt.ImageTail(records, bytes, (int) crc);
        if (tasks.size() != head.taskCount()) {
            throw new InvalidImageException("TAIL", bytes,
                    "the head announces " + head.taskCount() + " tasks, the image holds " + tasks.size());
        }
        imageTasks = List.copyOf(tasks);
        imageResult = new RestartResult(head, imageTasks, in.offset(), in.records(), pagesRead,
                Duration.ofNanos(System.nanoTime() - started));
    }

    /**
     * The check phase over what {@link #readImage} read: the tasks as the policy's rules
     * return them. On failure the page destination is released.
     */
    public RestartResult checkedResult() throws ImageException {
        List<Task> out = new ArrayList<>(imageTasks.size());
        for (int i = 0; i < imageTasks.size(); i++) {
            Task t = imageTasks.get(i);
            if (t.cpu() != null && arch != null) {
                try {
                    CpuState sane = arch.check(t.cpu(), this);
                    if (sane == null) {
                        throw new IllegalStateException(arch.getClass().getName() + ".check returned null");
                    }
                    if (sane != t.cpu()) {
                        t = t.toBuilder().cpu(sane).build();
                    }
                } catch (ImageException e) {
                    e.addTrace("task " + i + " (pid " + t.pid() + ") \u203a cpu");
                    release(e);
                    throw e;
                }
            }
            out.add(t);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        Log.SYS.debug("restart verified: {} bytes, {} records, {} pages in {}", in.offset(), in.records(), pagesRead,
                elapsed);
        return new RestartResult(head, out, in.offset(), in.records(), pagesRead, elapsed);
    }

    private Task readTask() throws IOException {
        long taskAt = in.recordOffset();
        charge(COST_TASK + in.recordLength(), "TASK");
        Records.TaskRecord tr = Records.readTask(in.next(RecordTypes.TASK), this);
        Task.Builder t = tr.task();
        if (in.peekType() == RecordTypes.TASK_EXT) {
            if (head.formatMinor() < Format.MINOR_TASK_EXT) {
                throw new InvalidImageException("TASK_EXT", in.recordOffset(), "TASK_EXT in a format "
                        + head.formatMajor() + "." + head.formatMinor() + " image (it exists since 1."
                        + Format.MINOR_TASK_EXT + ")");
            }
            charge(COST_RECORD + 2L * in.recordLength(), "TASK_EXT");
            t.extensions(Records.readTaskExt(in.next(RecordTypes.TASK_EXT), this));
        }
        if (in.peekType() == RecordTypes.TASK_INFO) {
            charge(COST_RECORD + 4L * in.recordLength(), "TASK_INFO");
            t.info(Records.readTaskInfo(in.next(RecordTypes.TASK_INFO), limits));
        }
        if (tr.hasCpu() && arch == null) {
            throw new InvalidImageException("TASK", taskAt, "a task with CPU state (TASK flag HAS_CPU) in"
                    + " an image without an architecture head (head flag NO_ARCH)");
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
            t.cpu(cpu);
        }
        Task task = t.build();
        if (Log.SYS.isDebugEnabled()) {
            Log.SYS.debug("TASK pid {} ({}) restored", task.pid(), task.comm());
        }
        return task;
    }

    private void readObject() throws IOException {
        long at = in.recordOffset();
        charge(COST_OBJECT + 2L * in.recordLength(), "OBJECT");
        PayloadCursor body = in.next(RecordTypes.OBJECT);
        long refAt = body.position();
        long objref = body.u64("objref");
        String typeName = body.knownShortString("type_name", 255);
        if (objref == 0) {
            throw new InvalidReferenceException("OBJECT", refAt, "objref 0 is reserved for 'none'");
        }
        ImageObject known = objects.get(objref);
        if (known != null) {
            throw new InvalidReferenceException("OBJECT", refAt, "duplicate objref " + Long.toUnsignedString(objref)
                    + " (already a '" + known.typeName() + "' object)");
        }
        if (objects.size() >= limits.maxObjects()) {
            throw new ImageLimitException("OBJECT", at, "more than maxObjects = " + limits.maxObjects() + " objects");
        }
        ObjectOps<?> ops = registry.opsForName(typeName);
        if (ops == null) {
            throw new UnsupportedImageException("OBJECT", at, "no ObjectOps for object type '" + typeName
                    + "' available: add or register the provider that handles it");
        }
        Object obj;
        currentObjref = objref;
        in.enter(ImageReader.TRAIL_OBJECT, objref, typeName);
        try {
            obj = ops.restore(this, body);
        } catch (ImageException e) {
            throw e.addTrace(ImageReader.trailLabel(ImageReader.TRAIL_OBJECT, objref, typeName));
        } finally {
            in.leave();
        }
        if (obj == null || !ops.type().isInstance(obj)) {
            throw new IllegalStateException(ops.getClass().getName() + ".restore returned "
                    + (obj == null ? "null" : obj.getClass().getName()) + ", not a " + ops.type().getName());
        }
        // The ops' own name: one String per type, not one per object.
        objects.put(objref, new ImageObject(objref, ops.typeName(), at, obj));
        if (Log.OBJ.isDebugEnabled()) {
            Log.OBJ.debug("OBJECT objref {} type {} restored from offset {}", objref, typeName, at);
        }
    }

    /**
     * Counts {@code bytes} of heap against {@code Limits.maxRestartHeap}, before the thing
     * they stand for is read; exceeding the budget is an ImageLimitException at the current record.
     */
    void charge(long bytes, String what) throws ImageLimitException {
        budget[0] += bytes;
        if (budget[0] > limits.maxRestartHeap()) {
            throw new ImageLimitException(in.recordName(), in.recordOffset(), "the restart would hold more than"
                    + " maxRestartHeap = " + limits.maxRestartHeap() + " bytes of metadata and objects (at this "
                    + what + "); raise the limit for images this large");
        }
    }

    /** What image paths are resolved under: the root, with a slash unless it is "/". */
    String rootPrefix() {
        return rootPrefix;
    }

    /** Index-only reads: whether page bytes are hashed as they are read. */
    boolean hashing() {
        return indexOnly && hashPages && parentLink == null;
    }

    boolean isIndexOnly() {
        return indexOnly;
    }

    /** The verified parent of this image, or null. */
    RestartSession parentSession() {
        return parent;
    }

    /** An object of this (verified) image by objref, or null. */
    Object objectAt(long objref) {
        ImageObject o = objects.get(objref);
        return o == null ? null : o.object();
    }

    /** Where the digests of an area read from PAGE_DIGESTS go (index-only reads). */
    DigestIndex.Builder recordedDigests(long mmRef, long areaStart) {
        return digests.computeIfAbsent(mmRef, k -> new HashMap<>()).computeIfAbsent(areaStart,
                k -> new DigestIndex.Builder());
    }

    /** Where the digests hashed from an area's page bytes go (index-only reads of full images). */
    DigestIndex.Builder hashedDigests(long mmRef, long areaStart) {
        return hashed.computeIfAbsent(mmRef, k -> new HashMap<>()).computeIfAbsent(areaStart,
                k -> new DigestIndex.Builder());
    }

    /** This image is a parent in a chain: a child will take slices of its areas' runs. */
    void servesAsParent() {
        indexesSlices = true;
    }

    /** Whether the runs of this image's areas are indexed as they are read (only a parent's are). */
    boolean indexesSlices() {
        return indexesSlices;
    }

    /** Records the index of an area's runs built while its pages were read (see {@link #slices}). */
    void indexSlices(org.ckpt.model.Vma v, Slices index) {
        sliceIndex.put(v, index);
    }

    /** The present runs of one of this image's areas, for slicing by a child (built once per area). */
    Slices slices(org.ckpt.model.Vma v) throws IOException {
        Slices sl = sliceIndex.get(v);
        if (sl == null) {
            sl = Slices.of(v.pages());
            sliceIndex.put(v, sl);
        }
        return sl;
    }

    /** The objref of the object whose ObjectOps is restoring it now. */
    long currentObjref() {
        return currentObjref;
    }

    ImageReader reader() {
        return in;
    }

    PageDestination pageDestination() {
        pagesAllocated = true;
        return pages;
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

    /** The highest address an area may end at under this restart's policy (unsigned). */
    long addressLimit() {
        return addressLimit;
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
        ImageObject o = objects.get(objref);
        if (o == null) {
            throw new InvalidReferenceException(in.recordName(), in.recordOffset(),
                    what + ": dangling objref " + Long.toUnsignedString(objref) + " (no such object before it)");
        }
        if (!type.isInstance(o.object())) {
            throw new InvalidReferenceException(in.recordName(), in.recordOffset(), what + ": objref "
                    + Long.toUnsignedString(objref) + " is a '" + o.typeName() + "' object, expected a "
                    + type.getSimpleName());
        }
        return type.cast(o.object());
    }

    @Override
    public Direction direction() {
        return Direction.RESTART;
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

    // ---- sealed and encrypted images (docs/FORMAT.md §17) ----------------------------------------

    /** Refuses an image that is not the one the host expects (a replay), from its head. */
    static void checkReplay(Trust trust, ImageInfo head, long headAt) throws SealException {
        long payload = headAt + Format.HEADER_SIZE;
        if (trust.expectedCheckpointId() != null && head.checkpointId() != trust.expectedCheckpointId()) {
            throw new SealException(SealException.Kind.REPLAYED, "HEAD", payload + 8, "the image is checkpoint 0x"
                    + Long.toHexString(head.checkpointId()) + ", not the expected 0x"
                    + Long.toHexString(trust.expectedCheckpointId()) + " (an older or another image)");
        }
        if (trust.notOlderThan() != null && head.created().isBefore(trust.notOlderThan())) {
            throw new SealException(SealException.Kind.REPLAYED, "HEAD", payload + 16, "the image was created at "
                    + head.created() + ", before " + trust.notOlderThan() + ", the oldest this restarter accepts");
        }
    }

    /**
     * Reads the opening CIPHER record, which must follow ARCH_HEAD, and makes the reader
     * decrypt every record after it — or, with {@code decrypt} false (a scan), only check that
     * they are encrypted.
     */
    static ImageEncryption openCipher(ImageReader in, Trust trust, byte[] headDigest, boolean decrypt)
            throws IOException {
        long expectedAt = in.offset();
        int t = in.peekType();
        if (t != RecordTypes.CIPHER || in.recordOffset() != expectedAt) {
            throw new InvalidImageException(in.recordName(), in.recordOffset(), "an encrypted image (head flag"
                    + " ENCRYPTED) has its CIPHER record right after ARCH_HEAD, found " + in.recordName());
        }
        long at = in.recordOffset();
        long index = in.recordsBefore();
        byte[] header12 = SealRecords.header12(RecordTypes.CIPHER, in.recordFlags(), in.recordLength());
        SealRecords.CipherHead c = SealRecords.readCipher(in.next(RecordTypes.CIPHER));
        if (!decrypt) {
            in.encryptedRecords(null);
            return new ImageEncryption("AES-256-GCM", c.keyId(), false);
        }
        if (trust.decryption().isEmpty()) {
            throw new DecryptionException(DecryptionException.Kind.NO_KEY, "CIPHER", at, "the image is encrypted"
                    + " (AES-256-GCM, key id '" + c.keyId() + "') and this restarter has no decryption key");
        }
        Keys.CipherKey k = trust.decryption().get(c.keyId());
        if (k == null) {
            throw new DecryptionException(DecryptionException.Kind.UNKNOWN_KEY, "CIPHER", at, "the image is"
                    + " encrypted under key id '" + c.keyId() + "', and this restarter has no decryption key of that"
                    + " id (it has " + String.join(", ", new TreeSet<>(trust.decryption().keySet())) + ")");
        }
        SecretKey dataKey = RecordCipher.unwrap(k.key(), c.wrapped());
        if (dataKey == null) {
            throw new DecryptionException(DecryptionException.Kind.WRONG_KEY, "CIPHER", at, "the decryption key '"
                    + c.keyId() + "' does not unwrap the image's data key: it is not the key the image was"
                    + " encrypted with");
        }
        RecordCipher rc = new RecordCipher(dataKey);
        if (!rc.verifyTag(index, SealRecords.headAad(headDigest, header12, c.prefix()), c.headTag())) {
            throw new DecryptionException(DecryptionException.Kind.TAMPERED, "CIPHER", at, "the clear head of the"
                    + " image (HEAD, ARCH_HEAD) or its CIPHER record was changed after it was encrypted (head tag"
                    + " mismatch)");
        }
        in.encryptedRecords(rc);
        return new ImageEncryption("AES-256-GCM", c.keyId(), true);
    }

    /**
     * The end of an image: the closing CIPHER of an encrypted image, then the SEAL, then the
     * TAIL, each right after the one before, and the rules that tie them to the trust
     * configuration. {@link #before} is told of every record at the top level.
     */
    static final class End {
        private final ImageReader in;
        private final Trust trust;
        private final ImageInfo head;
        private final boolean encrypted;
        private boolean closed;
        private long next = -1;
        private String after;
        private ImageSeal seal;

        End(ImageReader in, Trust trust, ImageInfo head, boolean encrypted) {
            this.in = in;
            this.trust = trust;
            this.head = head;
            this.encrypted = encrypted;
        }

        /** Checks that {@code type}, just peeked at the top level, may come here. */
        void before(int type) throws ImageException {
            if (after != null) {
                boolean allowed = type == RecordTypes.TAIL || (type == RecordTypes.SEAL && "CIPHER".equals(after));
                if (!allowed || in.recordsBefore() != next) {
                    throw new InvalidImageException(in.recordName(), in.recordOffset(), "record "
                            + in.recordName() + (allowed ? " does not follow " + after + " immediately"
                                    : " after " + after + " (only " + ("CIPHER".equals(after) ? "SEAL or " : "")
                                            + "TAIL may follow it)"));
                }
            }
            if (type == RecordTypes.TAIL) {
                if (encrypted && !closed) {
                    throw new DecryptionException(DecryptionException.Kind.TAMPERED, "TAIL", in.recordOffset(),
                            "the encrypted records end without their closing CIPHER record: records at the end of"
                                    + " the image were removed");
                }
                if (trust.requiresSeal() && seal == null) {
                    throw new SealException(SealException.Kind.MISSING, "TAIL", in.recordOffset(), "the image is"
                            + " not sealed, and this restarter accepts only images sealed by a trusted key ("
                            + String.join(", ", new TreeSet<>(trust.trusted().keySet())) + ")");
                }
            }
        }

        /** The closing CIPHER record of an encrypted image: an encrypted empty payload. */
        void closingCipher() throws IOException {
            long at = in.recordOffset();
            if (!encrypted) {
                throw new InvalidImageException("CIPHER", at, "a CIPHER record in an image whose head does not say"
                        + " ENCRYPTED");
            }
            PayloadReader r = in.next(RecordTypes.CIPHER);
            if (r.remaining() != 0 && !in.recordEncrypted()) {
                throw new InvalidImageException("CIPHER", at, "the closing CIPHER record has a payload");
            }
            if (in.recordEncrypted() && in.recordLength() != RecordCipher.TAG_LENGTH) {
                throw new InvalidImageException("CIPHER", at, "the closing CIPHER record encrypts "
                        + (in.recordLength() - RecordCipher.TAG_LENGTH) + " bytes; it encrypts none");
            }
            r.slice("ciphertext", r.remaining());
            closed = true;
            after = "CIPHER";
            next = in.records();
        }

        /** The SEAL record: read, and verified when the restart trusts keys. */
        ImageSeal seal() throws IOException {
            long at = in.recordOffset();
            if (head.formatMinor() < Format.MINOR_SEAL) {
                throw new InvalidImageException("SEAL", at, "SEAL in a format " + head.formatMajor() + "."
                        + head.formatMinor() + " image (it exists since 1." + Format.MINOR_SEAL + ")");
            }
            if (encrypted && !closed) {
                throw new DecryptionException(DecryptionException.Kind.TAMPERED, "SEAL", at, "the encrypted records"
                        + " end without their closing CIPHER record: records at the end of the image were removed");
            }
            SealRecords.Seal s = SealRecords.readSeal(in.next(RecordTypes.SEAL));
            byte[] digest = in.sealDigest(s.prefix());
            boolean verified = false;
            if (trust.requiresSeal()) {
                SealRecords.verify(s, digest, trust.trusted(), at);
                verified = true;
            }
            after = "SEAL";
            next = in.records();
            seal = new ImageSeal(s.algorithmName(), s.keyId(), verified);
            return seal;
        }
    }
}
