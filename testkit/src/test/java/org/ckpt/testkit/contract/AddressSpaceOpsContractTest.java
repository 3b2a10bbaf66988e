package org.ckpt.testkit.contract;

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
}
