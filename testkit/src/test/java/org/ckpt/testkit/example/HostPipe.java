package org.ckpt.testkit.example;

import java.io.IOException;
import org.ckpt.model.OpenFile;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;

/** A host's own open-file type (a pipe of an emulated machine) with its ops, registered by instance in tests. */
public record HostPipe(String name, int capacity, byte[] buffered) implements OpenFile {
    /** Body: sstring name, u32 capacity, u32 length, bytes. */
    public static final class Ops implements ObjectOps<HostPipe> {
        @Override
        public String typeName() {
            return "example.pipe";
        }

        @Override
        public Class<HostPipe> type() {
            return HostPipe.class;
        }

        @Override
        public void checkpoint(HostPipe p, CkptContext ctx, PayloadWriter body) throws IOException {
            body.shortString(p.name()).u32(p.capacity()).u32(p.buffered().length).bytes(p.buffered());
        }

        @Override
        public HostPipe restore(CkptContext ctx, PayloadReader body) throws IOException {
            String name = body.shortString("name", 64);
            int capacity = (int) body.u32("capacity");
            byte[] buffered = body.bytes("buffered", body.count("length", 1 << 16, "pipe buffer"));
            return new HostPipe(name, capacity, buffered);
        }
    }
}
