package org.ckpt.model;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A regular file or directory opened by path, as the kernel series' generic file
 * checkpoint saw it. A file that is open but deleted carries its contents, which
 * the image saves (up to {@code Limits.maxDeletedFileSize}) so that restart can
 * recreate it.
 *
 * @param kind     regular file or directory
 * @param path     absolute POSIX path; a checkpoint writes it relative to its root
 * @param flags    open flags in Linux's generic encoding ({@code O_RDWR}, {@code O_APPEND}, ...)
 * @param mode     file mode ({@code st_mode}: type and permission bits)
 * @param position file offset, {@code >= 0}
 * @param version  the host's change counter (Linux's {@code f_version}), carried as is
 * @param deletedContents for a deleted file its whole contents (a read-only view), else {@code null}
 * @since 0.1 (stable)
 */
public record GenericFile(FileKind kind, String path, int flags, int mode, long position, long version,
                          ByteBuffer deletedContents) implements OpenFile {

    /** Flags a generic file may carry: Linux's O_* bits below bit 23 (asm-generic values). */
    public static final int FLAGS_MASK = 0x7FFFFF;
    /** Mode bits a file may carry: {@code S_IFMT} and permissions. */
    public static final int MODE_MASK = 0xFFFF;

    public GenericFile {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        if (deletedContents != null) {
            deletedContents = deletedContents.asReadOnlyBuffer();
        }
    }

    /** An open file that still exists at {@code path}. */
    public static GenericFile open(FileKind kind, String path, int flags, int mode, long position) {
        return new GenericFile(kind, path, flags, mode, position, 0, null);
    }

    public boolean isDeleted() {
        return deletedContents != null;
    }
}
