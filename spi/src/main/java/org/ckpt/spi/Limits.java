package org.ckpt.spi;

/**
 * Bounds applied to every length and count read from an image before anything is
 * allocated, and to what a checkpoint is willing to write. The defaults are safe
 * for untrusted images on a small heap; a host that restores bigger tasks raises
 * them deliberately.
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
        long maxDeletedFileSize) {

    /** The defaults: 16 MiB records, 4 KiB strings and paths, 16-byte comm, 65,530 areas (Linux's max_map_count). */
    public static final Limits DEFAULTS = new Limits(
            16 << 20, 4096, 4096, 16, 65_536, 65_530, 65_536, 1 << 20, 1 << 20, 64L << 20);

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
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0: " + value);
        }
    }

    public Limits withMaxRecordSize(int v) {
        return new Limits(v, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas, maxDescriptors, maxDescriptor, maxObjects, maxDeletedFileSize);
    }

    public Limits withMaxCommLength(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, v, maxTasks, maxVmas, maxDescriptors, maxDescriptor, maxObjects, maxDeletedFileSize);
    }

    public Limits withMaxVmas(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, v, maxDescriptors, maxDescriptor, maxObjects, maxDeletedFileSize);
    }

    public Limits withMaxDescriptors(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas, v, maxDescriptor, maxObjects, maxDeletedFileSize);
    }

    public Limits withMaxObjects(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas, maxDescriptors, maxDescriptor, v, maxDeletedFileSize);
    }

    public Limits withMaxTasks(int v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, v, maxVmas, maxDescriptors, maxDescriptor, maxObjects, maxDeletedFileSize);
    }

    public Limits withMaxStringLength(int v) {
        return new Limits(maxRecordSize, v, maxPathLength, maxCommLength, maxTasks, maxVmas, maxDescriptors, maxDescriptor, maxObjects, maxDeletedFileSize);
    }

    public Limits withMaxDeletedFileSize(long v) {
        return new Limits(maxRecordSize, maxStringLength, maxPathLength, maxCommLength, maxTasks, maxVmas, maxDescriptors, maxDescriptor, maxObjects, v);
    }
}
