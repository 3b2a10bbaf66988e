package org.ckpt.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Channel reads and writes that cannot hang or spin: a call that moves no bytes is retried
 * with growing pauses (not a busy loop), an interrupt of the calling thread ends it with an
 * {@link InterruptedIOException}, and a channel that moves nothing for the stall timeout
 * fails with an {@link IOException}.
 */
final class ChannelIo {
    private static final int SPINS = 64;
    private static final long MAX_PARK_NANOS = 10_000_000L;

    private final long timeoutNanos;
    private final String what;
    private final String reading;
    private final String writing;
    private int idle;
    private long idleSince;
    private long park;

    /** @param what what the channel is, for messages ("the image channel") */
    ChannelIo(Duration timeout, String what) {
        this.timeoutNanos = timeout.toNanos();
        this.what = what;
        this.reading = "reading " + what;
        this.writing = "writing " + what;
    }

    /** Refuses a channel in non-blocking mode, which would make every read or write a busy loop. */
    static void requireBlocking(Channel channel, String role) {
        if (channel instanceof SelectableChannel s && !s.isBlocking()) {
            throw new IllegalArgumentException(role + " " + channel.getClass().getName()
                    + " is in non-blocking mode; ckpt needs a blocking channel (configureBlocking(true))");
        }
    }

    static void checkInterrupt(String during) throws InterruptedIOException {
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException(during + " interrupted");
        }
    }

    /** One read that moves at least one byte: the count read, or -1 at the end of the channel. */
    int read(ReadableByteChannel channel, ByteBuffer dst) throws IOException {
        while (true) {
            checkInterrupt(reading);
            int n;
            try {
                n = channel.read(dst);
            } catch (ClosedByInterruptException e) {
                throw interrupted(reading, e);
            }
            if (n != 0 || !dst.hasRemaining()) {
                idle = 0;
                return n;
            }
            noProgress("delivered");
        }
    }

    /** Writes all of {@code src}. */
    void writeFully(WritableByteChannel channel, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            checkInterrupt(writing);
            int n;
            try {
                n = channel.write(src);
            } catch (ClosedByInterruptException e) {
                throw interrupted(writing, e);
            }
            if (n > 0) {
                idle = 0;
            } else {
                noProgress("accepted");
            }
        }
    }

    /** What an interrupt that closed the channel during {@code during} ends the call with. */
    static InterruptedIOException interrupted(String during, Exception cause) {
        InterruptedIOException e = new InterruptedIOException(during + " interrupted (the channel was closed by the interrupt)");
        e.initCause(cause);
        return e;
    }

    private void noProgress(String verb) throws IOException {
        long now = System.nanoTime();
        if (idle++ == 0) {
            idleSince = now;
            park = 1_000;
        }
        if (now - idleSince > timeoutNanos) {
            throw new IOException(what + " " + verb + " no bytes for " + Duration.ofNanos(timeoutNanos).toSeconds()
                    + " s (stall timeout); giving up");
        }
        if (idle < SPINS) {
            Thread.onSpinWait();
        } else {
            LockSupport.parkNanos(park);
            park = Math.min(MAX_PARK_NANOS, park * 2);
        }
    }
}
