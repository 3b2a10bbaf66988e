package org.ckpt.arch.powerpc;

import java.nio.ByteOrder;
import java.util.Objects;
import org.ckpt.spi.ArchHead;

/**
 * The PowerPC arch head of an image: the byte order of the task's memory, the word
 * size, the feature mask of the sections the image's CPU records may contain, and the
 * size of every record the image relies on (0 for a section the mask excludes).
 *
 * <p>The mask is what the producer may write for the architecture, not what each task
 * used: the head is written before any task is seen (each CPU record carries the mask
 * of the sections that follow it, which must lie within this one).
 *
 * @param architecture     {@link PowerPc#PPC32} or {@link PowerPc#PPC64}
 * @param memoryByteOrder  byte order of the task's memory and page contents
 *                         ({@link ByteOrder#BIG_ENDIAN} in this version)
 * @param wordSize         4 for ppc32, 8 for ppc64
 * @param features         sections the CPU records may contain ({@code PowerPc.FEATURE_*})
 * @param regsSize         payload size of a {@code PPC_REGS} record
 * @param fpSize           payload size of a {@code PPC_FP} record, or 0
 * @param debugSize        fixed part of a {@code PPC_DEBUG} payload, or 0
 * @param debugEntrySize   size of one further debug register entry, or 0
 * @param altivecSize      payload size of a {@code PPC_ALTIVEC} record, or 0
 * @param speSize          payload size of a {@code PPC_SPE} record, or 0
 * @param vsxSize          payload size of a {@code PPC_VSX} record, or 0
 * @since 0.1 (evolving)
 */
public record PowerPcArchHead(String architecture, ByteOrder memoryByteOrder, int wordSize, long features,
                              int regsSize, int fpSize, int debugSize, int debugEntrySize, int altivecSize,
                              int speSize, int vsxSize) implements ArchHead {
    public PowerPcArchHead {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(memoryByteOrder, "memoryByteOrder");
    }

    /** Whether the CPU records of this image may contain the section of {@code featureBit}. */
    public boolean allows(long featureBit) {
        return (features & featureBit) == featureBit;
    }
}
