package org.ckpt.testkit.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.Task;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.Equivalence;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.RecordingTarget;
import org.ckpt.testkit.image.TestChannels;

/** What the contracts share: fixed-head checkpoints, restarts into a recording target, rejection checks. */
final class Images {
    /** A record type no version assigns (outside the core and architecture ranges). */
    static final int UNKNOWN_TYPE = 0x7E57_0001;

    /** Loads the providers once: a restart per damaged image must not pay for a ServiceLoader scan. */
    private static final Restarter RESTARTER = Restarter.builder().build();
    private static final Map<String, Checkpointer> CHECKPOINTERS = new ConcurrentHashMap<>();

    private Images() {
    }

    static Restarter restarter() {
        return RESTARTER;
    }

    static Checkpointer checkpointer(String architecture) {
        return CHECKPOINTERS.computeIfAbsent(architecture, a -> Checkpointer.builder().architecture(a)
                .checkpointId(0x5EED).created(Instant.EPOCH).uname(new Uname("Linux", "contract", "6.1.0", "#1", "x")).build());
    }

    /**
     * A checkpoint under {@code policy} with {@code provider} registered by instance;
     * {@code unchecked} makes the provider's check accept everything, so the image holds
     * exactly what {@code checkpointCpu} writes for a state the policy refuses (the bytes a
     * checkpoint would have written had it not refused).
     */
    static byte[] checkpoint(org.ckpt.spi.ArchProvider provider, String architecture,
                             org.ckpt.spi.RestorePolicy policy, List<Task> tasks, boolean unchecked) throws IOException {
        org.ckpt.spi.ArchProvider p = unchecked ? new Unchecked(provider) : provider;
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(architecture).policy(policy).register(p).checkpointId(0x5EED)
                .created(Instant.EPOCH).uname(new Uname("Linux", "contract", "6.1.0", "#1", "x")).build()
                .checkpoint(tasks, sink);
        return sink.toByteArray();
    }

    /** A provider whose check accepts every state unchanged; everything else is the wrapped one's. */
    private record Unchecked(org.ckpt.spi.ArchProvider p) implements org.ckpt.spi.ArchProvider {
        @Override
        public java.util.Set<String> architectures() {
            return p.architectures();
        }

        @Override
        public java.util.Set<Integer> recordTypes() {
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
        public void checkpointCpu(org.ckpt.spi.CpuState state, org.ckpt.spi.CkptContext ctx) throws IOException {
            p.checkpointCpu(state, ctx);
        }

        @Override
        public org.ckpt.spi.CpuState restoreCpu(org.ckpt.spi.CkptContext ctx) throws IOException {
            return p.restoreCpu(ctx);
        }

        @Override
        public org.ckpt.spi.CpuState check(org.ckpt.spi.CpuState state, org.ckpt.spi.CkptContext ctx) {
            return state;
        }
    }

    /** Restarts with {@code provider} registered by instance into a recording target of {@code policy}. */
    static RecordingTarget restart(org.ckpt.spi.ArchProvider provider, byte[] image, TargetCpu target,
                                   org.ckpt.spi.RestorePolicy policy) throws IOException {
        RecordingTarget r = new RecordingTarget(target, policy);
        Restarter.builder().register(provider).build().restart(TestChannels.source(image), r);
        return r;
    }

    static byte[] checkpoint(String architecture, List<Task> tasks) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        checkpointer(architecture).checkpoint(tasks, sink);
        return sink.toByteArray();
    }

    /** Restarts into a recording target; the image must be accepted and committed once. */
    static RestartResult accept(byte[] image, TargetCpu target) throws IOException {
        RecordingTarget r = new RecordingTarget(target);
        RestartResult result = RESTARTER.restart(TestChannels.source(image), r);
        assertThat(r.committed()).as("committed result").isSameAs(result);
        assertThat(r.commits()).as("commits").isEqualTo(1);
        assertThat(result.bytesRead()).as("bytes read").isEqualTo(image.length);
        return result;
    }

    /**
     * Restarts {@code image}: it must fail with an {@link ImageException} (never an
     * unchecked exception) that names an offset, and leave the target uncommitted.
     */
    static ImageException reject(byte[] image, TargetCpu target, String what) {
        RecordingTarget r = new RecordingTarget(target);
        try {
            RESTARTER.restart(TestChannels.source(image), r);
        } catch (ImageException e) {
            assertThat(r.committed()).as("target committed although the restart failed (%s)", what).isNull();
            assertThat(e.recordType() != null || e.offset() >= 0)
                    .as("%s: failure located by record type or offset: %s", what, e.getMessage()).isTrue();
            return e;
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(what + ": expected an ImageException, got " + e, e);
        }
        return fail("%s was accepted; records:%n%s", what, dump(image));
    }

    /**
     * Restarts an image that was deliberately damaged and then had its checksums repaired:
     * either an {@link ImageException} without commit, or a result that is itself a
     * consistent state — it checkpoints again and comes back equivalent.
     */
    static Optional<RestartResult> rejectOrConsistent(byte[] image, TargetCpu target, String architecture,
                                                      BiPredicate<Object, Object> hostEquality, String what)
            throws IOException {
        RecordingTarget r = new RecordingTarget(target);
        RestartResult result;
        try {
            result = RESTARTER.restart(TestChannels.source(image), r);
        } catch (ImageException e) {
            assertThat(r.committed()).as("target committed although the restart failed (%s)", what).isNull();
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(what + ": expected an ImageException or a result, got " + e, e);
        }
        byte[] again;
        try {
            TestChannels.Sink sink = TestChannels.sink();
            checkpointer(architecture).checkpoint(result.tasks(), sink);
            again = sink.toByteArray();
        } catch (CheckpointException e) {
            throw new AssertionError(what + ": the restart accepted a state the checkpoint refuses: " + e.getMessage(),
                    e);
        }
        RestartResult second = RESTARTER.restart(TestChannels.source(again), new RecordingTarget(target));
        Optional<String> d = Equivalence.firstDifference(result.tasks(), second.tasks(), hostEquality);
        assertThat(d).as("%s: accepted state does not survive a second round trip", what).isEmpty();
        return Optional.of(result);
    }

    /** Every length from 0 to the image's, or, past {@code budget}, each record's edges and a sample. */
    static List<Integer> truncations(byte[] image, int budget, long seed) {
        if (image.length <= budget) {
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < image.length; i++) {
                all.add(i);
            }
            return all;
        }
        TreeSet<Integer> out = new TreeSet<>();
        for (int i = 0; i <= ImageRecords.MAGIC_SIZE; i++) {
            out.add(i);
        }
        for (ImageRecords.Record rec : ImageRecords.parse(image)) {
            int at = (int) rec.offset();
            int[] edges = {at - 1, at + 1, at + ImageRecords.HEADER_SIZE - 1, at + ImageRecords.HEADER_SIZE,
                at + ImageRecords.HEADER_SIZE + rec.payload().length - 1};
            for (int e : edges) {
                if (e >= 0 && e < image.length) {
                    out.add(e);
                }
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        while (out.size() < budget) {
            out.add(rnd.nextInt(image.length));
        }
        return new ArrayList<>(out);
    }

    /** Bit positions: all of them up to {@code budget}; past it every bit of {@code focus} records' headers and a sample. */
    static List<Long> bits(byte[] image, int budget, long seed, List<Integer> focus) {
        long total = image.length * 8L;
        List<Long> out = new ArrayList<>();
        if (total <= budget) {
            for (long b = 0; b < total; b++) {
                out.add(b);
            }
            return out;
        }
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        for (int i : focus) {
            ImageRecords.Record rec = rs.get(i);
            int n = ImageRecords.HEADER_SIZE + Math.min(rec.payload().length, 64);
            for (long b = rec.offset() * 8; b < (rec.offset() + n) * 8 && out.size() < budget / 2; b++) {
                out.add(b);
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        while (out.size() < budget) {
            out.add(rnd.nextLong(total));
        }
        return out;
    }

    /** Indices of the records of the objects of {@code typeName}: each OBJECT and its continuation records. */
    static List<Integer> objectRecords(byte[] image, String typeName) {
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        List<Integer> out = new ArrayList<>();
        boolean inside = false;
        for (int i = 0; i < rs.size(); i++) {
            int type = rs.get(i).type();
            if (type == RecordTypes.OBJECT) {
                inside = typeName.equals(typeNameOf(rs.get(i).payload()));
            } else if (type == RecordTypes.TASK || type == RecordTypes.TAIL) {
                inside = false;
            }
            if (inside) {
                out.add(i);
            }
        }
        return out;
    }

    static String typeNameOf(byte[] objectPayload) {
        int len = ByteBuffer.wrap(objectPayload).order(ByteOrder.LITTLE_ENDIAN).getShort(8) & 0xFFFF;
        return new String(objectPayload, 10, len, StandardCharsets.UTF_8);
    }

    /** First payload byte that belongs to the object body or continuation (after objref and type name). */
    static int firstEditable(ImageRecords.Record r) {
        return r.type() == RecordTypes.OBJECT ? 10 + (ByteBuffer.wrap(r.payload()).order(ByteOrder.LITTLE_ENDIAN)
                .getShort(8) & 0xFFFF) : 0;
    }

    /**
     * Semantic damage to the given records, checksums repaired: payloads cut short; single
     * bytes replaced by random values, zero and 0xFF; u32 fields set to extremes; records
     * dropped and duplicated.
     */
    static List<Mutation> mutations(byte[] image, List<Integer> records, int budget, long seed) {
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        List<Mutation> out = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i : records) {
            if (rs.get(i).type() != RecordTypes.OBJECT) {
                out.add(new Mutation("drop record " + i, ImageMutator.drop(image, i)));
                out.add(new Mutation("duplicate record " + i, ImageMutator.duplicate(image, i)));
            }
        }
        // Payloads cut short (checksums repaired): every field read must be bounds checked.
        for (int i : records) {
            ImageRecords.Record r = rs.get(i);
            int len = r.payload().length;
            int[] cuts = {len - 1, firstEditable(r), firstEditable(r) + 1, rnd.nextInt(Math.max(1, len))};
            for (int cut : cuts) {
                if (cut >= 0 && cut < len) {
                    out.add(new Mutation("record " + i + " (" + RecordTypes.name(r.type()) + ") cut to " + cut
                            + " payload bytes", ImageMutator.editPayload(image, i, p -> p.limit(cut))));
                }
            }
        }
        int[] values = {-1, 0, 0x80, 0xFF, 1, 7, 0x7F};
        for (int n = 0; n < budget && !records.isEmpty(); n++) {
            int idx = records.get(rnd.nextInt(records.size()));
            ImageRecords.Record r = rs.get(idx);
            int from = firstEditable(r);
            int len = r.payload().length - from;
            if (len <= 0) {
                continue;
            }
            // Bias toward the first bytes: headers of bodies hold counts, flags and lengths.
            int pos = from + (rnd.nextBoolean() ? rnd.nextInt(Math.min(len, 64)) : rnd.nextInt(len));
            int kind = rnd.nextInt(3);
            int value = values[rnd.nextInt(values.length)];
            byte rand = (byte) rnd.nextInt(256);
            String what = "record " + idx + " (" + RecordTypes.name(r.type()) + ") payload byte " + pos;
            byte[] bad = ImageMutator.editPayload(image, idx, p -> {
                switch (kind) {
                    case 0 -> p.put(pos, rand);
                    case 1 -> p.put(pos, (byte) value);
                    default -> {
                        if (pos + 4 <= p.limit()) {
                            p.putInt(pos, value == -1 ? -1 : value << 24);
                        } else {
                            p.put(pos, (byte) ~p.get(pos));
                        }
                    }
                }
                return p;
            });
            out.add(new Mutation(what + " (kind " + kind + ")", bad));
        }
        return out;
    }

    /** A damaged image and how it was damaged. */
    record Mutation(String what, byte[] image) {
    }

    /** The image with one bit of the tail's image CRC32C flipped and the tail record's own checksum repaired. */
    static byte[] withBadImageCrc(byte[] image) {
        byte[] bad = image.clone();
        int tail = image.length - 48;
        bad[image.length - 8] ^= 1;
        ByteBuffer b = ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN);
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(bad, tail, 12);
        c.update(bad, tail + ImageRecords.HEADER_SIZE, 32);
        b.putInt(tail + 12, (int) c.getValue());
        return bad;
    }

    static String dump(byte[] image) {
        try {
            return ImageRecords.dump(image);
        } catch (IllegalArgumentException e) {
            return "(unparseable: " + e.getMessage() + ")";
        }
    }
}
