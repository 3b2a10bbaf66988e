package org.ckpt.testkit.example;

import java.io.IOException;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;

/**
 * A downstream ObjectOps, written only against the SPI: body = name (sstring), register
 * count (u32), registers (u64 each), buffered length (u32), buffered bytes. Registered in
 * the test class path's {@code META-INF/services/org.ckpt.spi.ObjectOps}.
 */
public final class EmulatorDeviceOps implements ObjectOps<EmulatorDevice> {
    static final int MAX_NAME = 64;
    static final int MAX_REGISTERS = 256;
    static final int MAX_BUFFERED = 64 << 10;

    @Override
    public String typeName() {
        return "example.emulator.device";
    }

    @Override
    public Class<EmulatorDevice> type() {
        return EmulatorDevice.class;
    }

    @Override
    public void checkpoint(EmulatorDevice d, CkptContext ctx, PayloadWriter body) throws IOException {
        long[] regs = d.registers();
        byte[] buf = d.buffered();
        if (d.name().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME
                || regs.length > MAX_REGISTERS || buf.length > MAX_BUFFERED) {
            throw new CheckpointException("device " + d + " exceeds the format's bounds");
        }
        body.shortString(d.name()).u32(regs.length);
        for (long r : regs) {
            body.u64(r);
        }
        body.u32(buf.length).bytes(buf);
    }

    @Override
    public EmulatorDevice restore(CkptContext ctx, PayloadReader body) throws IOException {
        String name = body.shortString("name", MAX_NAME);
        long[] regs = new long[body.count("register_count", MAX_REGISTERS, "device registers")];
        for (int i = 0; i < regs.length; i++) {
            regs[i] = body.u64("register");
        }
        byte[] buf = body.bytes("buffered", body.count("buffered_length", MAX_BUFFERED, "device buffer"));
        return new EmulatorDevice(name, regs, buf);
    }
}
