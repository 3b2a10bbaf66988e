package org.ckpt.testkit.image;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.LongUnaryOperator;
import org.ckpt.spi.ArchHead;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordInput;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;

/**
 * An {@link ObjectOps} that delegates to another and watches its restores: every field it
 * reads (name, width, value, absolute image offset), every object it returns, and the heap
 * each restore allocates compared with the payload bytes it was given. Register it by
 * instance in place of the ops it watches:
 *
 * <pre>{@code
 * OpsProbe<Device> probe = OpsProbe.of(new DeviceOps());
 * Restarter.builder().register(probe).build().restart(channel);
 * probe.fieldsRead();   // [FieldRead[name=flags, kind=u32, offset=268, ...], ...]
 * }</pre>
 *
 * <p><b>Allocation.</b> A restore may allocate at most {@code allowance(payloadBytes)} bytes
 * of heap, where {@code payloadBytes} counts the object's body and every record it reads
 * after it (default {@link #DEFAULT_ALLOWANCE}: 8 MiB plus 32 bytes per payload byte). One
 * that allocates more, or runs out of memory, fails with an {@link ExcessiveAllocation} — an
 * {@code AssertionError} naming the record, its offset, the payload size and the values read
 * that exceed it — instead of an {@code OutOfMemoryError} that ends the test JVM. The
 * measurement is the calling thread's allocation counter
 * ({@code com.sun.management.ThreadMXBean}); where the JVM has none, only running out of
 * memory is caught.
 *
 * <p>The library's own ops ({@code mm}, {@code files}, {@code file}) need the engine's own
 * context: for them only the body's fields are recorded. Not thread-safe: one restart at a
 * time.
 *
 * @param <T> the object type the watched ops handles
 * @since 0.2 (evolving)
 */
public final class OpsProbe<T> implements ObjectOps<T> {
    /** 8 MiB plus 32 bytes per payload byte. */
    public static final LongUnaryOperator DEFAULT_ALLOWANCE = payload -> (8L << 20) + 32 * payload;

    /**
     * One field a restore read.
     *
     * @param name   the field name the ops passed to the {@link PayloadReader}
     * @param kind   {@code u8 u16 u32 i32 u64 count reserved32 bytes slice string sstring}
     * @param offset absolute image offset of its first byte
     * @param width  its size in bytes (for strings: the length prefix and the bytes)
     * @param value  the number read (for strings, byte arrays and slices: their length)
     * @param record the record type name it was read from
     */
    public record FieldRead(String name, String kind, long offset, int width, long value, String record) {
        public FieldRead {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(record, "record");
        }

        /** Whether the field is a number a reader might use as a count or length. */
        public boolean isNumber() {
            return switch (kind) {
                case "u8", "u16", "u32", "i32", "u64", "count" -> true;
                default -> false;
            };
        }
    }

    /**
     * One restore: the object it returned, where its {@code OBJECT} record was, the payload bytes
     * it read (body and later records) and the heap it allocated ({@code -1} if unmeasured).
     */
    public record Restore(Object object, long offset, long payloadBytes, long allocatedBytes) {
    }

    private static final com.sun.management.ThreadMXBean THREADS = threads();

    private final ObjectOps<T> ops;
    private final LongUnaryOperator allowance;
    private final boolean wrapContext;
    private final List<FieldRead> fields = new ArrayList<>();
    private final List<Restore> restores = new ArrayList<>();

    private OpsProbe(ObjectOps<T> ops, LongUnaryOperator allowance) {
        this.ops = Objects.requireNonNull(ops, "ops");
        this.allowance = Objects.requireNonNull(allowance, "allowance");
        // The library's own ops read continuation records through the engine's own context.
        this.wrapContext = !ops.getClass().getName().startsWith("org.ckpt.internal.");
    }

    /** A probe around {@code ops} with {@link #DEFAULT_ALLOWANCE}. */
    public static <T> OpsProbe<T> of(ObjectOps<T> ops) {
        return new OpsProbe<>(ops, DEFAULT_ALLOWANCE);
    }

    /** A probe around {@code ops} allowing {@code allowance.applyAsLong(payloadBytes)} bytes of heap per restore. */
    public static <T> OpsProbe<T> of(ObjectOps<T> ops, LongUnaryOperator allowance) {
        return new OpsProbe<>(ops, allowance);
    }

    /** The watched ops. */
    public ObjectOps<T> delegate() {
        return ops;
    }

    /** Fields read by restores since the probe was made or {@link #reset()}, in reading order. */
    public List<FieldRead> fieldsRead() {
        return Collections.unmodifiableList(fields);
    }

    /** Restores that returned an object since the probe was made or {@link #reset()}. */
    public List<Restore> restores() {
        return Collections.unmodifiableList(restores);
    }

    /** The objects restores returned, in order. */
    public List<T> restored() {
        List<T> out = new ArrayList<>();
        for (Restore r : restores) {
            out.add(ops.type().cast(r.object()));
        }
        return out;
    }

    /** Forgets what was recorded. */
    public void reset() {
        fields.clear();
        restores.clear();
    }

    @Override
    public String typeName() {
        return ops.typeName();
    }

    @Override
    public Class<T> type() {
        return ops.type();
    }

    @Override
    public void forEachReference(T object, BiConsumer<String, Object> references) {
        ops.forEachReference(Objects.requireNonNull(object, "object"), Objects.requireNonNull(references, "references"));
    }

    @Override
    public void checkpoint(T object, CkptContext ctx, PayloadWriter body) throws IOException {
        ops.checkpoint(Objects.requireNonNull(object, "object"), Objects.requireNonNull(ctx, "ctx"),
                Objects.requireNonNull(body, "body"));
    }

    @Override
    public void grab(T object) {
        ops.grab(Objects.requireNonNull(object, "object"));
    }

    @Override
    public void release(T object) {
        ops.release(Objects.requireNonNull(object, "object"));
    }

    @Override
    public T restore(CkptContext ctx, PayloadReader body) throws IOException {
        long at = body.position();
        String record = body.recordName();
        long bodyBytes = body.remaining();
        long bytesBefore = ctx.bytes();
        int firstField = fields.size();
        Reader r = new Reader(body);
        CkptContext c = wrapContext ? new Context(ctx) : ctx;
        long before = allocated();
        T object;
        try {
            object = ops.restore(c, r);
        } catch (OutOfMemoryError e) {
            long payload = bodyBytes + Math.max(0, ctx.bytes() - bytesBefore);
            throw new ExcessiveAllocation(typeName(), record, at, payload, -1, allowance.applyAsLong(payload),
                    suspects(firstField, payload), e);
        }
        long used = before < 0 ? -1 : allocated() - before;
        long payload = bodyBytes + Math.max(0, ctx.bytes() - bytesBefore);
        long allowed = allowance.applyAsLong(payload);
        if (used > allowed) {
            throw new ExcessiveAllocation(typeName(), record, at, payload, used, allowed, suspects(firstField, payload),
                    null);
        }
        restores.add(new Restore(object, at, payload, used));
        return object;
    }

    /** Numbers read during this restore that are larger than its whole payload: the likely culprits. */
    private List<FieldRead> suspects(int from, long payload) {
        List<FieldRead> out = new ArrayList<>();
        for (FieldRead f : fields.subList(from, fields.size())) {
            if (f.isNumber() && Long.compareUnsigned(f.value(), payload) > 0) {
                out.add(f);
            }
        }
        return out;
    }

    private static long allocated() {
        return THREADS == null ? -1 : THREADS.getCurrentThreadAllocatedBytes();
    }

    private static com.sun.management.ThreadMXBean threads() {
        try {
            if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                    && t.isThreadAllocatedMemorySupported()) {
                if (!t.isThreadAllocatedMemoryEnabled()) {
                    t.setThreadAllocatedMemoryEnabled(true);
                }
                return t;
            }
        } catch (UnsupportedOperationException | SecurityException e) {
            // No measurement: out-of-memory is still caught.
        }
        return null;
    }

    /**
     * A restore allocated more heap than its payload could justify, or ran out of memory: a
     * length or count read from the image was used before it was checked against the bytes
     * left ({@link PayloadReader#remaining()}) or a limit ({@link PayloadReader#count}).
     */
    public static final class ExcessiveAllocation extends AssertionError {
        private static final long serialVersionUID = 1L;

        private final String record;
        private final long offset;
        private final long payloadBytes;
        private final long allocatedBytes;

        ExcessiveAllocation(String typeName, String record, long offset, long payloadBytes, long allocatedBytes,
                            long allowed, List<FieldRead> suspects, OutOfMemoryError cause) {
            super(message(typeName, record, offset, payloadBytes, allocatedBytes, allowed, suspects, cause), cause);
            this.record = record;
            this.offset = offset;
            this.payloadBytes = payloadBytes;
            this.allocatedBytes = allocatedBytes;
        }

        private static String message(String typeName, String record, long offset, long payloadBytes,
                                      long allocatedBytes, long allowed, List<FieldRead> suspects,
                                      OutOfMemoryError cause) {
            StringBuilder b = new StringBuilder("restore of a '").append(typeName).append("' object ");
            if (cause != null) {
                b.append("ran out of memory (").append(cause.getMessage()).append(')');
            } else {
                b.append(String.format("allocated %,d bytes of heap", allocatedBytes));
            }
            b.append(String.format(" for %,d payload bytes (its %s body begins at image offset %d; allowed: %,d"
                    + " bytes).", payloadBytes, record, offset, allowed));
            b.append(" A length or count read from the image was used to allocate before it was checked against"
                    + " the bytes left in the record (PayloadReader.remaining()) or a limit (PayloadReader.count).");
            if (!suspects.isEmpty()) {
                b.append(" Values read larger than the whole payload:");
                for (FieldRead f : suspects) {
                    b.append(String.format(" '%s' (%s at offset %d) = %s;", f.name(), f.kind(), f.offset(),
                            Long.toUnsignedString(f.value())));
                }
                b.setLength(b.length() - 1);
                b.append('.');
            }
            return b.toString();
        }

        /** The record type name the object's body was read from ({@code OBJECT}). */
        public String record() {
            return record;
        }

        /** Absolute image offset of the object's body. */
        public long offset() {
            return offset;
        }

        /** Payload bytes the restore read: its body and the records after it. */
        public long payloadBytes() {
            return payloadBytes;
        }

        /** Heap the restore allocated, or {@code -1} when it ran out of memory. */
        public long allocatedBytes() {
            return allocatedBytes;
        }
    }

    /** Records every field read, delegating every check to the engine's reader. */
    private final class Reader implements PayloadReader {
        private final PayloadReader in;

        Reader(PayloadReader in) {
            this.in = in;
        }

        private long note(String field, String kind, long at, long value) {
            fields.add(new FieldRead(field, kind, at, (int) (in.position() - at), value, in.recordName()));
            return value;
        }

        @Override
        public int u8(String field) throws ImageException {
            long at = in.position();
            return (int) note(field, "u8", at, in.u8(field));
        }

        @Override
        public int u16(String field) throws ImageException {
            long at = in.position();
            return (int) note(field, "u16", at, in.u16(field));
        }

        @Override
        public long u32(String field) throws ImageException {
            long at = in.position();
            return note(field, "u32", at, in.u32(field));
        }

        @Override
        public int i32(String field) throws ImageException {
            long at = in.position();
            int v = in.i32(field);
            note(field, "i32", at, v & 0xFFFF_FFFFL);
            return v;
        }

        @Override
        public long u64(String field) throws ImageException {
            long at = in.position();
            return note(field, "u64", at, in.u64(field));
        }

        @Override
        public long u64InRange(String field, long max) throws ImageException {
            long at = in.position();
            return note(field, "u64", at, in.u64InRange(field, max));
        }

        @Override
        public int count(String field, int max, String limitName) throws ImageException {
            long at = in.position();
            return (int) note(field, "count", at, in.count(field, max, limitName));
        }

        @Override
        public void reserved32(String field) throws ImageException {
            long at = in.position();
            in.reserved32(field);
            note(field, "reserved32", at, 0);
        }

        @Override
        public byte[] bytes(String field, int length) throws ImageException {
            long at = in.position();
            byte[] b = in.bytes(field, length);
            note(field, "bytes", at, length);
            return b;
        }

        @Override
        public String string(String field, int maxBytes) throws ImageException {
            long at = in.position();
            String s = in.string(field, maxBytes);
            note(field, "string", at, in.position() - at - 4);
            return s;
        }

        @Override
        public String shortString(String field, int maxBytes) throws ImageException {
            long at = in.position();
            String s = in.shortString(field, maxBytes);
            note(field, "sstring", at, in.position() - at - 2);
            return s;
        }

        @Override
        public ByteBuffer slice(String field, int length) throws ImageException {
            long at = in.position();
            ByteBuffer b = in.slice(field, length);
            note(field, "slice", at, length);
            return b;
        }

        @Override
        public int remaining() {
            return in.remaining();
        }

        @Override
        public long position() {
            return in.position();
        }

        @Override
        public String recordName() {
            return in.recordName();
        }

        @Override
        public InvalidImageException invalid(String reason) {
            return in.invalid(reason);
        }
    }

    /** The engine's context, with the readers of later records recorded too. */
    private final class Context implements CkptContext {
        private final CkptContext c;

        Context(CkptContext c) {
            this.c = c;
        }

        @Override
        public Direction direction() {
            return c.direction();
        }

        @Override
        public RestorePolicy policy() {
            return c.policy();
        }

        @Override
        public Limits limits() {
            return c.limits();
        }

        @Override
        public String root() {
            return c.root();
        }

        @Override
        public String architecture() {
            return c.architecture();
        }

        @Override
        public ArchHead archHead() {
            return c.archHead();
        }

        @Override
        public int pageSize() {
            return c.pageSize();
        }

        @Override
        public long checkpointId() {
            return c.checkpointId();
        }

        @Override
        public long bytes() {
            return c.bytes();
        }

        @Override
        public long records() {
            return c.records();
        }

        @Override
        public long checkpointObject(Object object) throws IOException {
            return c.checkpointObject(object);
        }

        @Override
        public RecordOutput output() {
            return c.output();
        }

        @Override
        public <U> U restoreObject(long objref, Class<U> type, boolean nullable, String what) throws ImageException {
            return c.restoreObject(objref, type, nullable, what);
        }

        @Override
        public RecordInput input() {
            RecordInput in = c.input();
            return new RecordInput() {
                @Override
                public int peekType() throws IOException {
                    return in.peekType();
                }

                @Override
                public PayloadReader next(int expectedType) throws IOException {
                    return new Reader(in.next(expectedType));
                }
            };
        }

        @Override
        public TargetCpu target() {
            return c.target();
        }
    }
}
