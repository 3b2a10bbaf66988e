package org.ckpt.arch.x86;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.function.Consumer;
import org.ckpt.Checkpointer;
import org.ckpt.model.Task;
import org.ckpt.spi.CpuState;

/** Test access to {@link Images} and {@link Fixtures} from other packages. */
public final class ImagesAccess {
    private ImagesAccess() {
    }

    public static X86_64State fixture64() {
        return Fixtures.x86_64("kernel");
    }

    public static byte[] x86_64Image() {
        try {
            return Images.checkpoint(fixture64());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An image of {@code cpu} written under {@code policy}. */
    public static byte[] image(CpuState cpu, org.ckpt.spi.RestorePolicy policy) {
        try {
            return Images.checkpoint(cpu, policy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] payload(byte[] image, int type) {
        return Images.payload(image, type);
    }

    public static java.util.List<Integer> recordTypes(byte[] image) {
        return Images.recordTypes(image);
    }

    public static byte[] patch(byte[] image, int type, Consumer<ByteBuffer> edit) {
        return Images.patch(image, type, edit);
    }

    public static CpuState restart(byte[] image) throws IOException {
        return Images.restart(image);
    }

    public static void checkpointAs(String arch, CpuState cpu) throws IOException {
        Checkpointer.builder().architecture(arch).build().checkpoint(Task.builder().cpu(cpu).build(),
                Channels.newChannel(new ByteArrayOutputStream()));
    }
}
