package org.ckpt.model;

/**
 * Kinds of {@link GenericFile}, with their image codes.
 *
 * @since 0.1 (stable)
 */
public enum FileKind {
    REGULAR(1),
    DIRECTORY(2);

    private final int code;

    FileKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The kind for an image code, or {@code null} if unknown. */
    public static FileKind ofCode(long code) {
        for (FileKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        return null;
    }
}
