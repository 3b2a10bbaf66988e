package org.ckpt.testkit.contract;

import java.util.List;
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

    @Override
    public boolean discoverable() {
        return true;
    }

    /** Open flags, mode bits and the file flags (docs/FORMAT.md §6.3). */
    @Override
    public List<FlagField> flagFields() {
        return List.of(new FlagField("flags", 0x007F_FFFFL), new FlagField("mode", 0xFFFF),
                new FlagField("file_flags", 0x1));
    }
}
