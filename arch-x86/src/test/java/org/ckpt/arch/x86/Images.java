package org.ckpt.arch.x86;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.Task;
import org.ckpt.spi.CpuState;
import org.ckpt.spi.TargetCpu;

/** Full images through Checkpointer/Restarter, a recording target, and a byte-level record patcher. */
final class Images {
    private Images() {
    }

    static byte[] checkpoint(CpuState cpu) throws IOException {
        return checkpoint(cpu, org.ckpt.spi.RestorePolicy.LINUX_USER);
    }

    /** An image written under {@code policy}: EXACT keeps a state LINUX_USER would refuse, for a restart to refuse. */
    static byte[] checkpoint(CpuState cpu, org.ckpt.spi.RestorePolicy policy) throws IOException {
        Task t = Task.builder().pid(7).tgid(7).comm("regs").cpu(cpu).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Checkpointer.builder().architecture(cpu.architecture()).policy(policy).checkpointId(1).created(Instant.EPOCH)
                .uname(new Uname("Linux", "host", "6.18", "#1", cpu.architecture())).build()
                .checkpoint(t, Channels.newChannel(out));
        return out.toByteArray();
    }

    /**
     * The bytes a checkpoint under {@code policy} writes for {@code cpu} had its rules not
     * refused it: the provider registered by instance with a check that accepts everything.
     */
    static byte[] checkpointUnchecked(CpuState cpu, org.ckpt.spi.RestorePolicy policy) throws IOException {
        Task t = Task.builder().pid(7).tgid(7).comm("regs").cpu(cpu).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Checkpointer.builder().architecture(cpu.architecture()).policy(policy).register(new Unchecked())
                .checkpointId(1).created(Instant.EPOCH)
                .uname(new Uname("Linux", "host", "6.18", "#1", cpu.architecture())).build()
                .checkpoint(t, Channels.newChannel(out));
        return out.toByteArray();
    }

    /** The x86 provider with a check phase that accepts every state unchanged. */
    private static final class Unchecked implements org.ckpt.spi.ArchProvider {
        private final org.ckpt.spi.ArchProvider p = new org.ckpt.arch.x86.internal.X86ArchProvider();

        @Override
        public Set<String> architectures() {
            return p.architectures();
        }

        @Override
        public Set<Integer> recordTypes() {
            return p.recordTypes();
        }

        @Override
        public long addressLimit(String architecture, org.ckpt.spi.RestorePolicy policy) {
            return p.addressLimit(architecture, policy);
        }

        @Override
        public org.ckpt.spi.ArchHead archHead(String architecture) {
            return p.archHead(architecture);
        }

        @Override
        public void writeArchHead(org.ckpt.spi.ArchHead head, org.ckpt.spi.PayloadWriter out) throws IOException {
            p.writeArchHead(head, out);
        }

        @Override
        public org.ckpt.spi.ArchHead readArchHead(String architecture, org.ckpt.spi.PayloadReader in)
                throws IOException {
            return p.readArchHead(architecture, in);
        }

        @Override
        public void checkpointCpu(CpuState state, org.ckpt.spi.CkptContext ctx) throws IOException {
            p.checkpointCpu(state, ctx);
        }

        @Override
        public CpuState restoreCpu(org.ckpt.spi.CkptContext ctx) throws IOException {
            return p.restoreCpu(ctx);
        }

        @Override
        public CpuState check(CpuState state, org.ckpt.spi.CkptContext ctx) {
            return state;
        }
    }

    static CpuState restart(byte[] image) throws IOException {
        RestartResult r = Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(image)));
        return r.tasks().get(0).cpu();
    }

    static CpuState restart(byte[] image, RecordingTarget target) throws IOException {
        RestartResult r = Restarter.builder().build()
                .restart(Channels.newChannel(new ByteArrayInputStream(image)), target);
        return r.tasks().get(0).cpu();
    }

    /** A target that declares a CPU and records what is committed to it. */
    static final class RecordingTarget implements RestartTarget {
        final TargetCpu cpu;
        final org.ckpt.spi.RestorePolicy policy;
        final List<RestartResult> commits = new ArrayList<>();

        RecordingTarget(TargetCpu cpu) {
            this(cpu, org.ckpt.spi.RestorePolicy.LINUX_USER);
        }

        RecordingTarget(TargetCpu cpu, org.ckpt.spi.RestorePolicy policy) {
            this.cpu = cpu;
            this.policy = policy;
        }

        /** An emulator's target: every feature of {@code arch}, policy EXACT. */
        static RecordingTarget exact(String arch) {
            return new RecordingTarget(TargetCpu.anyFeatures(arch), org.ckpt.spi.RestorePolicy.EXACT);
        }

        static RecordingTarget of(String arch, String... features) {
            return new RecordingTarget(TargetCpu.of(arch, Set.of(features)));
        }

        static RecordingTarget any(String arch) {
            return new RecordingTarget(TargetCpu.anyFeatures(arch));
        }

        @Override
        public TargetCpu cpu() {
            return cpu;
        }

        @Override
        public org.ckpt.spi.RestorePolicy policy() {
            return policy;
        }

        @Override
        public void commit(RestartResult image) {
            commits.add(image);
        }

        CpuState committedCpu() {
            return commits.get(0).tasks().get(0).cpu();
        }
    }

    // ---- byte-level patching (framing per docs/FORMAT.md: 8-byte magic, 16-byte headers, 8-byte padding) ----

    /** The record types of {@code image} in order (HEAD first, TAIL last). */
    static List<Integer> recordTypes(byte[] image) {
        List<Integer> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        for (int pos = 8; pos < image.length; ) {
            int len = b.getInt(pos + 8);
            out.add(b.getInt(pos));
            pos += 16 + len + ((8 - (len & 7)) & 7);
        }
        return out;
    }

    /** The payload of the first record of {@code type}, or {@code null}. */
    static byte[] payload(byte[] image, int type) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        for (int pos = 8; pos < image.length; ) {
            int len = b.getInt(pos + 8);
            if (b.getInt(pos) == type) {
                return Arrays.copyOfRange(image, pos + 16, pos + 16 + len);
            }
            pos += 16 + len + ((8 - (len & 7)) & 7);
        }
        return null;
    }

    /** Rewrites the payload of the first record of {@code type}, fixing record checksums and the tail. */
    static byte[] patch(byte[] image, int type, Consumer<ByteBuffer> edit) {
        List<int[]> recs = new ArrayList<>(); // {offset, type, flags, length}
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        for (int pos = 8; pos < image.length; ) {
            int len = b.getInt(pos + 8);
            recs.add(new int[] {pos, b.getInt(pos), b.getInt(pos + 4), len});
            pos += 16 + len + ((8 - (len & 7)) & 7);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(image, 0, 8);
        CRC32C whole = new CRC32C();
        whole.update(image, 0, 8);
        boolean done = false;
        for (int i = 0; i < recs.size(); i++) {
            int[] r = recs.get(i);
            byte[] payload = Arrays.copyOfRange(image, r[0] + 16, r[0] + 16 + r[3]);
            if (r[1] == type && !done) {
                ByteBuffer p = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
                edit.accept(p);
                done = true;
            }
            if (r[1] == 0x0003 && i == recs.size() - 1) {
                ByteBuffer p = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
                p.putLong(8, i);
                p.putLong(16, out.size());
                p.putInt(24, (int) whole.getValue());
            }
            ByteBuffer h = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            CRC32C c = new CRC32C();
            c.update(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(r[1]).putInt(r[2])
                    .putInt(payload.length).array());
            c.update(payload);
            h.putInt(r[1]).putInt(r[2]).putInt(payload.length).putInt((int) c.getValue());
            byte[] rec = new byte[16 + payload.length + ((8 - (payload.length & 7)) & 7)];
            System.arraycopy(h.array(), 0, rec, 0, 16);
            System.arraycopy(payload, 0, rec, 16, payload.length);
            out.write(rec, 0, rec.length);
            whole.update(rec);
        }
        if (!done) {
            throw new IllegalArgumentException("no record of type " + type);
        }
        return out.toByteArray();
    }
}
