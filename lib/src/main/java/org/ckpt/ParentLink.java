package org.ckpt;

/**
 * What an incremental image's {@code PARENT} record says about the image it builds on
 * (docs/FORMAT.md §15).
 *
 * @param checkpointId the parent's checkpoint id (its head's)
 * @param tail         the parent's tail, which pins its exact bytes
 * @param depth        images above the child in its chain: 1 when the parent is a full image,
 *                     the parent's depth plus one otherwise
 * @since 0.3 (evolving)
 */
public record ParentLink(long checkpointId, ImageTail tail, int depth) {
    @Override
    public String toString() {
        return "ParentLink[" + Long.toHexString(checkpointId) + ", depth " + depth + ", " + tail + "]";
    }
}
