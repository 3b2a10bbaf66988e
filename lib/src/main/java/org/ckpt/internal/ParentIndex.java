package org.ckpt.internal;

import java.util.List;
import java.util.Map;

/**
 * What a child checkpoint needs to know of its parent image beyond its head and tail: for
 * each task (by position) the objref of its address space, and for each address space its
 * areas, whether an absent page there means zero, and — if the image carried or the writer
 * computed them — the digests of the present pages.
 *
 * @param taskMms objref of each task's address space in the parent image, 0 for none
 * @param mms     the parent's address spaces by objref
 */
public record ParentIndex(long[] taskMms, Map<Long, List<Area>> mms) {
    /**
     * One area of a parent address space.
     *
     * @param zeroAbsent an absent page reads as zero (anonymous or shared area); else it is the
     *                   backing file's (private file-backed area)
     * @param digests    the present pages' digests, or null if the parent has none for this area
     */
    public record Area(long start, long end, boolean zeroAbsent, DigestIndex digests) {
    }

    /** Whether every area of every address space has digests (then so has the image as a parent). */
    public boolean hasDigests() {
        for (List<Area> areas : mms.values()) {
            for (Area a : areas) {
                if (a.digests() == null) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The parent's address space of task {@code i}, or null. */
    List<Area> mmOfTask(int i) {
        return i < taskMms.length && taskMms[i] != 0 ? mms.get(taskMms[i]) : null;
    }

    /** The area of {@code areas} containing {@code address}, by binary search, or null. */
    static int areaAt(List<Area> areas, long address) {
        int lo = 0;
        int hi = areas.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Area a = areas.get(mid);
            if (Long.compareUnsigned(a.end(), address) <= 0) {
                lo = mid + 1;
            } else if (Long.compareUnsigned(a.start(), address) > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }
}
