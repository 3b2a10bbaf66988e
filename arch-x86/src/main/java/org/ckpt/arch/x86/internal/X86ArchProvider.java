package org.ckpt.arch.x86.internal;

import java.io.IOException;
import java.util.Set;
import org.ckpt.arch.x86.X86CpuState;
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
 * The {@link ArchProvider} for {@code i386} and {@code x86_64}. Stateless; found
 * through {@link java.util.ServiceLoader}. Layouts and the rules of both restore policies:
 * docs/FORMAT.md §11.
 *
 * @since 0.1 (internal: use it through ServiceLoader only)
 */
public final class X86ArchProvider implements ArchProvider {
    private static final Set<String> ARCHS = Set.of(X86Format.I386, X86Format.X86_64);
    private static final Set<Integer> TYPES = Set.of(X86Format.REGS_X86_64, X86Format.REGS_I386, X86Format.FXSAVE,
            X86Format.XSTATE, X86Format.DEBUGREGS, X86Format.TLS_I386, X86Format.FPU_EXT);

    public X86ArchProvider() {
    }

    @Override
    public Set<String> architectures() {
        return ARCHS;
    }

    @Override
    public Set<Integer> recordTypes() {
        return TYPES;
    }

    @Override
    public long addressLimit(String architecture, RestorePolicy policy) {
        boolean is64 = X86Format.X86_64.equals(arch(architecture));
        if (policy == RestorePolicy.EXACT) {
            return is64 ? -1L : 1L << 32;
        }
        return is64 ? X86Format.LIMIT_X86_64 : X86Format.LIMIT_I386_COMPAT;
    }

    @Override
    public ArchHead archHead(String architecture) {
        return X86ArchHead.current(arch(architecture));
    }

    @Override
    public void writeArchHead(ArchHead head, PayloadWriter out) throws IOException {
        if (!(head instanceof X86ArchHead h)) {
            throw new CheckpointException("not an x86 arch head: " + head);
        }
        X86Records.writeHead(h, out);
    }

    @Override
    public ArchHead readArchHead(String architecture, PayloadReader in) throws IOException {
        if (!ARCHS.contains(architecture)) {
            throw new UnsupportedImageException(in.recordName(), in.position(), "architecture '" + architecture
                    + "' is not x86");
        }
        return X86Records.readHead(architecture, in);
    }

    @Override
    public void checkpointCpu(CpuState state, CkptContext ctx) throws IOException {
        if (!(state instanceof X86CpuState s)) {
            throw new CheckpointException("CPU state " + (state == null ? "null" : state.getClass().getName())
                    + " is not an x86 state (org.ckpt.arch.x86.X86_64State or I386State)");
        }
        if (!s.architecture().equals(ctx.architecture())) {
            throw new CheckpointException("CPU state of architecture '" + s.architecture() + "' in an image of '"
                    + ctx.architecture() + "'");
        }
        X86Records.writeCpu(s, ctx.output());
    }

    @Override
    public CpuState restoreCpu(CkptContext ctx) throws IOException {
        return X86Records.readCpu(head(ctx), ctx.input());
    }

    @Override
    public CpuState check(CpuState state, CkptContext ctx) throws ImageException {
        X86ArchHead head = head(ctx);
        if (!(state instanceof X86CpuState s) || !s.architecture().equals(head.architecture())) {
            throw new InvalidImageException(null, -1, "CPU state "
                    + (state == null ? "null" : state.architecture()) + " does not belong to an image of '"
                    + head.architecture() + "'");
        }
        return X86Check.check(s, head, ctx.target(), ctx.policy());
    }

    private static X86ArchHead head(CkptContext ctx) throws ImageException {
        if (!(ctx.archHead() instanceof X86ArchHead h)) {
            throw new InvalidImageException("ARCH_HEAD", -1, "the arch head was not read by the x86 provider");
        }
        return h;
    }

    private static String arch(String architecture) {
        if (!ARCHS.contains(architecture)) {
            throw new IllegalArgumentException("not an x86 architecture: " + architecture);
        }
        return architecture;
    }
}
