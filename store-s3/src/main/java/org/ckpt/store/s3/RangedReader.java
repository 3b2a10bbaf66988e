package org.ckpt.store.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Future;
import org.ckpt.store.StoreException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * An object read front to back by ranged GETs of a part each, each conditional on the ETag the
 * object had when it was opened (a replaced object fails the read instead of mixing versions).
 * {@code concurrency + 1} ranges are queued ahead of the reader for the store's
 * {@code concurrency} threads, so a thread that finishes a range starts the next at once even
 * while the reader still holds an earlier one. Memory: {@code concurrency + 2} part buffers.
 * (Measured: half-part ranges, twice as many requests, made restarts from S3Proxy about a third
 * slower.)
 */
final class RangedReader implements ReadableByteChannel {
    private final S3ImageStore store;
    private final String key;
    private final long size;
    private final String etag;
    private final int rangeSize;
    private final int readAhead;
    private final ArrayDeque<Future<byte[]>> inflight = new ArrayDeque<>();
    private final ArrayDeque<byte[]> free = new ArrayDeque<>();
    private long scheduled;
    private long taken;
    private byte[] currentArray;
    private ByteBuffer current;
    private boolean closed;

    RangedReader(S3ImageStore store, String key, long size, String etag) {
        this.store = store;
        this.key = key;
        this.size = size;
        this.etag = etag;
        this.rangeSize = store.partSize;
        this.readAhead = store.concurrency + 1;
        schedule();
    }

    long size() {
        return size;
    }

    private void schedule() {
        while (inflight.size() < readAhead && scheduled < size) {
            long off = scheduled;
            int len = (int) Math.min(rangeSize, size - off);
            scheduled += len;
            byte[] buf;
            synchronized (free) {
                buf = free.poll();
            }
            byte[] into = buf != null ? buf : new byte[rangeSize];
            inflight.add(store.pool.submit(() -> fetch(store, key, off, len, etag, into)));
        }
    }

    /**
     * Reads {@code [offset, offset + len)} of an object into {@code into}; a body shorter than asked
     * for, an error or a changed ETag is a {@link StoreException} naming the range.
     */
    static byte[] fetch(S3ImageStore store, String key, long offset, int len, String ifMatch, byte[] into)
            throws IOException {
        String range = String.format(Locale.ROOT, "bytes %d-%d", offset, offset + len - 1);
        try (ResponseInputStream<GetObjectResponse> in = store.client.getObject(r -> r.bucket(store.bucket).key(key)
                .range("bytes=" + offset + "-" + (offset + len - 1)).ifMatch(ifMatch))) {
            int got = readFully(in, into, len);
            if (got < len) {
                throw new StoreException(store.objectUri(key), range, "the body ended after " + got + " of " + len
                        + " bytes", null);
            }
            return into;
        } catch (SdkException e) {
            throw store.failure(key, range, e);
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException(store.objectUri(key), range, "reading the body: " + e, e);
        }
    }

    private static int readFully(InputStream in, byte[] b, int len) throws IOException {
        int n = 0;
        while (n < len) {
            int k = in.read(b, n, len - n);
            if (k < 0) {
                break;
            }
            n += k;
        }
        return n;
    }

    /** The first {@code n} bytes (fewer if the object is shorter), without consuming them. */
    byte[] peek(int n) throws IOException {
        if (!fill()) {
            return new byte[0];
        }
        return Arrays.copyOfRange(currentArray, current.position(), current.position() + Math.min(n, current.remaining()));
    }

    /** Makes {@code current} hold unread bytes; false at the end. */
    private boolean fill() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (current != null && current.hasRemaining()) {
            return true;
        }
        if (current != null) {
            synchronized (free) {
                free.push(currentArray);
            }
            current = null;
        }
        Future<byte[]> f = inflight.poll();
        if (f == null) {
            return false;
        }
        byte[] b;
        try {
            b = S3ImageStore.await(f, "reading " + store.objectUri(key));
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        int len = (int) Math.min(rangeSize, size - taken);
        taken += len;
        currentArray = b;
        current = ByteBuffer.wrap(b, 0, len);
        schedule();
        return true;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!fill()) {
            return -1;
        }
        int n = Math.min(dst.remaining(), current.remaining());
        dst.put(currentArray, current.position(), n);
        current.position(current.position() + n);
        return n;
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Future<byte[]> f : inflight) {
            f.cancel(true);
        }
        inflight.clear();
    }
}
