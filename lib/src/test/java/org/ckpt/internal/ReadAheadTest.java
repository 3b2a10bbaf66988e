package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

    private static byte[] drain(ReadAhead r, int segment) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer b; (b = r.next(segment)) != null; ) {
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            out.write(chunk, 0, chunk.length);
        }
        return out.toByteArray();
    }

    @Test
    void severalChannelsArriveOneAfterTheOtherEachWithItsEnd() throws Exception {
        // sizes around the 1 MiB buffer, an empty channel among them (an image is never empty, a channel may be)
        int[] sizes = {(2 << 20) + 3, 0, 1, 1 << 20, 4095, (1 << 20) - 1};
        List<byte[]> data = new ArrayList<>();
        List<ReadableByteChannel> channels = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            data.add(random(sizes[i], 40 + i));
            channels.add(channel(data.get(i), i % 2 == 0 ? 65_536 : 1 << 20, null));
        }
        try (ReadAhead r = new ReadAhead(channels, STALL)) {
            for (int i = 0; i < sizes.length; i++) {
                assertThat(drain(r, i)).as("channel %d", i).isEqualTo(data.get(i));
                assertThat(r.next(i)).as("channel %d after its end", i).isNull();
            }
        }
        assertThat(readerThreads()).isZero();
    }

    @Test
    void whatAChannelLeftUnreadIsSkippedByTheNext() throws Exception {
        byte[] first = random(3 << 20, 50);
        byte[] second = random((1 << 20) + 9, 51);
        try (ReadAhead r = new ReadAhead(List.of(channel(first, 1 << 20, null), channel(second, 1 << 20, null)),
                STALL)) {
            assertThat(r.next(0)).isNotNull();
            assertThat(drain(r, 1)).isEqualTo(second);
            assertThat(r.next(0)).as("an earlier channel, after a later one was read").isNull();
        }
        assertThat(readerThreads()).isZero();
    }

    @Test
    void aFailureOfOneChannelComesAfterItsBytesAndEndsTheOthers() throws Exception {
        byte[] first = random((1 << 20) + 100, 60);
        byte[] second = random((2 << 20) + 5, 61);
        IOException boom = new IOException("disk on fire");
        List<ReadableByteChannel> channels = List.of(channel(first, 1 << 16, null), channel(second, 1 << 16, boom),
                channel(random(10, 62), 1 << 16, null));
        try (ReadAhead r = new ReadAhead(channels, STALL)) {
            assertThat(drain(r, 0)).isEqualTo(first);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            assertThatThrownBy(() -> {
                for (ByteBuffer b; (b = r.next(1)) != null; ) {
                    byte[] chunk = new byte[b.remaining()];
                    b.get(chunk);
                    got.write(chunk, 0, chunk.length);
                }
            }).isSameAs(boom);
            assertThat(got.toByteArray()).isEqualTo(second);
            assertThatThrownBy(() -> r.next(2)).as("a channel after the failed one").isSameAs(boom);
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
