package org.ckpt.testkit.image;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.ParentLink;
import org.ckpt.ParentResolver;
import org.ckpt.model.Task;

/**
 * A chain of images in memory — a full image and incremental images on it, one per step of a
 * task history — and the {@link ParentResolver} that finds them by checkpoint id. Corruption
 * tests derive broken chains with {@link #replace} and {@link #remove}.
 *
 * @since 0.3 (evolving)
 */
public final class ImageChain implements ParentResolver {
    private final List<Long> ids;
    private final List<CheckpointResult> results;
    private final Map<Long, byte[]> images;

    private ImageChain(List<Long> ids, List<CheckpointResult> results, Map<Long, byte[]> images) {
        this.ids = List.copyOf(ids);
        this.results = results;
        this.images = images;
    }

    /**
     * Checkpoints {@code steps.get(0)} as a full image and each later step as a child of the
     * image before, each with a fresh builder from {@code builders} (the parent is set here).
     */
    public static ImageChain write(List<List<Task>> steps, Supplier<Checkpointer.Builder> builders)
            throws IOException {
        List<Long> ids = new ArrayList<>();
        List<CheckpointResult> results = new ArrayList<>();
        Map<Long, byte[]> images = new HashMap<>();
        CheckpointResult prev = null;
        for (List<Task> step : steps) {
            Checkpointer.Builder b = builders.get();
            if (prev != null) {
                b.parent(prev.asParent());
            }
            TestChannels.Sink sink = TestChannels.sink();
            prev = b.build().checkpoint(step, sink);
            ids.add(prev.checkpointId());
            results.add(prev);
            images.put(prev.checkpointId(), sink.toByteArray());
        }
        return new ImageChain(ids, results, images);
    }

    /** Number of images. */
    public int size() {
        return ids.size();
    }

    /** The checkpoint id of step {@code i}'s image. */
    public long id(int i) {
        return ids.get(i);
    }

    /** What writing step {@code i} returned. */
    public CheckpointResult result(int i) {
        return results.get(i);
    }

    /** The bytes of step {@code i}'s image (a copy). */
    public byte[] image(int i) {
        return images.get(ids.get(i)).clone();
    }

    /** A channel reading step {@code i}'s image. */
    public ReadableByteChannel channel(int i) {
        return TestChannels.source(images.get(ids.get(i)));
    }

    /** This chain with the image the resolver gives for {@code id} replaced by {@code bytes}. */
    public ImageChain replace(long id, byte[] bytes) {
        Map<Long, byte[]> m = new HashMap<>(images);
        m.put(id, bytes.clone());
        return new ImageChain(ids, results, m);
    }

    /** This chain without the image of {@code id}. */
    public ImageChain remove(long id) {
        Map<Long, byte[]> m = new HashMap<>(images);
        m.remove(id);
        return new ImageChain(ids, results, m);
    }

    @Override
    public ReadableByteChannel open(ParentLink link) {
        byte[] b = images.get(link.checkpointId());
        return b == null ? null : TestChannels.source(b);
    }
}
