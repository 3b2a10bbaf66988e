package org.ckpt.testkit.contract;

import java.util.List;
import net.jqwik.api.Arbitrary;
import org.ckpt.model.AddressSpace;
import org.ckpt.spi.ObjectOps;
import org.ckpt.testkit.GenConfig;
import org.ckpt.testkit.Generators;

/** The library's own "mm" ObjectOps, through the same contract a host's ops passes. */
class AddressSpaceOpsContractTest implements ObjectOpsContract<AddressSpace> {
    @Override
    public ObjectOps<AddressSpace> ops() {
        return ObjectOpsContract.discovered("mm", AddressSpace.class);
    }

    @Override
    public Arbitrary<AddressSpace> objects() {
        return Generators.addressSpaces(GenConfig.DEFAULT.withMaxSize(2).withMaxPagesPerArea(4));
    }

    @Override
    public boolean discoverable() {
        return true;
    }

    /** VMA protection and flags (docs/FORMAT.md §6.1); the mm body's own flags are carried as is. */
    @Override
    public List<FlagField> flagFields() {
        return List.of(new FlagField("VMA.prot", 0x7), new FlagField("VMA.flags", 0x7));
    }
}
