package org.ckpt.testarch;

import org.ckpt.spi.CpuState;

/**
 * CPU state of the test-only architecture {@code "test64"}: an instruction pointer,
 * a stack pointer, four general registers and a flags word of which only
 * {@link TestArch#USER_FLAGS} may be set by a user.
 */
public record TestCpu(long ip, long sp, long r0, long r1, long r2, long r3, long flags) implements CpuState {
    @Override
    public String architecture() {
        return TestArch.NAME;
    }
}
