package org.ckpt.testkit;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.ckpt.model.Task;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;
import org.ckpt.testkit.contract.CorruptionContract;

/**
 * Every truncation and single-bit flip of a valid image is an ImageException, and nothing is
 * committed: the shipped {@link CorruptionContract} over generated sets of 1–3 tasks of the
 * test architecture, every truncation length of each image and every bit of its first 2 KiB tried.
 */
class CorruptionProperties implements CorruptionContract {
    @Override
    public Arbitrary<List<Task>> taskSets() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.integers().between(1, 3))
                .as((seed, tasks) -> Generators.build(seed, tasks, 1, List.of(new TestCpu(0x1000, 0x2000, 1, 2, 3, 4, 5))));
    }

    @Override
    public String architecture() {
        return TestArch.NAME;
    }

    @Override
    public int truncationsPerImage() {
        return Integer.MAX_VALUE;
    }

    /** Every bit of the first 2 KiB (head, arch head, first objects), then 2000 more. */
    @Override
    public int exhaustiveBytes() {
        return 2048;
    }

    @Override
    public int bitFlipsPerImage() {
        return 2000;
    }
}
