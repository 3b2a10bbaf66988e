package org.ckpt.spi;

/**
 * Record type numbers. {@code 0x0001–0x00FF} belong to the core format,
 * {@code 0x0100–0x01FF} to architecture providers (each provider declares its own
 * in {@link ArchProvider#recordTypes()}); other values are unassigned. See
 * {@code docs/FORMAT.md} for every layout.
 *
 * @since 0.1 (stable)
 */
public final class RecordTypes {
    public static final int HEAD = 0x0001;
    public static final int ARCH_HEAD = 0x0002;
    public static final int TAIL = 0x0003;
    public static final int ERROR = 0x0004;
    /**
     * The seal: an HMAC-SHA-256 tag or Ed25519 signature over every byte before it, right
     * before the {@code TAIL} (written optional; format 1.3). @since 0.3
     */
    public static final int SEAL = 0x0005;
    /**
     * The parent an incremental image builds on: its checkpoint id, the tail that pins its
     * bytes, the chain depth (format 1.3; mandatory, so older readers refuse a child image).
     *
     * @since 0.3
     */
    public static final int PARENT = 0x0006;
    /**
     * Encryption of the record payloads: the wrapped data key right after {@code ARCH_HEAD},
     * and an encrypted closing record after the last encrypted one (format 1.3). @since 0.3
     */
    public static final int CIPHER = 0x0007;
    public static final int TASK = 0x0010;
    /** The objrefs of a task's extension objects, right after its {@code TASK} (format 1.1). */
    public static final int TASK_EXT = 0x0011;
    /** Facts about a task a restart does not need (written optional; format 1.2). @since 0.2 */
    public static final int TASK_INFO = 0x0012;
    public static final int OBJECT = 0x0020;
    public static final int OBJECT_DATA = 0x0021;
    public static final int VMA = 0x0030;
    public static final int PAGES = 0x0031;
    /** A run of an area whose bytes are the parent image's at the same addresses (format 1.3). @since 0.3 */
    public static final int PAGES_PARENT = 0x0032;
    /** Per-page digests of an area's present pages (written optional). @since 0.3 */
    public static final int PAGE_DIGESTS = 0x0033;
    /**
     * Many runs of an area in one record, each carried in it or taken from the parent image
     * (format 1.4). @since 0.4
     */
    public static final int PAGE_RUNS = 0x0034;

    public static final int ARCH_FIRST = 0x0100;
    public static final int ARCH_LAST = 0x01FF;

    private RecordTypes() {
    }

    /** Whether the type belongs to the core format (not an architecture). */
    public static boolean isCore(int type) {
        return switch (type) {
            case HEAD, ARCH_HEAD, TAIL, ERROR, SEAL, PARENT, CIPHER, TASK, TASK_EXT, TASK_INFO, OBJECT, OBJECT_DATA,
                 VMA, PAGES, PAGES_PARENT, PAGE_DIGESTS, PAGE_RUNS -> true;
            default -> false;
        };
    }

    /** A readable name for messages: {@code TASK}, or {@code 0x0123} for types the core does not name. */
    /** "0x%04x" without a Formatter: this runs for every architecture record a restart reads. */
    private static String hex(int type) {
        String h = Integer.toHexString(type);
        return h.length() >= 4 ? "0x" + h : "0x" + "000".substring(h.length() - 1) + h;
    }

    public static String name(int type) {
        return switch (type) {
            case HEAD -> "HEAD";
            case ARCH_HEAD -> "ARCH_HEAD";
            case TAIL -> "TAIL";
            case ERROR -> "ERROR";
            case SEAL -> "SEAL";
            case PARENT -> "PARENT";
            case CIPHER -> "CIPHER";
            case TASK -> "TASK";
            case TASK_EXT -> "TASK_EXT";
            case TASK_INFO -> "TASK_INFO";
            case OBJECT -> "OBJECT";
            case OBJECT_DATA -> "OBJECT_DATA";
            case VMA -> "VMA";
            case PAGES -> "PAGES";
            case PAGES_PARENT -> "PAGES_PARENT";
            case PAGE_DIGESTS -> "PAGE_DIGESTS";
            case PAGE_RUNS -> "PAGE_RUNS";
            default -> hex(type);
        };
    }
}
