package org.ckpt.model;

import java.util.List;
import java.util.Objects;

/**
 * A file table (Linux's {@code files_struct}): descriptors in ascending order.
 * Shared by identity between tasks.
 *
 * @since 0.1 (stable)
 */
public record FileTable(List<Entry> entries) {
    public FileTable {
        entries = List.copyOf(entries);
    }

    public static FileTable of(Entry... entries) {
        return new FileTable(List.of(entries));
    }

    /** The entry for {@code fd}, or {@code null}. */
    public Entry get(int fd) {
        for (Entry e : entries) {
            if (e.fd() == fd) {
                return e;
            }
        }
        return null;
    }

    /**
     * One descriptor.
     *
     * @param fd          descriptor number, {@code >= 0}
     * @param file        the open file it refers to
     * @param closeOnExec whether {@code FD_CLOEXEC} is set
     */
    public record Entry(int fd, OpenFile file, boolean closeOnExec) {
        public Entry {
            Objects.requireNonNull(file, "file");
        }
    }
}
