package org.ckpt.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.Equivalence;
import org.ckpt.testkit.image.ImageSeals;
import org.ckpt.testkit.image.RecordingTarget;
import org.ckpt.testkit.image.TestChannels;
import org.ckpt.testkit.image.TestKeys;

/**
 * The {@link Oracle} for a host that trusts the test keys and holds the decryption key: a
 * restart succeeds or throws an {@link ImageException}, never commits a target on failure,
 * and accepts only images whose seal verifies under the trusted key of its id by an
 * independent implementation of the format ({@link ImageSeals#verify}) — so an accepted image
 * is one the key holder sealed. The same bytes also go through the plain {@link Oracle}
 * (a reader that trusts no key), and through a file, copied and mapped.
 */
final class SealOracle {
    static final Restarter TRUSTING = Restarter.builder().trust(SealedImages.ID, SealedImages.HMAC)
            .decryptionKey(SealedImages.ID, SealedImages.AES).build();
    /** Ed25519 under its own id, so that one restarter trusts both seals. */
    private static final Restarter TRUSTING_ED = Restarter.builder().trust(SealedImages.ID, TestKeys.ed25519Public())
            .decryptionKey(SealedImages.ID, SealedImages.AES).build();
    private static final Restarter KEYS_ONLY = Restarter.builder().decryptionKey(SealedImages.ID, SealedImages.AES)
            .build();
    private static final Path FILE = file();

    private SealOracle() {
    }

    private static Path file() {
        try {
            Path shm = Path.of("/dev/shm");
            Path f = Files.isDirectory(shm) ? Files.createTempFile(shm, "ckpt-fuzz-seal", ".img")
                    : Files.createTempFile("ckpt-fuzz-seal", ".img");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void check(byte[] image) throws IOException {
        Oracle.check(image);
        for (Restarter trusting : List.of(TRUSTING, TRUSTING_ED)) {
            checkWith(trusting, image);
        }
    }

    private static void checkWith(Restarter trusting, byte[] image) throws IOException {
        RestartResult model = null;
        ImageException rejected = null;
        try {
            model = trusting.restart(TestChannels.source(image));
        } catch (ImageException e) {
            Oracle.requireLocated(e, image);
            rejected = e;
        }
        RecordingTarget target = new RecordingTarget(TargetCpu.anyFeatures(architecture(model, image)),
                model != null ? model.info().policy() : org.ckpt.spi.RestorePolicy.LINUX_USER);
        try {
            RestartResult r = trusting.restart(TestChannels.source(image), target);
            if (model == null) {
                throw new AssertionError("a target accepted what the model rejected: " + rejected.getMessage());
            }
            if (target.commits() != 1) {
                throw new AssertionError("successful restart committed " + target.commits() + " times");
            }
            requireSame("target restart", model.tasks(), r.tasks());
        } catch (ImageException e) {
            if (target.commits() != 0) {
                throw new AssertionError("failed restart committed to the target: " + e.getMessage(), e);
            }
            if (model != null) {
                throw new AssertionError("the model accepted, a target with every feature rejected: "
                        + e.getMessage(), e);
            }
        }
        fromFile(trusting, image, model, rejected);
        if (model == null) {
            return;
        }
        if (!ImageSeals.verify(image, SealedImages.verifier(image))) {
            throw new AssertionError("accepted an image whose seal does not verify independently");
        }
        RestartResult keysOnly = KEYS_ONLY.restart(TestChannels.source(image));
        requireSame("restart without trust", model.tasks(), keysOnly.tasks());
        trusting.scan(TestChannels.source(image), null);
    }

    private static void fromFile(Restarter trusting, byte[] image, RestartResult model, ImageException rejected)
            throws IOException {
        Files.write(FILE, image);
        for (boolean mapped : new boolean[] {false, true}) {
            Restarter r = mapped ? trustingMapped(trusting) : trusting;
            try (FileChannel in = FileChannel.open(FILE)) {
                RestartResult got = r.restart(in);
                if (model == null) {
                    throw new AssertionError("accepted from a file (mapped " + mapped + "), rejected from memory: "
                            + rejected.getMessage(), rejected);
                }
                requireSame("restart from a file", model.tasks(), got.tasks());
            } catch (ImageException e) {
                if (model != null) {
                    throw new AssertionError("rejected from a file (mapped " + mapped + "), accepted from memory: "
                            + e.getMessage(), e);
                }
                if (e.getClass() != rejected.getClass() || e.offset() != rejected.offset()) {
                    throw new AssertionError("from a file (mapped " + mapped + "): " + e.getMessage()
                            + "; from memory: " + rejected.getMessage(), e);
                }
            }
        }
    }

    private static final Restarter TRUSTING_MAPPED = Restarter.builder().mapImmutableFiles(true)
            .trust(SealedImages.ID, SealedImages.HMAC).decryptionKey(SealedImages.ID, SealedImages.AES).build();
    private static final Restarter TRUSTING_ED_MAPPED = Restarter.builder().mapImmutableFiles(true)
            .trust(SealedImages.ID, TestKeys.ed25519Public()).decryptionKey(SealedImages.ID, SealedImages.AES).build();

    private static Restarter trustingMapped(Restarter trusting) {
        return trusting == TRUSTING ? TRUSTING_MAPPED : TRUSTING_ED_MAPPED;
    }

    private static String architecture(RestartResult model, byte[] image) {
        return model != null ? model.info().architecture() : "test64";
    }

    private static void requireSame(String what, List<Task> expected, List<Task> actual) {
        Optional<String> diff = Equivalence.firstDifference(expected, actual);
        if (diff.isPresent()) {
            throw new AssertionError(what + " differs: " + diff.get());
        }
    }
}
