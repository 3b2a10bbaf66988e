package org.ckpt.testkit.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Channels for tests: in memory, deliberately short reads and writes (1–16 bytes
 * at a time, as a slow pipe or socket gives), one that fails after N bytes, and a
 * sink that counts and drops.
 *
 * @since 0.1 (evolving)
 */
public final class TestChannels {
    private TestChannels() {
    }

    /** A growable in-memory sink; {@link Sink#toByteArray()} gives what was written. */
    public static Sink sink() {
        return new Sink();
    }

    /** A source over {@code bytes} (not copied). */
    public static ReadableByteChannel source(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return new Source(bytes, Integer.MAX_VALUE, null);
    }

    /** A source that hands out between 1 and {@code maxChunk} bytes per read, chosen by {@code seed}. */
    public static ReadableByteChannel shortReads(byte[] bytes, int maxChunk, long seed) {
        Objects.requireNonNull(bytes, "bytes");
        return new Source(bytes, maxChunk, new SplittableRandom(seed));
    }

    /** Wraps {@code target} so each write accepts between 1 and {@code maxChunk} bytes. */
    public static WritableByteChannel shortWrites(WritableByteChannel target, int maxChunk, long seed) {
        Objects.requireNonNull(target, "target");
        SplittableRandom rnd = new SplittableRandom(seed);
        return new Forwarding(target) {
            @Override
            public int write(ByteBuffer src) throws IOException {
                return writePrefix(src, Math.min(src.remaining(), 1 + rnd.nextInt(maxChunk)));
            }
        };
    }

    /** Wraps {@code target} so that writing fails with an IOException once {@code limit} bytes have been accepted. */
    public static WritableByteChannel failingAfter(WritableByteChannel target, long limit) {
        Objects.requireNonNull(target, "target");
        return new Forwarding(target) {
            private long written;

            @Override
            public int write(ByteBuffer src) throws IOException {
                if (written >= limit) {
                    throw new IOException("test channel: failing after " + limit + " bytes");
                }
                int w = writePrefix(src, (int) Math.min(src.remaining(), limit - written));
                written += w;
                return w;
            }
        };
    }

    /** A sink that discards everything and counts it. */
    public static Sink nullSink() {
        return new Sink(true);
    }

    /** In-memory sink. */
    public static final class Sink implements WritableByteChannel {
        private final boolean discard;
        private byte[] buf = new byte[8192];
        private long size;
        private boolean open = true;

        private Sink() {
            this(false);
        }

        private Sink(boolean discard) {
            this.discard = discard;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!open) {
                throw new java.nio.channels.ClosedChannelException();
            }
            int n = src.remaining();
            if (!discard) {
                if (size + n > buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.max(size + n, buf.length * 2L));
                }
                src.get(buf, (int) size, n);
            } else {
                src.position(src.limit());
            }
            size += n;
            return n;
        }

        public long size() {
            return size;
        }

        public byte[] toByteArray() {
            return Arrays.copyOf(buf, (int) size);
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    private static final class Source implements ReadableByteChannel {
        private final byte[] bytes;
        private final int maxChunk;
        private final SplittableRandom rnd;
        private int pos;
        private boolean open = true;

        Source(byte[] bytes, int maxChunk, SplittableRandom rnd) {
            this.bytes = bytes;
            this.maxChunk = maxChunk;
            this.rnd = rnd;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (pos >= bytes.length) {
                return -1;
            }
            int limit = rnd == null ? maxChunk : 1 + rnd.nextInt(maxChunk);
            int n = Math.min(Math.min(dst.remaining(), bytes.length - pos), limit);
            dst.put(bytes, pos, n);
            pos += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    private abstract static class Forwarding implements WritableByteChannel {
        final WritableByteChannel target;

        Forwarding(WritableByteChannel target) {
            this.target = target;
        }

        /** Offers the first {@code n} bytes of {@code src} to the target and advances by what it took. */
        int writePrefix(ByteBuffer src, int n) throws IOException {
            int w = target.write(src.slice(src.position(), n));
            src.position(src.position() + w);
            return w;
        }

        @Override
        public boolean isOpen() {
            return target.isOpen();
        }

        @Override
        public void close() throws IOException {
            target.close();
        }
    }
}
