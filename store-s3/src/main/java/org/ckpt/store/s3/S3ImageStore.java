package org.ckpt.store.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.ckpt.store.ImageStore;
import org.ckpt.store.ImageStores;
import org.ckpt.store.ImageUpload;
import org.ckpt.store.StoreException;
import org.ckpt.store.StoredImage;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Images in a bucket of S3-compatible object storage (AWS S3, MinIO, Ceph RGW, S3Proxy …), on
 * the AWS SDK for Java v2. Key {@code app/1.ckpt} is the object {@code app/1.ckpt}; the store's
 * URI is {@code s3://BUCKET/}.
 *
 * <p><b>Checkpoints</b> stream into a multipart upload: the image is cut into parts of
 * {@link Builder#partSize} bytes, uploaded by up to {@link Builder#concurrency} threads while the
 * checkpoint produces the next ones; at most {@code concurrency} parts (plus the one being
 * filled) are held in memory. The object appears only when the upload is committed after the
 * image's tail; a failed, aborted or interrupted checkpoint aborts the multipart upload and leaves
 * no object. An image smaller than one part is sent as one {@code PutObject} at the commit.
 *
 * <p><b>Restarts</b> read the object with ranged {@code GET}s of a part each, {@code concurrency + 1}
 * ahead of the reader, each conditional on the object's ETag, so a restart
 * never mixes two versions of an image; {@code Restarter} validates every byte before it commits.
 *
 * <p><b>Chunked mode</b> ({@link Builder#chunked}) stores each page once: page contents go to
 * content-addressed chunks in pack objects under {@link Builder#chunkPrefix}, and the key holds a
 * manifest that {@link #open} turns back into the exact image bytes (docs/FORMAT.md §16).
 * {@link #collectGarbage} removes the packs no image references.
 *
 * <p>Failures of the server (refused connections, timeouts, 5xx after the SDK's bounded retries,
 * bodies cut short) are {@link StoreException}s naming the object and the part or byte range.
 *
 * @since 0.2 (evolving)
 */
public final class S3ImageStore implements ImageStore {
    /** S3's smallest part (except the last) and the default part size's floor. */
    public static final int MIN_PART_SIZE = 5 << 20;
    /** S3's largest number of parts in one multipart upload. */
    public static final int MAX_PARTS = 10_000;

    final S3Client client;
    private final boolean ownsClient;
    final String bucket;
    final int partSize;
    final int concurrency;
    final boolean chunked;
    final String chunkPrefix;
    final int packSize;
    final ThreadPoolExecutor pool;
    private final URI uri;
    private volatile ChunkIndex index;

    private S3ImageStore(Builder b, S3Client client, boolean ownsClient) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.bucket = b.bucket;
        this.partSize = b.partSize;
        this.concurrency = b.concurrency;
        this.chunked = b.chunked;
        this.chunkPrefix = b.chunkPrefix;
        this.packSize = b.packSize > 0 ? b.packSize : b.partSize;
        this.uri = URI.create("s3://" + bucket + "/");
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(concurrency, concurrency, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "ckpt-s3-" + bucket + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
    }

    /** A store of the images in {@code bucket}. */
    public static Builder builder(String bucket) {
        return new Builder(bucket);
    }

    /** The bucket. */
    public String bucket() {
        return bucket;
    }

    /** The client this store uses (for a host's own requests; the store closes it unless it was given one). */
    public S3Client client() {
        return client;
    }

    @Override
    public URI uri() {
        return uri;
    }

    /** {@code s3://bucket/key}, with the key as it is (S3 keys need no escaping in messages). */
    URI objectUri(String key) {
        return URI.create("s3://" + bucket + "/").resolve(escape(key));
    }

    private static String escape(String key) {
        try {
            return new URI(null, null, "./" + key, null).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Override
    public ImageUpload create(String key) throws IOException {
        ImageStores.requireValidKey(key);
        refuseChunkKey(key);
        if (!chunked) {
            return new MultipartWriter(this, key);
        }
        return new ChunkingUpload(this, key, index());
    }

    @Override
    public ReadableByteChannel open(String key) throws IOException {
        ImageStores.requireValidKey(key);
        HeadObjectResponse head = head(key);
        if (head == null) {
            throw new NoSuchFileException(objectUri(key).toString(), null, "no image under key '" + key + "' in " + uri);
        }
        RangedReader raw = new RangedReader(this, key, head.contentLength(), head.eTag());
        try {
            if (Manifest.startsWithMagic(raw.peek(Manifest.MAGIC.length))) {
                return new ManifestReader(this, key, raw);
            }
            return raw;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** The object's metadata, or {@code null} if there is none. */
    HeadObjectResponse head(String key) throws IOException {
        try {
            return client.headObject(r -> r.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            return null;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw failure(key, null, e);
        } catch (SdkException e) {
            throw failure(key, null, e);
        }
    }

    @Override
    public List<StoredImage> list(String prefix) throws IOException {
        ImageStores.requireValidPrefix(prefix);
        List<StoredImage> out = new ArrayList<>();
        for (S3Object o : listObjects(prefix)) {
            if (!o.key().startsWith(chunkPrefix)) {
                out.add(new StoredImage(o.key(), o.size(), o.lastModified()));
            }
        }
        return out;
    }

    /** Every object under {@code prefix}, in key order. */
    List<S3Object> listObjects(String prefix) throws IOException {
        List<S3Object> out = new ArrayList<>();
        try {
            client.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix)).contents().forEach(out::add);
        } catch (SdkException e) {
            throw failure(prefix, "listing", e);
        }
        return out;
    }

    @Override
    public boolean delete(String key) throws IOException {
        ImageStores.requireValidKey(key);
        refuseChunkKey(key);
        if (head(key) == null) {
            return false;
        }
        deleteObject(key);
        return true;
    }

    void deleteObject(String key) throws IOException {
        try {
            client.deleteObject(r -> r.bucket(bucket).key(key));
        } catch (SdkException e) {
            throw failure(key, "delete", e);
        }
    }

    private void refuseChunkKey(String key) {
        if (key.startsWith(chunkPrefix)) {
            throw new IllegalArgumentException("key '" + key + "' is under the chunk prefix '" + chunkPrefix
                    + "' the store keeps its page chunks in");
        }
    }

    /**
     * Removes the page packs no image references any more (chunked mode), in one pass: marks
     * every pack the manifests under {@code livePrefix} reference, then moves an unreferenced pack
     * older than {@code grace} out of the index (so no new checkpoint reuses its chunks), deletes
     * a pack that has stayed out of the index and unreferenced for {@code grace}, and puts back
     * into the index a pack out of it that an image references again. See docs/FORMAT.md §16.7
     * for the protocol and its races: {@code grace} must exceed the longest checkpoint.
     *
     * @param livePrefix the keys whose images are live ({@code ""}: every image in the bucket);
     *                   chunks only images outside it reference are collected
     */
    public GcReport collectGarbage(String livePrefix, Duration grace) throws IOException {
        ImageStores.requireValidPrefix(livePrefix);
        if (grace.isNegative()) {
            throw new IllegalArgumentException("negative grace period: " + grace);
        }
        GcReport r = new GarbageCollector(this).run(livePrefix, grace);
        ChunkIndex i = index;
        if (i != null) {
            i.refresh(this);
        }
        return r;
    }

    /** The index of every chunk in the bucket's packs, loaded once and refreshed for each chunked upload. */
    ChunkIndex index() throws IOException {
        ChunkIndex i = index;
        if (i == null) {
            synchronized (this) {
                i = index;
                if (i == null) {
                    i = new ChunkIndex();
                    index = i;
                }
            }
        }
        i.refresh(this);
        return i;
    }

    String packKey(String pack) {
        return chunkPrefix + "packs/" + pack;
    }

    String indexKey(String pack) {
        return chunkPrefix + "index/" + pack;
    }

    String goneKey(String pack) {
        return chunkPrefix + "gone/" + pack;
    }

    /** How the SDK's default credentials chain begins its message when no provider has credentials. */
    private static final String NO_CREDENTIALS = "Unable to load credentials from any of the providers in the chain";

    /** A failure of the store about {@code key}, with the part or range. */
    StoreException failure(String key, String where, Throwable e) {
        if (e instanceof StoreException s) {
            return s;
        }
        return new StoreException(objectUri(key), where, reason(e), e);
    }

    static String reason(Throwable e) {
        if (e instanceof S3Exception s && s.awsErrorDetails() != null) {
            return "HTTP " + s.statusCode() + " " + s.awsErrorDetails().errorCode() + ": "
                    + s.awsErrorDetails().errorMessage();
        }
        String m = e.getMessage();
        if (e instanceof SdkClientException && m != null && m.startsWith(NO_CREDENTIALS)) {
            // the SDK's message lists every provider of its chain and why each failed, on one long line
            return "no AWS credentials found: none in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the "
                    + "aws.accessKeyId and aws.secretAccessKey system properties, the profile of ~/.aws/credentials "
                    + "(AWS_PROFILE or 'default'), a web identity token, a container or an instance role";
        }
        Throwable c = e.getCause();
        if (c != null && c.getMessage() != null && (m == null || !m.contains(c.getMessage()))) {
            m = (m == null ? "" : m + ": ") + c.getClass().getSimpleName() + ": " + c.getMessage();
        }
        return m != null ? m : e.getClass().getName();
    }

    /** Waits for a task of the pool; its failure as an IOException, an interrupt as an InterruptedIOException. */
    static <T> T await(Future<T> f, String what) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            InterruptedIOException x = new InterruptedIOException(what + " interrupted");
            x.initCause(e);
            throw x;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(what + ": " + c, c);
        }
    }

    /** Closes the client (unless it was the host's) and stops the store's threads. */
    @Override
    public void close() {
        pool.shutdownNow();
        if (ownsClient) {
            client.close();
        }
    }

    @Override
    public String toString() {
        return "S3ImageStore[" + uri + (chunked ? ", chunked under " + chunkPrefix : "") + "]";
    }

    /** Configures an {@link S3ImageStore}. */
    public static final class Builder {
        private final String bucket;
        private S3Client client;
        private URI endpoint;
        private String region;
        private String profile;
        private AwsCredentialsProvider credentials;
        private Boolean pathStyle;
        private Duration timeout;
        private int partSize = 8 << 20;
        private int concurrency = 4;
        private boolean chunked;
        private String chunkPrefix = "ckpt-chunks/";
        private int packSize;

        private Builder(String bucket) {
            this.bucket = Objects.requireNonNull(bucket, "bucket");
            if (bucket.isEmpty() || bucket.contains("/")) {
                throw new IllegalArgumentException("not a bucket name: '" + bucket + "'");
            }
        }

        /**
         * Uses this client (a host's configured one: credentials, retries, HTTP client, metrics);
         * the store does not close it. Without it the store builds one from the options below and
         * the SDK's defaults: credentials and region from the environment, system properties and
         * profile files, the SDK's standard retry policy (3 attempts).
         */
        public Builder client(S3Client v) {
            client = v;
            return this;
        }

        /** An S3-compatible server instead of AWS, e.g. {@code http://127.0.0.1:9000}; implies path-style addressing. */
        public Builder endpoint(URI v) {
            endpoint = v;
            return this;
        }

        /**
         * The region; default the SDK's (AWS_REGION, the profile, EC2 instance metadata), else
         * {@code us-east-1} with an endpoint — which never asks instance metadata.
         */
        public Builder region(String v) {
            region = v;
            return this;
        }

        /** The profile of {@code ~/.aws/credentials} and {@code ~/.aws/config} to take credentials from. */
        public Builder profile(String v) {
            profile = v;
            return this;
        }

        /** Credentials; default the SDK's chain (environment, system properties, profile, container, instance). */
        public Builder credentials(AwsCredentialsProvider v) {
            credentials = v;
            return this;
        }

        /** Path-style ({@code http://host/bucket/key}) rather than virtual-host addressing; default: with an endpoint. */
        public Builder pathStyle(boolean v) {
            pathStyle = v;
            return this;
        }

        /** How long a connection attempt or a socket read may take before the SDK retries; default the SDK's. */
        public Builder timeout(Duration v) {
            if (v.isNegative() || v.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + v);
            }
            timeout = v;
            return this;
        }

        /**
         * Bytes per part of a multipart upload and per ranged GET: at least 5 MiB (S3's minimum),
         * default 8 MiB. An image may have at most 10,000 parts.
         */
        public Builder partSize(int v) {
            if (v < MIN_PART_SIZE) {
                throw new IllegalArgumentException("part size must be at least 5 MiB (S3's minimum): " + v);
            }
            partSize = v;
            return this;
        }

        /** Parts uploaded, ranges read ahead, and threads at once; default 4. */
        public Builder concurrency(int v) {
            if (v < 1 || v > 64) {
                throw new IllegalArgumentException("concurrency must be 1 to 64: " + v);
            }
            concurrency = v;
            return this;
        }

        /** Stores page contents as content-addressed chunks shared between images (docs/FORMAT.md §16); default off. */
        public Builder chunked(boolean v) {
            chunked = v;
            return this;
        }

        /** Where chunked mode keeps its packs and index; default {@code ckpt-chunks/}. Keys under it are refused. */
        public Builder chunkPrefix(String v) {
            ImageStores.requireValidPrefix(v);
            if (!v.endsWith("/")) {
                throw new IllegalArgumentException("chunk prefix must end in '/': " + v);
            }
            chunkPrefix = v;
            return this;
        }

        /** Bytes of new chunks collected into one pack object; default the part size. */
        public Builder packSize(int v) {
            if (v < 64 << 10) {
                throw new IllegalArgumentException("pack size must be at least 64 KiB: " + v);
            }
            packSize = v;
            return this;
        }

        public S3ImageStore build() {
            if (client != null) {
                return new S3ImageStore(this, client, false);
            }
            S3ClientBuilder cb = S3Client.builder();
            Apache5HttpClient.Builder http = Apache5HttpClient.builder().maxConnections(Math.max(50, concurrency * 2));
            if (timeout != null) {
                http.socketTimeout(timeout).connectionTimeout(timeout);
            }
            cb.httpClientBuilder(http);
            if (endpoint != null) {
                cb.endpointOverride(endpoint);
            }
            cb.forcePathStyle(pathStyle != null ? pathStyle : endpoint != null);
            if (region != null) {
                cb.region(Region.of(region));
            } else {
                Region r = null;
                try {
                    // With an endpoint, not from EC2 instance metadata: a server's region is a name, and
                    // asking the metadata service off EC2 costs every start a second or more.
                    AwsRegionProvider regions = endpoint != null
                            ? new AwsRegionProviderChain(new SystemSettingsRegionProvider(),
                                    new AwsProfileRegionProvider(null, profile))
                            : DefaultAwsRegionProviderChain.builder().profileName(profile).build();
                    r = regions.getRegion();
                } catch (SdkException e) {
                    if (endpoint == null) {
                        throw new IllegalArgumentException("no AWS region configured (AWS_REGION, the profile, or region): "
                                + e.getMessage(), e);
                    }
                }
                cb.region(r != null ? r : Region.US_EAST_1);
            }
            if (credentials != null) {
                cb.credentialsProvider(credentials);
            } else if (profile != null) {
                cb.credentialsProvider(ProfileCredentialsProvider.create(profile));
            } else {
                cb.credentialsProvider(DefaultCredentialsProvider.builder().build());
            }
            return new S3ImageStore(this, cb.build(), true);
        }
    }
}
