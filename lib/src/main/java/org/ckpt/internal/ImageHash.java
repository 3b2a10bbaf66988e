package org.ckpt.internal;

import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * SHA-256 over the bytes of an image as they pass, in image order: the digest a seal signs
 * (docs/FORMAT.md §17.2). It sees every byte once, where the bytes already pass — the
 * checkpoint's staging buffers on their way to the channel, the restart's copies as they land
 * — and stops at the point the seal covers up to.
 *
 * <p>SHA-256 is several times slower than the copy and checksum it rides along with, so once
 * large buffers arrive the hashing moves to a thread of its own ({@code ckpt-seal-hash}),
 * which takes the buffers in order: <em>stable</em> ones (a staging buffer until it is
 * {@link #settle settled}, a page destination's bytes until commit) as they are, others as
 * copies. The caller's thread and the hashing thread then share the CPU's cores. Images with
 * no large buffer never start the thread, nor does a host that wants no threads. The thread
 * ends when idle, so an abandoned hash leaks nothing.
 */
final class ImageHash implements Staging.Observer {
    /** Buffers of at least this many bytes start the hashing thread. */
    static final int ASYNC_MIN = 128 << 10;
    /** Copied bytes in flight before the caller waits for the hashing thread. */
    private static final long MAX_COPIED = 16L << 20;

    private final MessageDigest sha = sha256();
    /** Whether the hashing may move to a thread of its own (hosts that start no threads say no). */
    private final boolean threaded;
    private volatile boolean open = true;
    private ThreadPoolExecutor pool;
    private Future<?> last;
    private long copied;

    ImageHash(boolean threaded) {
        this.threaded = threaded;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * Hashes the remaining bytes of {@code b} (its position is not moved), unless the hash has
     * closed. {@code stable}: the bytes stay unchanged until {@link #settle} or {@link #finish}
     * returns, so the hashing thread may read them later; otherwise they are hashed now or copied.
     */
    void update(ByteBuffer b, boolean stable) {
        if (!open || !b.hasRemaining()) {
            return;
        }
        if (pool == null && (!threaded || !stable || b.remaining() < ASYNC_MIN)) {
            sha.update(b.duplicate());
            return;
        }
        ByteBuffer job;
        if (stable) {
            job = b.duplicate();
        } else {
            job = ByteBuffer.allocate(b.remaining()).put(b.duplicate()).flip();
            copied += job.remaining();
            if (copied > MAX_COPIED) {
                settle();
            }
        }
        submit(job);
    }

    void update(ByteBuffer b) {
        update(b, false);
    }

    void update(byte[] b, int off, int len) {
        if (open && len > 0) {
            if (pool == null) {
                sha.update(b, off, len);
            } else {
                submit(ByteBuffer.wrap(b.clone(), off, len));
            }
        }
    }

    private void submit(ByteBuffer job) {
        if (pool == null) {
            pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "ckpt-seal-hash");
                t.setDaemon(true);
                return t;
            });
            pool.allowCoreThreadTimeOut(true);
        }
        last = pool.submit(() -> sha.update(job));
    }

    // Staging.Observer: a staging buffer is stable from before its write until it is settled.

    @Override
    public void bytes(ByteBuffer out) {
        update(out, true);
    }

    /** Returns once every byte handed over so far has been hashed. */
    @Override
    public void settle() {
        Future<?> f = last;
        if (f == null) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                f.get();
                break;
            } catch (InterruptedException e) {
                // The bytes must not be reused before they are hashed: wait, then restore the interrupt.
                interrupted = true;
            } catch (ExecutionException e) {
                throw new IllegalStateException("hashing the image failed", e.getCause());
            }
        }
        copied = 0;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isOpen() {
        return open;
    }

    /**
     * Hashes {@code last} parts (also after {@link #close}) and returns the digest; later bytes
     * are not hashed.
     */
    byte[] finish(byte[]... parts) {
        settle();
        for (byte[] b : parts) {
            sha.update(b, 0, b.length);
        }
        open = false;
        stopThread();
        return sha.digest();
    }

    /** Stops taking bytes: the point the seal covers up to has passed ({@link #finish} still adds its parts). */
    void close() {
        open = false;
    }

    /** Abandons the hash (a failed restart): waits for the bytes in hand so the caller may release them. */
    void abandon() throws InterruptedIOException {
        open = false;
        if (pool != null) {
            pool.shutdownNow();
            try {
                if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                    Log.SYS.warn("the seal's hashing thread did not stop within 10 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while stopping the seal's hashing thread");
            }
        }
    }

    private void stopThread() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
