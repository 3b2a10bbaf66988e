package org.ckpt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.ckpt.spi.RecordTypes;
import org.junit.jupiter.api.Test;

/** Record names appear in every error message; unknown types print as 0x%04x. */
class RecordTypeNamesTest {
    @Test
    void unknownTypesAsFourHexDigitsAtLeast() {
        for (int t : new int[] {0xE, 0x77, 0x120, 0x1F0, 0xABCD, 0x12345, -1, 0}) {
            assertThat(RecordTypes.name(t)).as("type %d", t).isEqualTo(String.format("0x%04x", t));
        }
        assertThat(RecordTypes.name(RecordTypes.PAGES)).isEqualTo("PAGES");
        // 0x7 was the one-digit example of an unknown type until CIPHER took it (format 1.3).
        assertThat(RecordTypes.name(0x7)).isEqualTo("CIPHER");
        assertThat(RecordTypes.name(0x5)).isEqualTo("SEAL");
    }
}
