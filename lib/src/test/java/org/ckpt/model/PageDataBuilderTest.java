package org.ckpt.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PageData.Builder#run(long, ByteBuffer, int, int)}: runs as parts of one large buffer, such as guest RAM. */
class PageDataBuilderTest {
    @Test
    void runsArePartsOfTheBufferAndLeaveItsPositionAlone() throws IOException {
        ByteBuffer ram = ByteBuffer.allocate(4 * 4096);
        for (int i = 0; i < ram.capacity(); i++) {
            ram.put(i, (byte) (i / 4096 + 1));
        }
        ram.position(100);
        PageData pages = PageData.builder().run(0x10000, ram, 0, 4096).run(0x12000, ram, 2 * 4096, 2 * 4096).build();
        assertThat(ram.position()).isEqualTo(100);
        assertThat(ram.limit()).isEqualTo(ram.capacity());

        List<String> runs = new ArrayList<>();
        pages.forEachRun((address, bytes, clean) -> runs.add(Long.toHexString(address) + ":" + bytes.remaining() + ":"
                + bytes.get(bytes.position()) + ":" + bytes.get(bytes.limit() - 1) + ":" + clean));
        assertThat(runs).containsExactly("10000:4096:1:1:false", "12000:8192:3:4:false");

        // views, not copies: the host's later writes show
        ram.put(0, (byte) 9);
        ByteBuffer first = ByteBuffer.allocate(1);
        pages.read(0x10000, first);
        assertThat(first.get(0)).isEqualTo((byte) 9);
    }

    @Test
    void aPartOutsideTheBufferIsRefused() {
        ByteBuffer ram = ByteBuffer.allocate(4096);
        assertThatThrownBy(() -> PageData.builder().run(0, ram, 1, 4096)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> PageData.builder().run(0, ram, -1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        ram.limit(2048);
        assertThatThrownBy(() -> PageData.builder().run(0, ram, 0, 4096)).as("beyond the limit")
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}
