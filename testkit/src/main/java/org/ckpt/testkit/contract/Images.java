package org.ckpt.testkit.contract;

import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.Task;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testkit.HostDifference;
import org.ckpt.testkit.image.RecordingTarget;
import org.ckpt.testkit.image.RestartChecks;
import org.ckpt.testkit.image.TestChannels;

/**
 * What the contracts share: a checkpointer with a fixed head and a restarter, both with the
 * implementation under test registered by instance (so a contract tests the instance its
 * subclass returns, never whatever discovery finds), and the judging of restarts.
 */
final class Images {
    /** A record type no version assigns (outside the core and architecture ranges). */
    static final int UNKNOWN_TYPE = 0x7E57_0001;

    private final Checkpointer checkpointer;
    private final Restarter restarter;

    private Images(Checkpointer checkpointer, Restarter restarter) {
        this.checkpointer = checkpointer;
        this.restarter = restarter;
    }

    /**
     * Images of {@code architecture} written and read with {@code ops} and {@code provider}
     * (may be null) registered by instance, beside whatever else is discovered.
     */
    static Images of(String architecture, Collection<? extends ObjectOps<?>> ops, ArchProvider provider) {
        Checkpointer.Builder c = fixedHead(Checkpointer.builder().architecture(architecture));
        Restarter.Builder r = Restarter.builder();
        for (ObjectOps<?> o : ops) {
            c.register(o);
            r.register(o);
        }
        if (provider != null) {
            c.register(provider);
            r.register(provider);
        }
        return new Images(c.build(), r.build());
    }

    private static Checkpointer.Builder fixedHead(Checkpointer.Builder b) {
        return b.checkpointId(0x5EED).created(Instant.EPOCH).uname(new Uname("Linux", "contract", "6.1.0", "#1", "x"));
    }

    Checkpointer checkpointer() {
        return checkpointer;
    }

    Restarter restarter() {
        return restarter;
    }

    byte[] checkpoint(List<Task> tasks) throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        checkpointer.checkpoint(tasks, sink);
        return sink.toByteArray();
    }

    /** Restarts into a recording target; the image must be accepted and committed once. */
    RestartResult accept(byte[] image, TargetCpu target) throws IOException {
        return RestartChecks.accepts(restarter, image, target);
    }

    /** The restart must fail with a located ImageException and commit nothing. */
    ImageException reject(byte[] image, TargetCpu target, String what) {
        return RestartChecks.rejects(restarter, image, target, what);
    }

    /** A damaged image (checksums repaired): rejected without commit, or a consistent state. */
    RestartChecks.Outcome rejectOrConsistent(byte[] image, TargetCpu target, HostDifference host, String what)
            throws IOException {
        return RestartChecks.rejectsOrStaysConsistent(restarter, checkpointer, image, target, host, what);
    }

    /**
     * A checkpoint under {@code policy} with {@code provider} registered by instance;
     * {@code unchecked} makes the provider's check accept everything, so the image holds
     * exactly what {@code checkpointCpu} writes for a state the policy refuses (the bytes a
     * checkpoint would have written had it not refused).
     */
    static byte[] checkpoint(org.ckpt.spi.ArchProvider provider, String architecture,
                             org.ckpt.spi.RestorePolicy policy, List<Task> tasks, boolean unchecked) throws IOException {
        org.ckpt.spi.ArchProvider p = unchecked ? new Unchecked(provider) : provider;
        TestChannels.Sink sink = TestChannels.sink();
        fixedHead(Checkpointer.builder().architecture(architecture).policy(policy).register(p)).build()
                .checkpoint(tasks, sink);
        return sink.toByteArray();
    }

    /** A provider whose check accepts every state unchanged; everything else is the wrapped one's. */
    private record Unchecked(org.ckpt.spi.ArchProvider p) implements org.ckpt.spi.ArchProvider {
        @Override
        public java.util.Set<String> architectures() {
            return p.architectures();
        }

        @Override
        public java.util.Set<Integer> recordTypes() {
            return p.recordTypes();
        }

        @Override
        public long addressLimit(String architecture, org.ckpt.spi.RestorePolicy policy) {
            return p.addressLimit(architecture, policy);
        }

        @Override
        public org.ckpt.spi.ArchHead archHead(String architecture) {
            return p.archHead(architecture);
        }

        @Override
        public void writeArchHead(org.ckpt.spi.ArchHead head, org.ckpt.spi.PayloadWriter out) throws IOException {
            p.writeArchHead(head, out);
        }

        @Override
        public org.ckpt.spi.ArchHead readArchHead(String architecture, org.ckpt.spi.PayloadReader in)
                throws IOException {
            return p.readArchHead(architecture, in);
        }

        @Override
        public void checkpointCpu(org.ckpt.spi.CpuState state, org.ckpt.spi.CkptContext ctx) throws IOException {
            p.checkpointCpu(state, ctx);
        }

        @Override
        public org.ckpt.spi.CpuState restoreCpu(org.ckpt.spi.CkptContext ctx) throws IOException {
            return p.restoreCpu(ctx);
        }

        @Override
        public org.ckpt.spi.CpuState check(org.ckpt.spi.CpuState state, org.ckpt.spi.CkptContext ctx) {
            return state;
        }
    }

    /** Restarts with {@code provider} registered by instance into a recording target of {@code policy}. */
    static RecordingTarget restart(org.ckpt.spi.ArchProvider provider, byte[] image, TargetCpu target,
                                   org.ckpt.spi.RestorePolicy policy) throws IOException {
        RecordingTarget r = new RecordingTarget(target, policy);
        Restarter.builder().register(provider).build().restart(TestChannels.source(image), r);
        return r;
    }

    static String dump(byte[] image) {
        return RestartChecks.dump(image);
    }
}
