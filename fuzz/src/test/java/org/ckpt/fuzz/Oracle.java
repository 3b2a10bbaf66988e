package org.ckpt.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.Equivalence;
import org.ckpt.testkit.image.RecordingTarget;
import org.ckpt.testkit.image.TestChannels;

/**
 * What a restart of untrusted bytes may do: succeed, or throw an {@link ImageException}
 * that says where and why. Everything else escapes from here and is a finding — an
 * unchecked exception, an {@link Error} (OutOfMemoryError under the fuzz heap,
 * StackOverflowError), a plain IOException, a target touched by a failed restart, or an
 * accepted image the library cannot write back to the same tasks.
 */
final class Oracle {
    private static final Restarter RESTARTER = Restarter.builder().build();
    private static final Restarter MAPPING = Restarter.builder().mapImmutableFiles(true).build();

    private Oracle() {
    }

    /** Restarts {@code image} into the model and into targets; returns the model result, or null if rejected. */
    static RestartResult check(byte[] image) throws IOException {
        ImageException[] rejection = new ImageException[1];
        RestartResult model = intoModel(image, rejection);
        fromFile(image, model, rejection[0]);
        if (model == null) {
            // The rejection must not depend on the target: a few CPUs, none may be committed to.
            intoTarget(image, TargetCpu.anyFeatures(guessArchitecture(image)), org.ckpt.spi.RestorePolicy.LINUX_USER,
                    false);
            intoTarget(image, TargetCpu.of(guessArchitecture(image), Set.of()), org.ckpt.spi.RestorePolicy.EXACT,
                    false);
            return null;
        }
        String arch = model.info().architecture();
        // The model restart is defined as a restart onto a CPU with every feature of the
        // image's architecture, so that target must accept the image and see the same tasks.
        // ... under the policy the image was written under, which is the model restart's.
        org.ckpt.spi.RestorePolicy policy = model.info().policy();
        RestartResult committed = intoTarget(image, TargetCpu.anyFeatures(arch), policy, true);
        requireSame("target restart", model.tasks(), committed.tasks());
        intoTarget(image, TargetCpu.of(arch, Set.of()), policy, false);
        // The other policy may accept or refuse, but a refusal leaves the target untouched.
        intoTarget(image, TargetCpu.anyFeatures(arch), other(policy), false);
        writesBack(model);
        return model;
    }

    private static RestartResult intoModel(byte[] image, ImageException[] rejection) throws IOException {
        try {
            RestartResult r = RESTARTER.restart(TestChannels.source(image));
            if (r.bytesRead() != image.length) {
                throw new AssertionError("accepted image of " + image.length + " bytes but read " + r.bytesRead());
            }
            return r;
        } catch (ImageException e) {
            requireLocated(e, image);
            rejection[0] = e;
            return null;
        }
    }

    /** Where the file's mapped reading path is exercised: tmpfs when there is one. */
    private static final Path FILE = imageFile();

    private static Path imageFile() {
        try {
            Path shm = Path.of("/dev/shm");
            Path f = Files.isDirectory(shm) ? Files.createTempFile(shm, "ckpt-fuzz", ".img")
                    : Files.createTempFile("ckpt-fuzz", ".img");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * From a file the reader copies through the channel, or with the opt-in maps the image:
     * both must accept and reject exactly what the in-memory restart does, the same way.
     */
    private static void fromFile(byte[] image, RestartResult model, ImageException modelRejection)
            throws IOException {
        Files.write(FILE, image);
        fromFile(RESTARTER, model, modelRejection);
        fromFile(MAPPING, model, modelRejection);
    }

    private static void fromFile(Restarter restarter, RestartResult model, ImageException modelRejection)
            throws IOException {
        try (FileChannel in = FileChannel.open(FILE)) {
            RestartResult r = restarter.restart(in);
            if (model == null) {
                throw new AssertionError("accepted from a file, rejected from memory: "
                        + modelRejection.getMessage(), modelRejection);
            }
            requireSame("restart from a file", model.tasks(), r.tasks());
        } catch (ImageException e) {
            if (model != null) {
                throw new AssertionError("rejected from a file, accepted from memory: " + e.getMessage(), e);
            }
            if (e.getClass() != modelRejection.getClass() || e.offset() != modelRejection.offset()) {
                throw new AssertionError("from a file: " + e.getMessage() + "; from memory: "
                        + modelRejection.getMessage(), e);
            }
        }
    }

    /**
     * Restarts into a recording target. With {@code mustAccept}, a rejection is a finding;
     * otherwise either outcome is fine as long as a rejection left the target untouched.
     */
    private static org.ckpt.spi.RestorePolicy other(org.ckpt.spi.RestorePolicy p) {
        return p == org.ckpt.spi.RestorePolicy.EXACT ? org.ckpt.spi.RestorePolicy.LINUX_USER
                : org.ckpt.spi.RestorePolicy.EXACT;
    }

    static RestartResult intoTarget(byte[] image, TargetCpu cpu, org.ckpt.spi.RestorePolicy policy,
                                    boolean mustAccept) throws IOException {
        RecordingTarget target = new RecordingTarget(cpu, policy);
        try {
            RestartResult r = RESTARTER.restart(TestChannels.source(image), target);
            if (target.commits() != 1 || target.committed() != r) {
                throw new AssertionError("successful restart committed " + target.commits() + " times");
            }
            return r;
        } catch (ImageException e) {
            if (target.commits() != 0) {
                throw new AssertionError("failed restart committed to the target: " + e.getMessage(), e);
            }
            if (mustAccept) {
                throw new AssertionError("the model accepted the image but a target with every "
                        + cpu.architecture() + " feature rejected it: " + e.getMessage(), e);
            }
            requireLocated(e, image);
            return null;
        }
    }

    /** An accepted image is a valid task set: the writer takes it and a second restart gives it back. */
    private static void writesBack(RestartResult r) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().sameHeadAs(r.info()).build().checkpoint(r.tasks(), sink);
        RestartResult again = RESTARTER.restart(TestChannels.source(sink.toByteArray()));
        requireSame("restart of the re-written image", r.tasks(), again.tasks());
    }

    private static void requireSame(String what, List<Task> expected, List<Task> actual) {
        Optional<String> diff = Equivalence.firstDifference(expected, actual);
        if (diff.isPresent()) {
            throw new AssertionError(what + " differs: " + diff.get());
        }
    }

    /** The exception family's contract: a reason, and an offset inside the image or unknown. */
    static void requireLocated(ImageException e, byte[] image) {
        if (e.reason() == null || e.reason().isEmpty()) {
            throw new AssertionError("image exception without a reason", e);
        }
        if (e.offset() < -1 || e.offset() > image.length) {
            throw new AssertionError("offset " + e.offset() + " outside an image of " + image.length + " bytes", e);
        }
    }

    private static final List<String> ARCHITECTURES = List.of("test64", "x86_64", "i386", "ppc64", "ppc32");

    /** The architecture a target of a rejected image declares; varied by content so all providers are reached. */
    private static String guessArchitecture(byte[] image) {
        int h = 0;
        for (int i = 0; i < Math.min(image.length, 256); i++) {
            h = 31 * h + image[i];
        }
        return ARCHITECTURES.get(Math.floorMod(h, ARCHITECTURES.size()));
    }
}
