package org.ckpt.bench;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One invocation = one whole checkpoint or restart of a workload, timed as a single
 * shot (the operations take from tens of milliseconds to seconds, so per-call timer
 * overhead is irrelevant and every call pays the same file-system costs).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ImageBench {
    static final Checkpointer CHECKPOINTER = Checkpointer.builder().architecture("x86_64").build();
    static final Restarter RESTARTER = Restarter.builder().build();

    /** Where images are written: local disk, not tmpfs, unless -Dckpt.bench.dir says otherwise. */
    static Path dir() throws IOException {
        Path d = Path.of(System.getProperty("ckpt.bench.dir", "bench/target/io"));
        Files.createDirectories(d);
        return d;
    }

    @State(Scope.Benchmark)
    public static class Work {
        @Param({"mem-1g"})
        public String workload;
        Workload w;

        @Setup(Level.Trial)
        public void build() {
            w = Workload.named(workload);
        }
    }

    /** A ckpt image of the workload on disk, for the restart benchmark. */
    @State(Scope.Benchmark)
    public static class ImageFile {
        Path path;

        @Setup(Level.Trial)
        public void write(Work work) throws IOException {
            path = dir().resolve(work.workload + ".ckpt");
            try (FileChannel out = create(path)) {
                CHECKPOINTER.checkpoint(work.w.tasks, out);
            }
        }
    }

    /** The non-zero page bytes alone on disk, for the raw read baseline. */
    @State(Scope.Benchmark)
    public static class RawFile {
        Path path;
        ByteBuffer buffer;

        @Setup(Level.Trial)
        public void write(Work work) throws IOException {
            path = dir().resolve(work.workload + ".raw");
            try (FileChannel out = create(path)) {
                Raw.write(work.w, out);
            }
            int max = 0;
            for (Workload.Run r : work.w.runs) {
                max = Math.max(max, r.bytes().remaining());
            }
            buffer = ByteBuffer.allocate(max);
        }
    }

    /** The workload as Kryo objects, and a Kryo file of it for the read benchmark. */
    @State(Scope.Benchmark)
    public static class KryoState {
        KryoModel.KTask[] model;
        Kryo kryo;
        Path path;

        @Setup(Level.Trial)
        public void write(Work work) throws IOException {
            model = KryoModel.of(work.w.tasks);
            kryo = KryoModel.kryo();
            path = dir().resolve(work.workload + ".kryo");
            try (FileChannel out = create(path)) {
                kryoWrite(kryo, model, out);
            }
        }

        @TearDown(Level.Trial)
        public void drop() {
            model = null;
        }
    }

    /**
     * Before each timed invocation: earlier outputs are deleted and dirty pages written
     * back, so every write starts from the same page-cache state instead of paying for
     * the write-back of whatever ran before it.
     */
    @State(Scope.Thread)
    public static class CleanDisk {
        @Setup(Level.Invocation)
        public void settle() throws IOException, InterruptedException {
            try (var outputs = Files.newDirectoryStream(dir(), "*.out.*")) {
                for (Path p : outputs) {
                    Files.delete(p);
                }
            }
            new ProcessBuilder("sync").inheritIO().start().waitFor();
        }
    }

    static FileChannel create(Path p) throws IOException {
        return FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }

    static void kryoWrite(Kryo kryo, KryoModel.KTask[] model, FileChannel out) {
        OutputStream os = Channels.newOutputStream(out);
        try (Output o = new Output(os, 1 << 16)) {
            kryo.writeObject(o, model);
        }
    }

    // ---- checkpoint ----

    @Benchmark
    public CheckpointResult ckptToFile(Work work, CleanDisk clean) throws IOException {
        try (FileChannel out = create(dir().resolve(work.workload + ".out.ckpt"))) {
            return CHECKPOINTER.checkpoint(work.w.tasks, out);
        }
    }

    @Benchmark
    public CheckpointResult ckptToNull(Work work) throws IOException {
        return CHECKPOINTER.checkpoint(work.w.tasks, new NullChannel());
    }

    @Benchmark
    public long rawWrite(Work work, CleanDisk clean) throws IOException {
        try (FileChannel out = create(dir().resolve(work.workload + ".out.raw"))) {
            return Raw.write(work.w, out);
        }
    }

    @Benchmark
    public void kryoWrite(Work work, KryoState k, CleanDisk clean) throws IOException {
        try (FileChannel out = create(dir().resolve(work.workload + ".out.kryo"))) {
            kryoWrite(k.kryo, k.model, out);
        }
    }

    // ---- restart ----

    @Benchmark
    public RestartResult restartFromFile(ImageFile image, CleanDisk clean) throws IOException {
        try (FileChannel in = FileChannel.open(image.path)) {
            return RESTARTER.restart(in);
        }
    }

    @Benchmark
    public long rawRead(Work work, RawFile raw, CleanDisk clean) throws IOException {
        try (FileChannel in = FileChannel.open(raw.path)) {
            return Raw.read(work.w, in, raw.buffer);
        }
    }

    @Benchmark
    public void kryoRead(KryoState k, Blackhole bh, CleanDisk clean) throws IOException {
        try (InputStream is = Files.newInputStream(k.path); Input i = new Input(is, 1 << 16)) {
            bh.consume(k.kryo.readObject(i, KryoModel.KTask[].class));
        }
    }

    /** Accepts and discards every byte: what the format costs without I/O. */
    static final class NullChannel implements WritableByteChannel {
        private boolean open = true;

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }
}
