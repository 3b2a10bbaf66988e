package org.ckpt.testkit.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.function.BiPredicate;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.ckpt.RestartResult;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileTable;
import org.ckpt.model.OpenFile;
import org.ckpt.model.Task;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.RecordOutput;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.TargetCpu;
import org.ckpt.spi.UnsupportedImageException;
import org.ckpt.testkit.CkptAssertions;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;

/**
 * The guarantees every {@link ObjectOps} must give, as a jqwik contract: implement it
 * in a test class, supply the ops and an arbitrary of objects, and every property
 * below runs against your objects through full images written by the real
 * {@code Checkpointer} and read by the real {@code Restarter}.
 *
 * <pre>{@code
 * class DeviceOpsContractTest implements ObjectOpsContract<Device> {
 *     public ObjectOps<Device> ops() { return new DeviceOps(); }
 *     public Arbitrary<Device> objects() { return ...; }
 * }
 * }</pre>
 *
 * <p>The ops must also be registered for {@link ServiceLoader} on the test class path
 * ({@code META-INF/services/org.ckpt.spi.ObjectOps}): the restart finds it there, as a
 * host's would. Objects are placed in tasks as {@link #placement()} says: as task
 * extension objects unless {@code T} is an open file, an address space or a file table.
 *
 * <p>Checked: round trip (plain and 1–16-byte short reads and writes, byte counts);
 * sharing (one object referenced twice and from two tasks comes back as one object,
 * two equal objects stay two); every truncation and single-bit flip rejected with an
 * {@code ImageException}; semantic damage with checksums repaired either rejected or
 * restarting to a state that checkpoints again and comes back equivalent — never an
 * unchecked exception; a failed restart never commits; unknown optional records
 * skipped anywhere, unknown mandatory ones rejected; discoverable through ServiceLoader
 * with a type name of 1–255 UTF-8 bytes.
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

    /** The ops under test; the same class must be registered for {@link ServiceLoader}. */
    ObjectOps<T> ops();

    /** The objects to checkpoint. */
    Arbitrary<T> objects();

    /**
     * Whether a restored object is equivalent to the original. Default {@code equals};
     * objects of the library's model are always compared as {@code Equivalence} does.
     */
    default boolean equivalent(T expected, T actual) {
        return Objects.equals(expected, actual);
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
        List<Task> tasks = List.of(task(0, List.of(object)));
        byte[] image = Images.checkpoint(architecture(), tasks);
        RestartResult r = Images.accept(image, target());
        assertEquivalent(r.tasks(), tasks);
    }

    @Property(tries = 15)
    default void roundTripsThroughShortReadsAndWrites(@ForAll("contractObjects") T object,
                                                      @ForAll @IntRange(min = 1, max = 16) int chunk,
                                                      @ForAll long seed) throws IOException {
        List<Task> tasks = List.of(task(0, List.of(object)));
        byte[] plain = Images.checkpoint(architecture(), tasks);
        TestChannels.Sink sink = TestChannels.sink();
        long written = Images.checkpointer(architecture())
                .checkpoint(tasks, TestChannels.shortWrites(sink, chunk, seed)).bytesWritten();
        assertThat(sink.toByteArray()).as("bytes written through short writes").isEqualTo(plain);
        assertThat(written).isEqualTo(plain.length);
        RestartResult r = Images.restarter().restart(TestChannels.shortReads(plain, chunk, ~seed));
        assertThat(r.bytesRead()).isEqualTo(plain.length);
        assertEquivalent(r.tasks(), tasks);
    }

    @Property(tries = 15)
    default void sharingIsPreserved(@ForAll("contractObjects") T object, @ForAll("contractObjects") T other)
            throws IOException {
        boolean many = placement() == Placement.EXTENSION || placement() == Placement.OPEN_FILE;
        // object twice in task 0 (where a task can hold several), again in task 1; other alone in task 2.
        List<Task> tasks = List.of(task(0, many ? List.of(object, object) : List.of(object)),
                task(1, List.of(object)), task(2, List.of(other)));
        RestartResult r = Images.accept(Images.checkpoint(architecture(), tasks), target());
        // Equivalence checks sharing as a bijection: lost and invented sharing both fail.
        assertEquivalent(r.tasks(), tasks);
        assertThat(placed(r.tasks().get(1)).get(0)).as("one object referenced from two tasks")
                .isSameAs(placed(r.tasks().get(0)).get(0));
        if (other != object) {
            assertThat(placed(r.tasks().get(2)).get(0)).as("a different object").isNotSameAs(
                    placed(r.tasks().get(0)).get(0));
        }
    }

    @Property(tries = 5)
    default void everyTruncationIsRejected(@ForAll("contractObjects") T object, @ForAll long seed)
            throws IOException {
        byte[] image = Images.checkpoint(architecture(), List.of(task(0, List.of(object))));
        for (int len : Images.truncations(image, positionsPerImage(), seed)) {
            Images.reject(ImageMutator.truncate(image, len), target(), "image truncated to " + len + " bytes");
        }
    }

    @Property(tries = 5)
    default void everySingleBitFlipIsRejected(@ForAll("contractObjects") T object, @ForAll long seed)
            throws IOException {
        byte[] image = Images.checkpoint(architecture(), List.of(task(0, List.of(object))));
        List<Integer> own = Images.objectRecords(image, ops().typeName());
        for (long bit : Images.bits(image, positionsPerImage(), seed, own)) {
            Images.reject(ImageMutator.flipBit(image, bit), target(), "bit " + bit + " flipped");
        }
    }

    @Property(tries = 10)
    default void damageWithRepairedChecksumsIsRejectedOrConsistent(@ForAll("contractObjects") T object,
                                                                 @ForAll long seed) throws IOException {
        byte[] image = Images.checkpoint(architecture(), List.of(task(0, List.of(object))));
        List<Integer> own = Images.objectRecords(image, ops().typeName());
        assertThat(own).as("records of '%s' objects in%n%s", ops().typeName(), Images.dump(image)).isNotEmpty();
        for (Images.Mutation m : Images.mutations(image, own, positionsPerImage() / 20, seed)) {
            Images.rejectOrConsistent(m.image(), target(), architecture(), hostEquality(), m.what());
        }
    }

    @Property(tries = 5)
    default void failedRestartNeverCommits(@ForAll("contractObjects") T object) throws IOException {
        byte[] image = Images.checkpoint(architecture(), List.of(task(0, List.of(object))));
        // The latest possible failure: every object restored, then the image checksum is wrong.
        Images.reject(Images.withBadImageCrc(image), target(), "image CRC32C in the tail wrong");
        // And a task count the head announces but the image does not hold.
        byte[] head = ImageMutator.editPayload(image, 0, p -> p.putInt(32, p.getInt(32) + 1));
        Images.reject(head, target(), "one task fewer than announced");
    }

    @Property(tries = 5)
    default void unknownOptionalRecordsAreSkipped(@ForAll("contractObjects") T object) throws IOException {
        List<Task> tasks = List.of(task(0, List.of(object)));
        byte[] image = Images.checkpoint(architecture(), tasks);
        int records = ImageRecords.parse(image).size();
        byte[] payload = "from a newer version".getBytes(StandardCharsets.UTF_8);
        for (int at = 0; at < records; at++) {
            byte[] withOptional = ImageMutator.insert(image, at, Images.UNKNOWN_TYPE, RecordOutput.FLAG_OPTIONAL,
                    payload);
            RestartResult r = Images.accept(withOptional, target());
            assertThat(r.recordsRead()).isEqualTo(records + 1);
            assertEquivalent(r.tasks(), tasks);
        }
        int mid = Images.objectRecords(image, ops().typeName()).get(0) + 1;
        byte[] mandatory = ImageMutator.insert(image, mid, Images.UNKNOWN_TYPE, 0, payload);
        assertThat(Images.reject(mandatory, target(), "unknown mandatory record"))
                .isInstanceOf(UnsupportedImageException.class);
    }

    @Example
    default void isDiscoverableThroughServiceLoader() {
        ObjectOps<T> ops = ops();
        int nameBytes = ops.typeName().getBytes(StandardCharsets.UTF_8).length;
        assertThat(nameBytes).as("UTF-8 bytes of type name '%s'", ops.typeName()).isBetween(1, 255);
        assertThat(ops.type()).isNotNull();
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
        T sample = objects().sample();
        assertThat(ops.type().isInstance(sample)).as("a generated object is a %s", ops.type().getName()).isTrue();
    }

    /**
     * The instance {@link ServiceLoader} finds for {@code typeName} on the context class
     * path, for contracts of ops whose class is not accessible (the library's built-ins).
     */
    static <T> ObjectOps<T> discovered(String typeName, Class<T> type) {
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

    /** The target restarts commit into: the image's architecture, every feature. */
    private TargetCpu target() {
        return TargetCpu.anyFeatures(architecture());
    }

    private BiPredicate<Object, Object> hostEquality() {
        Class<T> type = ops().type();
        return (e, a) -> type.isInstance(e) && type.isInstance(a) ? equivalent(type.cast(e), type.cast(a))
                : Objects.equals(e, a);
    }

    private void assertEquivalent(List<Task> actual, List<Task> expected) {
        CkptAssertions.assertThat(actual).comparingHostObjectsWith(hostEquality()).isEquivalentTo(expected);
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
