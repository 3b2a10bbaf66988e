package org.ckpt;

import java.util.Optional;

/**
 * What {@link Restarter#scan} learned of an image without interpreting its records: the
 * head, the seal, the encryption, and the counts. Every record's framing and checksum, the
 * tail and (for a restarter that trusts keys) the seal have verified.
 *
 * @param info       the head; {@code archHead} is null when no provider for the architecture is present
 * @param seal       the seal, if the image has one
 * @param encryption how the image is encrypted, if it is ({@code decrypted} is false: a scan decrypts nothing)
 * @param bytes      image size in bytes
 * @param records    records, head and tail included
 * @since 0.3 (evolving)
 */
public record ImageScan(ImageInfo info, Optional<ImageSeal> seal, Optional<ImageEncryption> encryption, long bytes,
                        long records) {
}
