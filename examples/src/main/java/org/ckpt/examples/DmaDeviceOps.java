package org.ckpt.examples;

import java.io.IOException;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.UnsupportedImageException;

/**
 * Saves a {@link DmaDevice}. Body (docs/FORMAT.md §6.4): u16 version (1), sstring name, u32 control,
 * u64 bus_address, u32 buffer_length, buffer. Unknown versions and bits are refused; lengths bounded.
 */
public final class DmaDeviceOps implements ObjectOps<DmaDevice> {
    static final int VERSION = 1, MAX_NAME = 256;

    @Override
    public String typeName() {
        return "org.ckpt.examples.dma";
    }

    @Override
    public Class<DmaDevice> type() {
        return DmaDevice.class;
    }

    @Override
    public void checkpoint(DmaDevice d, CkptContext ctx, PayloadWriter body) throws IOException {
        if (d.name().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME) {
            throw new CheckpointException("device name longer than " + MAX_NAME + " bytes: " + d.name());
        }
        body.u16(VERSION).shortString(d.name()).u32(d.control()).u64(d.busAddress()).u32(d.buffer().length)
                .bytes(d.buffer());
    }

    @Override
    public DmaDevice restore(CkptContext ctx, PayloadReader body) throws IOException {
        int version = body.u16("version");
        if (version != VERSION) {
            throw new UnsupportedImageException(body.recordName(), body.position() - 2, "DMA device layout version "
                    + version + "; this reader knows " + VERSION);
        }
        String name = body.shortString("name", MAX_NAME);
        long control = body.u32("control");
        if ((control & ~DmaDevice.KNOWN_CONTROL) != 0) {
            throw body.invalid("unknown DMA control bits 0x" + Long.toHexString(control));
        }
        long bus = body.u64("bus_address");
        byte[] buffer = body.bytes("buffer", body.count("buffer_length", DmaDevice.MAX_BUFFER, "DMA buffer"));
        return new DmaDevice(name, (int) control, bus, buffer);
    }
}
