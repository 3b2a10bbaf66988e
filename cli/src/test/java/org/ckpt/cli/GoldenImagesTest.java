package org.ckpt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The golden images of the real architectures, checked into the testkit for readers written from
 * FORMAT.md alone, are what the {@code ckpt} command accepts too (issue 16: "readable by ckpt verify").
 */
class GoldenImagesTest {
    private static final Path GOLDEN = Path.of("..", "testkit", "src", "test", "resources", "golden");

    @ParameterizedTest
    @CsvSource({"x86_64.img, x86_64, 2 tasks, 23 records", "ppc32.img, ppc32, 2 tasks, 18 records"})
    void verifyAcceptsTheGoldenImage(String file, String arch, String tasks, String records) {
        Path image = GOLDEN.resolve(file);
        assertThat(image).exists();
        Cli.Result r = Cli.run("verify", image.toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("valid " + arch + " image", tasks, records);
    }

    @ParameterizedTest
    @CsvSource({"x86_64.img, x86_64", "ppc32.img, ppc32"})
    void showReadsTheGoldenImage(String file, String arch) {
        Cli.Result r = Cli.run("show", "--json", GOLDEN.resolve(file).toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"architecture\" : \"" + arch + "\"", "\"tasks\"");
    }
}
