package org.ckpt.testkit.image;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.Equivalence;
import org.ckpt.testkit.HostDifference;

/**
 * Judges one restart of an image into a {@link RecordingTarget}: accepted (committed once,
 * every byte read), rejected (an {@code ImageException} that says where, nothing committed),
 * or — for damaged images whose checksums were repaired — either rejected or accepted as a
 * state that is itself consistent (it checkpoints again and comes back equivalent). Any other
 * outcome, an unchecked exception above all, fails with an {@link AssertionError} that says
 * what the image was and what happened.
 *
 * @since 0.2 (evolving)
 */
public final class RestartChecks {
    /** How a restart of a damaged image ended: exactly one of the two is non-null. */
    public record Outcome(RestartResult accepted, ImageException rejected) {
        public boolean isAccepted() {
            return accepted != null;
        }
    }

    private RestartChecks() {
    }

    /** {@code image} restarts, commits once and reads every byte; returns the result. */
    public static RestartResult accepts(Restarter restarter, byte[] image, TargetCpu target) throws IOException {
        RecordingTarget r = new RecordingTarget(target);
        RestartResult result = restarter.restart(TestChannels.source(image), r);
        if (r.commits() != 1 || r.committed() != result) {
            throw new AssertionError("a successful restart must commit its result exactly once; commits: "
                    + r.commits());
        }
        if (result.bytesRead() != image.length) {
            throw new AssertionError("the restart read " + result.bytesRead() + " of the image's " + image.length
                    + " bytes");
        }
        return result;
    }

    /**
     * A restart of {@code image} ({@code what}: how it was made) fails with an
     * {@link ImageException} that names a record or an offset, and commits nothing.
     */
    public static ImageException rejects(Restarter restarter, byte[] image, TargetCpu target, String what) {
        Objects.requireNonNull(restarter, "restarter");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(what, "what");
        RecordingTarget r = new RecordingTarget(target);
        try {
            restarter.restart(TestChannels.source(image), r);
        } catch (ImageException e) {
            if (r.committed() != null) {
                throw new AssertionError(what + ": the restart failed (" + e.getMessage()
                        + ") but committed its target first", e);
            }
            if (e.recordType() == null && e.offset() < 0) {
                throw new AssertionError(what + ": the failure names neither a record nor an offset: "
                        + e.getMessage(), e);
            }
            return e;
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(what + ": a restart must fail with an ImageException, it threw " + e, e);
        } catch (AssertionError e) {
            throw new AssertionError(what + ": " + e.getMessage(), e);
        }
        throw new AssertionError(what + ": the restart accepted the image; it must refuse it. Records:"
                + System.lineSeparator() + dump(image));
    }

    /**
     * A restart of a deliberately damaged image ({@code what}: how) either fails with an
     * {@link ImageException} without committing, or gives tasks that checkpoint again (with
     * {@code checkpointer}) and restart to equivalent tasks (host objects compared with
     * {@code host}): a restart may accept damage only if what it accepted is a state of its own.
     */
    public static Outcome rejectsOrStaysConsistent(Restarter restarter, Checkpointer checkpointer, byte[] image,
                                                   TargetCpu target, HostDifference host, String what)
            throws IOException {
        Objects.requireNonNull(restarter, "restarter");
        Objects.requireNonNull(checkpointer, "checkpointer");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(what, "what");
        RecordingTarget r = new RecordingTarget(target);
        RestartResult result;
        try {
            result = restarter.restart(TestChannels.source(image), r);
        } catch (ImageException e) {
            if (r.committed() != null) {
                throw new AssertionError(what + ": the restart failed (" + e.getMessage()
                        + ") but committed its target first", e);
            }
            return new Outcome(null, e);
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(what + ": a restart must fail with an ImageException or succeed, it threw "
                    + e, e);
        } catch (AssertionError e) {
            throw new AssertionError(what + ": " + e.getMessage(), e);
        }
        List<Task> tasks = result.tasks();
        byte[] again;
        try {
            TestChannels.Sink sink = TestChannels.sink();
            checkpointer.checkpoint(tasks, sink);
            again = sink.toByteArray();
        } catch (CheckpointException e) {
            throw new AssertionError(what + ": the restart accepted the damaged image, but what it restored"
                    + " cannot be checkpointed again (" + e.getMessage() + "): the reader accepts a value the writer"
                    + " refuses", e);
        }
        RestartResult second;
        try {
            second = restarter.restart(TestChannels.source(again), new RecordingTarget(target));
        } catch (ImageException e) {
            throw new AssertionError(what + ": the restart accepted the damaged image, but the checkpoint of what"
                    + " it restored does not restart (" + e.getMessage() + ")", e);
        }
        Optional<String> d = Equivalence.firstDifference(tasks, second.tasks(), host);
        if (d.isPresent()) {
            throw new AssertionError(what + ": the restart accepted the damaged image, but what it restored does"
                    + " not survive a second checkpoint and restart: " + d.get());
        }
        return new Outcome(result, null);
    }

    /** The image's records, one per line, or why they cannot be listed. */
    public static String dump(byte[] image) {
        try {
            return ImageRecords.dump(image);
        } catch (IllegalArgumentException e) {
            return "(unparseable: " + e.getMessage() + ")";
        }
    }
}
