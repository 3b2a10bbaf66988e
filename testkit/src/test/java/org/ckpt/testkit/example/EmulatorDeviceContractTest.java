package org.ckpt.testkit.example;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.ckpt.spi.ObjectOps;
import org.ckpt.testkit.contract.ObjectOpsContract;

/** A downstream ObjectOps gets the whole conformance suite with these lines. */
class EmulatorDeviceContractTest implements ObjectOpsContract<EmulatorDevice> {
    @Override
    public ObjectOps<EmulatorDevice> ops() {
        return new EmulatorDeviceOps();
    }

    @Override
    public Arbitrary<EmulatorDevice> objects() {
        return Combinators.combine(Arbitraries.strings().ofMaxLength(16),
                Arbitraries.longs().array(long[].class).ofMaxSize(32),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(512)).as(EmulatorDevice::new);
    }

    /** Also registered in the test class path's META-INF/services, and found there. */
    @Override
    public boolean discoverable() {
        return true;
    }
}
