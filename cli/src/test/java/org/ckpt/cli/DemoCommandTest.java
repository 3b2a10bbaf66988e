package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs(OS.LINUX)
class DemoCommandTest {
    @Test
    void theTourRunsEndToEnd() {
        Cli.Result r = Cli.run("demo", "--size", "4", "--no-gcore");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("1. ckpt dump", "2. ckpt verify", "valid:", "3. ckpt restart",
                "pages of the image equal the process's memory", "ckpt dump", "file size", "image removed");
        assertThat(r.out()).doesNotContain("differs");
    }

    @Test
    void badSizeIsAUsageError() {
        assertThat(Cli.run("demo", "--size", "0").exit()).isEqualTo(2);
    }
}
