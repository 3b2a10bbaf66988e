package org.ckpt;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.crypto.SecretKey;
import org.ckpt.internal.AtomicFiles;
import org.ckpt.internal.Canonical;
import org.ckpt.internal.CheckpointSession;
import org.ckpt.internal.Keys;
import org.ckpt.internal.Registry;
import org.ckpt.model.Task;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.RestorePolicy;

/**
 * Writes tasks as an image, in one sequential pass, to any
 * {@link WritableByteChannel} (a file, a pipe, a socket: nothing is ever seeked
 * back to), or atomically to a file ({@link #checkpoint(List, Path)}). Immutable and
 * thread-safe: each call is an independent checkpoint.
 *
 * <pre>{@code
 * Checkpointer ckpt = Checkpointer.builder().architecture("x86_64").root("/srv/box").build();
 * CheckpointResult r = ckpt.checkpoint(task, Path.of("app.ckpt"));   // temp file, forced, renamed
 * }</pre>
 *
 * <p><b>Consistency.</b> A checkpoint reads the task while it writes, and copies every page it
 * writes before checksumming it, so the image is always self-consistent: its checksums cover
 * exactly the bytes written. A host that changes pages during the checkpoint gets a torn but
 * readable snapshot; a consistent one needs the task paused for the duration of the call.
 *
 * <p><b>Sealing and encryption.</b> With {@link Builder#seal} every image carries a seal — an
 * HMAC-SHA-256 tag or an Ed25519 signature over every byte before it — that a
 * {@link Restarter} configured with {@link Restarter.Builder#trust trusted keys} checks before
 * it commits anything; with {@link Builder#encrypt} the record payloads are AES-256-GCM
 * encrypted under a fresh data key per image (docs/FORMAT.md §17).
 *
 * <p><b>Policy.</b> The checkpoint applies the rules of its {@link Builder#policy restore policy}
 * to every task before it writes the first byte, exactly as a restart under that policy
 * will: a checkpoint that succeeds restarts.
 *
 * @since 0.1 (stable)
 */
public final class Checkpointer {
    /** Name written as the producer into every image. */
    public static final String PRODUCER = "ckpt";
    /** Version written as the producer version into every image. */
    public static final String VERSION = "0.2.0";

    private static final SecureRandom IDS = new SecureRandom();
    /** Format minor of sealed and encrypted images. */
    private static final int SEALED_MINOR = 3;
    private static final Uname ANONYMOUS = new Uname("", "", "", "", "");

    private final Builder b;
    private volatile Registry registry;

    private Checkpointer(Builder b) {
        this.b = b.copy();
    }

    public static Builder builder() {
        return new Builder();
    }

    private Registry registry() {
        Registry r = registry;
        if (r == null) {
            r = Registry.withInstances(Registry.discovered(b.classLoader, b.moduleLayer), b.ops, b.archs);
            registry = r;
        }
        return r;
    }

    /** Checkpoints one task. */
    public CheckpointResult checkpoint(Task task, WritableByteChannel channel) throws IOException {
        return checkpoint(List.of(task), channel);
    }

    /**
     * Checkpoints several tasks into one image; objects they share (address spaces,
     * file tables, open files) are written once and come back shared.
     *
     * <p>The channel must be in blocking mode. A channel that accepts no bytes for
     * {@link Builder#stallTimeout} fails the checkpoint; interrupting the calling thread ends
     * it promptly with an {@link java.io.InterruptedIOException} (and, as for any interruptible
     * channel, closes the channel).
     *
     * @throws CheckpointException if a task cannot be represented or breaks a rule of the
     *                             policy; if writing had begun, the image ends with an error
     *                             record carrying the message (unless the channel itself failed)
     */
    public CheckpointResult checkpoint(List<Task> tasks, WritableByteChannel channel) throws IOException {
        Objects.requireNonNull(channel, "channel");
        List<Task> list = List.copyOf(tasks);
        long id = b.checkpointId != null ? b.checkpointId : IDS.nextLong();
        ParentImage parent = b.parent;
        if (parent != null && b.checkpointId == null) {
            while (id == parent.checkpointId()) {
                id = IDS.nextLong();
            }
        }
        checkParent(parent, id);
        Instant created = b.created != null ? b.created : Instant.now();
        boolean noArch = registry().arch(b.architecture) == null;
        CheckpointSession.Protection protection = new CheckpointSession.Protection(b.sealKey, b.cipherKey);
        int minor = CheckpointSession.formatMinor(list, b.policy, noArch, parent != null);
        long flags = CheckpointSession.headFlags(b.policy, noArch);
        if (protection.any()) {
            minor = Math.max(minor, SEALED_MINOR);
        }
        if (b.cipherKey != null) {
            flags |= ImageInfo.FLAG_ENCRYPTED;
        }
        // The head stays in clear: an encrypted image names no machine unless the host says so.
        Uname uname = b.uname != null ? b.uname : b.cipherKey != null ? ANONYMOUS : Uname.current();
        ImageInfo head = new ImageInfo(1, minor, flags, id, created, b.pageSize, list.size(), b.producerName,
                b.producerVersion, b.architecture, null, uname);
        CheckpointSession session = new CheckpointSession(registry(), head, b.policy, b.limits, b.root, b.progress,
                channel, b.writerThread, b.stallTimeout, protection);
        session.incremental(parent == null ? null : parent.index(), parent == null ? null : parent.link(),
                b.pageDigests);
        CheckpointResult r = session.run(list);
        ParentImage self = new ParentImage(id, r.tail(), parent == null ? 0 : parent.depth() + 1, b.architecture,
                b.pageSize, head.flags(), session.parentIndex());
        return new CheckpointResult(r.checkpointId(), r.bytesWritten(), r.recordsWritten(), r.pagesWritten(),
                r.zeroPagesSkipped(), r.cleanPagesSkipped(), r.elapsed(), r.pagesFromParent(), r.tail(), self);
    }

    /** The rules a chain restart applies to the link, checked before anything is written. */
    private void checkParent(ParentImage parent, long id) throws CheckpointException {
        if (parent == null) {
            return;
        }
        String link = "parent 0x" + Long.toHexString(parent.checkpointId());
        if (!parent.architecture().equals(b.architecture)) {
            throw new CheckpointException(link + " is of architecture '" + parent.architecture()
                    + "', this checkpoint of '" + b.architecture + "'");
        }
        if (parent.pageSize() != b.pageSize) {
            throw new CheckpointException(link + " has page size " + parent.pageSize() + ", this checkpoint "
                    + b.pageSize);
        }
        boolean exact = (parent.flags() & ImageInfo.FLAG_EXACT) != 0;
        if (exact != (b.policy == RestorePolicy.EXACT)) {
            throw new CheckpointException(link + " was written under " + (exact ? "EXACT" : "LINUX_USER")
                    + ", this checkpoint under " + b.policy + ": a chain has one restore policy");
        }
        if (parent.depth() + 1 > b.limits.maxChainDepth()) {
            throw new CheckpointException(link + " is at depth " + parent.depth() + ": a child would exceed"
                    + " maxChainDepth " + b.limits.maxChainDepth() + "; merge the chain (Checkpointer.merge) first");
        }
        if (parent.checkpointId() == id) {
            throw new CheckpointException(link + " has this checkpoint's own id");
        }
    }

    /**
     * Compaction: restarts the image in {@code in} — an incremental image's whole chain, through
     * {@code restarter}'s {@link Restarter.Builder#parents resolver}, verified before anything is
     * used — and writes its tasks to {@code out} as one full image with the head of the last
     * image ({@link Builder#sameHeadAs}), under this checkpointer's other settings (limits,
     * providers, {@link Builder#pageDigests}). CPU states are written as the image holds them.
     *
     * <p>The result is byte for byte a full checkpoint of the same tasks whose host presents
     * each area's pages as maximal runs (a format without host run boundaries cannot say more):
     * merging a chain and merging a full image of its last task give the same bytes.
     *
     * @throws CheckpointException if the restarter's policy refuses the tasks
     * @since 0.3 (evolving)
     */
    public CheckpointResult merge(Restarter restarter, ReadableByteChannel in, WritableByteChannel out)
            throws IOException {
        Objects.requireNonNull(out, "out");
        return merge(restarter.inspect(in, null), out);
    }

    /**
     * {@link #merge(Restarter, ReadableByteChannel, WritableByteChannel)} of an image already read
     * and verified with its chain by {@link Restarter#inspect}: for a tool that shows the chain it
     * merges without reading it twice.
     *
     * @throws CheckpointException if the inspection's policy refused the tasks
     * @since 0.3 (evolving)
     */
    public CheckpointResult merge(Inspection image, WritableByteChannel out) throws IOException {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(out, "out");
        if (image.checkFailure().isPresent()) {
            throw new CheckpointException("the image's tasks do not pass the restore policy: "
                    + image.checkFailure().get().getMessage(), image.checkFailure().get());
        }
        Builder mb = b.copy().sameHeadAs(image.image().info());
        mb.parent = null;
        // The head is written in the clear: an encrypted merge names the machine only if told to,
        // as an encrypted checkpoint does, even when the images merged named it.
        if (b.uname != null) {
            mb.uname = b.uname;
        } else if (b.cipherKey != null) {
            mb.uname = ANONYMOUS;
        }
        Checkpointer merged = new Checkpointer(mb);
        List<Task> tasks = Canonical.tasks(image.imageTasks(), image.image().info().pageSize(),
                CheckpointSession.pagesPerRecord(b.limits, image.image().info().pageSize()));
        return merged.checkpoint(tasks, out);
    }

    /**
     * {@link #merge(Restarter, ReadableByteChannel, WritableByteChannel)} of an image file into
     * {@code out}, atomically (as {@link #checkpoint(List, Path)}). Without a resolver on
     * {@code restarter}, parents are found in the image's directory. {@code out} may be the
     * image itself.
     *
     * @since 0.3 (evolving)
     */
    public CheckpointResult merge(Restarter restarter, Path image, Path out) throws IOException {
        Restarter r = restarter.withDefaultParents(image);
        try (FileChannel in = FileChannel.open(image)) {
            return AtomicFiles.write(out, (FileChannel o) -> merge(r, in, o));
        }
    }

    /** Checkpoints one task atomically into a file; see {@link #checkpoint(List, Path)}. */
    public CheckpointResult checkpoint(Task task, Path file) throws IOException {
        return checkpoint(List.of(task), file);
    }

    /**
     * Checkpoints tasks into {@code file} atomically: the image is written to a temporary file
     * in the same directory, forced to the device, and renamed over {@code file}; the
     * directory is then forced too. Any failure removes the temporary file and leaves a
     * previous image at {@code file} exactly as it was. So restarting {@code app.ckpt} and
     * checkpointing the result back to {@code app.ckpt} is safe. The new file is readable
     * and writable by its owner only ({@code 0600}), as an image holds the task's memory.
     */
    public CheckpointResult checkpoint(List<Task> tasks, Path file) throws IOException {
        List<Task> list = List.copyOf(tasks);
        return AtomicFiles.write(file, (FileChannel out) -> checkpoint(list, out));
    }

    /** Configures a {@link Checkpointer}. Only {@link #architecture} is required. */
    public static final class Builder {
        private String architecture;
        private String root = "/";
        private Limits limits = Limits.DEFAULTS;
        private int pageSize = 4096;
        private ProgressListener progress;
        private ClassLoader classLoader;
        private ModuleLayer moduleLayer;
        private Long checkpointId;
        private Instant created;
        private Uname uname;
        private String producerName = PRODUCER;
        private String producerVersion = VERSION;
        private boolean writerThread = true;
        private RestorePolicy policy = RestorePolicy.LINUX_USER;
        private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;
        private List<ObjectOps<?>> ops = new ArrayList<>();
        private List<ArchProvider> archs = new ArrayList<>();
        private Keys.SealingKey sealKey;
        private Keys.CipherKey cipherKey;
        private ParentImage parent;
        private boolean pageDigests;

        private Builder() {
        }

        private Builder copy() {
            Builder c = new Builder();
            c.sealKey = sealKey;
            c.cipherKey = cipherKey;
            c.architecture = architecture;
            c.root = root;
            c.limits = limits;
            c.pageSize = pageSize;
            c.progress = progress;
            c.classLoader = classLoader != null ? classLoader : defaultLoader();
            c.moduleLayer = moduleLayer;
            c.checkpointId = checkpointId;
            c.created = created;
            c.uname = uname;
            c.producerName = producerName;
            c.producerVersion = producerVersion;
            c.writerThread = writerThread;
            c.policy = policy;
            c.stallTimeout = stallTimeout;
            c.ops = List.copyOf(ops);
            c.archs = List.copyOf(archs);
            c.parent = parent;
            c.pageDigests = pageDigests;
            return c;
        }

        /**
         * Whether the channel is written on a thread of its own, started and ended by each
         * {@code checkpoint} call, so that zero detection and checksums overlap the
         * channel's I/O (and a {@link #seal sealed} image's SHA-256 runs on another, so that it
         * overlaps both). The thread starts once the checkpoint has written its first 8 MiB on
         * the calling thread, or at a run of pages that takes it past that: a smaller checkpoint
         * starts none (the thread's start and hand-overs
         * cost more than the overlap gains: measured, 2-5 times the checkpoint's own time for
         * tasks of 64 KiB to 4 MiB). A run of pages of 2 MiB or more is then scanned, copied and
         * written by both threads, each writing the windows it filled, so the calling thread also
         * writes to the channel: an interrupt takes effect once its write returns, promptly for an
         * interruptible channel (a file, socket or pipe). Default {@code true}; {@code false} does
         * every write and hash on the calling thread (hosts that must not start threads). The image
         * is the same.
         */
        public Builder writerThread(boolean v) {
            writerThread = v;
            return this;
        }

        /**
         * The architecture of the tasks, e.g. {@code "x86_64"}. Its {@code ArchProvider} must be
         * available if any task has CPU state; without one, an image of tasks without CPU state
         * is written with an empty architecture head (docs/FORMAT.md, HEAD flag NO_ARCH).
         */
        public Builder architecture(String v) {
            architecture = Objects.requireNonNull(v);
            return this;
        }

        /**
         * The restore policy whose rules the tasks must pass (and that the image records):
         * {@link RestorePolicy#LINUX_USER} (default) or {@link RestorePolicy#EXACT}.
         *
         * @since 0.2
         */
        public Builder policy(RestorePolicy v) {
            policy = Objects.requireNonNull(v);
            return this;
        }

        /** Absolute POSIX directory file paths are written relative to; files outside it are refused. Default "/". */
        public Builder root(String v) {
            root = Objects.requireNonNull(v);
            return this;
        }

        public Builder limits(Limits v) {
            limits = Objects.requireNonNull(v);
            return this;
        }

        /** Page size of the tasks' address spaces: a power of two from 4 KiB to 1 MiB. Default 4096. */
        public Builder pageSize(int v) {
            if (v < 4096 || v > (1 << 20) || Integer.bitCount(v) != 1) {
                throw new IllegalArgumentException("page size must be a power of two in [4096, 1 MiB]: " + v);
            }
            pageSize = v;
            return this;
        }

        public Builder progressListener(ProgressListener v) {
            progress = v;
            return this;
        }

        /**
         * How long the channel may accept no bytes before the checkpoint fails with an
         * {@link IOException}. Default 60 seconds.
         *
         * @since 0.2
         */
        public Builder stallTimeout(Duration v) {
            if (v.isNegative() || v.isZero()) {
                throw new IllegalArgumentException("stall timeout must be positive: " + v);
            }
            stallTimeout = v;
            return this;
        }

        /** Where providers are discovered; default the thread's context class loader. */
        public Builder classLoader(ClassLoader v) {
            classLoader = v;
            return this;
        }

        /** Discover providers in this module layer instead of a class loader. */
        public Builder moduleLayer(ModuleLayer v) {
            moduleLayer = v;
            return this;
        }

        /**
         * Uses this {@link ObjectOps} instance (a configured one, too) beside the discovered
         * ones; it replaces a discovered ops of the same type name or class. Two registered
         * ops claiming one name or class is an error when the checkpointer is first used.
         *
         * @since 0.2
         */
        public Builder register(ObjectOps<?> v) {
            ops.add(Objects.requireNonNull(v));
            return this;
        }

        /**
         * Uses this {@link ArchProvider} instance for its architectures, replacing a
         * discovered provider of any of them.
         *
         * @since 0.2
         */
        public Builder register(ArchProvider v) {
            archs.add(Objects.requireNonNull(v));
            return this;
        }

        /**
         * Seals every image with an HMAC-SHA-256 tag under {@code secret} (at least 32 bytes,
         * e.g. {@code new SecretKeySpec(bytes, "HmacSHA256")}), naming {@code keyId} in the
         * image: a {@link Restarter} that {@link Restarter.Builder#trust(String, SecretKey) trusts}
         * that key id with the same secret accepts it, and rejects the image if any byte of it
         * changed. Replaces an earlier seal key. The image is format 1.3.
         *
         * @param keyId 1 to 255 bytes of UTF-8 that name the key, so that hosts can rotate keys
         * @throws IllegalArgumentException for a shorter secret or a bad key id
         * @since 0.3 (evolving)
         */
        public Builder seal(String keyId, SecretKey secret) {
            sealKey = Keys.hmacSealing(keyId, secret);
            return this;
        }

        /**
         * Writes incremental images on {@code parent} (docs/FORMAT.md §15): the image names the
         * parent and pins its bytes, carries every task, object, area and file table in full, and
         * takes from the parent the page runs that did not change — those the host reports
         * unchanged ({@link org.ckpt.model.PageData#changedSinceParent}), never read, or else the
         * pages whose digest equals the parent's ({@link ParentImage#hasDigests}). Task {@code i}'s
         * address space continues the parent's task {@code i}'s. {@code null} (the default):
         * full images. The parent must have this checkpointer's architecture, page size and
         * policy, and a child must stay within {@link org.ckpt.spi.Limits#maxChainDepth}.
         *
         * @since 0.3 (evolving)
         */
        public Builder parent(ParentImage v) {
            parent = v;
            return this;
        }

        /**
         * Seals every image with an Ed25519 signature under {@code privateKey} (of the SHA-256
         * digest of every byte before the seal), naming {@code keyId} in the image: a host that
         * {@link Restarter.Builder#trust(String, java.security.PublicKey) trusts} the public key
         * under that id accepts it. Replaces an earlier seal key. The image is format 1.3.
         *
         * @throws IllegalArgumentException if the key is not an Ed25519 key, or for a bad key id
         * @since 0.3 (evolving)
         */
        public Builder seal(String keyId, PrivateKey privateKey) {
            sealKey = Keys.ed25519Sealing(keyId, privateKey);
            return this;
        }

        /** No seal (the default). @since 0.3 (evolving) */
        public Builder unsealed() {
            sealKey = null;
            return this;
        }

        /**
         * Encrypts the record payloads of every image with AES-256-GCM under a fresh random data
         * key, which the image carries wrapped (AES key wrap, RFC 3394) under {@code key}, an
         * AES-256 key named {@code keyId}. What stays in clear: the head (architecture, page size,
         * task count, checkpoint id, creation time, producer; the machine's uname only if set with
         * {@link #uname}), the architecture head, every record's type, flags and length, and the
         * seal — docs/FORMAT.md §17.5. A restarter needs
         * {@link Restarter.Builder#decryptionKey the key of that id}. The image is format 1.3.
         *
         * @throws IllegalArgumentException if the key is not a 32-byte AES key, or for a bad key id
         * @since 0.3 (evolving)
         */
        public Builder encrypt(String keyId, SecretKey key) {
            cipherKey = Keys.cipher(keyId, key);
            return this;
        }

        /** No encryption (the default). @since 0.3 (evolving) */
        public Builder unencrypted() {
            cipherKey = null;
            return this;
        }

        /**
         * Whether images carry a 64-bit digest (XXH64) of every present page, in optional
         * {@code PAGE_DIGESTS} records (8 bytes per page), so that a later checkpoint can find the
         * unchanged pages without a host dirty set. Costs one hash per written page; in an
         * incremental image the digests of the pages taken from a parent that has digests are
         * copied, not computed. Default {@code false}.
         *
         * @since 0.3 (evolving)
         */
        public Builder pageDigests(boolean v) {
            pageDigests = v;
            return this;
        }

        /** A fixed checkpoint id (default: random per checkpoint). */
        public Builder checkpointId(long v) {
            checkpointId = v;
            return this;
        }

        /** A fixed creation time (default: now). */
        public Builder created(Instant v) {
            created = v;
            return this;
        }

        /**
         * The producing machine written into the head (default {@link Uname#current()}; for an
         * {@link #encrypt encrypted} image, whose head stays in clear, all fields empty).
         */
        public Builder uname(Uname v) {
            uname = v;
            return this;
        }

        /**
         * Copies everything the head of {@code info} says (id, time, page size, producer,
         * architecture, machine, policy), so that re-writing a restarted image reproduces it
         * byte for byte.
         */
        public Builder sameHeadAs(ImageInfo info) {
            architecture = info.architecture();
            checkpointId = info.checkpointId();
            created = info.created();
            pageSize(info.pageSize());
            uname = info.uname();
            producerName = info.producerName();
            producerVersion = info.producerVersion();
            policy = info.policy();
            return this;
        }

        public Checkpointer build() {
            if (architecture == null) {
                throw new IllegalStateException("architecture is required");
            }
            return new Checkpointer(this);
        }
    }

    static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(60);

    static ClassLoader defaultLoader() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return cl != null ? cl : Checkpointer.class.getClassLoader();
    }
}
