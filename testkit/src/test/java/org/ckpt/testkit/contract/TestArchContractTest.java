package org.ckpt.testkit.contract;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.CpuState;
import org.ckpt.testarch.TestArch;
import org.ckpt.testarch.TestCpu;

/** The library's test architecture through the contract: the rules of both policies, both directions. */
class TestArchContractTest implements ArchProviderContract {
    @Override
    public ArchProvider provider() {
        return new TestArch();
    }

    @Override
    public Arbitrary<? extends CpuState> states(String architecture) {
        Arbitrary<Long> user = Arbitraries.longs().between(0, TestArch.USER_LIMIT - 1);
        return Combinators.combine(user, Arbitraries.longs(), Arbitraries.longs(), Arbitraries.longs(),
                Arbitraries.longs(), Arbitraries.longs(), Arbitraries.longs().between(0, TestArch.USER_FLAGS))
                .as(TestCpu::new);
    }

    @Override
    public Arbitrary<? extends CpuState> anyStates(String architecture) {
        Arbitrary<Long> any = Arbitraries.longs();
        return Combinators.combine(any, any, any, any, any, any, any).as(TestCpu::new);
    }
}
