package org.ckpt;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ckpt.model.Task;
import org.ckpt.spi.ImageException;

/**
 * What {@link Restarter#inspect} learned about an image whose bytes are valid: the image as
 * it holds it (tasks with their CPU state exactly as written), the objects with their
 * objrefs, and what the check phase of the restarter's policy made of it — the restart
 * result, or the rule it refused. For tools that show an image rather than run it: showing
 * never changes what the image holds.
 *
 * @since 0.1 (evolving)
 */
public final class Inspection {
    private final RestartResult result;
    private final RestartResult image;
    private final List<ImageObject> objects;
    private final ImageException checkFailure;
    private final Map<Object, Long> objrefs = new IdentityHashMap<>();
    private final List<ImageInfo> chain;
    private final List<ParentLink> links;
    private final ImageSeal seal;
    private final ImageEncryption encryption;

    Inspection(RestartResult result, RestartResult image, List<ImageObject> objects, ImageException checkFailure,
               List<ImageInfo> chain, List<ParentLink> links, ImageSeal seal, ImageEncryption encryption) {
        this.chain = List.copyOf(chain);
        this.links = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(links));
        this.seal = seal;
        this.encryption = encryption;
        this.result = result;
        this.image = image;
        this.objects = List.copyOf(objects);
        this.checkFailure = checkFailure;
        for (ImageObject o : objects) {
            objrefs.put(o.object(), o.objref());
        }
    }

    /**
     * The result a restart into the model returns for this image (CPU states as the check
     * phase returned them), or {@code null} when the check phase refused it
     * ({@link #checkFailure()}).
     */
    public RestartResult result() {
        return result;
    }

    /** The image as read, before the check phase: head, tasks with CPU states as written, counts. @since 0.2 */
    public RestartResult image() {
        return image;
    }

    /** The tasks in image order, CPU states as the image holds them; shared objects are those of {@link #objects}. */
    public List<Task> imageTasks() {
        return image.tasks();
    }

    /** Why the check phase refused the image's tasks under the restarter's policy, if it did. @since 0.2 */
    public Optional<ImageException> checkFailure() {
        return Optional.ofNullable(checkFailure);
    }

    /** The image's seal, if it has one: its key id, and whether the restarter verified it. @since 0.3 (evolving) */
    public Optional<ImageSeal> seal() {
        return Optional.ofNullable(seal);
    }

    /** How the image is encrypted, if it is. @since 0.3 (evolving) */
    public Optional<ImageEncryption> encryption() {
        return Optional.ofNullable(encryption);
    }

    /** Every object of the image, in objref order. */
    public List<ImageObject> objects() {
        return objects;
    }

    /**
     * The heads of the images read, newest first: the inspected image, then its parent, and so on
     * to the full image the chain starts from. One element for a full image.
     *
     * @since 0.3 (evolving)
     */
    public List<ImageInfo> chain() {
        return chain;
    }

    /** What the inspected image's {@code PARENT} record says, if it is incremental. @since 0.3 (evolving) */
    public Optional<ParentLink> parent() {
        return Optional.ofNullable(links.isEmpty() ? null : links.get(0));
    }

    /**
     * The {@code PARENT} link of each image of {@link #chain()}, index for index ({@code null} for
     * the full image at the end).
     *
     * @since 0.3 (evolving)
     */
    public List<ParentLink> links() {
        return links;
    }

    /** The objref of {@code object} (compared by identity), or 0 if it is not one of the image's objects. */
    public long objref(Object object) {
        Long ref = objrefs.get(object);
        return ref == null ? 0 : ref;
    }
}
