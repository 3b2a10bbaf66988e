package org.ckpt.testkit.contract;

import static org.assertj.core.api.Assertions.assertThat;

import org.ckpt.testkit.JqwikRun;
import org.junit.jupiter.api.Test;

/**
 * {@link ObjectOpsContract} catches the three bugs real ops have, each injected into an
 * otherwise correct ops ({@link BrokenOps}), and says so in words: which property, which
 * sample, which record and offset, which field. The contracts run through jqwik as in a
 * downstream build; their reports are captured, not printed.
 */
class ContractCatchesBugsTest {
    @Test
    void theCorrectOpsPassesEveryProperty() throws Exception {
        JqwikRun run = JqwikRun.of(BrokenOps.Correct.class);
        assertThat(run.failures()).isEmpty();
        assertThat(run.succeeded()).contains("roundTripsThroughAFullImage",
                "damageWithRepairedChecksumsIsRejectedOrConsistent", "unknownFlagBitsAreRejected",
                "flagFieldsAreReadByTheOps");
    }

    @Test
    void aFieldNotWrittenFailsTheRoundTripWithItsPath() throws Exception {
        JqwikRun run = JqwikRun.of(BrokenOps.FieldNotWritten.class, "roundTripsThroughAFullImage");
        JqwikRun.Failure f = run.failures().get("roundTripsThroughAFullImage");
        assertThat(f).as("round trip of an ops that does not write 'mode'").isNotNull();
        // The path down to the field, both values.
        assertThat(f.message()).contains("task 0 \u203a extension 0 \u203a Dev.mode: expected ", ", was 0");
        // jqwik's report names the (shrunk) sample, arrays printed element by element.
        assertThat(run.reports("roundTripsThroughAFullImage"))
                .containsPattern("object: Dev\\{mode=[1-7], regs=\\[[-0-9, ]*\\], fifo=\\[[-0-9, ]*\\]\\}");
    }

    @Test
    void aLengthUsedBeforeItIsValidatedFailsCleanlyNamingRecordOffsetAndField() throws Exception {
        JqwikRun run = JqwikRun.of(BrokenOps.LengthNotValidated.class,
                "damageWithRepairedChecksumsIsRejectedOrConsistent");
        JqwikRun.Failure f = run.failures().get("damageWithRepairedChecksumsIsRejectedOrConsistent");
        assertThat(f).as("damage property of an ops that allocates an unchecked length").isNotNull();
        assertThat(f.thrown()).isInstanceOf(AssertionError.class);
        String m = f.message();
        assertThat(m).contains("damaged image").contains("rejected")
                .contains("field 'fifo_length' (u32) set to 0x7fffffff")
                .contains("restore of a 'test.broken.dev' object ran out of memory")
                .containsPattern("its OBJECT body begins at image offset \\d+")
                .contains("'fifo_length' (u32 at offset");
        assertThat(run.reports("damageWithRepairedChecksumsIsRejectedOrConsistent")).contains("Sample");
    }

    @Test
    void unknownFlagBitsAcceptedAreCaughtEvenWhenTheWriterDoesNotCheckThem() throws Exception {
        JqwikRun run = JqwikRun.of(BrokenOps.UnknownFlagsAccepted.class, "unknownFlagBitsAreRejected",
                "damageWithRepairedChecksumsIsRejectedOrConsistent");
        // Damage alone cannot see it: the writer writes the bits back, so the state looks consistent.
        assertThat(run.succeeded()).contains("damageWithRepairedChecksumsIsRejectedOrConsistent");
        JqwikRun.Failure f = run.failures().get("unknownFlagBitsAreRejected");
        assertThat(f).as("flag property of an ops that accepts unknown mode bits").isNotNull();
        assertThat(f.message()).contains("flag field 'mode' (known bits 0x7 in flagFields())")
                .contains("field 'mode' (u32) unknown bit 3 (0x8) set")
                .contains("the restart accepted the image; it must refuse it");
    }

    @Test
    void theContractTestsTheInstanceItIsGivenNotTheDiscoveredOne() throws Exception {
        JqwikRun run = JqwikRun.of(BrokenOps.ShadowedByDiscovery.class, "roundTripsThroughAFullImage");
        assertThat(run.failures()).containsKey("roundTripsThroughAFullImage");
        assertThat(run.failures().get("roundTripsThroughAFullImage").message())
                .contains("EmulatorDevice.buffered");
    }
}
