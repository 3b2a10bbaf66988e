package org.ckpt.store.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.HttpResponse;
import org.gaul.s3proxy.blobstore.HttpResponseException;
import org.gaul.s3proxy.blobstore.domain.Blob;
import org.gaul.s3proxy.blobstore.domain.MultipartPart;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import org.gaul.s3proxy.blobstore.domain.PageSet;
import org.gaul.s3proxy.blobstore.domain.StorageMetadata;
import org.gaul.s3proxy.blobstore.options.CopyOptions;
import org.gaul.s3proxy.blobstore.options.GetOptions;
import org.gaul.s3proxy.blobstore.options.ListContainerOptions;
import org.gaul.s3proxy.blobstore.options.PutOptions;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for tests: S3Proxy in this JVM on 127.0.0.1 (a free port), with an
 * in-memory backend, signature v4 authentication, and faults the tests switch on: a request
 * answered 503, delayed past the client's timeout, or a GET whose body ends early. Used by
 * store-s3's tests here and by the ckpt command's ({@code cli} S3CommandTest).
 *
 * <p>Listings are made atomic with respect to writes ({@link Faults}): S3Proxy 4.0.0's file
 * system backends walk a directory, and a file renamed away during the walk — the temporary
 * file of a PUT in flight — ends the walk silently, so a listing concurrent with a PUT into the
 * same directory can miss every entry after that file. Amazon S3 lists consistently; the tests
 * hold the server to that.
 */
public final class S3Server implements AutoCloseable {
    /** The access key id the server accepts (with {@link #SECRET}). */
    public static final String ACCESS = "ckpt-test-access";
    public static final String SECRET = "ckpt-test-secret";

    /** What to do to the requests a fault matches. */
    enum Fault { NONE, FAIL_503, DELAY, TRUNCATE }

    final Faults faults;
    final S3Proxy proxy;
    /** Where the server listens: {@code http://127.0.0.1:PORT}. */
    public final URI endpoint;

    private S3Server(Faults faults, S3Proxy proxy) {
        this.faults = faults;
        this.proxy = proxy;
        this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    /** A server in memory. */
    public static S3Server start() throws Exception {
        return start(null);
    }

    /** On a directory (a filesystem backend), or in memory ({@code dir} null). */
    public static S3Server start(java.nio.file.Path dir) throws Exception {
        Faults faults = new Faults(dir == null ? new TransientNio2BlobStore()
                : new org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore(dir.toString()));
        S3Proxy proxy = S3Proxy.builder().blobStore(faults).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET).build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        return new S3Server(faults, proxy);
    }

    public static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS, SECRET));
    }

    /** A client of the server (path-style, us-east-1, the test credentials); the caller closes it. */
    public S3Client client() {
        return S3Client.builder().endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(credentials()).build();
    }

    /** Creates {@code bucket} unless it exists. */
    public void createBucket(String bucket) {
        try (S3Client c = client()) {
            if (c.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
                c.createBucket(r -> r.bucket(bucket));
            }
        }
    }

    /** A store on {@code bucket} (created if missing) with 5 MiB parts and 3 threads. */
    S3ImageStore.Builder store(String bucket) {
        createBucket(bucket);
        return S3ImageStore.builder(bucket).endpoint(endpoint).region("us-east-1").credentials(credentials())
                .partSize(S3ImageStore.MIN_PART_SIZE).concurrency(3);
    }

    @Override
    public void close() throws IOException {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IOException("stopping S3Proxy", e);
        }
    }

    /**
     * The backend with switchable faults, and with listings atomic with respect to writes: every
     * call that writes or removes a file holds {@link #writes} shared, every call that walks a
     * directory (listings, and completing or aborting a multipart upload, which list its parts)
     * holds it exclusively.
     */
    static final class Faults extends ForwardingBlobStore {
        volatile Fault onPart = Fault.NONE;
        volatile int partNumber;
        volatile Fault onGet = Fault.NONE;
        volatile String getName = "";
        volatile long getStart = -1;
        volatile int times = Integer.MAX_VALUE;
        volatile long delayMillis = 2_000;
        final AtomicInteger hits = new AtomicInteger();
        private final ReadWriteLock writes = new ReentrantReadWriteLock();

        Faults(BlobStore delegate) {
            super(delegate);
        }

        private static <T> T holding(Lock lock, Supplier<T> call) {
            lock.lock();
            try {
                return call.get();
            } finally {
                lock.unlock();
            }
        }

        private <T> T writing(Supplier<T> call) {
            return holding(writes.readLock(), call);
        }

        private <T> T walking(Supplier<T> call) {
            return holding(writes.writeLock(), call);
        }

        @Override
        public PageSet<? extends StorageMetadata> list(String container, ListContainerOptions options) {
            return walking(() -> super.list(container, options));
        }

        @Override
        public List<MultipartPart> listMultipartUpload(MultipartUpload mpu) {
            return walking(() -> super.listMultipartUpload(mpu));
        }

        @Override
        public List<MultipartUpload> listMultipartUploads(String container) {
            return walking(() -> super.listMultipartUploads(container));
        }

        @Override
        public String completeMultipartUpload(MultipartUpload mpu, List<MultipartPart> parts) {
            return walking(() -> super.completeMultipartUpload(mpu, parts));
        }

        @Override
        public void abortMultipartUpload(MultipartUpload mpu) {
            walking(() -> {
                super.abortMultipartUpload(mpu);
                return null;
            });
        }

        @Override
        public void clearContainer(String container, ListContainerOptions options) {
            walking(() -> {
                super.clearContainer(container, options);
                return null;
            });
        }

        @Override
        public void deleteContainer(String container) {
            walking(() -> {
                super.deleteContainer(container);
                return null;
            });
        }

        @Override
        public boolean deleteContainerIfEmpty(String container) {
            return walking(() -> super.deleteContainerIfEmpty(container));
        }

        @Override
        public String putBlob(String container, Blob blob, PutOptions options) {
            return writing(() -> super.putBlob(container, blob, options));
        }

        @Override
        public String copyBlob(String fromContainer, String fromName, String toContainer, String toName,
                               CopyOptions options) {
            return writing(() -> super.copyBlob(fromContainer, fromName, toContainer, toName, options));
        }

        @Override
        public void removeBlob(String container, String name) {
            writing(() -> {
                super.removeBlob(container, name);
                return null;
            });
        }

        @Override
        public void removeBlobs(String container, Iterable<String> names) {
            writing(() -> {
                super.removeBlobs(container, names);
                return null;
            });
        }

        @Override
        public MultipartUpload initiateMultipartUpload(String container, org.gaul.s3proxy.blobstore.domain.BlobMetadata
                metadata, PutOptions options) {
            return writing(() -> super.initiateMultipartUpload(container, metadata, options));
        }

        void reset() {
            onPart = Fault.NONE;
            onGet = Fault.NONE;
            getName = "";
            getStart = -1;
            times = Integer.MAX_VALUE;
            delayMillis = 2_000;
            hits.set(0);
        }

        private boolean fire() {
            return hits.incrementAndGet() <= times;
        }

        @Override
        public MultipartPart uploadMultipartPart(MultipartUpload mpu, int number, InputStream is, long length,
                                                 com.google.common.hash.HashCode md5) {
            if (onPart != Fault.NONE && number == partNumber && fire()) {
                act(onPart);
            }
            return writing(() -> super.uploadMultipartPart(mpu, number, is, length, md5));
        }

        @Override
        public Blob getBlob(String container, String name, GetOptions options) {
            Blob b = super.getBlob(container, name, options);
            Fault f = onGet;
            if (f == Fault.NONE || b == null || !name.startsWith(getName)
                    || (getStart >= 0 && (options.ranges().isEmpty() || !options.ranges().get(0).startsWith(getStart + "-")))
                    || !fire()) {
                return b;
            }
            if (f == Fault.TRUNCATE) {
                InputStream in = b.getPayload();
                long keep = 1000;  // then the body ends, short of its Content-Length
                return b.toBuilder().payload(new FilterInputStream(in) {
                    long left = keep;

                    @Override
                    public int read() throws IOException {
                        return left-- > 0 ? super.read() : -1;
                    }

                    @Override
                    public int read(byte[] buf, int off, int len) throws IOException {
                        if (left <= 0) {
                            return -1;
                        }
                        int n = super.read(buf, off, (int) Math.min(len, left));
                        if (n > 0) {
                            left -= n;
                        }
                        return n;
                    }
                }).build();
            }
            act(f);
            return b;
        }

        private void act(Fault f) {
            if (f == Fault.FAIL_503) {
                throw new HttpResponseException(new HttpResponse(503));
            }
            if (f == Fault.DELAY) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
