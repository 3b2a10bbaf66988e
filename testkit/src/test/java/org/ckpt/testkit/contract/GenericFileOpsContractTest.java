package org.ckpt.testkit.contract;

import net.jqwik.api.Arbitrary;
import org.ckpt.model.GenericFile;
import org.ckpt.spi.ObjectOps;
import org.ckpt.testkit.GenConfig;
import org.ckpt.testkit.Generators;

/** The library's own "file" ObjectOps (as descriptors of a file table), through the contract. */
class GenericFileOpsContractTest implements ObjectOpsContract<GenericFile> {
    @Override
    public ObjectOps<GenericFile> ops() {
        return ObjectOpsContract.discovered("file", GenericFile.class);
    }

    @Override
    public Arbitrary<GenericFile> objects() {
        return Generators.genericFiles(GenConfig.DEFAULT);
    }
}
