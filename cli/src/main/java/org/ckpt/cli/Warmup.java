package org.ckpt.cli;

import java.util.Map;

/**
 * Loads, before a process is frozen, what the freeze would otherwise load while it lasts:
 * JNA and libc's bindings, and the arch modules' note converters (decoding an all-zero
 * register set of the architecture).
 */
final class Warmup {
    private Warmup() {
    }

    static void run(ElfArch elf) {
        Linux.geteuid();
        if (elf == null) {
            return;
        }
        try {
            byte[] pr = elf.prStatus(ElfArch.PrHeader.of(0, 0, 0, 0), new byte[elf.regsSize]);
            CpuNotes.toCpu(elf.architecture, Map.of(ElfArch.NT_PRSTATUS, pr), null);
        } catch (RuntimeException e) {
            // only a warm-up: the real registers say what is wrong, if anything
        }
    }
}
