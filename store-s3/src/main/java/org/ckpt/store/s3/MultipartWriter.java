package org.ckpt.store.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.ckpt.store.ImageUpload;
import org.ckpt.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * An object written as a multipart upload, part by part while the writer produces the next:
 * at most {@code concurrency} parts in flight and one being filled, each {@code partSize}
 * bytes. The multipart upload is started with the first full part, so an object smaller than a
 * part is one PutObject at the commit. Nothing is visible before {@link #commit}; any failure,
 * an abort, a close without commit or an interrupt aborts the multipart upload.
 */
final class MultipartWriter implements ImageUpload {
    private static final Logger LOG = LoggerFactory.getLogger("org.ckpt.store.s3");

    private final S3ImageStore store;
    private final String key;
    private final int partSize;
    private final Semaphore permits;
    private final ArrayDeque<byte[]> free = new ArrayDeque<>();
    private final List<Future<CompletedPart>> parts = new ArrayList<>();
    private byte[] current;
    private int fill;
    private long written;
    private int nextPart = 1;
    private String uploadId;
    private volatile Throwable failure;
    private volatile boolean done;
    /** Guards starting parts against an abort from another thread (a close while the writer is blocked). */
    private final Object lock = new Object();

    MultipartWriter(S3ImageStore store, String key) {
        this.store = store;
        this.key = key;
        this.partSize = store.partSize;
        this.permits = new Semaphore(store.concurrency);
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public long bytesWritten() {
        return written;
    }

    @Override
    public boolean isOpen() {
        return !done;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (done) {
            throw new ClosedChannelException();
        }
        int n = src.remaining();
        try {
            while (src.hasRemaining()) {
                checkFailure();
                if (current == null) {
                    current = takeBuffer();
                    fill = 0;
                }
                int k = Math.min(src.remaining(), partSize - fill);
                src.get(current, fill, k);
                fill += k;
                written += k;
                if (fill == partSize) {
                    sendPart();
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            abort();
            throw e;
        }
        return n;
    }

    /** The position of the next byte written. */
    long position() {
        return written;
    }

    private byte[] takeBuffer() throws IOException {
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            throw new ClosedByInterruptException();
        }
        synchronized (free) {
            byte[] b = free.poll();
            return b != null ? b : new byte[partSize];
        }
    }

    private void giveBack(byte[] b) {
        synchronized (free) {
            free.push(b);
        }
        permits.release();
    }

    private void sendPart() throws IOException {
        synchronized (lock) {
            if (done) {
                throw new ClosedChannelException();
            }
            startPart();
        }
    }

    private void startPart() throws IOException {
        if (uploadId == null) {
            try {
                uploadId = store.client.createMultipartUpload(r -> r.bucket(store.bucket).key(key)).uploadId();
            } catch (SdkException e) {
                throw store.failure(key, "starting the multipart upload", e);
            }
        }
        int number = nextPart++;
        if (number > S3ImageStore.MAX_PARTS) {
            throw new StoreException(store.objectUri(key), "part " + number, "the image needs more than "
                    + S3ImageStore.MAX_PARTS + " parts of " + partSize + " bytes; raise the part size", null);
        }
        byte[] buf = current;
        int len = fill;
        long offset = written - len;
        current = null;
        fill = 0;
        String id = uploadId;
        parts.add(store.pool.submit(() -> {
            try {
                if (done) {
                    return null;  // aborted before this part's turn came
                }
                UploadPartResponse r = store.client.uploadPart(p -> p.bucket(store.bucket).key(key).uploadId(id)
                        .partNumber(number).contentLength((long) len),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buf, 0, len), len,
                                "application/octet-stream"));
                return CompletedPart.builder().partNumber(number).eTag(r.eTag()).checksumCRC32(r.checksumCRC32())
                        .checksumCRC32C(r.checksumCRC32C()).checksumCRC64NVME(r.checksumCRC64NVME())
                        .checksumSHA1(r.checksumSHA1()).checksumSHA256(r.checksumSHA256()).build();
            } catch (RuntimeException e) {
                StoreException x = store.failure(key, part(number, offset, len), e);
                failure = x;
                throw x;
            } finally {
                giveBack(buf);
            }
        }));
    }

    private static String part(int number, long offset, int len) {
        return String.format(Locale.ROOT, "part %d (bytes %d-%d)", number, offset, offset + len - 1);
    }

    private void checkFailure() throws IOException {
        Throwable f = failure;
        if (f instanceof IOException io) {
            throw io;
        }
        if (f != null) {
            throw new IOException(f);
        }
    }

    @Override
    public void commit() throws IOException {
        if (done) {
            throw new ClosedChannelException();
        }
        try {
            checkFailure();
            if (uploadId == null) {
                byte[] buf = current != null ? current : new byte[0];
                int len = fill;
                try {
                    store.client.putObject(r -> r.bucket(store.bucket).key(key).contentLength((long) len),
                            RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buf, 0, len), len,
                                    "application/octet-stream"));
                } catch (SdkException e) {
                    throw store.failure(key, "PutObject of " + len + " bytes", e);
                }
                if (current != null) {
                    giveBack(current);
                    current = null;
                }
            } else {
                List<Future<CompletedPart>> started;
                synchronized (lock) {
                    if (this.done) {
                        throw new ClosedChannelException();
                    }
                    if (fill > 0) {
                        startPart();
                    } else if (current != null) {
                        giveBack(current);
                        current = null;
                    }
                    started = new ArrayList<>(parts);
                }
                List<CompletedPart> done = new ArrayList<>();
                for (Future<CompletedPart> f : started) {
                    done.add(S3ImageStore.await(f, "uploading " + store.objectUri(key)));
                }
                String id = uploadId;
                try {
                    store.client.completeMultipartUpload(r -> r.bucket(store.bucket).key(key).uploadId(id)
                            .multipartUpload(m -> m.parts(done)));
                } catch (SdkException e) {
                    throw store.failure(key, "completing the multipart upload of " + done.size() + " parts", e);
                }
            }
            this.done = true;
            LOG.debug("committed {} ({} bytes, {} parts)", store.objectUri(key), written, nextPart - 1);
        } finally {
            if (!this.done) {
                abort();
            }
        }
    }

    @Override
    public void abort() {
        List<Future<CompletedPart>> started;
        String id;
        synchronized (lock) {
            if (done) {
                return;
            }
            done = true;
            started = new ArrayList<>(parts);
            id = uploadId;
        }
        // Parts not started yet see `done` and return at once; those in flight finish (bounded by the
        // SDK's timeouts) before the abort, so that no part lands in the upload after it is gone.
        boolean interrupted = Thread.interrupted();
        for (Future<CompletedPart> f : started) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (Exception e) {
                    break;
                }
            }
        }
        if (id != null) {
            try {
                store.client.abortMultipartUpload(r -> r.bucket(store.bucket).key(key).uploadId(id));
            } catch (SdkException e) {
                LOG.warn("could not abort the multipart upload {} of {}: {} (the bucket's lifecycle rule for "
                        + "incomplete uploads removes it)", id, store.objectUri(key), S3ImageStore.reason(e));
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        abort();
    }
}
