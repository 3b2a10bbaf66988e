package org.ckpt;

import java.util.Objects;
import org.ckpt.internal.ParentIndex;

/**
 * What an incremental checkpoint needs of the image it builds on
 * ({@link Checkpointer.Builder#parent}): the parent's id and the tail that pins its bytes, its
 * place in its chain, its architecture, page size and policy, the layout of its address spaces,
 * and — when the parent was written with {@link Checkpointer.Builder#pageDigests page digests},
 * or read from a full image — a 64-bit digest of every present page.
 *
 * <p>Two ways to get one: {@link CheckpointResult#asParent()} of the checkpoint just taken (a
 * host that checkpoints the same task again and again keeps it in memory; nothing is read), or
 * {@link Restarter#parentImage(java.nio.file.Path)} of an image file (read and verified whole).
 *
 * <p>Where the host reports what changed ({@link org.ckpt.model.PageData#changedSinceParent}),
 * the child takes unchanged pages from the parent without reading them; digests are then only
 * needed for private file-backed areas. Where it does not, the child compares the digest of each
 * page with the parent's: that needs digests.
 *
 * @since 0.3 (evolving)
 */
public final class ParentImage {
    private final long checkpointId;
    private final ImageTail tail;
    private final int depth;
    private final String architecture;
    private final int pageSize;
    private final long flags;
    private final ParentIndex index;

    ParentImage(long checkpointId, ImageTail tail, int depth, String architecture, int pageSize, long flags,
                ParentIndex index) {
        this.checkpointId = checkpointId;
        this.tail = Objects.requireNonNull(tail);
        this.depth = depth;
        this.architecture = Objects.requireNonNull(architecture);
        this.pageSize = pageSize;
        this.flags = flags;
        this.index = Objects.requireNonNull(index);
    }

    /** The parent's checkpoint id. */
    public long checkpointId() {
        return checkpointId;
    }

    /** The parent's tail: what a child's {@code PARENT} record pins. */
    public ImageTail tail() {
        return tail;
    }

    /** Images above the parent in its own chain: 0 for a full image. A child's depth is this plus one. */
    public int depth() {
        return depth;
    }

    public String architecture() {
        return architecture;
    }

    public int pageSize() {
        return pageSize;
    }

    /** The head flags of the parent ({@link ImageInfo#FLAG_EXACT}, …); a child must be written under the same policy. */
    public long flags() {
        return flags;
    }

    /** Whether every area of the parent has page digests, so a child can compare pages without a host dirty set. */
    public boolean hasDigests() {
        return index.hasDigests();
    }

    /** The link a child of this image writes. */
    public ParentLink link() {
        return new ParentLink(checkpointId, tail, depth + 1);
    }

    ParentIndex index() {
        return index;
    }

    @Override
    public String toString() {
        return "ParentImage[" + Long.toHexString(checkpointId) + ", depth " + depth + ", " + architecture + ", "
                + (hasDigests() ? "digests" : "no digests") + ", " + tail + "]";
    }
}
