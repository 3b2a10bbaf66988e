package org.ckpt;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.util.Objects;
import java.util.function.Consumer;
import org.ckpt.internal.Registry;
import org.ckpt.internal.RestartSession;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.Limits;

/**
 * Reads an image from any {@link ReadableByteChannel}, validates every byte of it
 * and rebuilds its tasks. Nothing is handed to a {@link RestartTarget} before the
 * whole image — tail checksum included — has verified and every architecture check
 * has passed. Immutable and thread-safe.
 *
 * @since 0.1 (stable)
 */
public final class Restarter {
    private final String root;
    private final Limits limits;
    private final ProgressListener progress;
    private final Registry.Lazy registry;

    private Restarter(Builder b) {
        root = b.root;
        limits = b.limits;
        progress = b.progress;
        registry = new Registry.Lazy(b.classLoader != null ? b.classLoader : Checkpointer.defaultLoader(),
                b.moduleLayer);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads and validates the whole image into the in-memory model.
     *
     * @throws ImageException if any byte of the image is corrupt, truncated, hostile or unsupported
     */
    public RestartResult restart(ReadableByteChannel channel) throws IOException {
        Objects.requireNonNull(channel, "channel");
        return new RestartSession(registry.get(), limits, root, progress, channel, null).run();
    }

    /**
     * Validates the whole image against {@code target}'s CPU and only then commits it
     * into {@code target}. If anything fails first, the target is never called.
     */
    public RestartResult restart(ReadableByteChannel channel, RestartTarget target) throws IOException {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(target, "target");
        RestartResult result = new RestartSession(registry.get(), limits, root, progress, channel, target.cpu()).run();
        target.commit(result);
        return result;
    }


    /**
     * Reads and validates the whole image into the in-memory model exactly as
     * {@link #restart(ReadableByteChannel)} does, and also reports what inspection tools
     * show: each record as it is read (to {@code records}, which may be {@code null}),
     * the objects with their objrefs, and the CPU states as written.
     *
     * @throws ImageException if any byte of the image is corrupt, truncated, hostile or unsupported;
     *                        {@code records} has then been told of every record before the failing one
     * @since 0.1 (evolving)
     */
    public Inspection inspect(ReadableByteChannel channel, Consumer<ImageRecord> records) throws IOException {
        Objects.requireNonNull(channel, "channel");
        RestartSession session = new RestartSession(registry.get(), limits, root, progress, channel, null);
        session.recordListener(records);
        RestartResult result = session.run();
        return new Inspection(result, session.imageTasks(), session.objects());
    }

    /** Configures a {@link Restarter}. */
    public static final class Builder {
        private String root = "/";
        private Limits limits = Limits.DEFAULTS;
        private ProgressListener progress;
        private ClassLoader classLoader;
        private ModuleLayer moduleLayer;

        private Builder() {
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

        public Builder classLoader(ClassLoader v) {
            classLoader = v;
            return this;
        }

        public Builder moduleLayer(ModuleLayer v) {
            moduleLayer = v;
            return this;
        }

        public Restarter build() {
            return new Restarter(this);
        }
    }
}
