package org.ckpt.fuzz;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.Equivalence;
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

    private Oracle() {
    }

    /** Restarts {@code image} into the model and into targets; returns the model result, or null if rejected. */
    static RestartResult check(byte[] image) throws IOException {
        RestartResult model = intoModel(image);
        if (model == null) {
            // The rejection must not depend on the target: a few CPUs, none may be committed to.
            intoTarget(image, TargetCpu.anyFeatures(guessArchitecture(image)), false);
            intoTarget(image, TargetCpu.of(guessArchitecture(image), Set.of()), false);
            return null;
        }
        String arch = model.info().architecture();
        // The model restart is defined as a restart onto a CPU with every feature of the
        // image's architecture, so that target must accept the image and see the same tasks.
        RestartResult committed = intoTarget(image, TargetCpu.anyFeatures(arch), true);
        requireSame("target restart", model.tasks(), committed.tasks());
        intoTarget(image, TargetCpu.of(arch, Set.of()), false);
        writesBack(model);
        return model;
    }

    static RestartResult intoModel(byte[] image) throws IOException {
        try {
            RestartResult r = RESTARTER.restart(TestChannels.source(image));
            if (r.bytesRead() != image.length) {
                throw new AssertionError("accepted image of " + image.length + " bytes but read " + r.bytesRead());
            }
            return r;
        } catch (ImageException e) {
            requireLocated(e, image);
            return null;
        }
    }

    /**
     * Restarts into a recording target. With {@code mustAccept}, a rejection is a finding;
     * otherwise either outcome is fine as long as a rejection left the target untouched.
     */
    static RestartResult intoTarget(byte[] image, TargetCpu cpu, boolean mustAccept) throws IOException {
        RecordingTarget target = new RecordingTarget(cpu);
        try {
            RestartResult r = RESTARTER.restart(TestChannels.source(image), target);
            if (target.commits != 1 || target.committed != r) {
                throw new AssertionError("successful restart committed " + target.commits + " times");
            }
            return r;
        } catch (ImageException e) {
            if (target.commits != 0) {
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
    private static void requireLocated(ImageException e, byte[] image) {
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

    /** Remembers every call, so a failed restart that touched it is caught. */
    private static final class RecordingTarget implements RestartTarget {
        private final TargetCpu cpu;
        int commits;
        RestartResult committed;

        RecordingTarget(TargetCpu cpu) {
            this.cpu = cpu;
        }

        @Override
        public TargetCpu cpu() {
            return cpu;
        }

        @Override
        public void commit(RestartResult image) {
            commits++;
            committed = image;
        }
    }
}
