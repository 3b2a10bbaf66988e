package org.ckpt.testarch;

import java.io.IOException;
import java.util.Set;
import org.ckpt.spi.ArchHead;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.UnsupportedImageException;

/**
 * A minimal architecture for the library's own tests, so the engine can be tested
 * before (and independently of) the real arch modules. User addresses below 2^47,
 * one CPU record, a feature mask in the arch head with one known bit ("vec").
 */
public final class TestArch implements ArchProvider {
    public static final String NAME = "test64";
    public static final int CPU_RECORD = 0x01F0;
    public static final long USER_LIMIT = 1L << 47;
    public static final long USER_FLAGS = 0xFF;
    public static final long FEATURE_VEC = 1;

    /** Arch head: the CPU record size and the feature mask. */
    public record Head(String architecture, int cpuSize, long features) implements ArchHead {
    }

    @Override
    public Set<String> architectures() {
        return Set.of(NAME);
    }

    @Override
    public Set<Integer> recordTypes() {
        return Set.of(CPU_RECORD);
    }

    @Override
    public long addressLimit(String architecture, RestorePolicy policy) {
        return policy == RestorePolicy.EXACT ? -1L : USER_LIMIT;
    }

    @Override
    public ArchHead archHead(String architecture) {
        return new Head(NAME, 56, 0);
    }

    @Override
    public void writeArchHead(ArchHead head, PayloadWriter out) {
        Head h = (Head) head;
        out.u32(h.cpuSize()).u32(0).u64(h.features());
    }

    @Override
    public ArchHead readArchHead(String architecture, PayloadReader in) throws IOException {
        long at = in.position();
        long size = in.u32("cpu_size");
        if (size != 56) {
            throw new InvalidImageException(in.recordName(), at, "cpu_size " + size + ", expected 56");
        }
        in.reserved32("reserved");
        at = in.position();
        long features = in.u64("features");
        if ((features & ~FEATURE_VEC) != 0) {
            throw new UnsupportedImageException(in.recordName(), at,
                    "unknown feature bits 0x" + Long.toHexString(features & ~FEATURE_VEC));
        }
        return new Head(architecture, (int) size, features);
    }

    @Override
    public void checkpointCpu(CpuState state, CkptContext ctx) throws IOException {
        if (!(state instanceof TestCpu c)) {
            throw new CheckpointException("not a TestCpu: " + state.getClass().getName());
        }
        ctx.output().begin(CPU_RECORD).u64(c.ip()).u64(c.sp()).u64(c.r0()).u64(c.r1()).u64(c.r2()).u64(c.r3())
                .u64(c.flags());
    }

    @Override
    public CpuState restoreCpu(CkptContext ctx) throws IOException {
        PayloadReader r = ctx.input().next(CPU_RECORD);
        return new TestCpu(r.u64("ip"), r.u64("sp"), r.u64("r0"), r.u64("r1"), r.u64("r2"), r.u64("r3"),
                r.u64("flags"));
    }

    @Override
    public CpuState check(CpuState state, CkptContext ctx) throws ImageException {
        TestCpu c = (TestCpu) state;
        if (((Head) ctx.archHead()).features() != 0 && !ctx.target().supports("vec")) {
            throw new UnsupportedImageException("ARCH_HEAD", -1, "the image uses feature 'vec', the target lacks it");
        }
        if (ctx.policy() == RestorePolicy.EXACT) {
            return c;
        }
        if (Long.compareUnsigned(c.ip(), USER_LIMIT) >= 0) {
            throw new InvalidImageException("0x01f0", -1,
                    "register ip = 0x" + Long.toHexString(c.ip()) + " is not a user address (limit 0x"
                            + Long.toHexString(USER_LIMIT) + ")");
        }
        // Only user-modifiable flag bits come from the image, as ptrace's FLAG_MASK does on x86.
        return new TestCpu(c.ip(), c.sp(), c.r0(), c.r1(), c.r2(), c.r3(), c.flags() & USER_FLAGS);
    }
}
