package org.ckpt.store.s3;

/**
 * What one {@link S3ImageStore#collectGarbage} pass found and did.
 *
 * @param manifests     images read for the mark (manifests under the live prefix)
 * @param livePacks     packs some live image references
 * @param unindexed     unreferenced packs older than the grace period taken out of the index in this pass
 * @param reindexed     packs out of the index that an image references again, put back
 * @param deleted       packs deleted (out of the index and unreferenced for the grace period, or never indexed)
 * @param bytesFreed    bytes of the deleted packs
 * @param packsKept     packs left as they were (referenced, or younger than the grace period)
 * @since 0.2 (evolving)
 */
public record GcReport(int manifests, int livePacks, int unindexed, int reindexed, int deleted, long bytesFreed,
                       int packsKept) {
}
