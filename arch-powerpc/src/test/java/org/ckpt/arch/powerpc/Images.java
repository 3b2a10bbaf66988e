package org.ckpt.arch.powerpc;

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
import java.util.zip.CRC32C;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;

/** Full images for the tests: write, read, and patch bytes with checksums and tail fixed. */
final class Images {
    static final int ARCH_HEAD = 0x0002;
    static final int TAIL = 0x0003;
    static final int PPC_REGS = 0x0120;
    static final int PPC_FP = 0x0121;
    static final int PPC_DEBUG = 0x0122;
    static final int PPC_ALTIVEC = 0x0123;
    static final int PPC_SPE = 0x0124;
    static final int PPC_VSX = 0x0125;
    /** Offset of msr in the PPC_REGS payload (16 + 33 × 8). */
    static final int REGS_MSR = 280;
    static final int REGS_NIP = 272;
    static final int REGS_FEATURES = 8;

    private Images() {
    }

    /** A task with one page of memory and {@code cpu}. */
    static Task task(PowerPcCpuState cpu) {
        byte[] page = new byte[4096];
        Arrays.fill(page, 0, 16, (byte) 0x7f);
        long base = 0x1000_0000L;
        Vma text = new Vma(base, base + 0x2000, Vma.PROT_READ | Vma.PROT_EXEC, 0, 0, null,
                PageData.of(base, page));
        return Task.builder().pid(7).tgid(7).comm("regs").mm(AddressSpace.of(List.of(text))).cpu(cpu).build();
    }

    static byte[] checkpoint(PowerPcCpuState cpu) throws IOException {
        return checkpoint(task(cpu), cpu.architecture());
    }

    static byte[] checkpoint(Task task, String architecture) throws IOException {
        return checkpoint(task, architecture, RestorePolicy.LINUX_USER);
    }

    static byte[] checkpoint(PowerPcCpuState cpu, RestorePolicy policy) throws IOException {
        return checkpoint(task(cpu), cpu.architecture(), policy);
    }

    /** A checkpoint under {@code policy}: the image records it, and a model restart applies it. */
    static byte[] checkpoint(Task task, String architecture, RestorePolicy policy) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        Checkpointer.builder().architecture(architecture).policy(policy).checkpointId(42).created(Instant.EPOCH)
                .build().checkpoint(task, Channels.newChannel(bos));
        return bos.toByteArray();
    }

    static RestartResult restart(byte[] image) throws IOException {
        return Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(image)));
    }

    static RestartResult restart(byte[] image, RestartTarget target) throws IOException {
        return Restarter.builder().build().restart(Channels.newChannel(new ByteArrayInputStream(image)), target);
    }

    /** A target that records whether it was committed to. */
    static final class RecordingTarget implements RestartTarget {
        final TargetCpu cpu;
        final RestorePolicy policy;
        final List<RestartResult> commits = new ArrayList<>();

        RecordingTarget(TargetCpu cpu) {
            this(cpu, RestorePolicy.LINUX_USER);
        }

        RecordingTarget(TargetCpu cpu, RestorePolicy policy) {
            this.cpu = cpu;
            this.policy = policy;
        }

        @Override
        public TargetCpu cpu() {
            return cpu;
        }

        @Override
        public RestorePolicy policy() {
            return policy;
        }

        @Override
        public void commit(RestartResult image) {
            commits.add(image);
        }
    }

    /** One record of an image. */
    record Rec(int type, int flags, byte[] payload) {
    }

    static List<Rec> parse(byte[] image) {
        List<Rec> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int pos = 8;
        while (pos < image.length) {
            int type = b.getInt(pos);
            int flags = b.getInt(pos + 4);
            int len = b.getInt(pos + 8);
            out.add(new Rec(type, flags, Arrays.copyOfRange(image, pos + 16, pos + 16 + len)));
            pos += 16 + len + ((8 - (len & 7)) & 7);
        }
        return out;
    }

    static byte[] assemble(byte[] original, List<Rec> records) {
        ByteBuffer out = ByteBuffer.allocate(original.length + 4096).order(ByteOrder.LITTLE_ENDIAN);
        out.put(original, 0, 8);
        CRC32C image = new CRC32C();
        image.update(original, 0, 8);
        for (int i = 0; i < records.size(); i++) {
            Rec r = records.get(i);
            byte[] payload = r.payload();
            if (r.type() == TAIL) {
                payload = payload.clone();
                ByteBuffer p = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
                p.putLong(8, i);
                p.putLong(16, out.position());
                p.putInt(24, (int) image.getValue());
            }
            int start = out.position();
            CRC32C c = new CRC32C();
            ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(r.type()).putInt(r.flags()).putInt(payload.length);
            c.update(h.array());
            c.update(payload);
            out.putInt(r.type()).putInt(r.flags()).putInt(payload.length).putInt((int) c.getValue());
            out.put(payload).put(new byte[(8 - (payload.length & 7)) & 7]);
            image.update(out.array(), start, out.position() - start);
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    /** The payload of the first record of {@code type}. */
    static byte[] payload(byte[] image, int type) {
        return parse(image).stream().filter(r -> r.type() == type).findFirst().orElseThrow().payload();
    }

    /** Replaces the payload of the first record of {@code type}. */
    static byte[] replace(byte[] image, int type, byte[] payload) {
        List<Rec> recs = new ArrayList<>(parse(image));
        for (int i = 0; i < recs.size(); i++) {
            if (recs.get(i).type() == type) {
                recs.set(i, new Rec(type, recs.get(i).flags(), payload));
                return assemble(image, recs);
            }
        }
        throw new IllegalArgumentException("no record 0x" + Integer.toHexString(type));
    }

    /** Writes {@code value} little-endian as {@code width} bytes at {@code offset} of the first record of {@code type}. */
    static byte[] patch(byte[] image, int type, int offset, int width, long value) {
        byte[] p = payload(image, type).clone();
        for (int i = 0; i < width; i++) {
            p[offset + i] = (byte) (value >>> (8 * i));
        }
        return replace(image, type, p);
    }

    static long read(byte[] image, int type, int offset, int width) {
        byte[] p = payload(image, type);
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = (v << 8) | (p[offset + i] & 0xFF);
        }
        return v;
    }
}
