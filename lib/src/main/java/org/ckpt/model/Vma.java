package org.ckpt.model;

import java.util.Objects;

/**
 * One memory area (Linux's {@code vm_area_struct}) of {@code [start, end)}.
 *
 * @param prot   {@link #PROT_READ}, {@link #PROT_WRITE}, {@link #PROT_EXEC}
 * @param flags  {@link #SHARED}, {@link #GROWSDOWN}, {@link #STACK}; file backing
 *               is given by {@code file}, not by a flag
 * @param pgoff  offset into the backing file, in pages (carried as is for anonymous areas)
 * @param file   the backing file, or {@code null} for an anonymous area
 * @param pages  the contents. Pages it does not report read back as zero, except in a
 *               private file-backed area, where they are the backing file's (a checkpoint
 *               omits the pages the host reports clean there, and writes every other page,
 *               zero or not); a restart target fills them from {@code file} at {@code pgoff}
 * @since 0.1 (stable)
 */
public record Vma(long start, long end, int prot, int flags, long pgoff, OpenFile file, PageData pages) {
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int PROT_EXEC = 4;
    public static final int PROT_MASK = PROT_READ | PROT_WRITE | PROT_EXEC;

    /** Shared mapping; private (copy-on-write) when clear. */
    public static final int SHARED = 1;
    /** Grows down (Linux's VM_GROWSDOWN). */
    public static final int GROWSDOWN = 2;
    /** The task's main stack. */
    public static final int STACK = 4;
    public static final int FLAGS_MASK = SHARED | GROWSDOWN | STACK;

    public Vma {
        Objects.requireNonNull(pages, "pages");
    }

    /** An anonymous private read-write area with the given contents. */
    public static Vma anonymous(long start, long end, PageData pages) {
        return anonymous(start, end, PROT_READ | PROT_WRITE, pages);
    }

    /**
     * An anonymous private area with the given protection ({@link #PROT_READ} | {@link #PROT_EXEC}
     * for code, for example) and contents.
     *
     * @since 0.2
     */
    public static Vma anonymous(long start, long end, int prot, PageData pages) {
        return new Vma(start, end, prot, 0, 0, null, pages);
    }

    public long size() {
        return end - start;
    }

    public boolean isShared() {
        return (flags & SHARED) != 0;
    }

    public boolean isFileBacked() {
        return file != null;
    }
}
