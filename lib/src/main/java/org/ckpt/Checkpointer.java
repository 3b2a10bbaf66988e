package org.ckpt;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.ckpt.internal.CheckpointSession;
import org.ckpt.internal.Registry;
import org.ckpt.model.Task;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.Limits;

/**
 * Writes tasks as an image, in one sequential pass, to any
 * {@link WritableByteChannel} (a file, a pipe, a socket: nothing is ever seeked
 * back to). Immutable and thread-safe: each call is an independent checkpoint.
 *
 * <pre>{@code
 * Checkpointer ckpt = Checkpointer.builder().architecture("x86_64").root("/srv/box").build();
 * try (FileChannel out = FileChannel.open(path, CREATE, WRITE, TRUNCATE_EXISTING)) {
 *     CheckpointResult r = ckpt.checkpoint(task, out);
 * }
 * }</pre>
 *
 * @since 0.1 (stable)
 */
public final class Checkpointer {
    /** Name written as the producer into every image. */
    public static final String PRODUCER = "ckpt";
    /** Version written as the producer version into every image. */
    public static final String VERSION = "0.1.0";

    private static final SecureRandom IDS = new SecureRandom();

    private final Builder b;
    private final Registry.Lazy registry;

    private Checkpointer(Builder b) {
        this.b = b.copy();
        this.registry = new Registry.Lazy(this.b.classLoader, this.b.moduleLayer);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Checkpoints one task. */
    public CheckpointResult checkpoint(Task task, WritableByteChannel channel) throws IOException {
        return checkpoint(List.of(task), channel);
    }

    /**
     * Checkpoints several tasks into one image; objects they share (address spaces,
     * file tables, open files) are written once and come back shared.
     *
     * @throws CheckpointException if a task cannot be represented; if writing had begun,
     *                             the image ends with an error record carrying the message
     */
    public CheckpointResult checkpoint(List<Task> tasks, WritableByteChannel channel) throws IOException {
        Objects.requireNonNull(channel, "channel");
        List<Task> list = List.copyOf(tasks);
        long id = b.checkpointId != null ? b.checkpointId : IDS.nextLong();
        Instant created = b.created != null ? b.created : Instant.now();
        ImageInfo head = new ImageInfo(1, CheckpointSession.formatMinor(list), 0, id, created, b.pageSize, list.size(), b.producerName,
                b.producerVersion, b.architecture, null, b.uname != null ? b.uname : Uname.current());
        CheckpointSession session = new CheckpointSession(registry.get(), head, b.limits, b.root, b.progress, channel,
                b.writerThread);
        return session.run(list);
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

        private Builder() {
        }

        private Builder copy() {
            Builder c = new Builder();
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
            return c;
        }

        /**
         * Whether the channel is written on a thread of its own, started and ended by each
         * {@code checkpoint} call, so that zero detection and checksums overlap the
         * channel's I/O. Default {@code true}; {@code false} does every write on the
         * calling thread (hosts that must not start threads). The image is the same.
         */
        public Builder writerThread(boolean v) {
            writerThread = v;
            return this;
        }

        /** The architecture of the tasks, e.g. {@code "x86_64"}; its {@code ArchProvider} must be on the class path. */
        public Builder architecture(String v) {
            architecture = Objects.requireNonNull(v);
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

        /** Where providers are looked up; default the thread's context class loader. */
        public Builder classLoader(ClassLoader v) {
            classLoader = v;
            return this;
        }

        /** Look providers up in this module layer instead of a class loader. */
        public Builder moduleLayer(ModuleLayer v) {
            moduleLayer = v;
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

        /** The producing machine written into the head (default {@link Uname#current()}). */
        public Builder uname(Uname v) {
            uname = v;
            return this;
        }

        /**
         * Copies everything the head of {@code info} says (id, time, page size, producer,
         * architecture, machine), so that re-writing a restarted image reproduces it byte for byte.
         */
        public Builder sameHeadAs(ImageInfo info) {
            architecture = info.architecture();
            checkpointId = info.checkpointId();
            created = info.created();
            pageSize(info.pageSize());
            uname = info.uname();
            producerName = info.producerName();
            producerVersion = info.producerVersion();
            return this;
        }

        public Checkpointer build() {
            if (architecture == null) {
                throw new IllegalStateException("architecture is required");
            }
            return new Checkpointer(this);
        }
    }

    static ClassLoader defaultLoader() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return cl != null ? cl : Checkpointer.class.getClassLoader();
    }
}
