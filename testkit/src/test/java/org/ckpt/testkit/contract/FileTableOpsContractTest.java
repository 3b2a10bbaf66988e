package org.ckpt.testkit.contract;

import java.util.List;
import net.jqwik.api.Arbitrary;
import org.ckpt.model.FileTable;
import org.ckpt.spi.ObjectOps;
import org.ckpt.testkit.GenConfig;
import org.ckpt.testkit.Generators;

/** The library's own "files" ObjectOps, through the same contract a host's ops passes. */
class FileTableOpsContractTest implements ObjectOpsContract<FileTable> {
    @Override
    public ObjectOps<FileTable> ops() {
        return ObjectOpsContract.discovered("files", FileTable.class);
    }

    @Override
    public Arbitrary<FileTable> objects() {
        return Generators.fileTables(GenConfig.DEFAULT.withMaxSize(4));
    }

    @Override
    public boolean discoverable() {
        return true;
    }

    /** Descriptor flags: CLOEXEC only (docs/FORMAT.md §6.2). */
    @Override
    public List<FlagField> flagFields() {
        return List.of(new FlagField("flags", 0x1));
    }
}
