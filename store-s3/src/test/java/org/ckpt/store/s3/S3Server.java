package org.ckpt.store.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.HttpResponse;
import org.gaul.s3proxy.blobstore.HttpResponseException;
import org.gaul.s3proxy.blobstore.domain.Blob;
import org.gaul.s3proxy.blobstore.domain.MultipartPart;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import org.gaul.s3proxy.blobstore.options.GetOptions;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for the tests: S3Proxy in this JVM on 127.0.0.1 (a free port), with an
 * in-memory backend, signature v4 authentication, and faults the tests switch on: a request
 * answered 503, delayed past the client's timeout, or a GET whose body ends early.
 */
final class S3Server implements AutoCloseable {
    static final String ACCESS = "ckpt-test-access";
    static final String SECRET = "ckpt-test-secret";

    /** What to do to the requests a fault matches. */
    enum Fault { NONE, FAIL_503, DELAY, TRUNCATE }

    final Faults faults;
    final S3Proxy proxy;
    final URI endpoint;

    private S3Server(Faults faults, S3Proxy proxy) {
        this.faults = faults;
        this.proxy = proxy;
        this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    static S3Server start() throws Exception {
        return start(null);
    }

    /** On a directory (a filesystem backend), or in memory ({@code dir} null). */
    static S3Server start(java.nio.file.Path dir) throws Exception {
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

    static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS, SECRET));
    }

    S3Client client() {
        return S3Client.builder().endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(credentials()).build();
    }

    /** A store on {@code bucket} (created if missing) with 5 MiB parts and 3 threads. */
    S3ImageStore.Builder store(String bucket) {
        try (S3Client c = client()) {
            if (c.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
                c.createBucket(r -> r.bucket(bucket));
            }
        }
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

    /** The backend with switchable faults. */
    static final class Faults extends ForwardingBlobStore {
        volatile Fault onPart = Fault.NONE;
        volatile int partNumber;
        volatile Fault onGet = Fault.NONE;
        volatile String getName = "";
        volatile long getStart = -1;
        volatile int times = Integer.MAX_VALUE;
        volatile long delayMillis = 2_000;
        final AtomicInteger hits = new AtomicInteger();

        Faults(BlobStore delegate) {
            super(delegate);
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
            return super.uploadMultipartPart(mpu, number, is, length, md5);
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
