package org.ckpt;

import java.time.Instant;
import org.ckpt.spi.ArchHead;
import org.ckpt.spi.RestorePolicy;

/**
 * What an image's head says about it.
 *
 * @param formatMajor     format major version (a reader rejects majors it does not know)
 * @param formatMinor     format minor version (newer minors only add optional records)
 * @param flags           head flags: bit 0 = written under {@link RestorePolicy#EXACT}, bit 1 = no
 *                        architecture head (tasks without CPU state; since 1.2), bit 2 = record
 *                        payloads encrypted (since 1.3)
 * @param checkpointId    the checkpoint id
 * @param created         when the checkpoint was taken
 * @param pageSize        page size of every address space, in bytes
 * @param taskCount       tasks in the image
 * @param producerName    library that wrote the image
 * @param producerVersion its version
 * @param architecture    architecture name
 * @param archHead        what the architecture's head says; {@code null} in an image without one
 * @param uname           the producing machine
 * @since 0.1 (stable)
 */
public record ImageInfo(int formatMajor, int formatMinor, long flags, long checkpointId, Instant created,
                        int pageSize, int taskCount, String producerName, String producerVersion,
                        String architecture, ArchHead archHead, Uname uname) {
    /** Head flag: the image was written under {@link RestorePolicy#EXACT} (format 1.2). */
    public static final long FLAG_EXACT = 1;
    /**
     * Head flag: no task has CPU state and the image was written without an architecture
     * provider; its ARCH_HEAD is empty and it is read without one (format 1.2).
     */
    public static final long FLAG_NO_ARCH = 2;
    /**
     * Head flag: the record payloads after the head are encrypted (AES-256-GCM); a CIPHER record
     * follows the architecture head (format 1.3).
     *
     * @since 0.3
     */
    public static final long FLAG_ENCRYPTED = 4;

    /**
     * The restore policy the image was written under: its tasks passed that policy's rules,
     * and a restart into the model applies it unless told otherwise.
     *
     * @since 0.2
     */
    public RestorePolicy policy() {
        return (flags & FLAG_EXACT) != 0 ? RestorePolicy.EXACT : RestorePolicy.LINUX_USER;
    }
}
