/**
 * Images in S3-compatible object storage: {@link org.ckpt.store.s3.S3ImageStore}, and the
 * {@code s3:} scheme of {@link org.ckpt.store.ImageStores}.
 */
module org.ckpt.store.s3 {
    requires transitive org.ckpt;
    requires transitive software.amazon.awssdk.services.s3;
    requires software.amazon.awssdk.core;
    requires software.amazon.awssdk.awscore;
    requires transitive software.amazon.awssdk.auth;
    requires software.amazon.awssdk.regions;
    requires software.amazon.awssdk.http.apache5;
    requires software.amazon.awssdk.http;
    requires org.slf4j;

    exports org.ckpt.store.s3;

    provides org.ckpt.store.ImageStoreProvider with org.ckpt.store.s3.internal.S3StoreProvider;
}
