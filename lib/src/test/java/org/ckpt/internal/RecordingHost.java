package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.ckpt.PageDestination;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;

/** A target whose page destination calls {@code during} at every allocate (with the count so far). */
final class RecordingHost implements RestartTarget {
    final List<String> calls = new ArrayList<>();
    final List<ByteBuffer> handedOut = new ArrayList<>();
    RestartResult committed;
    int allocations;
    java.util.function.IntConsumer during = n -> { };
    Function<PageDestination.Run, ByteBuffer> storage;

    @Override
    public TargetCpu cpu() {
        return TargetCpu.anyFeatures("test64");
    }

    @Override
    public RestorePolicy policy() {
        return RestorePolicy.LINUX_USER;
    }

    @Override
    public PageDestination pages() {
        PageDestination heap = PageDestination.heap();
        return new PageDestination() {
            @Override
            public ByteBuffer allocate(Run run) throws IOException {
                during.accept(++allocations);
                ByteBuffer b = storage != null ? storage.apply(run) : heap.allocate(run);
                handedOut.add(b.duplicate());
                return b;
            }

            @Override
            public void release(Throwable failure) {
                calls.add("release");
            }
        };
    }

    @Override
    public void commit(RestartResult image) {
        calls.add("commit");
        committed = image;
    }

    /** Copies of what the handed-out buffers hold now. */
    List<byte[]> snapshot() {
        List<byte[]> s = new ArrayList<>();
        for (ByteBuffer b : handedOut) {
            byte[] a = new byte[b.remaining()];
            b.duplicate().get(a);
            s.add(a);
        }
        return s;
    }
}
