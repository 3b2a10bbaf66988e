package org.ckpt.examples;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/**
 * The host: an emulated board (guest RAM, DMA engines) saved to and loaded from a file. Its ops is
 * registered by instance (no META-INF/services); no CPU state, so no architecture jar is needed.
 */
public record Board(long ramBase, byte[] ram, List<DmaDevice> devices) {
    private static final Checkpointer CHECKPOINTER = Checkpointer.builder().architecture("x86_64")
            .register(new DmaDeviceOps()).build();
    private static final Restarter RESTARTER = Restarter.builder().register(new DmaDeviceOps()).build();

    /** The board as a task: RAM as its address space, devices as extension objects. */
    public Task toTask() {
        Vma ram = Vma.anonymous(ramBase, ramBase + this.ram.length, PageData.of(ramBase, this.ram));
        return Task.builder().pid(1).comm("board").mm(AddressSpace.of(List.of(ram))).extensions(devices).build();
    }

    public void save(Path file) throws IOException {
        CHECKPOINTER.checkpoint(toTask(), file); // atomic: a temporary file, forced, renamed over file
    }

    public static Board load(Path file) throws IOException {
        Task task = RESTARTER.restart(file).tasks().get(0);
        Vma ram = task.mm().vmas().get(0);
        ByteBuffer bytes = ByteBuffer.allocate((int) ram.size());
        ram.pages().read(ram.start(), bytes);
        return new Board(ram.start(), bytes.array(), task.extensions().stream().map(DmaDevice.class::cast).toList());
    }
}
