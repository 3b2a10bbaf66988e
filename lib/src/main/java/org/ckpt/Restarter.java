package org.ckpt;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.nio.ByteBuffer;
import org.ckpt.internal.ChainRestart;
import javax.crypto.SecretKey;
import org.ckpt.internal.ImageScanner;
import org.ckpt.internal.Keys;
import org.ckpt.internal.Registry;
import org.ckpt.internal.RestartSession;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;

/**
 * Reads an image from any {@link ReadableByteChannel}, validates every byte of it
 * and rebuilds its tasks. Nothing is handed to a {@link RestartTarget} before the
 * whole image — tail checksum included — has verified and every architecture check
 * has passed. Immutable and thread-safe.
 *
 * <p><b>What is committed is what was verified.</b> Every payload is copied once into memory
 * the restart owns (or the target's {@link RestartTarget#pages() page destination}) and
 * checksummed in the same pass; the restored pages are never a view of the image file, so a
 * file truncated or rewritten during or after a restart yields an {@link ImageException} or
 * exactly the verified bytes. (Zero-copy mapping of an immutable file is an explicit opt-in:
 * {@link Builder#mapImmutableFiles}.)
 *
 * <p><b>Sealed images.</b> A restarter that {@link Builder#trust trusts} any key accepts only
 * images sealed by one of its trusted keys, and refuses an unsealed image, one sealed by an
 * unknown key id, or one whose seal does not verify (any byte changed, a seal copied from
 * another image, an image cut after its seal) with a
 * {@link org.ckpt.spi.SealException} — before anything is committed. Encrypted images need
 * their {@link Builder#decryptionKey decryption key}; without it, a wrong one or with altered
 * ciphertext the restart fails with a {@link org.ckpt.spi.DecryptionException}. A sealed image
 * is still a valid image to a restarter that trusts no key: it reads it without verifying the
 * seal ({@link Inspection#seal()} says so).
 *
 * <p>The channel must be in blocking mode. A channel that delivers no bytes for
 * {@link Builder#stallTimeout} fails the restart; interrupting the calling thread ends it
 * promptly with an {@link java.io.InterruptedIOException}.
 *
 * @since 0.1 (stable)
 */
public final class Restarter {
    private final Builder b;
    /** Heads of the image files its restarts from a path have looked at, for finding parents (stat, not re-read). */
    private final ImageHeads heads = new ImageHeads();
    private volatile Registry registry;

    private Restarter(Builder b) {
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

    private RestartSession session(ReadableByteChannel channel, TargetCpu target, RestorePolicy policy,
                                   PageDestination pages) throws IOException {
        return session(channel, target, policy, pages, trust());
    }

    private RestartSession session(ReadableByteChannel channel, TargetCpu target, RestorePolicy policy,
                                   PageDestination pages, RestartSession.Trust trust) throws IOException {
        return new RestartSession(registry(), b.limits, b.root, b.progress, channel, target, policy, pages,
                new RestartSession.Options(b.stallTimeout, b.mapImmutableFiles, trust, b.hashThread));
    }

    private RestartSession.Trust trust() {
        return new RestartSession.Trust(b.trusted, b.decryption, b.expectedCheckpointId, b.notOlderThan);
    }

    /**
     * A chain's images each pass the trust configuration (seals, decryption keys); the replay
     * checks name the image the host asked for, the newest, not its parents.
     */
    private ChainRestart chain(TargetCpu target, RestorePolicy policy, PageDestination pages, ParentResolver parents) {
        ParentResolver r = parents != null ? parents : b.parents != null ? b.parents : ParentResolver.none();
        RestartSession.Trust newest = trust();
        RestartSession.Trust older = newest.withoutReplayChecks();
        int[] opened = {0};
        return new ChainRestart((ch, dest) -> session(ch, target, policy, dest, opened[0]++ == 0 ? newest : older),
                r, pages);
    }

    /** The resolver for parents of {@code image}: the builder's, or the image's directory. */
    private ParentResolver parentsOf(Path image) {
        if (b.parents != null) {
            return b.parents;
        }
        Path dir = image.toAbsolutePath().getParent();
        return dir == null ? ParentResolver.none() : ImageHeads.directory(dir, heads);
    }

    /** This restarter, finding parents in {@code image}'s directory unless it has a resolver. */
    Restarter withDefaultParents(Path image) {
        if (b.parents != null) {
            return this;
        }
        Builder c = b.copy();
        c.parents = parentsOf(image);
        Restarter r = new Restarter(c);
        // The same providers: discovering them again cost every inspect of a file its own service loading.
        r.registry = registry();
        return r;
    }

    private RestartResult restart(ReadableByteChannel channel, TargetCpu cpu, RestorePolicy policy,
                                  PageDestination pages, ParentResolver parents) throws IOException {
        try (ChainRestart c = chain(cpu, policy, pages, parents)) {
            c.read(channel, null);
            return c.checked();
        }
    }

    /**
     * Reads and validates the whole image into the in-memory model, under the restarter's
     * {@link Builder#policy policy} (by default the one the image was written under), as for a
     * target that has every CPU feature of the image's architecture.
     *
     * @throws ImageException if any byte of the image is corrupt, truncated, hostile or unsupported
     */
    public RestartResult restart(ReadableByteChannel channel) throws IOException {
        Objects.requireNonNull(channel, "channel");
        return restart(channel, null, b.policy, PageDestination.heap(), null);
    }

    /**
     * {@link #restart(ReadableByteChannel)} of an image file. Parents of an incremental image
     * are found by the builder's {@link Builder#parents resolver}, or else in the image's
     * directory ({@link ParentResolver#directory}).
     */
    public RestartResult restart(Path image) throws IOException {
        try (FileChannel in = FileChannel.open(image)) {
            return restart(in, null, b.policy, PageDestination.heap(), parentsOf(image));
        }
    }

    /**
     * Validates the whole image against {@code target}'s CPU and policy and only then commits
     * it into {@code target}. If anything fails first, the target is never committed and the
     * buffers its page destination handed out are released.
     *
     * @throws IllegalArgumentException if the target's {@code cpu()} or {@code policy()} is {@code null}
     */
    public RestartResult restart(ReadableByteChannel channel, RestartTarget target) throws IOException {
        return restart(channel, target, null);
    }

    private RestartResult restart(ReadableByteChannel channel, RestartTarget target, ParentResolver parents)
            throws IOException {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(target, "target");
        TargetCpu cpu = target.cpu();
        if (cpu == null) {
            throw new IllegalArgumentException(target.getClass().getName()
                    + ".cpu() returned null: a target must declare what it can run (TargetCpu.anyFeatures(arch) for everything)");
        }
        RestorePolicy policy = target.policy();
        if (policy == null) {
            throw new IllegalArgumentException(target.getClass().getName()
                    + ".policy() returned null: a target must state its restore policy");
        }
        PageDestination pages = target.pages();
        if (pages == null) {
            throw new IllegalArgumentException(target.getClass().getName() + ".pages() returned null");
        }
        RestartResult result = restart(channel, cpu, policy, pages, parents);
        target.commit(result);
        return result;
    }

    /** {@link #restart(ReadableByteChannel, RestartTarget)} of an image file; parents as {@link #restart(Path)} finds them. */
    public RestartResult restart(Path image, RestartTarget target) throws IOException {
        try (FileChannel in = FileChannel.open(image)) {
            return restart(in, target, parentsOf(image));
        }
    }

    /**
     * What a child checkpoint needs of the image in {@code channel} as its parent
     * ({@link Checkpointer.Builder#parent}): the image is read and verified whole (framing,
     * checksums, tail; an incremental image's parent is not needed), its page bytes are not
     * kept. The page digests are those its {@code PAGE_DIGESTS} records carry or, for a full
     * image without them, computed from its pages as they are read.
     *
     * @since 0.3 (evolving)
     */
    public ParentImage parentImage(ReadableByteChannel channel) throws IOException {
        return parentImage(channel, true);
    }

    /**
     * {@link #parentImage(ReadableByteChannel)} of an image file; a full image without digests
     * is read a second time to compute them.
     *
     * @since 0.3 (evolving)
     */
    public ParentImage parentImage(Path image) throws IOException {
        ParentImage p;
        try (FileChannel in = FileChannel.open(image)) {
            p = parentImage(in, false);
        }
        if (p == null) {
            try (FileChannel in = FileChannel.open(image)) {
                p = parentImage(in, true);
            }
        }
        return p;
    }

    /** Null when {@code hash} is false and the digests need a hashing pass. */
    private ParentImage parentImage(ReadableByteChannel channel, boolean hash) throws IOException {
        Objects.requireNonNull(channel, "channel");
        ByteBuffer[] scratch = new ByteBuffer[1];
        PageDestination discard = run -> {
            if (scratch[0] == null || scratch[0].capacity() < run.length()) {
                scratch[0] = ByteBuffer.allocate(run.length());
            }
            return scratch[0].clear().limit(run.length());
        };
        RestartSession s = session(channel, null, b.policy, discard);
        s.indexOnly(hash);
        s.readImage();
        if (!hash && s.needsHashing()) {
            return null;
        }
        ImageInfo h = s.head();
        ParentLink link = s.parentLink();
        return new ParentImage(h.checkpointId(), s.tail(), link == null ? 0 : link.depth(), h.architecture(),
                h.pageSize(), h.flags(), s.parentIndex());
    }

    /**
     * Reads and validates the whole image exactly as {@link #restart(ReadableByteChannel)}
     * does, and also reports what inspection tools show: each record as it is read (to
     * {@code records}, which may be {@code null}), the objects with their objrefs, and the
     * CPU states as written. A failure of the check phase alone (a register the policy
     * refuses) does not fail the inspection: it is reported by {@link Inspection#checkFailure()},
     * and the image's tasks are still available.
     *
     * @throws ImageException if any byte of the image is corrupt, truncated, hostile or unsupported;
     *                        {@code records} has then been told of every record before the failing one
     * @since 0.1 (evolving)
     */
    public Inspection inspect(ReadableByteChannel channel, Consumer<ImageRecord> records) throws IOException {
        Objects.requireNonNull(channel, "channel");
        try (ChainRestart c = chain(null, b.policy, PageDestination.heap(), null)) {
            RestartSession session = c.read(channel, records);
            RestartResult result = null;
            ImageException checkFailure = null;
            try {
                result = c.totals(session.checkedResult());
            } catch (ImageException e) {
                checkFailure = e;
            }
            List<ImageInfo> infos = new ArrayList<>();
            List<ParentLink> links = new ArrayList<>();
            for (RestartSession s : c.sessions()) {
                infos.add(s.imageResult().info());
                links.add(s.parentLink());
            }
            return new Inspection(result, session.imageResult(), session.objects(), checkFailure, infos, links,
                    session.seal(), session.encryption());
        }
    }

    /** {@link #inspect(ReadableByteChannel, Consumer)} of an image file; parents as {@link #restart(Path)} finds them. @since 0.3 */
    public Inspection inspect(Path image, Consumer<ImageRecord> records) throws IOException {
        try (FileChannel in = FileChannel.open(image)) {
            return withDefaultParents(image).inspect(in, records);
        }
    }

    /**
     * Checks an image's framing without interpreting its records: every record's checksum and
     * padding, the tail, the seal (verified when this restarter trusts keys, and then required),
     * and reports what can be known without reading the records: the head, the seal, the
     * encryption. Needs no decryption key and no provider for the image's object types: what a
     * tool shows of an encrypted image it has no key for. Records are not decrypted, so an
     * altered ciphertext passes a scan unless a seal covers it.
     *
     * @param records told of every record, as {@link #inspect} does; may be {@code null}
     * @throws ImageException if the framing, a checksum, the tail or the seal is wrong
     * @since 0.3 (evolving)
     */
    public ImageScan scan(ReadableByteChannel channel, Consumer<ImageRecord> records) throws IOException {
        Objects.requireNonNull(channel, "channel");
        return ImageScanner.scan(registry(), b.limits, channel, b.stallTimeout, trust(), b.hashThread, records);
    }

    /** {@link #scan(ReadableByteChannel, Consumer)} of an image file. @since 0.3 (evolving) */
    public ImageScan scan(Path image) throws IOException {
        try (FileChannel in = FileChannel.open(image)) {
            return scan(in, null);
        }
    }

    /** Configures a {@link Restarter}. */
    public static final class Builder {
        private String root = "/";
        private Limits limits = Limits.DEFAULTS;
        private ProgressListener progress;
        private ClassLoader classLoader;
        private ModuleLayer moduleLayer;
        private RestorePolicy policy;
        private Duration stallTimeout = Checkpointer.DEFAULT_STALL_TIMEOUT;
        private boolean mapImmutableFiles;
        private List<ObjectOps<?>> ops = new ArrayList<>();
        private List<ArchProvider> archs = new ArrayList<>();
        private ParentResolver parents;
        private Map<String, Keys.TrustedKey> trusted = new LinkedHashMap<>();
        private Map<String, Keys.CipherKey> decryption = new LinkedHashMap<>();
        private Long expectedCheckpointId;
        private Instant notOlderThan;
        private boolean hashThread = true;

        private Builder() {
        }

        private Builder copy() {
            Builder c = new Builder();
            c.trusted = Map.copyOf(trusted);
            c.decryption = Map.copyOf(decryption);
            c.expectedCheckpointId = expectedCheckpointId;
            c.notOlderThan = notOlderThan;
            c.hashThread = hashThread;
            c.root = root;
            c.limits = limits;
            c.progress = progress;
            c.classLoader = classLoader != null ? classLoader : Checkpointer.defaultLoader();
            c.moduleLayer = moduleLayer;
            c.policy = policy;
            c.stallTimeout = stallTimeout;
            c.mapImmutableFiles = mapImmutableFiles;
            c.ops = List.copyOf(ops);
            c.archs = List.copyOf(archs);
            c.parents = parents;
            return c;
        }

        /** Absolute POSIX directory image paths are resolved under. Default "/". */
        public Builder root(String v) {
            root = Objects.requireNonNull(v);
            return this;
        }

        public Builder limits(Limits v) {
            limits = Objects.requireNonNull(v);
            return this;
        }

        public Builder progressListener(ProgressListener v) {
            progress = v;
            return this;
        }

        /**
         * The policy of a restart into the model and of {@link #inspect}; {@code null}
         * (the default) means the policy the image was written under. A restart into a
         * {@link RestartTarget} always uses the target's.
         *
         * @since 0.2
         */
        public Builder policy(RestorePolicy v) {
            policy = v;
            return this;
        }

        /**
         * How long the channel may deliver no bytes before the restart fails with an
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

        /**
         * Zero-copy restart from image files, for files the host guarantees are never
         * modified or truncated while any restored task exists: a restart from a
         * {@link FileChannel} then maps the file and the restored pages are views of the
         * mapping instead of copies (page destinations are not used).
         *
         * <p><b>Hazard.</b> The bytes a restored page shows are read from the file whenever the
         * host reads them: if another process truncates or rewrites the file after the restart
         * verified it, the host sees bytes that were never verified, or the JVM faults
         * ({@code InternalError}, or a crash in native code) on access. During the restart
         * itself a fault is turned into an {@link ImageException}. Default {@code false}.
         *
         * @since 0.2
         */
        public Builder mapImmutableFiles(boolean v) {
            mapImmutableFiles = v;
            return this;
        }

        /**
         * How the parents of an incremental image are opened: a restart reads the whole chain
         * and verifies every image and every link before it commits anything (docs/FORMAT.md
         * §15). Default: none for a channel (a restart of an incremental image fails naming its
         * parent), the image's directory for a file ({@link ParentResolver#directory}).
         *
         * @since 0.3 (evolving)
         */
        public Builder parents(ParentResolver v) {
            parents = v;
            return this;
        }

        public Builder classLoader(ClassLoader v) {
            classLoader = v;
            return this;
        }

        public Builder moduleLayer(ModuleLayer v) {
            moduleLayer = v;
            return this;
        }

        /** As {@link Checkpointer.Builder#register(ObjectOps)}. @since 0.2 */
        public Builder register(ObjectOps<?> v) {
            ops.add(Objects.requireNonNull(v));
            return this;
        }

        /** As {@link Checkpointer.Builder#register(ArchProvider)}. @since 0.2 */
        public Builder register(ArchProvider v) {
            archs.add(Objects.requireNonNull(v));
            return this;
        }

        /**
         * Trusts seals made with the HMAC-SHA-256 {@code secret} under {@code keyId}. Once any key
         * is trusted, only images sealed by a trusted key are accepted (docs/FORMAT.md §17).
         * Trust several keys to rotate them; a key id trusted again is replaced.
         *
         * @throws IllegalArgumentException for a secret under 32 bytes or a bad key id
         * @since 0.3 (evolving)
         */
        public Builder trust(String keyId, SecretKey secret) {
            Keys.TrustedKey k = Keys.hmacTrusted(keyId, secret);
            trusted.put(k.keyId(), k);
            return this;
        }

        /**
         * Trusts Ed25519 seals verified by {@code publicKey} under {@code keyId}; as
         * {@link #trust(String, SecretKey)}.
         *
         * @throws IllegalArgumentException if the key is not an Ed25519 key, or for a bad key id
         * @since 0.3 (evolving)
         */
        public Builder trust(String keyId, PublicKey publicKey) {
            Keys.TrustedKey k = Keys.ed25519Trusted(keyId, publicKey);
            trusted.put(k.keyId(), k);
            return this;
        }

        /**
         * Decrypts images encrypted under {@code keyId} with the AES-256 {@code key} (see
         * {@link Checkpointer.Builder#encrypt}). Several keys may be configured, by id.
         *
         * @since 0.3 (evolving)
         */
        public Builder decryptionKey(String keyId, SecretKey key) {
            Keys.CipherKey k = Keys.cipher(keyId, key);
            decryption.put(k.keyId(), k);
            return this;
        }

        /**
         * Accepts only the image whose head carries checkpoint id {@code id}: a host that knows
         * which checkpoint it means to restart refuses an older or another sealed image replayed
         * in its place ({@link org.ckpt.spi.SealException.Kind#REPLAYED}). Meaningful with sealed
         * images, whose head a seal covers.
         *
         * @since 0.3 (evolving)
         */
        public Builder expectCheckpointId(long id) {
            expectedCheckpointId = id;
            return this;
        }

        /**
         * Refuses images created before {@code oldest} ({@link org.ckpt.spi.SealException.Kind#REPLAYED}):
         * a bound on how old a replayed image may be. Meaningful with sealed images.
         *
         * @since 0.3 (evolving)
         */
        public Builder notOlderThan(Instant oldest) {
            notOlderThan = Objects.requireNonNull(oldest);
            return this;
        }

        /**
         * Whether a restarter that {@link #trust trusts} keys may hash a large sealed image on a
         * thread of its own, started and ended by the restart, so that the SHA-256 of the seal
         * overlaps the reading and checksumming. Default {@code true}; {@code false} hashes on
         * the calling thread (hosts that must not start threads). The result is the same.
         *
         * @since 0.3 (evolving)
         */
        public Builder hashThread(boolean v) {
            hashThread = v;
            return this;
        }

        public Restarter build() {
            return new Restarter(this);
        }
    }
}
