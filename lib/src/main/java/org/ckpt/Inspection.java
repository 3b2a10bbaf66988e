package org.ckpt;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.model.Task;

/**
 * What {@link Restarter#inspect} learned about a valid image: the restart result,
 * the image's objects with their objrefs, and the tasks with their CPU state exactly
 * as written — before the check phase sanitised it — for tools that show an image
 * rather than run it.
 *
 * @since 0.1 (evolving)
 */
public final class Inspection {
    private final RestartResult result;
    private final List<Task> imageTasks;
    private final List<ImageObject> objects;
    private final Map<Object, Long> objrefs = new IdentityHashMap<>();

    Inspection(RestartResult result, List<Task> imageTasks, List<ImageObject> objects) {
        this.result = result;
        this.imageTasks = List.copyOf(imageTasks);
        this.objects = List.copyOf(objects);
        for (ImageObject o : objects) {
            objrefs.put(o.object(), o.objref());
        }
    }

    /** The result a restart into the model returns for this image (CPU states as the check phase left them). */
    public RestartResult result() {
        return result;
    }

    /** The tasks in image order, CPU states as the image holds them; shared objects are those of {@link #objects}. */
    public List<Task> imageTasks() {
        return imageTasks;
    }

    /** Every object of the image, in objref order. */
    public List<ImageObject> objects() {
        return objects;
    }

    /** The objref of {@code object} (compared by identity), or 0 if it is not one of the image's objects. */
    public long objref(Object object) {
        Long ref = objrefs.get(object);
        return ref == null ? 0 : ref;
    }
}
