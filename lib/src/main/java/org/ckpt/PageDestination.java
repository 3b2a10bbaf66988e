package org.ckpt;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a restart copies page contents: the host supplies the memory for each run of pages
 * the image holds (heap arrays, direct buffers, a slice of a mapped guest-RAM region), and the
 * restart fills it in one pass that copies and checksums together.
 *
 * <p>Protocol, for one restart:
 * <ol>
 *   <li>{@link #allocate} is called once per run of pages, in image order, from the restarting
 *       thread, after the run's address and length have been validated against its area. It
 *       returns a buffer with exactly {@code run.length()} bytes between position and limit.</li>
 *   <li>The restart fills those bytes, from an image file possibly on a thread of its own
 *       (memory that thread may not write, such as memory confined to the restarting thread,
 *       is filled by the restarting thread instead); every write ends before {@code commit}
 *       or {@link #release} is called. Until {@link RestartTarget#commit} is called they are
 *       unverified: the host must not read or run them (the image tail, and the records after
 *       the run, have not been checked yet).</li>
 *   <li>If the restart succeeds, the restored {@link org.ckpt.model.PageData} of each area
 *       holds exactly these buffers (from position to limit at the time they were returned),
 *       and {@code commit} receives them.</li>
 *   <li>If it fails, {@link #release} is called once with the failure, after the last
 *       {@code allocate}; every buffer handed out holds undefined bytes and is the host's
 *       again. {@code commit} is never called.</li>
 * </ol>
 *
 * @since 0.2 (evolving)
 */
public interface PageDestination {
    /**
     * One run of pages the image holds, as the restart asks for its storage.
     *
     * @param addressSpace the image objref of the address space ({@code mm} object) the area belongs to;
     *                     {@link Inspection#objref} reports the same number for the restored object
     * @param areaStart    start of the area ({@code VMA}) the run lies in
     * @param areaEnd      end (exclusive) of that area
     * @param prot         the area's protection ({@code Vma.PROT_*})
     * @param flags        the area's flags ({@code Vma.SHARED}, …)
     * @param address      address of the run's first byte, page aligned, within the area
     * @param length       bytes of the run: a whole number of pages, at most 1 MiB … {@code maxRecordSize}
     * @since 0.2 (evolving)
     */
    record Run(long addressSpace, long areaStart, long areaEnd, int prot, int flags, long address, int length) {
    }

    /**
     * Storage for {@code run}: a buffer whose remaining bytes ({@code run.length()} of them) the
     * restart fills. The buffer's position and limit are not changed by the restart; its
     * contents between them are, and belong to the restart until commit or {@link #release}.
     */
    ByteBuffer allocate(Run run) throws IOException;

    /**
     * The restart failed after at least one {@link #allocate}: the buffers handed out hold
     * undefined bytes and are the host's again. Called at most once.
     */
    default void release(Throwable failure) {
    }

    /**
     * Fresh heap buffers: what a restart uses unless the target says otherwise. One per run, except
     * that the pages a {@code PAGE_RUNS} record carries (docs/FORMAT.md §15.8) share one buffer,
     * each run a slice of it: these buffers go nowhere in particular, so the record's pages are
     * read in one piece rather than a buffer allocated and zeroed per page.
     */
    static PageDestination heap() {
        return org.ckpt.internal.FreshHeap.INSTANCE;
    }

    /** Fresh direct buffers, one per run (off the Java heap; freed when unreachable). */
    static PageDestination direct() {
        return run -> ByteBuffer.allocateDirect(run.length());
    }
}
