package org.ckpt.testkit;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import org.ckpt.model.OpenFile;
import org.ckpt.spi.CpuState;

/**
 * What {@link Generators#taskSets(GenConfig)} generates: an immutable set of knobs,
 * each {@code with…} method returning a changed copy. {@link #DEFAULT} is what
 * {@link Generators#taskSets()} uses: 1–4 tasks, size 0–6, every page pattern, files
 * and deleted files, sharing on, no CPU state, no objects of a host's own types.
 *
 * <p>A host's own object types join the generated tasks through two hooks: its open-file
 * types ({@link #withOpenFiles}) appear beside generic files behind descriptors and
 * file-backed areas, shared like them; its other objects ({@link #withExtensions}) appear as
 * task extension objects.
 *
 * <pre>{@code
 * GenConfig small = GenConfig.DEFAULT.withMaxTasks(1).withMaxVmas(2).withSharing(false)
 *         .withCpus(Generators.cpuStates("x86_64"))
 *         .withExtensions(myDevices(), 3)          // task extension objects
 *         .withOpenFiles(myVirtualSockets());      // in file tables and areas
 * }</pre>
 *
 * @since 0.1 (evolving)
 */
public final class GenConfig {
    /** The defaults of {@link Generators#taskSets()}. */
    public static final GenConfig DEFAULT = new GenConfig(new Values());

    /** The knobs, copied for each change. */
    private static final class Values implements Cloneable {
        int maxTasks = 4;
        int maxSize = 6;
        int maxVmas = Integer.MAX_VALUE;
        int maxPagesPerArea = Integer.MAX_VALUE;
        Set<Generators.PagePattern> pagePatterns = Set.copyOf(EnumSet.allOf(Generators.PagePattern.class));
        boolean files = true;
        boolean deletedFiles = true;
        boolean sharing = true;
        Arbitrary<? extends CpuState> cpus = Arbitraries.just(null);
        Arbitrary<?> extensions;
        int maxExtensions;
        Arbitrary<? extends OpenFile> openFiles;

        @Override
        protected Values clone() {
            try {
                return (Values) super.clone();
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private final Values v;

    private GenConfig(Values v) {
        this.v = v;
    }

    private GenConfig with(Consumer<Values> change) {
        Values copy = v.clone();
        change.accept(copy);
        return new GenConfig(copy);
    }

    private static int atLeast(String what, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(what + " must be >= " + min + ": " + value);
        }
        return value;
    }

    /** At most this many tasks per set (at least 1). Default 4. */
    public GenConfig withMaxTasks(int n) {
        int checked = atLeast("maxTasks", n, 1);
        return with(x -> x.maxTasks = checked);
    }

    /** Upper bound of the size parameter that scales areas, pages per area and files. Default 6. */
    public GenConfig withMaxSize(int n) {
        int checked = atLeast("maxSize", n, 0);
        return with(x -> x.maxSize = checked);
    }

    /** At most this many memory areas per address space. Default: as the size gives (up to size + 1). */
    public GenConfig withMaxVmas(int n) {
        int checked = atLeast("maxVmas", n, 0);
        return with(x -> x.maxVmas = checked);
    }

    /** At most this many pages per area. Default: as the size gives (up to 3 × size + 1). */
    public GenConfig withMaxPagesPerArea(int n) {
        int checked = atLeast("maxPagesPerArea", n, 1);
        return with(x -> x.maxPagesPerArea = checked);
    }

    /** Only these page patterns (at least one). Default: all. */
    public GenConfig withPagePatterns(Set<Generators.PagePattern> patterns) {
        if (patterns.isEmpty()) {
            throw new IllegalArgumentException("at least one page pattern");
        }
        Set<Generators.PagePattern> copy = Set.copyOf(patterns);
        return with(x -> x.pagePatterns = copy);
    }

    /** Whether tasks have open files (descriptors and file-backed areas). Default true. */
    public GenConfig withFiles(boolean on) {
        return with(x -> x.files = on);
    }

    /** Whether some regular files are deleted-but-open (their contents travel in the image). Default true. */
    public GenConfig withDeletedFiles(boolean on) {
        return with(x -> x.deletedFiles = on);
    }

    /**
     * Whether objects are shared: tasks holding one address space, file table or
     * extension object, descriptors and areas referring to one open file. When off,
     * every reference is to an object of its own. Default true.
     */
    public GenConfig withSharing(boolean on) {
        return with(x -> x.sharing = on);
    }

    /** CPU states of the tasks; {@code null} values mean "no CPU state". Default: none. */
    public GenConfig withCpus(Arbitrary<? extends CpuState> cpus) {
        Objects.requireNonNull(cpus, "cpus");
        return with(x -> x.cpus = cpus);
    }

    /**
     * Extension objects ({@code Task.extensions()}) drawn from {@code objects}: a pool of up to
     * {@code max} objects per set, handed out to the tasks (with sharing: any task may hold
     * any of them, some twice; without: each at most once in the whole set). Their
     * {@code ObjectOps} must be registered or discoverable when the tasks are checkpointed.
     */
    public GenConfig withExtensions(Arbitrary<?> objects, int max) {
        Objects.requireNonNull(objects, "objects");
        int checked = atLeast("max extensions", max, 0);
        return with(x -> {
            x.extensions = objects;
            x.maxExtensions = checked;
        });
    }

    /**
     * A host's own open-file types: drawn from {@code files}, they join the generated generic
     * files (about one file in three), behind descriptors of file tables and as the backing
     * of file-backed areas, and are shared like them. Their {@code ObjectOps} must be
     * registered or discoverable when the tasks are checkpointed. Default: generic files only.
     *
     * @since 0.2
     */
    public GenConfig withOpenFiles(Arbitrary<? extends OpenFile> files) {
        Objects.requireNonNull(files, "files");
        return with(x -> x.openFiles = files);
    }

    public int maxTasks() {
        return v.maxTasks;
    }

    public int maxSize() {
        return v.maxSize;
    }

    public int maxVmas() {
        return v.maxVmas;
    }

    public int maxPagesPerArea() {
        return v.maxPagesPerArea;
    }

    public Set<Generators.PagePattern> pagePatterns() {
        return v.pagePatterns;
    }

    public boolean files() {
        return v.files;
    }

    public boolean deletedFiles() {
        return v.deletedFiles;
    }

    public boolean sharing() {
        return v.sharing;
    }

    public Arbitrary<? extends CpuState> cpus() {
        return v.cpus;
    }

    /** The extension arbitrary, or {@code null} for none. */
    public Arbitrary<?> extensions() {
        return v.extensions;
    }

    public int maxExtensions() {
        return v.extensions == null ? 0 : v.maxExtensions;
    }

    /**
     * The host's open-file arbitrary, or {@code null} for generic files only.
     *
     * @since 0.2
     */
    public Arbitrary<? extends OpenFile> openFiles() {
        return v.openFiles;
    }
}
