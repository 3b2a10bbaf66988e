package org.ckpt.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.ckpt.spi.ObjectOps;
import org.ckpt.testkit.contract.ObjectOpsContract;

/** The whole conformance suite, run against this instance of the host's ops. */
class DmaDeviceOpsContractTest implements ObjectOpsContract<DmaDevice> {
    static final Arbitrary<DmaDevice> DEVICES = Combinators.combine(Arbitraries.strings().alpha().ofMaxLength(12),
            Arbitraries.integers().between(0, DmaDevice.KNOWN_CONTROL), Arbitraries.longs(),
            Arbitraries.bytes().array(byte[].class).ofMaxSize(256)).as(DmaDevice::new);

    @Override
    public ObjectOps<DmaDevice> ops() {
        return new DmaDeviceOps();
    }

    @Override
    public Arbitrary<DmaDevice> objects() {
        return DEVICES;
    }

    @Override
    public List<FlagField> flagFields() {
        return List.of(new FlagField("control", DmaDevice.KNOWN_CONTROL));
    }

    @Override
    public void checkRestored(DmaDevice d) {
        assertThat(d.buffer().length).isLessThanOrEqualTo(DmaDevice.MAX_BUFFER);
    }
}
