package org.ckpt.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** The floor any format can reach: exactly the non-zero page bytes, one call per run of pages. */
final class Raw {
    private Raw() {
    }

    static long write(Workload w, FileChannel out) throws IOException {
        long n = 0;
        for (Workload.Run r : w.runs) {
            ByteBuffer b = r.bytes().duplicate();
            while (b.hasRemaining()) {
                n += out.write(b);
            }
        }
        return n;
    }

    /** Reads each run back into one reused buffer (the floor: no allocation, no checks). */
    static long read(Workload w, FileChannel in, ByteBuffer buffer) throws IOException {
        long n = 0;
        for (Workload.Run r : w.runs) {
            buffer.clear().limit(r.bytes().remaining());
            while (buffer.hasRemaining()) {
                int got = in.read(buffer);
                if (got < 0) {
                    throw new IOException("raw file shorter than the workload's runs");
                }
                n += got;
            }
        }
        return n;
    }
}
