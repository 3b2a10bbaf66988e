/**
 * The ckpt library: checkpoint and restart of tasks as versioned, validated images.
 */
module org.ckpt {
    requires transitive org.ckpt.spi;
    requires org.slf4j;

    exports org.ckpt;
    exports org.ckpt.model;
    exports org.ckpt.store;

    uses org.ckpt.spi.ObjectOps;
    uses org.ckpt.spi.ArchProvider;
    uses org.ckpt.store.ImageStoreProvider;

    provides org.ckpt.spi.ObjectOps with
            org.ckpt.internal.AddressSpaceOps,
            org.ckpt.internal.FileTableOps,
            org.ckpt.internal.GenericFileOps;
}
