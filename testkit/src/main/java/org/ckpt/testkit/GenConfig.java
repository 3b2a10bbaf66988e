package org.ckpt.testkit;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import org.ckpt.spi.CpuState;

/**
 * What {@link Generators#taskSets(GenConfig)} generates: an immutable set of knobs,
 * each {@code with…} method returning a changed copy. {@link #DEFAULT} is what
 * {@link Generators#taskSets()} uses: 1–4 tasks, size 0–6, every page pattern, files
 * and deleted files, sharing on, no CPU state, no extension objects.
 *
 * <pre>{@code
 * GenConfig small = GenConfig.DEFAULT.withMaxTasks(1).withMaxVmas(2).withSharing(false)
 *         .withCpus(Generators.cpuStates("x86_64")).withExtensions(myDevices(), 3);
 * }</pre>
 *
 * @since 0.1 (evolving)
 */
public final class GenConfig {
    /** The defaults of {@link Generators#taskSets()}. */
    public static final GenConfig DEFAULT = new GenConfig(4, 6, Integer.MAX_VALUE, Integer.MAX_VALUE,
            EnumSet.allOf(Generators.PagePattern.class), true, true, true, Arbitraries.just(null), null, 0);

    private final int maxTasks;
    private final int maxSize;
    private final int maxVmas;
    private final int maxPagesPerArea;
    private final Set<Generators.PagePattern> pagePatterns;
    private final boolean files;
    private final boolean deletedFiles;
    private final boolean sharing;
    private final Arbitrary<? extends CpuState> cpus;
    private final Arbitrary<?> extensions;
    private final int maxExtensions;

    private GenConfig(int maxTasks, int maxSize, int maxVmas, int maxPagesPerArea,
                      Set<Generators.PagePattern> pagePatterns, boolean files, boolean deletedFiles, boolean sharing,
                      Arbitrary<? extends CpuState> cpus, Arbitrary<?> extensions, int maxExtensions) {
        this.maxTasks = maxTasks;
        this.maxSize = maxSize;
        this.maxVmas = maxVmas;
        this.maxPagesPerArea = maxPagesPerArea;
        this.pagePatterns = Set.copyOf(pagePatterns);
        this.files = files;
        this.deletedFiles = deletedFiles;
        this.sharing = sharing;
        this.cpus = cpus;
        this.extensions = extensions;
        this.maxExtensions = maxExtensions;
    }

    private static int atLeast(String what, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(what + " must be >= " + min + ": " + value);
        }
        return value;
    }

    /** At most this many tasks per set (at least 1). Default 4. */
    public GenConfig withMaxTasks(int v) {
        return new GenConfig(atLeast("maxTasks", v, 1), maxSize, maxVmas, maxPagesPerArea, pagePatterns, files,
                deletedFiles, sharing, cpus, extensions, maxExtensions);
    }

    /** Upper bound of the size parameter that scales areas, pages per area and files. Default 6. */
    public GenConfig withMaxSize(int v) {
        return new GenConfig(maxTasks, atLeast("maxSize", v, 0), maxVmas, maxPagesPerArea, pagePatterns, files,
                deletedFiles, sharing, cpus, extensions, maxExtensions);
    }

    /** At most this many memory areas per address space. Default: as the size gives (up to size + 1). */
    public GenConfig withMaxVmas(int v) {
        return new GenConfig(maxTasks, maxSize, atLeast("maxVmas", v, 0), maxPagesPerArea, pagePatterns, files,
                deletedFiles, sharing, cpus, extensions, maxExtensions);
    }

    /** At most this many pages per area. Default: as the size gives (up to 3 × size + 1). */
    public GenConfig withMaxPagesPerArea(int v) {
        return new GenConfig(maxTasks, maxSize, maxVmas, atLeast("maxPagesPerArea", v, 1), pagePatterns, files,
                deletedFiles, sharing, cpus, extensions, maxExtensions);
    }

    /** Only these page patterns (at least one). Default: all. */
    public GenConfig withPagePatterns(Set<Generators.PagePattern> v) {
        if (v.isEmpty()) {
            throw new IllegalArgumentException("at least one page pattern");
        }
        return new GenConfig(maxTasks, maxSize, maxVmas, maxPagesPerArea, v, files, deletedFiles, sharing, cpus,
                extensions, maxExtensions);
    }

    /** Whether tasks have open files (descriptors and file-backed areas). Default true. */
    public GenConfig withFiles(boolean v) {
        return new GenConfig(maxTasks, maxSize, maxVmas, maxPagesPerArea, pagePatterns, v, deletedFiles, sharing,
                cpus, extensions, maxExtensions);
    }

    /** Whether some regular files are deleted-but-open (their contents travel in the image). Default true. */
    public GenConfig withDeletedFiles(boolean v) {
        return new GenConfig(maxTasks, maxSize, maxVmas, maxPagesPerArea, pagePatterns, files, v, sharing, cpus,
                extensions, maxExtensions);
    }

    /**
     * Whether objects are shared: tasks holding one address space, file table or
     * extension object, descriptors and areas referring to one open file. When off,
     * every reference is to an object of its own. Default true.
     */
    public GenConfig withSharing(boolean v) {
        return new GenConfig(maxTasks, maxSize, maxVmas, maxPagesPerArea, pagePatterns, files, deletedFiles, v, cpus,
                extensions, maxExtensions);
    }

    /** CPU states of the tasks; {@code null} values mean "no CPU state". Default: none. */
    public GenConfig withCpus(Arbitrary<? extends CpuState> v) {
        return new GenConfig(maxTasks, maxSize, maxVmas, maxPagesPerArea, pagePatterns, files, deletedFiles, sharing,
                Objects.requireNonNull(v), extensions, maxExtensions);
    }

    /**
     * Extension objects ({@code Task.extensions()}) drawn from {@code v}: a pool of up to
     * {@code max} objects per set, handed out to the tasks (with sharing: any task may hold
     * any of them, some twice; without: each at most once in the whole set). Their
     * {@code ObjectOps} must be on the class path when the tasks are checkpointed.
     */
    public GenConfig withExtensions(Arbitrary<?> v, int max) {
        return new GenConfig(maxTasks, maxSize, maxVmas, maxPagesPerArea, pagePatterns, files, deletedFiles, sharing,
                cpus, Objects.requireNonNull(v), atLeast("max extensions", max, 0));
    }

    public int maxTasks() {
        return maxTasks;
    }

    public int maxSize() {
        return maxSize;
    }

    public int maxVmas() {
        return maxVmas;
    }

    public int maxPagesPerArea() {
        return maxPagesPerArea;
    }

    public Set<Generators.PagePattern> pagePatterns() {
        return pagePatterns;
    }

    public boolean files() {
        return files;
    }

    public boolean deletedFiles() {
        return deletedFiles;
    }

    public boolean sharing() {
        return sharing;
    }

    public Arbitrary<? extends CpuState> cpus() {
        return cpus;
    }

    /** The extension arbitrary, or {@code null} for none. */
    public Arbitrary<?> extensions() {
        return extensions;
    }

    public int maxExtensions() {
        return extensions == null ? 0 : maxExtensions;
    }
}
