package org.ckpt.testkit.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.StatisticsReport;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileTable;
import org.ckpt.model.OpenFile;
import org.ckpt.model.Task;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.UnsupportedImageException;
import org.ckpt.testkit.CkptAssertions;
import org.ckpt.testkit.HostDifference;
import org.ckpt.testkit.image.Corruption;
import org.ckpt.testkit.image.ImageMap;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.OpsProbe;
import org.ckpt.testkit.image.TestChannels;

/**
 * The guarantees every {@link ObjectOps} must give, as a jqwik contract: implement it in a
 * test class, supply the ops and an arbitrary of objects, and every property below runs
 * against <em>that instance</em> through full images written by the real
 * {@code Checkpointer} and read by the real {@code Restarter}, with the instance registered
 * on both ({@code register(ops())}): a discovered ops of the same name never stands in.
 *
 * <pre>{@code
 * class UartOpsContractTest implements ObjectOpsContract<Uart> {
 *     public ObjectOps<Uart> ops() { return new UartOps(); }
 *     public Arbitrary<Uart> objects() { return ...; }
 *     public List<FlagField> flagFields() { return List.of(new FlagField("lcr", 0xFF)); }
 *     public void checkRestored(Uart u) { assertThat(u.fifo().length).isLessThanOrEqualTo(16); }
 * }
 * }</pre>
 *
 * <p>Objects are placed in tasks as {@link #placement()} says: as task extension objects
 * unless {@code T} is an open file, an address space or a file table.
 *
 * <p>Checked, and the bugs each catches:
 * <ul>
 * <li>round trip, plain and through 1–16-byte short reads and writes; restored objects are
 *     compared field by field ({@link #difference}) — <b>a field the ops does not write</b>
 *     comes back different and is named with its path;</li>
 * <li>sharing: one object referenced twice and from two tasks comes back as one object, two
 *     equal objects stay two;</li>
 * <li>every truncation and single-bit flip rejected with an {@code ImageException};</li>
 * <li>semantic damage with checksums repaired — payloads cut short, records dropped and
 *     duplicated, <b>every numeric field the ops reads set to 0, 1 and its extremes</b>, random
 *     bytes — either rejected or restarting to a state that checkpoints and comes back
 *     equivalent and whose objects pass {@link #checkRestored}; never an unchecked exception.
 *     Every restore may allocate at most {@link #allocationAllowance} bytes of heap for the
 *     payload it read: <b>a length used before it is validated</b> fails the property with
 *     the record, its offset, the field and the value (never an {@code OutOfMemoryError});
 *     the statistics (shown when the property fails) count the damaged images accepted and
 *     rejected;</li>
 * <li><b>unknown flag bits</b>: each bit outside the known ones of every {@link #flagFields()
 *     flag field}, set alone, must be rejected (a reader that accepts bits it does not know
 *     misreads a newer writer's image);</li>
 * <li>a failed restart never commits; unknown optional records are skipped anywhere,
 *     unknown mandatory ones rejected; the type name is 1–255 UTF-8 bytes; with
 *     {@link #discoverable()}, the ops is found through {@link ServiceLoader} too.</li>
 * </ul>
 * Failures name the damage in words, e.g. {@code record 4 (OBJECT 'example.uart', objref 2,
 * at offset 248), body byte 6: field 'lcr' (u8) set to 0xff (was 0x3)}.
 *
 * @param <T> the object type the ops handle
 * @since 0.1 (evolving)
 */
public interface ObjectOpsContract<T> {
    /** Where the objects under test sit in a task. */
    enum Placement {
        /** In {@code Task.extensions()}, any number per task. */
        EXTENSION,
        /** As descriptors of a file table ({@code T} must be an {@link OpenFile}). */
        OPEN_FILE,
        /** As a task's address space, one per task. */
        ADDRESS_SPACE,
        /** As a task's file table, one per task. */
        FILE_TABLE
    }

    /**
     * A flag field of the object's records: whatever numeric field the ops reads under the
     * name {@code field} (the name it passes to {@link PayloadReader}, e.g.
     * {@code body.u32("flags")}), of which only {@code knownBits} may be set. A name may be
     * qualified by its record type, {@code "VMA.flags"}; the core records' fields are named as
     * in {@code docs/FORMAT.md}.
     *
     * @since 0.2
     */
    record FlagField(String field, long knownBits) {
        public FlagField {
            java.util.Objects.requireNonNull(field, "field");
        }
    }

    /**
     * The ops under test. Every property checkpoints and restarts with this instance
     * registered, behind an {@link OpsProbe} that watches what it reads and allocates.
     */
    ObjectOps<T> ops();

    /** The objects to checkpoint. */
    Arbitrary<T> objects();

    /**
     * The first difference between an object and its restored copy, or empty. Default: every
     * field compared recursively ({@link HostDifference#fieldByField()}), whatever
     * {@code equals} says. Override for fields that legitimately do not travel (a cache, a
     * host handle): e.g. {@code HostDifference.fieldByField(RecursiveComparisonConfiguration
     * .builder().withIgnoredFields("cache").build()).between(expected, actual)}. Objects of the
     * library's model are always compared as {@code Equivalence} does.
     *
     * @since 0.2
     */
    default Optional<String> difference(T expected, T actual) {
        return HostDifference.fieldByField().between(expected, actual);
    }

    /**
     * Invariants every restored object must satisfy, checked on the objects of every accepted
     * image — undamaged ones and damaged ones a restart accepted. Throw an
     * {@code AssertionError} (an AssertJ assertion) when one is broken. Default: none.
     *
     * @since 0.2
     */
    default void checkRestored(T restored) {
    }

    /**
     * The flag fields of the object's records and their known bits; each unknown bit set alone
     * must make the restart fail. Each field must be read by the ops under that name. Default:
     * none.
     *
     * @since 0.2
     */
    default List<FlagField> flagFields() {
        return List.of();
    }

    /**
     * Heap a restore may allocate for {@code payloadBytes} bytes of payload (its body and the
     * records it reads after it). Default {@link OpsProbe#DEFAULT_ALLOWANCE}: 8 MiB plus 32
     * bytes per payload byte; raise it for an ops that legitimately expands its data.
     *
     * @since 0.2
     */
    default long allocationAllowance(long payloadBytes) {
        return OpsProbe.DEFAULT_ALLOWANCE.applyAsLong(payloadBytes);
    }

    /**
     * Whether the ops is also registered for {@link ServiceLoader}
     * ({@code META-INF/services/org.ckpt.spi.ObjectOps}, or {@code provides} in a module) and
     * must be found there; then the contract also restarts without registering it. Default
     * {@code false}: a host registers it by instance.
     *
     * @since 0.2
     */
    default boolean discoverable() {
        return false;
    }

    /** Architecture of the images written (its provider must be on the class path). Default {@code x86_64}. */
    default String architecture() {
        return "x86_64";
    }

    /** Where objects sit; by default derived from {@code ops().type()}. */
    default Placement placement() {
        Class<T> type = ops().type();
        if (AddressSpace.class.isAssignableFrom(type)) {
            return Placement.ADDRESS_SPACE;
        }
        if (FileTable.class.isAssignableFrom(type)) {
            return Placement.FILE_TABLE;
        }
        return OpenFile.class.isAssignableFrom(type) ? Placement.OPEN_FILE : Placement.EXTENSION;
    }

    /** Most truncations, bit flips and semantic mutations tried per image (bounds the time per try). */
    default int positionsPerImage() {
        return 1500;
    }

    // ---- properties -------------------------------------------------------------------------

    @Provide
    default Arbitrary<T> contractObjects() {
        return objects();
    }

    @Property(tries = 40)
    default void roundTripsThroughAFullImage(@ForAll("contractObjects") T object) throws IOException {
        OpsHarness<T> h = OpsHarness.of(this);
        List<Task> tasks = List.of(task(0, List.of(object)));
        RestartResult r = h.images.accept(h.images.checkpoint(tasks), h.target);
        assertEquivalent(h, r.tasks(), tasks);
        h.checkRestored("a round trip");
    }

    @Property(tries = 15)
    default void roundTripsThroughShortReadsAndWrites(@ForAll("contractObjects") T object,
                                                      @ForAll @IntRange(min = 1, max = 16) int chunk,
                                                      @ForAll long seed) throws IOException {
        OpsHarness<T> h = OpsHarness.of(this);
        List<Task> tasks = List.of(task(0, List.of(object)));
        byte[] plain = h.images.checkpoint(tasks);
        TestChannels.Sink sink = TestChannels.sink();
        long written = h.images.checkpointer().checkpoint(tasks, TestChannels.shortWrites(sink, chunk, seed))
                .bytesWritten();
        assertThat(sink.toByteArray()).as("bytes written through short writes").isEqualTo(plain);
        assertThat(written).isEqualTo(plain.length);
        RestartResult r = h.images.restarter().restart(TestChannels.shortReads(plain, chunk, ~seed));
        assertThat(r.bytesRead()).isEqualTo(plain.length);
        assertEquivalent(h, r.tasks(), tasks);
        h.checkRestored("a round trip through short reads");
    }

    @Property(tries = 15)
    default void sharingIsPreserved(@ForAll("contractObjects") T object, @ForAll("contractObjects") T other)
            throws IOException {
        OpsHarness<T> h = OpsHarness.of(this);
        boolean many = placement() == Placement.EXTENSION || placement() == Placement.OPEN_FILE;
        // object twice in task 0 (where a task can hold several), again in task 1; other alone in task 2.
        List<Task> tasks = List.of(task(0, many ? List.of(object, object) : List.of(object)),
                task(1, List.of(object)), task(2, List.of(other)));
        RestartResult r = h.images.accept(h.images.checkpoint(tasks), h.target);
        // Equivalence checks sharing as a bijection: lost and invented sharing both fail.
        assertEquivalent(h, r.tasks(), tasks);
        assertThat(placed(r.tasks().get(1)).get(0)).as("one object referenced from two tasks")
                .isSameAs(placed(r.tasks().get(0)).get(0));
        if (other != object) {
            assertThat(placed(r.tasks().get(2)).get(0)).as("a different object").isNotSameAs(
                    placed(r.tasks().get(0)).get(0));
        }
        h.checkRestored("an image of shared objects");
    }

    @Property(tries = 5)
    default void everyTruncationIsRejected(@ForAll("contractObjects") T object, @ForAll long seed)
            throws IOException {
        OpsHarness<T> h = OpsHarness.of(this);
        byte[] image = h.images.checkpoint(List.of(task(0, List.of(object))));
        ImageMap map = ImageMap.of(image);
        for (int len : Corruption.truncationLengths(image, positionsPerImage(), seed)) {
            h.reject(ImageMutator.truncate(image, len), "image cut to " + len + " of " + image.length
                    + " bytes, inside " + map.describe(Math.max(0, len - 1)));
        }
    }

    @Property(tries = 5)
    default void everySingleBitFlipIsRejected(@ForAll("contractObjects") T object, @ForAll long seed)
            throws IOException {
        OpsHarness<T> h = OpsHarness.of(this);
        byte[] image = h.images.checkpoint(List.of(task(0, List.of(object))));
        ImageMap map = h.map(image);
        List<Integer> own = Corruption.objectRecords(image, ops().typeName());
        for (long bit : Corruption.bitPositions(image, positionsPerImage(), seed, own)) {
            h.reject(ImageMutator.flipBit(image, bit), "bit " + (bit & 7) + " flipped in "
                    + map.describe(bit >>> 3));
        }
    }

    @Property(tries = 10)
    @StatisticsReport(onFailureOnly = true)
    default void damageWithRepairedChecksumsIsRejectedOrConsistent(@ForAll("contractObjects") T object,
                                                                 @ForAll long seed) throws IOException {
        OpsHarness<T> h = OpsHarness.of(this);
        byte[] image = h.images.checkpoint(List.of(task(0, List.of(object))));
        ImageMap map = h.map(image);
        List<Integer> own = Corruption.objectRecords(image, ops().typeName());
        assertThat(own).as("records of '%s' objects in%n%s", ops().typeName(), Images.dump(image)).isNotEmpty();
        for (Corruption.Damaged d : Corruption.damage(map, own, positionsPerImage() / 20, seed)) {
            h.rejectOrConsistent(d.image(), d.description());
        }
    }

    @Property(tries = 10)
    default void unknownFlagBitsAreRejected(@ForAll("contractObjects") T object) throws IOException {
        if (flagFields().isEmpty()) {
            return;
        }
        OpsHarness<T> h = OpsHarness.of(this);
        byte[] image = h.images.checkpoint(List.of(task(0, List.of(object))));
        ImageMap map = h.map(image);
        List<Integer> own = Corruption.objectRecords(image, ops().typeName());
        for (FlagField f : flagFields()) {
            for (ImageMap.Field field : flagFieldsIn(map, own, f).stream().limit(4).toList()) {
                for (Corruption.Damaged d : Corruption.unknownFlagBits(map, field, f.knownBits())) {
                    h.reject(d.image(), "flag field '" + f.field() + "' (known bits 0x" + Long.toHexString(f.knownBits())
                            + " in flagFields()) with a bit the reader does not know: " + d.description()
                            + ". A reader must refuse flag bits it does not know, or it misreads the images of a"
                            + " newer writer");
                }
            }
        }
    }

    /** Each of {@link #flagFields()} is read by the ops under its name, in some of 20 generated objects. */
    @Example
    default void flagFieldsAreReadByTheOps() throws IOException {
        if (flagFields().isEmpty()) {
            return;
        }
        OpsHarness<T> h = OpsHarness.of(this);
        Set<String> found = new LinkedHashSet<>();
        Set<String> read = new LinkedHashSet<>();
        for (T o : objects().sampleStream().limit(20).toList()) {
            byte[] image = h.images.checkpoint(List.of(task(0, List.of(o))));
            ImageMap map = h.map(image);
            List<Integer> own = Corruption.objectRecords(image, ops().typeName());
            for (int i : own) {
                map.fields(i).forEach(f -> read.add(f.name()));
            }
            for (FlagField f : flagFields()) {
                if (!flagFieldsIn(map, own, f).isEmpty()) {
                    found.add(f.field());
                }
            }
        }
        for (FlagField f : flagFields()) {
            assertThat(found).as("flagFields() names '%s', but no record of a '%s' object has a number of that"
                    + " name (the ops read: %s)", f.field(), ops().typeName(), read).contains(f.field());
        }
    }

    @Property(tries = 5)
    default void failedRestartNeverCommits(@ForAll("contractObjects") T object) throws IOException {
        OpsHarness<T> h = OpsHarness.of(this);
        byte[] image = h.images.checkpoint(List.of(task(0, List.of(object))));
        // The latest possible failure: every object restored, then the image checksum is wrong.
        h.reject(Corruption.withWrongImageChecksum(image), "image CRC32C in the tail wrong");
        // And a task count the head announces but the image does not hold.
        byte[] head = ImageMutator.editPayload(image, 0, p -> p.putInt(32, p.getInt(32) + 1));
        h.reject(head, "one task fewer than the head announces");
    }

    @Property(tries = 5)
    default void unknownOptionalRecordsAreSkipped(@ForAll("contractObjects") T object) throws IOException {
        OpsHarness<T> h = OpsHarness.of(this);
        List<Task> tasks = List.of(task(0, List.of(object)));
        byte[] image = h.images.checkpoint(tasks);
        ImageMap map = ImageMap.of(image);
        int records = map.records().size();
        byte[] payload = "from a newer version".getBytes(StandardCharsets.UTF_8);
        for (int at = 0; at < records; at++) {
            byte[] withOptional = ImageMutator.insert(image, at, Images.UNKNOWN_TYPE, RecordOutput.FLAG_OPTIONAL,
                    payload);
            RestartResult r = h.images.accept(withOptional, h.target);
            assertThat(r.recordsRead()).isEqualTo(records + 1);
            assertEquivalent(h, r.tasks(), tasks);
        }
        int mid = Corruption.objectRecords(image, ops().typeName()).get(0) + 1;
        byte[] mandatory = ImageMutator.insert(image, mid, Images.UNKNOWN_TYPE, 0, payload);
        assertThat(h.reject(mandatory, "an unknown mandatory record inserted before " + map.record(mid)))
                .isInstanceOf(UnsupportedImageException.class);
    }

    /**
     * The type name is 1–255 UTF-8 bytes, generated objects are of the ops' type; with
     * {@link #discoverable()}, {@link ServiceLoader} finds the ops' class (and no other ops
     * of its name) and a restart without registration reads its objects.
     */
    @Example
    default void isRegisteredAsDeclared() throws IOException {
        ObjectOps<T> ops = ops();
        int nameBytes = ops.typeName().getBytes(StandardCharsets.UTF_8).length;
        assertThat(nameBytes).as("UTF-8 bytes of type name '%s'", ops.typeName()).isBetween(1, 255);
        assertThat(ops.type()).isNotNull();
        T sample = objects().sample();
        assertThat(ops.type().isInstance(sample)).as("a generated object is a %s", ops.type().getName()).isTrue();
        if (!discoverable()) {
            return;
        }
        List<String> sameName = new ArrayList<>();
        boolean found = false;
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        @SuppressWarnings("rawtypes")
        ServiceLoader<ObjectOps> all = ServiceLoader.load(ObjectOps.class, loader);
        for (ObjectOps<?> o : all) {
            found |= o.getClass() == ops.getClass();
            if (o.typeName().equals(ops.typeName())) {
                sameName.add(o.getClass().getName());
            }
        }
        assertThat(found).as("%s registered in META-INF/services/%s", ops.getClass().getName(),
                ObjectOps.class.getName()).isTrue();
        assertThat(sameName).as("providers of type name '%s'", ops.typeName()).hasSize(1);
        OpsHarness<T> h = OpsHarness.of(this);
        List<Task> tasks = List.of(task(0, List.of(sample)));
        RestartResult r = Restarter.builder().build().restart(TestChannels.source(h.images.checkpoint(tasks)));
        assertEquivalent(h, r.tasks(), tasks);
    }

    /**
     * The instance {@link ServiceLoader} finds for {@code typeName} on the context class
     * path, for contracts of ops whose class is not accessible (the library's built-ins).
     */
    static <T> ObjectOps<T> discovered(String typeName, Class<T> type) {
        java.util.Objects.requireNonNull(typeName, "typeName");
        java.util.Objects.requireNonNull(type, "type");
        @SuppressWarnings("rawtypes")
        ServiceLoader<ObjectOps> all = ServiceLoader.load(ObjectOps.class, Thread.currentThread().getContextClassLoader());
        for (ObjectOps<?> o : all) {
            if (o.typeName().equals(typeName) && o.type() == type) {
                @SuppressWarnings("unchecked")
                ObjectOps<T> found = (ObjectOps<T>) o;
                return found;
            }
        }
        throw new IllegalArgumentException("no ObjectOps for '" + typeName + "' handling " + type.getName()
                + " on the class path");
    }

    // ---- helpers (not part of the contract) --------------------------------------------------

    /** The numeric fields of records {@code own} that {@code f} names ({@code name} or {@code RECORD.name}). */
    private static List<ImageMap.Field> flagFieldsIn(ImageMap map, List<Integer> own, FlagField f) {
        List<ImageMap.Field> out = new ArrayList<>();
        for (int i : own) {
            String record = org.ckpt.spi.RecordTypes.name(map.records().get(i).type());
            for (ImageMap.Field x : map.fields(i)) {
                boolean named = x.name().equals(f.field()) || f.field().equals(record + "." + x.name());
                if (named && x.width() <= 8 && !x.kind().equals("bytes") && !x.kind().contains("string")
                        && !x.kind().equals("objref")) {
                    out.add(x);
                }
            }
        }
        return out;
    }

    private void assertEquivalent(OpsHarness<T> h, List<Task> actual, List<Task> expected) {
        CkptAssertions.assertThatTasks(actual).comparingHostObjectsUsing(h.host).isEquivalentTo(expected);
    }

    /** A task holding {@code objects} as {@link #placement()} says. */
    private Task task(int i, List<T> objects) {
        Task.Builder b = Task.builder().pid(100 + i).tgid(100).comm("contract");
        switch (placement()) {
            case EXTENSION -> b.extensions(objects);
            case OPEN_FILE -> {
                List<FileTable.Entry> entries = new ArrayList<>();
                for (int fd = 0; fd < objects.size(); fd++) {
                    entries.add(new FileTable.Entry(3 + fd, (OpenFile) objects.get(fd), fd % 2 == 1));
                }
                b.files(new FileTable(entries));
            }
            case ADDRESS_SPACE -> b.mm((AddressSpace) single(objects));
            case FILE_TABLE -> b.files((FileTable) single(objects));
            default -> throw new IllegalStateException();
        }
        return b.build();
    }

    private static Object single(List<?> objects) {
        if (objects.size() != 1) {
            throw new IllegalArgumentException("one object per task in this placement");
        }
        return objects.get(0);
    }

    /** The objects a restored task holds in the placement's slot. */
    private List<Object> placed(Task t) {
        return switch (placement()) {
            case EXTENSION -> t.extensions();
            case OPEN_FILE -> t.files().entries().stream().map(e -> (Object) e.file()).toList();
            case ADDRESS_SPACE -> List.of(t.mm());
            case FILE_TABLE -> List.of(t.files());
        };
    }
}
