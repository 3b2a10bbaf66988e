package org.ckpt.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.ckpt.internal.StableRuns;

/**
 * The contents of one memory area, exposed as runs of present pages so that a
 * checkpoint never needs a copy of the whole address space. Heap arrays and
 * {@link ByteBuffer}s (heap, direct, memory-mapped) all work; a host with its own
 * page tables implements {@link #forEachRun} directly.
 *
 * <p>Pages not reported read back as zero. A run may contain zero pages; the
 * checkpoint detects and skips them.
 *
 * <p>The page data of {@link #of}, {@link #builder} and a restart are views of their buffers,
 * not copies: a checkpoint may read those buffers, on its writer thread too, until it returns
 * or reports the task done to its progress listener (a run given to a host's own
 * {@link RunVisitor}, or through a wrapper such as {@link #withChangedSinceParent}, only
 * during the call).
 *
 * @since 0.1 (stable)
 */
public interface PageData {
    /**
     * Receives one run of consecutive present pages.
     */
    @FunctionalInterface
    interface RunVisitor {
        /**
         * @param address page-aligned address of the first byte of {@code bytes}
         * @param bytes   the run's bytes, a whole number of pages from position to limit;
         *                valid only during the call, and not to be modified. Heap buffers
         *                with an accessible array, or direct buffers, are checksummed in
         *                place; a read-only heap buffer costs a copy. A checkpoint with its
         *                writer thread may read a long run's bytes on that thread too, during
         *                the call; where that fails (memory only the calling thread may read)
         *                the calling thread reads them all
         * @param clean   the host knows these pages equal the backing file's; a private
         *                file-backed area's clean pages are not written (nor taken from a
         *                parent image: they restart as the file's)
         */
        void run(long address, ByteBuffer bytes, boolean clean) throws IOException;
    }

    /**
     * Calls {@code visitor} for each run in ascending address order; runs do not
     * overlap. Must not modify the contents while a checkpoint reads them.
     */
    void forEachRun(RunVisitor visitor) throws IOException;

    /**
     * Copies the contents of {@code [address, address + dst.remaining())} into
     * {@code dst}, zero where no page is present, and advances its position.
     */
    default void read(long address, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        int base = dst.position();
        for (int i = 0; i < length; i++) {
            dst.put(base + i, (byte) 0);
        }
        long end = address + length;
        forEachRun((runAddress, bytes, clean) -> {
            long runEnd = runAddress + bytes.remaining();
            long from = Math.max(address, runAddress);
            long to = Math.min(end, runEnd);
            if (from < to) {
                ByteBuffer src = bytes.duplicate();
                src.position(bytes.position() + (int) (from - runAddress));
                src.limit(src.position() + (int) (to - from));
                dst.put(base + (int) (from - address), src, src.position(), src.remaining());
            }
        });
        dst.position(base + length);
    }

    /**
     * What the host knows changed in this area since the parent checkpoint (an incremental
     * checkpoint's {@code Checkpointer.Builder.parent}), or {@code null} (the default) when it
     * does not know. Every page of the area <b>outside</b> the returned ranges must hold exactly
     * what it held at the parent checkpoint, at the same address, in the address space of the
     * same task (by position in the task list); pages inside may or may not have changed.
     * Emulators and hypervisors have this for free (a dirty bitmap, {@link PageRanges#fromBitmap}).
     *
     * <p>A checkpoint with a parent then never reads the unchanged pages: it writes them as
     * "unchanged since the parent" where the parent image holds that range in one area of a
     * compatible kind, and reads and writes only the changed pages (and the rest, as a full
     * checkpoint would). Without a parent the answer is not used. A wrong answer makes the
     * image restart with the parent's bytes where the host said nothing changed.
     *
     * @since 0.3 (evolving)
     */
    default PageRanges changedSinceParent() {
        return null;
    }

    /**
     * This area's contents with the host's answer to {@link #changedSinceParent()}: the same
     * runs, and {@code changed} as what changed since the parent checkpoint.
     *
     * @since 0.3 (evolving)
     */
    default PageData withChangedSinceParent(PageRanges changed) {
        java.util.Objects.requireNonNull(changed, "changed");
        // The library's own page data stays its own: its pages may still be copied at sealing.
        return this instanceof StableRuns ? new ChangedSinceParent.Stable(this, changed)
                : new ChangedSinceParent(this, changed);
    }

    /** No present pages: the area reads as zero. */
    static PageData none() {
        return RunList.EMPTY;
    }

    /** One run starting at {@code address}; the buffer's remaining bytes are the run (not copied). */
    static PageData of(long address, ByteBuffer bytes) {
        return builder().run(address, bytes).build();
    }

    /** One run starting at {@code address} (the array is not copied). */
    static PageData of(long address, byte[] bytes) {
        return of(address, ByteBuffer.wrap(bytes));
    }

    static Builder builder() {
        return new Builder();
    }

    /** Collects runs given in ascending order into a {@link PageData}. Buffers are not copied. */
    final class Builder {
        private final List<RunList.Run> runs = new ArrayList<>();

        private Builder() {
        }

        public Builder run(long address, ByteBuffer bytes) {
            return add(address, bytes, false);
        }

        /**
         * A run of {@code length} bytes of {@code bytes} from index {@code offset}: part of one
         * large buffer, such as an emulator's guest RAM, without the caller slicing it first.
         * The part must lie below the buffer's limit; its position is ignored, and neither is
         * changed (the run is a view of its own, as with {@link #run(long, ByteBuffer)}).
         */
        public Builder run(long address, ByteBuffer bytes, int offset, int length) {
            runs.add(new RunList.Run(address, bytes.slice(offset, length), false));
            return this;
        }

        /** A run the host knows is identical to the backing file. */
        public Builder cleanRun(long address, ByteBuffer bytes) {
            return add(address, bytes, true);
        }

        private Builder add(long address, ByteBuffer bytes, boolean clean) {
            // Not made read-only: a read-only heap buffer hides its array, and CRC32C then
            // copies it in 4 KiB pieces. Visitors are bound not to modify (RunVisitor).
            runs.add(new RunList.Run(address, bytes.slice(), clean));
            return this;
        }

        public PageData build() {
            return runs.isEmpty() ? RunList.EMPTY : new RunList(runs);
        }
    }
}
