package org.ckpt.testkit.example;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.ckpt.Checkpointer;
import org.ckpt.PageDestination;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.arch.x86.X86_64Regs;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** README "Embedding ckpt in an emulator": the example, verbatim between the markers, must compile and resume exactly. */
class EmulatorEmbeddingTest {
    /** The smallest emulator the example needs: guest RAM at guest address 0 and a few registers. */
    static final class Emulator {
        private final ByteBuffer ram;
        private X86_64State loaded;

        Emulator(int ramBytes) {
            ram = ByteBuffer.allocateDirect(ramBytes);
        }

        ByteBuffer ram() {
            return ram;
        }

        long rip() {
            return 0xFFFF_FFFF_8100_0010L; // a kernel-half address: the guest runs its own kernel
        }

        long rsp() {
            return 0x7000;
        }

        long rflags() {
            return 0x47; // ZF, PF, CF and bit 1: no IF, as the guest left it
        }

        long cs() {
            return 0; // a guest at reset
        }

        long ss() {
            return 0;
        }

        long fsBase() {
            return 0xFFFF_8000_0000_0000L;
        }

        void load(X86_64State cpu) {
            loaded = cpu;
        }
    }

    @Test
    void theGuestResumesExactly(@TempDir Path dir) throws Exception {
        Emulator emulator = new Emulator(1 << 20);
        emulator.ram().put(0x1000, (byte) 0x90).put(0xFFFFF, (byte) 0xF4);
        Path image = dir.resolve("guest.ckpt");
        Emulator fresh;
        // ---- README example begins ----
        // A guest stopped between two instructions, as the emulator holds it: registers and guest RAM.
        ByteBuffer ram = emulator.ram();                                    // guest RAM at guest address 0
        X86_64State cpu = X86_64State.of(X86_64Regs.builder()
                .rip(emulator.rip()).rsp(emulator.rsp()).eflags(emulator.rflags())
                .cs(emulator.cs()).ss(emulator.ss()).fsBase(emulator.fsBase()).build());
        Task guest = Task.builder().pid(1).comm("guest").cpu(cpu)
                .mm(AddressSpace.of(List.of(Vma.anonymous(0, ram.capacity(),
                        Vma.PROT_READ | Vma.PROT_WRITE | Vma.PROT_EXEC, PageData.of(0, ram))))).build();
        Checkpointer.builder().architecture("x86_64").policy(RestorePolicy.EXACT).build()
                .checkpoint(guest, image);                                  // temp file, forced, renamed

        // Later, in a fresh emulator (its RAM is zero: pages the image leaves out are zero pages):
        fresh = new Emulator(ram.capacity());
        Emulator into = fresh;
        Restarter.builder().build().restart(image, new RestartTarget() {
            public TargetCpu cpu() { return TargetCpu.anyFeatures("x86_64"); }
            public RestorePolicy policy() { return RestorePolicy.EXACT; }     // every bit back as saved
            public PageDestination pages() {                                  // one copy: straight into guest RAM
                return run -> into.ram().slice((int) run.address(), run.length());
            }
            public void commit(RestartResult r) { into.load((X86_64State) r.tasks().get(0).cpu()); }
        });
        // ---- README example ends ----
        assertThat(fresh.loaded).isEqualTo(cpu);
        assertThat(fresh.ram()).isEqualTo(emulator.ram());
        assertThat(fresh.loaded.regs().eflags()).isEqualTo(0x47);
        assertThat(fresh.loaded.regs().cs()).isZero();
    }

    @Test
    void theReadmeShowsThisExampleVerbatim() throws java.io.IOException {
        String source = java.nio.file.Files.readString(
                Path.of("src/test/java/org/ckpt/testkit/example/EmulatorEmbeddingTest.java"));
        String begins = "// ---- README example begins ----\n";
        String block = source.substring(source.indexOf(begins) + begins.length(),
                source.indexOf("        // ---- README example ends ----"));
        StringBuilder unindented = new StringBuilder();
        for (String line : block.split("\n", -1)) {
            unindented.append(line.startsWith("        ") ? line.substring(8) : line).append('\n');
        }
        String readme = java.nio.file.Files.readString(Path.of("../README.md"));
        assertThat(readme).contains("```java\n" + unindented.toString().stripTrailing() + "\n```");
        assertThat(unindented.toString().strip().split("\n")).hasSizeLessThanOrEqualTo(30);
    }
}
