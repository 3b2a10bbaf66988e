package org.ckpt;

/**
 * One shared object of an image: what its {@code OBJECT} record introduced.
 *
 * @param objref   the object's id in the image
 * @param typeName the {@code ObjectOps} type name ({@code mm}, {@code files}, {@code file}, …)
 * @param offset   image offset of its {@code OBJECT} record
 * @param object   the restored object; the tasks of the same {@link Inspection} hold this very instance
 * @since 0.1 (evolving)
 */
public record ImageObject(long objref, String typeName, long offset, Object object) {
}
