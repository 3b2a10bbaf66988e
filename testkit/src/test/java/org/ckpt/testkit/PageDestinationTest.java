package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.ckpt.Checkpointer;
import org.ckpt.PageDestination;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.TargetCpu;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.ImageMutator;
import org.ckpt.testkit.image.TestChannels;
import org.junit.jupiter.api.Test;

/** Restoring straight into host memory: an emulator's guest RAM receives the one copy a restart makes. */
class PageDestinationTest {
    private static final long BASE = 0x100000;
    private static final int RAM = 4 << 20;

    /** Guest RAM as one direct buffer at guest address BASE; runs are slices of it. */
    static final class GuestRam implements PageDestination {
        final ByteBuffer ram = ByteBuffer.allocateDirect(RAM);
        final List<Run> runs = new ArrayList<>();
        Throwable released;
        int releases;

        @Override
        public ByteBuffer allocate(Run run) {
            runs.add(run);
            return ram.slice((int) (run.address() - BASE), run.length());
        }

        @Override
        public void release(Throwable failure) {
            releases++;
            released = failure;
        }
    }

    static RestartTarget into(GuestRam ram, AtomicReference<RestartResult> committed) {
        return new RestartTarget() {
            @Override
            public TargetCpu cpu() {
                return TargetCpu.anyFeatures(TestArch.NAME);
            }

            @Override
            public RestorePolicy policy() {
                return RestorePolicy.EXACT;
            }

            @Override
            public PageDestination pages() {
                return ram;
            }

            @Override
            public void commit(RestartResult image) {
                committed.set(image);
            }
        };
    }

    static byte[] image(byte[] memory) throws IOException {
        Task t = Task.builder().pid(1).comm("guest").mm(AddressSpace.of(List.of(
                new Vma(BASE, BASE + memory.length, Vma.PROT_READ | Vma.PROT_WRITE | Vma.PROT_EXEC, 0, 0, null,
                        PageData.of(BASE, memory))))).build();
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(TestArch.NAME).policy(RestorePolicy.EXACT).build().checkpoint(t, sink);
        return sink.toByteArray();
    }

    static byte[] memory() {
        byte[] m = new byte[RAM];
        for (int i = 0; i < m.length; i += 4096) {
            if ((i / 4096) % 3 != 0) {
                m[i] = (byte) (i >>> 12);
                m[i + 4095] = (byte) 0xA5;
            }
        }
        return m;
    }

    @Test
    void pagesLandInTheHostsMemoryAndTheCommittedAreasAreThoseVeryBuffers() throws IOException {
        byte[] mem = memory();
        GuestRam ram = new GuestRam();
        AtomicReference<RestartResult> committed = new AtomicReference<>();
        Restarter.builder().build().restart(TestChannels.source(image(mem)), into(ram, committed));
        byte[] guest = new byte[RAM];
        ram.ram.get(0, guest);
        assertThat(guest).isEqualTo(mem);
        assertThat(ram.runs).isNotEmpty().allSatisfy(r -> {
            assertThat(r.areaStart()).isEqualTo(BASE);
            assertThat(r.prot()).isEqualTo(Vma.PROT_READ | Vma.PROT_WRITE | Vma.PROT_EXEC);
            assertThat(r.length()).isPositive().isLessThanOrEqualTo(1 << 20);
        });
        List<ByteBuffer> committedRuns = new ArrayList<>();
        committed.get().tasks().get(0).mm().vmas().get(0).pages().forEachRun((a, b, c) -> committedRuns.add(b));
        assertThat(committedRuns).hasSameSizeAs(ram.runs).allMatch(ByteBuffer::isDirect);
        assertThat(ram.releases).isZero();
    }

    @Test
    void aFailedRestartReleasesTheHostsBuffersOnceAndNeverCommits() throws IOException {
        byte[] image = image(memory());
        byte[] bad = ImageMutator.flipBit(image, (image.length - 100) * 8L);
        GuestRam ram = new GuestRam();
        AtomicReference<RestartResult> committed = new AtomicReference<>();
        assertThatThrownBy(() -> Restarter.builder().build().restart(TestChannels.source(bad), into(ram, committed)))
                .isInstanceOf(ChecksumException.class);
        assertThat(ram.runs).isNotEmpty();
        assertThat(ram.releases).isEqualTo(1);
        assertThat(ram.released).isInstanceOf(ChecksumException.class);
        assertThat(committed.get()).isNull();
    }

    @Test
    void aDestinationReturningTheWrongSizeIsAHostError() throws IOException {
        byte[] image = image(memory());
        PageDestination wrong = run -> ByteBuffer.allocate(run.length() + 1);
        AtomicReference<RestartResult> committed = new AtomicReference<>();
        RestartTarget t = new RestartTarget() {
            @Override
            public TargetCpu cpu() {
                return TargetCpu.anyFeatures(TestArch.NAME);
            }

            @Override
            public RestorePolicy policy() {
                return RestorePolicy.EXACT;
            }

            @Override
            public PageDestination pages() {
                return wrong;
            }

            @Override
            public void commit(RestartResult r) {
                committed.set(r);
            }
        };
        assertThatThrownBy(() -> Restarter.builder().build().restart(TestChannels.source(image), t))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("page destination returned");
        assertThat(committed.get()).isNull();
    }
}
