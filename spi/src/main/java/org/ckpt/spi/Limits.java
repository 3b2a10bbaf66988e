package org.ckpt.spi;

/**
 * Bounds applied to every length and count read from an image before anything is
 * allocated, and to what a checkpoint is willing to write. The defaults are safe
 * for untrusted images on a small heap; a host that restores bigger tasks raises
 * them deliberately. Start from {@link #DEFAULTS} and change what you need with the
 * {@code with…} methods.
 *
 * @param maxRecordSize      largest record payload, in bytes
 * @param maxStringLength    longest string field, in UTF-8 bytes
 * @param maxPathLength      longest file path, in UTF-8 bytes
 * @param maxCommLength      longest task command name, in UTF-8 bytes (Linux: 16)
 * @param maxTasks           most tasks in one image
 * @param maxVmas            most memory areas in one address space
 * @param maxDescriptors     most descriptors in one file table
 * @param maxDescriptor      largest descriptor number, exclusive
 * @param maxObjects         most shared objects in one image
 * @param maxDeletedFileSize largest deleted-but-open file whose contents are saved
 * @param maxRestartHeap     most heap, in bytes, a restart may hold for the image's metadata and
 *                           objects (tasks, objects, areas, page-run bookkeeping; not the page
 *                           contents, which go to the page destination): the restart counts an
 *                           estimate of each before reading it and stops with an
 *                           {@link ImageLimitException} beyond this
 * @param maxChainDepth      most images above an incremental image in its chain (its parent, the
 *                           parent's parent, …); a deeper chain is refused before any parent is
 *                           opened, and a checkpoint refuses to make one (merge it instead). @since 0.3
 * @since 0.1 (stable)
 */
public record Limits(
        int maxRecordSize,
        int maxStringLength,
        int maxPathLength,
        int maxCommLength,
        int maxTasks,
        int maxVmas,
        int maxDescriptors,
        int maxDescriptor,
        int maxObjects,
        long maxDeletedFileSize,
        long maxRestartHeap,
        int maxChainDepth) {

    /** The default {@link #maxChainDepth}: 64 images above the last one. @since 0.3 */
    public static final int DEFAULT_MAX_CHAIN_DEPTH = 64;

    /**
     * The defaults: 16 MiB records, 4 KiB strings and paths, 16-byte comm, 65,536 tasks,
     * 65,530 areas (Linux's max_map_count), 65,536 descriptors below 2^20, 2^20 objects,
     * 64 MiB deleted files, 64 MiB of restart heap for metadata, and chains of at most 64
     * parents.
     */
    public static final Limits DEFAULTS = new Limits(
            16 << 20, 4096, 4096, 16, 65_536, 65_530, 65_536, 1 << 20, 1 << 20, 64L << 20, 64L << 20,
            DEFAULT_MAX_CHAIN_DEPTH);

    /** The limits of 0.2, with the default {@link #maxChainDepth}. */
    public Limits(int maxRecordSize, int maxStringLength, int maxPathLength, int maxCommLength, int maxTasks,
                  int maxVmas, int maxDescriptors, int maxDescriptor, int maxObjects, long maxDeletedFileSize,
                  long maxRestartHeap) {
        this(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas, maxDescriptors,
                maxDescriptor, maxObjects, maxDeletedFileSize, maxRestartHeap, DEFAULT_MAX_CHAIN_DEPTH);
    }

    public Limits {
        positive("maxRecordSize", maxRecordSize);
        if (maxRecordSize < 4096 + 64) {
            throw new IllegalArgumentException("maxRecordSize must hold at least one 4 KiB page run: " + maxRecordSize);
        }
        positive("maxStringLength", maxStringLength);
        positive("maxPathLength", maxPathLength);
        positive("maxCommLength", maxCommLength);
        positive("maxTasks", maxTasks);
        positive("maxVmas", maxVmas);
        positive("maxDescriptors", maxDescriptors);
        positive("maxDescriptor", maxDescriptor);
        positive("maxObjects", maxObjects);
        if (maxDeletedFileSize < 0) {
            throw new IllegalArgumentException("maxDeletedFileSize must be >= 0: " + maxDeletedFileSize);
        }
        if (maxRestartHeap <= 0) {
            throw new IllegalArgumentException("maxRestartHeap must be > 0: " + maxRestartHeap);
        }
        positive("maxChainDepth", maxChainDepth);
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0: " + v);
        }
    }

    public Limits withMaxRecordSize(int v) {
        return new Limits(v, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas, maxDescriptors,
                maxDescriptor, maxObjects, maxDeletedFileSize, maxRestartHeap, maxChainDepth);
    }

    public Limits withMaxStringLength(int v) {
        return new Limits(maxRecordSize, v, maxPathLength, maxCommLength, maxTasks, maxVmas, maxDescriptors,
                maxDescriptor, maxObjects, maxDeletedFileSize, maxRestartHeap, maxChainDepth);
    }

    /** @since 0.2 */
    public Limits withMaxPathLength(int v) {
        return new Limits(maxRecordSize, maxStringLength, v, maxCommLength, maxTasks, maxVmas, maxDescriptors,
                maxDescriptor, maxObjects, maxDeletedFileSize, maxRestartHeap, maxChainDepth);
    }

    public Limits withMaxCommLength(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, v, maxTasks, maxVmas, maxDescriptors,
                maxDescriptor, maxObjects, maxDeletedFileSize, maxRestartHeap, maxChainDepth);
    }

    public Limits withMaxTasks(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, v, maxVmas, maxDescriptors,
                maxDescriptor, maxObjects, maxDeletedFileSize, maxRestartHeap, maxChainDepth);
    }

    public Limits withMaxVmas(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, v, maxDescriptors,
                maxDescriptor, maxObjects, maxDeletedFileSize, maxRestartHeap, maxChainDepth);
    }

    public Limits withMaxDescriptors(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas, v,
                maxDescriptor, maxObjects, maxDeletedFileSize, maxRestartHeap, maxChainDepth);
    }

    /** @since 0.2 */
    public Limits withMaxDescriptor(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas,
                maxDescriptors, v, maxObjects, maxDeletedFileSize, maxRestartHeap, maxChainDepth);
    }

    public Limits withMaxObjects(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas,
                maxDescriptors, maxDescriptor, v, maxDeletedFileSize, maxRestartHeap, maxChainDepth);
    }

    public Limits withMaxDeletedFileSize(long v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas,
                maxDescriptors, maxDescriptor, maxObjects, v, maxRestartHeap, maxChainDepth);
    }

    /** @since 0.2 */
    public Limits withMaxRestartHeap(long v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas,
                maxDescriptors, maxDescriptor, maxObjects, maxDeletedFileSize, v, maxChainDepth);
    }

    /** @since 0.3 */
    public Limits withMaxChainDepth(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas,
                maxDescriptors, maxDescriptor, maxObjects, maxDeletedFileSize, maxRestartHeap, v);
    }
}
