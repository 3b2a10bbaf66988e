package org.ckpt.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ckpt.testkit.CkptAssertions.assertThatTasks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import org.ckpt.model.Task;
import org.ckpt.spi.ObjectOps;
import org.ckpt.testkit.GenConfig;
import org.ckpt.testkit.Generators;
import org.ckpt.testkit.contract.CorruptionContract;

/** The board saves and loads; damaged images of boards with devices never pass for valid. */
class BoardTest implements CorruptionContract {
    @Example
    void savesAndLoads() throws Exception {
        Path file = Files.createTempFile("board", ".ckpt");
        byte[] ram = new byte[2 * 4096];
        ram[4100] = 42;
        Board board = new Board(0x10000, ram, List.of(new DmaDevice("dma0", DmaDevice.ENABLED, 0x2000, new byte[1])));
        board.save(file);
        Board back = Board.load(file);
        Files.delete(file);
        assertThat(back.ram()[4100]).isEqualTo((byte) 42);
        assertThatTasks(List.of(back.toTask())).isEquivalentTo(List.of(board.toTask()));
    }

    @Override
    public Arbitrary<List<Task>> taskSets() {
        return Generators.taskSets(GenConfig.DEFAULT.withMaxTasks(2).withMaxSize(2)
                .withExtensions(DmaDeviceOpsContractTest.DEVICES, 3));
    }

    @Override
    public String architecture() {
        return "x86_64";
    }

    @Override
    public List<ObjectOps<?>> ops() {
        return List.of(new DmaDeviceOps());
    }
}
