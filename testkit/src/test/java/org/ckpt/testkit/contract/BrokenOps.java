package org.ckpt.testkit.contract;

import java.io.IOException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.testkit.example.EmulatorDevice;
import org.ckpt.testkit.example.EmulatorDeviceOps;

/**
 * An ObjectOps written right, and the same with each of the three bugs real ops have, for
 * {@link ContractCatchesBugsTest}. Not tests themselves (no {@code Test} suffix): the test runs
 * the contracts below through jqwik and reads their failures.
 */
final class BrokenOps {
    private BrokenOps() {
    }

    /** A device: a mode register (bits 0–2 defined), a register file and a FIFO. */
    record Dev(int mode, long[] regs, byte[] fifo) {
    }

    enum Bug {
        NONE,
        /** A field the writer does not write (and the reader does not read): {@code mode} comes back 0. */
        FIELD_NOT_WRITTEN,
        /** The FIFO length is used to allocate before it is checked against the bytes left. */
        LENGTH_NOT_VALIDATED,
        /** Unknown bits of {@code mode} are accepted (and written back: the writer does not check either). */
        UNKNOWN_FLAGS_ACCEPTED
    }

    /** Body: u32 mode, u32 reg_count, reg_count × u64, u32 fifo_length, fifo_length bytes. */
    static final class DevOps implements ObjectOps<Dev> {
        static final long KNOWN_MODE_BITS = 0x7;
        private final Bug bug;

        DevOps(Bug bug) {
            this.bug = bug;
        }

        @Override
        public String typeName() {
            return "test.broken.dev";
        }

        @Override
        public Class<Dev> type() {
            return Dev.class;
        }

        @Override
        public void checkpoint(Dev d, CkptContext ctx, PayloadWriter body) throws IOException {
            if (bug != Bug.UNKNOWN_FLAGS_ACCEPTED && (d.mode() & ~KNOWN_MODE_BITS) != 0) {
                throw new CheckpointException("mode 0x" + Integer.toHexString(d.mode()) + " has unknown bits");
            }
            if (bug != Bug.FIELD_NOT_WRITTEN) {
                body.u32(d.mode());
            }
            body.u32(d.regs().length);
            for (long r : d.regs()) {
                body.u64(r);
            }
            body.u32(d.fifo().length).bytes(d.fifo());
        }

        @Override
        public Dev restore(CkptContext ctx, PayloadReader body) throws IOException {
            int mode = 0;
            if (bug != Bug.FIELD_NOT_WRITTEN) {
                long m = body.u32("mode");
                if (bug != Bug.UNKNOWN_FLAGS_ACCEPTED && (m & ~KNOWN_MODE_BITS) != 0) {
                    throw body.invalid("unknown mode bits 0x" + Long.toHexString(m));
                }
                mode = (int) m;
            }
            long[] regs = new long[body.count("reg_count", 64, "device registers")];
            for (int i = 0; i < regs.length; i++) {
                regs[i] = body.u64("reg");
            }
            byte[] fifo;
            if (bug == Bug.LENGTH_NOT_VALIDATED) {
                fifo = new byte[(int) body.u32("fifo_length")];
                for (int i = 0; i < fifo.length; i++) {
                    fifo[i] = (byte) body.u8("fifo");
                }
            } else {
                fifo = body.bytes("fifo", body.count("fifo_length", 4096, "device FIFO"));
            }
            return new Dev(mode, regs, fifo);
        }
    }

    /** The contract for {@link DevOps}; one subclass per bug (jqwik needs a no-argument constructor). */
    abstract static class DevContract implements ObjectOpsContract<Dev> {
        abstract Bug bug();

        @Override
        public ObjectOps<Dev> ops() {
            return new DevOps(bug());
        }

        @Override
        public Arbitrary<Dev> objects() {
            return Combinators.combine(Arbitraries.integers().between(0, 7),
                    Arbitraries.longs().array(long[].class).ofMaxSize(4),
                    Arbitraries.bytes().array(byte[].class).ofMaxSize(32)).as(Dev::new);
        }

        @Override
        public List<FlagField> flagFields() {
            return List.of(new FlagField("mode", DevOps.KNOWN_MODE_BITS));
        }

        @Override
        public void checkRestored(Dev d) {
            if (d.regs().length > 64) {
                throw new AssertionError("more than 64 registers");
            }
        }

        @Override
        public int positionsPerImage() {
            return 400;
        }
    }

    static final class Correct extends DevContract {
        @Override
        Bug bug() {
            return Bug.NONE;
        }
    }

    static final class FieldNotWritten extends DevContract {
        @Override
        Bug bug() {
            return Bug.FIELD_NOT_WRITTEN;
        }
    }

    static final class LengthNotValidated extends DevContract {
        @Override
        Bug bug() {
            return Bug.LENGTH_NOT_VALIDATED;
        }
    }

    static final class UnknownFlagsAccepted extends DevContract {
        @Override
        Bug bug() {
            return Bug.UNKNOWN_FLAGS_ACCEPTED;
        }
    }

    /**
     * An ops for {@link EmulatorDevice} under the very type name of the correct, discoverable
     * {@link EmulatorDeviceOps} (registered in META-INF/services), that loses the buffered
     * bytes: the contract must test this instance, not the one discovery finds.
     */
    static final class ShadowedByDiscovery implements ObjectOpsContract<EmulatorDevice> {
        @Override
        public ObjectOps<EmulatorDevice> ops() {
            EmulatorDeviceOps good = new EmulatorDeviceOps();
            return new ObjectOps<>() {
                @Override
                public String typeName() {
                    return good.typeName();
                }

                @Override
                public Class<EmulatorDevice> type() {
                    return EmulatorDevice.class;
                }

                @Override
                public void checkpoint(EmulatorDevice d, CkptContext ctx, PayloadWriter body) throws IOException {
                    good.checkpoint(new EmulatorDevice(d.name(), d.registers(), new byte[0]), ctx, body);
                }

                @Override
                public EmulatorDevice restore(CkptContext ctx, PayloadReader body) throws IOException {
                    return good.restore(ctx, body);
                }
            };
        }

        @Override
        public Arbitrary<EmulatorDevice> objects() {
            return Combinators.combine(Arbitraries.strings().alpha().ofMaxLength(4),
                    Arbitraries.longs().array(long[].class).ofMaxSize(2),
                    Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(8)).as(EmulatorDevice::new);
        }
    }
}
