package org.ckpt.testkit.contract;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.jqwik.api.statistics.Statistics;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.HostDifference;
import org.ckpt.testkit.image.ImageMap;
import org.ckpt.testkit.image.OpsProbe;
import org.ckpt.testkit.image.RestartChecks;

/**
 * One property run of an {@link ObjectOpsContract}: the contract's own ops instance behind
 * an {@link OpsProbe}, registered by instance on a checkpointer and a restarter of the
 * contract's architecture, and the contract's hooks applied to what comes back.
 */
final class OpsHarness<T> {
    final ObjectOpsContract<T> contract;
    final OpsProbe<T> probe;
    final Images images;
    final TargetCpu target;
    final HostDifference host;
    private int accepted;
    private int rejected;

    private OpsHarness(ObjectOpsContract<T> contract) {
        this.contract = contract;
        this.probe = OpsProbe.of(Objects.requireNonNull(contract.ops(), "ops()"), contract::allocationAllowance);
        this.images = Images.of(contract.architecture(), List.of(probe), null);
        this.target = TargetCpu.anyFeatures(contract.architecture());
        Class<T> type = probe.type();
        this.host = (e, a) -> type.isInstance(e) && type.isInstance(a)
                ? contract.difference(type.cast(e), type.cast(a)) : HostDifference.fieldByField().between(e, a);
    }

    static <T> OpsHarness<T> of(ObjectOpsContract<T> contract) {
        return new OpsHarness<>(contract);
    }

    /**
     * Restarts the valid {@code image} once with the probe watching and maps its offsets:
     * the core records' fields and every field the ops read.
     */
    ImageMap map(byte[] image) throws IOException {
        probe.reset();
        images.accept(image, target);
        ImageMap m = ImageMap.of(image, probe.fieldsRead());
        checkRestored("the undamaged image");
        return m;
    }

    /** Runs {@code checkRestored} on every object the ops restored since the last call; {@code where}: which image. */
    void checkRestored(String where) {
        try {
            for (T o : probe.restored()) {
                try {
                    contract.checkRestored(o);
                } catch (AssertionError | RuntimeException e) {
                    throw new AssertionError(where + ": a restored '" + probe.typeName() + "' object breaks"
                            + " checkRestored: " + e.getMessage() + " (object: " + o + ")", e);
                }
            }
        } finally {
            probe.reset();
        }
    }

    /**
     * A damaged image: rejected, or accepted as a consistent state whose objects pass
     * {@code checkRestored}; counted. A failure says how many damaged images came before.
     */
    void rejectOrConsistent(byte[] image, String what) throws IOException {
        probe.reset();
        RestartChecks.Outcome o;
        try {
            o = images.rejectOrConsistent(image, target, host, what);
            if (o.isAccepted()) {
                checkRestored(what + " (accepted)");
            }
        } catch (AssertionError e) {
            throw new AssertionError(tally() + e.getMessage(), e);
        } finally {
            probe.reset();
        }
        count(o.isAccepted(), true);
    }

    /** A damaged image that must be rejected. */
    ImageException reject(byte[] image, String what) {
        probe.reset();
        try {
            ImageException e = images.reject(image, target, what);
            count(false, false);
            return e;
        } catch (AssertionError e) {
            throw new AssertionError(tally() + e.getMessage(), e);
        } finally {
            probe.reset();
        }
    }

    private void count(boolean wasAccepted, boolean statistics) {
        if (wasAccepted) {
            accepted++;
        } else {
            rejected++;
        }
        if (!statistics) {
            return;
        }
        try {
            Statistics.label("damaged images").collect(wasAccepted ? "accepted (consistent)" : "rejected");
        } catch (RuntimeException outsideAProperty) {
            // Called outside a jqwik property (a direct call from a test): nothing to report to.
        }
    }

    /** "after 37 damaged images (31 rejected, 6 accepted as consistent): ", or "" before the first. */
    String tally() {
        int n = accepted + rejected;
        return n == 0 ? "" : "after " + n + " damaged image" + (n == 1 ? "" : "s") + " (" + rejected + " rejected, "
                + accepted + " accepted as consistent): ";
    }

    int accepted() {
        return accepted;
    }

    int rejected() {
        return rejected;
    }

    /** The probe's reads named {@code field} since the last reset. */
    List<OpsProbe.FieldRead> reads(String field) {
        return probe.fieldsRead().stream().filter(f -> f.name().equals(field) && f.isNumber()).toList();
    }

    Optional<String> difference(Object expected, Object actual) {
        return host.between(expected, actual);
    }
}
