package org.ckpt.spi;

import java.io.IOException;
import java.util.function.BiConsumer;

/**
 * Checkpoint and restore of one kind of shared object, as {@code ckpt_obj_ops}
 * was in the kernel series. The library's own address spaces, file tables and
 * files are handled by implementations of this interface discovered exactly as a
 * host's are: through {@link java.util.ServiceLoader} ({@code META-INF/services/org.ckpt.spi.ObjectOps}
 * on the class path, {@code provides org.ckpt.spi.ObjectOps with ...} on the module path).
 * An implementation is stateless and needs a public no-argument constructor.
 *
 * <p>An object is written the first time a checkpoint meets it: first every object it
 * {@linkplain #forEachReference refers to}, then an {@code OBJECT} record holding a
 * fresh objref, {@link #typeName()} and the body that {@link #checkpoint} writes,
 * followed by any further records {@code checkpoint} writes. Later uses write only the
 * objref. On restart {@link #restore} reads the same body and records back.
 *
 * @param <T> the Java type of the objects handled
 * @since 0.1 (evolving)
 */
public interface ObjectOps<T> {
    /**
     * The stable name written into images, e.g. {@code "mm"} or {@code "acme.pipe"}.
     * Two providers claiming the same name is an error at load time. Names of up to
     * 255 UTF-8 bytes; prefix a host's own with its domain.
     */
    String typeName();

    /** The Java class handled. Objects whose class is this or a subclass use this provider. */
    Class<T> type();

    /**
     * Called during checkpoint, before {@link #checkpoint}: hands every object that
     * {@code object} refers to (which must be checkpointed first) to {@code references},
     * each with a short label for error trails ({@code "fd 3"}, {@code "vma 0x400000"}).
     * Reference cycles are rejected.
     */
    default void forEachReference(T object, BiConsumer<String, Object> references) {
    }

    /**
     * Writes the object: first its body into {@code body} (the rest of the
     * {@code OBJECT} record's payload), then optionally further records through
     * {@code ctx.output()}; beginning one ends the {@code OBJECT} record. Objrefs of
     * referenced objects come from {@link CkptContext#checkpointObject}.
     *
     * @throws CheckpointException if the object cannot be represented
     */
    void checkpoint(T object, CkptContext ctx, PayloadWriter body) throws IOException;

    /**
     * Reads back what {@link #checkpoint} wrote: the body first (exactly, to its end),
     * then any further records through {@code ctx.input()}. Every value is untrusted:
     * check it and throw an {@link ImageException} subclass naming the field. Must not
     * touch anything outside the returned object: the host sees restored objects only
     * after the whole image has verified.
     */
    T restore(CkptContext ctx, PayloadReader body) throws IOException;

    /** Called when the object enters a checkpoint's object hash; pin host resources here. */
    default void grab(T object) {
    }

    /** Called when the checkpoint that grabbed the object ends, successfully or not. */
    default void release(T object) {
    }
}
