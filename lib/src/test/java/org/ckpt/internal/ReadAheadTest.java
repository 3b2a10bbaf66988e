package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The restart's reader thread: every byte in order, failures after the bytes before them, no thread left. */
class ReadAheadTest {
    private static final Duration STALL = Duration.ofSeconds(10);

    /** A channel over {@code data} that returns at most {@code chunk} bytes per read, then fails or ends. */
    private static ReadableByteChannel channel(byte[] data, int chunk, IOException failAtEnd) {
        return new ReadableByteChannel() {
            private int at;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (at == data.length) {
                    if (failAtEnd != null) {
                        throw failAtEnd;
                    }
                    return -1;
                }
                int n = Math.min(Math.min(chunk, dst.remaining()), data.length - at);
                dst.put(data, at, n);
                at += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static byte[] drain(ReadAhead r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer b; (b = r.next()) != null; ) {
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            out.write(chunk, 0, chunk.length);
        }
        return out.toByteArray();
    }

    private static long readerThreads() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long n;
        do {
            n = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("ckpt-reader")).count();
            if (n > 0) {
                Thread.sleep(10);
            }
        } while (n > 0 && System.nanoTime() < deadline);
        return n;
    }

    @Test
    void everyByteArrivesInOrder() throws Exception {
        for (int size : new int[] {0, 1, 4095, 1 << 20, (3 << 20) + 17}) {
            for (int chunk : new int[] {1 << 20, 65_536, 4093}) {
                if (size > (1 << 20) && chunk < 65_536) {
                    continue;
                }
                byte[] data = random(size, size ^ chunk);
                try (ReadAhead r = new ReadAhead(channel(data, chunk, null), STALL)) {
                    assertThat(drain(r)).as("size %d chunk %d", size, chunk).isEqualTo(data);
                    assertThat(r.next()).isNull();
                }
            }
        }
        assertThat(readerThreads()).isZero();
    }

    @Test
    void aFailureComesAfterTheBytesReadBeforeIt() throws Exception {
        byte[] data = random((2 << 20) + 5, 3);
        IOException boom = new IOException("disk on fire");
        try (ReadAhead r = new ReadAhead(channel(data, 1 << 16, boom), STALL)) {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            assertThatThrownBy(() -> {
                for (ByteBuffer b; (b = r.next()) != null; ) {
                    byte[] chunk = new byte[b.remaining()];
                    b.get(chunk);
                    got.write(chunk, 0, chunk.length);
                }
            }).isSameAs(boom);
            assertThat(got.toByteArray()).isEqualTo(data);
        }
        assertThat(readerThreads()).isZero();
    }

    @Test
    void closingMidwayStopsTheThread() throws Exception {
        byte[] data = random(8 << 20, 4);
        try (ReadAhead r = new ReadAhead(channel(data, 1 << 20, null), STALL)) {
            assertThat(r.next()).isNotNull();
        }
        assertThat(readerThreads()).isZero();
    }

    @Test
    @Timeout(30)
    void anInterruptEndsTheWaitForBytes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ReadableByteChannel slow = new ReadableByteChannel() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                }
                return -1;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        ReadAhead r = new ReadAhead(slow, STALL);
        Thread t = new Thread(() -> {
            try {
                r.next();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        Thread.sleep(200);
        t.interrupt();
        t.join(10_000);
        assertThat(thrown.get()).isInstanceOf(InterruptedIOException.class);
        release.countDown();
        r.close();
        assertThat(readerThreads()).isZero();
    }
}
