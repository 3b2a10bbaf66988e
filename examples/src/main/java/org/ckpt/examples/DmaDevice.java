package org.ckpt.examples;

import java.util.Objects;

/** A DMA engine of an emulated board: control flags, the bus address it copies to, the bytes in flight. */
public record DmaDevice(String name, int control, long busAddress, byte[] buffer) {
    /** Control bits: ENABLED, IRQ_PENDING, LOOPBACK; KNOWN_CONTROL is every bit this version knows. */
    public static final int ENABLED = 1, IRQ_PENDING = 2, LOOPBACK = 4, KNOWN_CONTROL = 7, MAX_BUFFER = 64 << 10;

    public DmaDevice {
        Objects.requireNonNull(name, "name");
        if ((control & ~KNOWN_CONTROL) != 0 || buffer.length > MAX_BUFFER) {
            throw new IllegalArgumentException("control " + control + ", " + buffer.length + " bytes buffered");
        }
        buffer = buffer.clone();
    }

    @Override
    public byte[] buffer() {
        return buffer.clone();
    }
}
