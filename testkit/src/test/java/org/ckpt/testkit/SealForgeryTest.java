package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.Key;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.ckpt.PageDestination;
import org.ckpt.RestartResult;
import org.ckpt.RestartTarget;
import org.ckpt.Restarter;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.RestorePolicy;
import org.ckpt.spi.SealException;
import org.ckpt.spi.TargetCpu;
import org.ckpt.spi.TruncatedImageException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.ImageSeals;
import org.ckpt.testkit.image.TestChannels;
import org.ckpt.testkit.image.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Forgeries of sealed images, each with every checksum and the tail recomputed (what anyone
 * who can write the image can do): a restarter that trusts keys rejects each with a
 * {@link SealException} (or, for a cut image, the truncation), before anything is committed —
 * the target is never committed and its page destination is released.
 */
class SealForgeryTest {
    static final String ID = TestKeys.TEST_ID;

    private static byte[] sealed(Key key) throws IOException {
        return SealedImageTest.image(key instanceof java.security.PrivateKey p ? SealedImageTest.writer().seal(ID, p)
                : SealedImageTest.writer().seal(ID, (javax.crypto.SecretKey) key));
    }

    private static Restarter trusting() {
        return Restarter.builder().trust(ID, TestKeys.hmac()).trust("ed", TestKeys.ed25519Public()).build();
    }

    /** A target that records what happens to it: it must never be committed here. */
    static final class Watched implements RestartTarget {
        final AtomicInteger commits = new AtomicInteger();
        final AtomicInteger allocated = new AtomicInteger();
        final AtomicInteger released = new AtomicInteger();

        @Override
        public TargetCpu cpu() {
            return TargetCpu.anyFeatures(TestArch.NAME);
        }

        @Override
        public RestorePolicy policy() {
            return RestorePolicy.LINUX_USER;
        }

        @Override
        public PageDestination pages() {
            return new PageDestination() {
                @Override
                public ByteBuffer allocate(Run run) {
                    allocated.incrementAndGet();
                    return ByteBuffer.allocate(run.length());
                }

                @Override
                public void release(Throwable failure) {
                    released.incrementAndGet();
                }
            };
        }

        @Override
        public void commit(RestartResult r) {
            commits.incrementAndGet();
        }
    }

    /** Rejects {@code image} through the model and through a target, which must stay uncommitted. */
    static <E extends ImageException> E rejected(Restarter r, byte[] image, Class<E> type) {
        E e = thrown(() -> r.restart(TestChannels.source(image)), type);
        assertThat(e).as("rejected as %s", type.getSimpleName()).isNotNull();
        Watched target = new Watched();
        E again = thrown(() -> r.restart(TestChannels.source(image), target), type);
        assertThat(again).isNotNull();
        assertThat(again.getMessage()).isEqualTo(e.getMessage());
        assertThat(target.commits).hasValue(0);
        assertThat(target.released).hasValue(target.allocated.get() > 0 ? 1 : 0);
        return e;
    }

    /** What {@code call} throws if it is a {@code type}, else null. */
    static <E extends Throwable> E thrown(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Class<E> type) {
        return org.assertj.core.api.Assertions.catchThrowableOfType(type, call);
    }

    private static SealException.Kind kind(SealException e) {
        return e.kind();
    }

    @Test
    void anUnsealedImageIsMissingItsSeal() throws IOException {
        byte[] image = SealedImageTest.image(SealedImageTest.writer());
        SealException e = rejected(trusting(), image, SealException.class);
        assertThat(kind(e)).isEqualTo(SealException.Kind.MISSING);
        assertThat(e.recordType()).isEqualTo("TAIL");
        assertThat(e).hasMessageContaining("not sealed").hasMessageContaining(ID);
    }

    @Test
    void aStrippedSealIsMissing() throws IOException {
        byte[] image = ImageSeals.unseal(sealed(TestKeys.hmac()));
        assertThat(ImageRecords.parse(image)).noneMatch(r -> r.type() == RecordTypes.SEAL);
        assertThat(kind(rejected(trusting(), image, SealException.class))).isEqualTo(SealException.Kind.MISSING);
        // Nothing else is wrong with it: a restarter that trusts no key reads it.
        Restarter.builder().build().restart(TestChannels.source(image));
    }

    @Test
    void aSealByAnUntrustedKeyIdIsUnknown() throws IOException {
        byte[] image = ImageSeals.reseal(sealed(TestKeys.hmac()), TestKeys.OTHER_ID, TestKeys.otherHmac());
        SealException e = rejected(trusting(), image, SealException.class);
        assertThat(kind(e)).isEqualTo(SealException.Kind.UNKNOWN_KEY);
        assertThat(e).hasMessageContaining("'" + TestKeys.OTHER_ID + "'").hasMessageContaining("does not trust");
    }

    @Test
    void anotherKeyUnderATrustedIdDoesNotVerify() throws IOException {
        byte[] hmac = ImageSeals.reseal(sealed(TestKeys.hmac()), ID, TestKeys.otherHmac());
        assertThat(kind(rejected(trusting(), hmac, SealException.class))).isEqualTo(SealException.Kind.INVALID);
        byte[] ed = ImageSeals.reseal(sealed(TestKeys.hmac()), "ed", TestKeys.otherEd25519());
        assertThat(kind(rejected(trusting(), ed, SealException.class))).isEqualTo(SealException.Kind.INVALID);
    }

    @Test
    void anotherAlgorithmUnderATrustedIdDoesNotVerify() throws IOException {
        byte[] image = ImageSeals.reseal(sealed(TestKeys.hmac()), ID, TestKeys.ed25519());
        SealException e = rejected(trusting(), image, SealException.class);
        assertThat(kind(e)).isEqualTo(SealException.Kind.INVALID);
        assertThat(e).hasMessageContaining("Ed25519").hasMessageContaining("HMAC-SHA-256 key");
    }

    @Test
    void theSealOfAnotherImageDoesNotVerify() throws IOException {
        byte[] a = sealed(TestKeys.hmac());
        byte[] b = SealedImageTest.image(SealedImageTest.writer().checkpointId(0xB).seal(ID, TestKeys.hmac()));
        List<ImageRecords.Record> ra = ImageRecords.parse(a);
        List<ImageRecords.Record> rb = new ArrayList<>(ImageRecords.parse(b));
        rb.set(rb.size() - 2, ra.get(ra.size() - 2));
        byte[] replayed = ImageRecords.assemble(b, rb);
        SealException e = rejected(trusting(), replayed, SealException.class);
        assertThat(kind(e)).isEqualTo(SealException.Kind.INVALID);
        assertThat(e).hasMessageContaining("does not verify");
    }

    @Test
    void everyChangedRecordWithChecksumsRepairedBreaksTheSeal() throws IOException {
        byte[] image = sealed(TestKeys.ed25519());
        Restarter r = Restarter.builder().trust(ID, TestKeys.ed25519Public()).build();
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        int checked = 0;
        for (int i = 0; i < rs.size() - 2; i++) {
            ImageRecords.Record rec = rs.get(i);
            if (rec.payload().length == 0) {
                continue;
            }
            // Flip the last payload byte: values that stay valid (a page byte, a counter) included.
            byte[] p = rec.payload().clone();
            p[p.length - 1] ^= 0x01;
            List<ImageRecords.Record> forged = new ArrayList<>(rs);
            forged.set(i, new ImageRecords.Record(rec.offset(), rec.type(), rec.flags(), 0, p));
            byte[] bytes = ImageRecords.assemble(image, forged);
            ImageException e = thrown(() -> r.restart(TestChannels.source(bytes)), ImageException.class);
            assertThat(e).as("record %d (%s)", i, RecordTypes.name(rec.type())).isNotNull();
            if (e instanceof SealException s) {
                assertThat(s.kind()).isEqualTo(SealException.Kind.INVALID);
                checked++;
            }
        }
        // Most flips break nothing but the seal (page bytes, counters, names).
        assertThat(checked).isGreaterThan(rs.size() / 2);
    }

    @Test
    void aForgedPageIsRejectedBeforeCommit() throws IOException {
        byte[] image = sealed(TestKeys.hmac());
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        int pages = -1;
        for (int i = 0; i < rs.size(); i++) {
            if (rs.get(i).type() == RecordTypes.PAGES) {
                pages = i;
            }
        }
        ImageRecords.Record p = rs.get(pages);
        byte[] payload = p.payload().clone();
        payload[16] = (byte) 0xCC; // the first page byte: any value is a valid page
        rs.set(pages, new ImageRecords.Record(p.offset(), p.type(), p.flags(), 0, payload));
        byte[] forged = ImageRecords.assemble(image, rs);
        Restarter.builder().build().restart(TestChannels.source(forged)); // a valid image, as far as checksums go
        assertThat(kind(rejected(trusting(), forged, SealException.class))).isEqualTo(SealException.Kind.INVALID);
    }

    @Test
    void anImageCutAfterItsSealIsTruncated() throws IOException {
        byte[] image = sealed(TestKeys.hmac());
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        int tail = (int) rs.get(rs.size() - 1).offset();
        int seal = (int) rs.get(rs.size() - 2).offset();
        for (int cut : new int[] {tail, tail + 1, tail + 16, image.length - 1, seal + 20, seal}) {
            byte[] cutImage = Arrays.copyOf(image, cut);
            // In the seal, after it, or right before it: the image ends before its tail.
            rejected(trusting(), cutImage, TruncatedImageException.class);
        }
    }

    @Test
    void bytesAfterTheTailAreRejected() throws IOException {
        byte[] image = sealed(TestKeys.hmac());
        byte[] longer = Arrays.copyOf(image, image.length + 8);
        rejected(trusting(), longer, InvalidImageException.class);
    }

    @Test
    void onlyTheTailMayFollowTheSeal() throws IOException {
        byte[] image = sealed(TestKeys.hmac());
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        // An optional record of an unknown type, which a reader would otherwise skip anywhere.
        rs.add(rs.size() - 1, new ImageRecords.Record(0, 0x7E57, 1, 0, new byte[8]));
        InvalidImageException e = rejected(trusting(), ImageRecords.assemble(image, rs), InvalidImageException.class);
        assertThat(e).hasMessageContaining("does not follow SEAL immediately");
        // ... also for a restarter that trusts no key.
        assertThat(thrown(() -> Restarter.builder().build().restart(
                TestChannels.source(ImageRecords.assemble(image, rs))), InvalidImageException.class)).isNotNull();
        // A second seal is a record after the seal.
        List<ImageRecords.Record> twice = new ArrayList<>(ImageRecords.parse(image));
        twice.add(twice.size() - 1, twice.get(twice.size() - 2));
        assertThat(thrown(() -> trusting().restart(TestChannels.source(
                ImageRecords.assemble(image, twice))), InvalidImageException.class)).hasMessageContaining("after SEAL");
    }

    @Test
    void aSealInAnOlderFormatIsInvalid() throws IOException {
        byte[] image = sealed(TestKeys.hmac());
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        byte[] head = rs.get(0).payload().clone();
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).putShort(2, (short) 2);
        rs.set(0, new ImageRecords.Record(0, RecordTypes.HEAD, 0, 0, head));
        byte[] forged = ImageSeals.reseal(ImageRecords.assemble(image, rs), ID, TestKeys.hmac());
        assertThat(rejected(trusting(), forged, InvalidImageException.class)).hasMessageContaining("since 1.3");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anOlderImageIsRefusedAsAReplay(boolean byId) throws IOException {
        byte[] old = sealed(TestKeys.hmac()); // checkpoint 0x5EA1, created 2026-12-01
        Restarter.Builder b = Restarter.builder().trust(ID, TestKeys.hmac());
        Restarter r = byId ? b.expectCheckpointId(0x5EA2).build()
                : b.notOlderThan(Instant.parse("2026-12-01T00:00:01Z")).build();
        SealException e = rejected(r, old, SealException.class);
        assertThat(kind(e)).isEqualTo(SealException.Kind.REPLAYED);
        assertThat(e.recordType()).isEqualTo("HEAD");
        assertThat(e).hasMessageContaining(byId ? "not the expected 0x5ea2" : "before 2026-12-01T00:00:01Z");
        // The expected one passes.
        Restarter ok = byId ? Restarter.builder().trust(ID, TestKeys.hmac()).expectCheckpointId(0x5EA1).build()
                : Restarter.builder().trust(ID, TestKeys.hmac()).notOlderThan(Instant.parse("2026-12-01T00:00:00Z"))
                        .build();
        ok.restart(TestChannels.source(old));
    }

    @Test
    void keysRotate() throws IOException {
        byte[] old = sealed(TestKeys.hmac());
        byte[] next = SealedImageTest.image(SealedImageTest.writer().seal("next", TestKeys.otherHmac()));
        Restarter both = Restarter.builder().trust(ID, TestKeys.hmac()).trust("next", TestKeys.otherHmac()).build();
        both.restart(TestChannels.source(old));
        both.restart(TestChannels.source(next));
        Restarter onlyNext = Restarter.builder().trust("next", TestKeys.otherHmac()).build();
        onlyNext.restart(TestChannels.source(next));
        assertThat(kind(rejected(onlyNext, old, SealException.class))).isEqualTo(SealException.Kind.UNKNOWN_KEY);
    }

    @Test
    void theSealCoversItsOwnAlgorithmAndKeyId() throws IOException {
        byte[] image = sealed(TestKeys.hmac());
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        ImageRecords.Record seal = rs.get(rs.size() - 2);
        // Rename the key id to another trusted one of the same length and algorithm: the tag no longer fits.
        Restarter two = Restarter.builder().trust("ckpt-test", TestKeys.hmac()).trust("ckpt-tesu", TestKeys.hmac())
                .build();
        byte[] p = seal.payload().clone();
        p[10 + 8] = 'u';
        rs.set(rs.size() - 2, new ImageRecords.Record(0, seal.type(), seal.flags(), 0, p));
        SealException e = rejected(two, ImageRecords.assemble(image, rs), SealException.class);
        assertThat(kind(e)).isEqualTo(SealException.Kind.INVALID);
    }
}
