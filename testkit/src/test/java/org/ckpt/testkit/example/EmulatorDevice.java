package org.ckpt.testkit.example;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a downstream host might checkpoint as a task extension: an emulator's serial
 * device, with its register file and the bytes buffered in its FIFO.
 */
public record EmulatorDevice(String name, long[] registers, byte[] buffered) {
    public EmulatorDevice {
        Objects.requireNonNull(name, "name");
        registers = registers.clone();
        buffered = buffered.clone();
    }

    @Override
    public long[] registers() {
        return registers.clone();
    }

    @Override
    public byte[] buffered() {
        return buffered.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EmulatorDevice d && name.equals(d.name) && Arrays.equals(registers, d.registers)
                && Arrays.equals(buffered, d.buffered);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(registers), Arrays.hashCode(buffered));
    }

    @Override
    public String toString() {
        return "EmulatorDevice[" + name + ", " + registers.length + " registers, " + buffered.length + " bytes]";
    }
}
