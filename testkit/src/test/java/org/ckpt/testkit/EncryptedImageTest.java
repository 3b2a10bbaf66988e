package org.ckpt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;
import org.ckpt.Checkpointer;
import org.ckpt.ImageEncryption;
import org.ckpt.ImageInfo;
import org.ckpt.ImageScan;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.AbortedImageException;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.DecryptionException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.RecordTypes;
import org.ckpt.spi.SealException;
import org.ckpt.testarch.TestArch;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.ImageSeals;
import org.ckpt.testkit.image.TestChannels;
import org.ckpt.testkit.image.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encrypted images (docs/FORMAT.md §17.4–17.5): what stays in clear, and the three ways a
 * restart fails to decrypt — no key, a wrong key, altered ciphertext — each its own error,
 * before anything is committed.
 */
class EncryptedImageTest {
    static final String ID = TestKeys.TEST_ID;
    private static final byte[] MARKER = "SECRET-PAGE-CONTENT-0123456789".getBytes(StandardCharsets.US_ASCII);

    private static byte[] encrypted() throws IOException {
        return SealedImageTest.image(SealedImageTest.writer().encrypt(ID, TestKeys.aes()));
    }

    private static Restarter withKey() {
        return Restarter.builder().decryptionKey(ID, TestKeys.aes()).build();
    }

    private static DecryptionException.Kind kind(DecryptionException e) {
        return e.kind();
    }

    /** One task whose pages and names hold a marker that must not appear in the image. */
    private static Task secretTask() {
        byte[] page = new byte[8192];
        System.arraycopy(MARKER, 0, page, 100, MARKER.length);
        System.arraycopy(MARKER, 0, page, 4096 + 7, MARKER.length);
        return Task.builder().pid(9).comm("SECRET-PAGE-C").mm(AddressSpace.of(List.of(
                Vma.anonymous(0x40000, 0x42000, PageData.of(0x40000, page))))).build();
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (haystack[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void onlyTheHeadTheArchHeadAndTheFramingStayInClear() throws IOException {
        TestChannels.Sink sink = TestChannels.sink();
        Checkpointer.builder().architecture(TestArch.NAME).encrypt(ID, TestKeys.aes()).seal(ID, TestKeys.hmac()).build()
                .checkpoint(secretTask(), sink);
        byte[] image = sink.toByteArray();
        assertThat(contains(image, MARKER)).isFalse();
        assertThat(contains(image, "SECRET".getBytes(StandardCharsets.US_ASCII))).isFalse();
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        assertThat(rs.get(0).type()).isEqualTo(RecordTypes.HEAD);
        assertThat(rs.get(1).type()).isEqualTo(RecordTypes.ARCH_HEAD);
        assertThat(rs.get(2).type()).isEqualTo(RecordTypes.CIPHER);
        assertThat(rs.get(rs.size() - 3).type()).isEqualTo(RecordTypes.CIPHER);
        assertThat(rs.get(rs.size() - 2).type()).isEqualTo(RecordTypes.SEAL);
        for (int i = 0; i < rs.size(); i++) {
            boolean enc = (rs.get(i).flags() & ImageSeals.FLAG_ENCRYPTED) != 0;
            assertThat(enc).as("record %d", i).isEqualTo(i >= 3 && i < rs.size() - 2);
        }
        // The machine is not named unless the host says so.
        RestartResult r = Restarter.builder().decryptionKey(ID, TestKeys.aes()).build()
                .restart(TestChannels.source(image));
        assertThat(r.info().uname()).isEqualTo(new Uname("", "", "", "", ""));
        assertThat(r.info().flags()).isEqualTo(ImageInfo.FLAG_ENCRYPTED);
        assertThat(r.info().formatMinor()).isEqualTo(3);
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(List.of(secretTask()));
    }

    @Test
    void withoutAnyKeyTheRestartSaysSoAndTheScanShowsTheHead() throws IOException {
        byte[] image = encrypted();
        DecryptionException e = SealForgeryTest.rejected(Restarter.builder().build(), image,
                DecryptionException.class);
        assertThat(kind(e)).isEqualTo(DecryptionException.Kind.NO_KEY);
        assertThat(e.recordType()).isEqualTo("CIPHER");
        assertThat(e).hasMessageContaining("no decryption key").hasMessageContaining(ID);
        ImageScan scan = Restarter.builder().build().scan(TestChannels.source(image), null);
        assertThat(scan.info().architecture()).isEqualTo(TestArch.NAME);
        assertThat(scan.info().checkpointId()).isEqualTo(0x5EA1);
        assertThat(scan.encryption()).contains(new ImageEncryption("AES-256-GCM", ID, false));
        assertThat(scan.seal()).isEmpty();
        assertThat(scan.records()).isEqualTo(ImageRecords.parse(image).size());
    }

    @Test
    void aKeyOfAnotherIdIsUnknown() throws IOException {
        Restarter r = Restarter.builder().decryptionKey("elsewhere", TestKeys.aes()).build();
        DecryptionException e = SealForgeryTest.rejected(r, encrypted(), DecryptionException.class);
        assertThat(kind(e)).isEqualTo(DecryptionException.Kind.UNKNOWN_KEY);
        assertThat(e).hasMessageContaining("'" + ID + "'").hasMessageContaining("elsewhere");
    }

    @Test
    void anotherKeyUnderTheImagesIdIsTheWrongKey() throws IOException {
        Restarter r = Restarter.builder().decryptionKey(ID, TestKeys.otherAes()).build();
        DecryptionException e = SealForgeryTest.rejected(r, encrypted(), DecryptionException.class);
        assertThat(kind(e)).isEqualTo(DecryptionException.Kind.WRONG_KEY);
        assertThat(e).hasMessageContaining("does not unwrap");
    }

    @Test
    void alteredCiphertextIsACheckumErrorOrWithChecksumsRepairedTampering() throws IOException {
        byte[] image = encrypted();
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        int checked = 0;
        for (int i = 3; i < rs.size() - 1; i++) {
            ImageRecords.Record r = rs.get(i);
            byte[] p = r.payload().clone();
            p[p.length / 2] ^= 0x20;
            // As it is: the record CRC covers the ciphertext, so framing checks need no key.
            byte[] raw = image.clone();
            raw[(int) r.offset() + 16 + p.length / 2] ^= 0x20;
            assertThat(SealForgeryTest.thrown(() -> withKey().restart(TestChannels.source(raw)), ChecksumException.class))
                    .as("record %d", i).isNotNull();
            assertThat(SealForgeryTest.thrown(() -> Restarter.builder().build().scan(TestChannels.source(raw), null),
                    ChecksumException.class)).isNotNull();
            // With the checksums repaired: the GCM tag.
            List<ImageRecords.Record> forged = new ArrayList<>(rs);
            forged.set(i, new ImageRecords.Record(0, r.type(), r.flags(), 0, p));
            byte[] bytes = ImageRecords.assemble(image, forged);
            DecryptionException e = SealForgeryTest.rejected(withKey(), bytes, DecryptionException.class);
            assertThat(kind(e)).isEqualTo(DecryptionException.Kind.TAMPERED);
            assertThat(e.offset()).isEqualTo(r.offset());
            assertThat(e).hasMessageContaining("does not decrypt");
            checked++;
        }
        assertThat(checked).isGreaterThan(5);
    }

    @Test
    void theClearHeadIsBoundToTheEncryptedRecords() throws IOException {
        byte[] image = encrypted();
        for (int record = 0; record < 3; record++) {
            List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
            ImageRecords.Record r = rs.get(record);
            byte[] p = r.payload().clone();
            // HEAD: the time's low byte; CIPHER: the key id's last byte (ckpt-test becomes ckpt-tesu, a key the
            // restarter has: the data key unwraps, the head tag does not fit).
            int at = record == 0 ? 16 : 18;
            if (record == 1) {
                continue; // test64's ARCH_HEAD has no byte that stays valid when changed
            }
            p[at] ^= 1;
            rs.set(record, new ImageRecords.Record(0, r.type(), r.flags(), 0, p));
            byte[] forged = ImageRecords.assemble(image, rs);
            Restarter restarter = record == 2
                    ? Restarter.builder().decryptionKey("ckpt-tesu", TestKeys.aes()).build() : withKey();
            DecryptionException e = SealForgeryTest.rejected(restarter, forged, DecryptionException.class);
            assertThat(kind(e)).as("record %d", record).isEqualTo(DecryptionException.Kind.TAMPERED);
            assertThat(e.recordType()).isEqualTo("CIPHER");
            assertThat(e).hasMessageContaining("clear head");
        }
    }

    @Test
    void removedOrReorderedRecordsDoNotDecrypt() throws IOException {
        byte[] image = encrypted();
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        // The closing CIPHER gone: the end of the encrypted records cannot be forged.
        List<ImageRecords.Record> noEnd = new ArrayList<>(rs);
        noEnd.remove(rs.size() - 2);
        DecryptionException e = SealForgeryTest.rejected(withKey(), ImageRecords.assemble(image, noEnd),
                DecryptionException.class);
        assertThat(kind(e)).isEqualTo(DecryptionException.Kind.TAMPERED);
        assertThat(e).hasMessageContaining("closing CIPHER");
        // The last task cut off, the closing CIPHER kept: its nonce no longer fits.
        int lastTask = -1;
        int firstPages = -1;
        for (int i = 0; i < rs.size(); i++) {
            if (rs.get(i).type() == RecordTypes.TASK) {
                lastTask = i;
            }
            if (rs.get(i).type() == RecordTypes.PAGES && firstPages < 0 && rs.get(i + 1).type() == RecordTypes.PAGES) {
                firstPages = i;
            }
        }
        List<ImageRecords.Record> cut = new ArrayList<>(rs.subList(0, lastTask));
        cut.addAll(rs.subList(rs.size() - 2, rs.size()));
        DecryptionException c = SealForgeryTest.rejected(withKey(), ImageRecords.assemble(image, cut),
                DecryptionException.class);
        assertThat(kind(c)).isEqualTo(DecryptionException.Kind.TAMPERED);
        assertThat(c.recordType()).isEqualTo("CIPHER");
        // Two encrypted page runs swapped (each would be valid where the other was).
        List<ImageRecords.Record> swapped = new ArrayList<>(rs);
        Collections.swap(swapped, firstPages, firstPages + 1);
        assertThat(kind(SealForgeryTest.rejected(withKey(), ImageRecords.assemble(image, swapped),
                DecryptionException.class))).isEqualTo(DecryptionException.Kind.TAMPERED);
    }

    @Test
    void aClearRecordAmongEncryptedOnesAndAnEncryptedOneInAClearImageAreInvalid() throws IOException {
        byte[] image = encrypted();
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        ImageRecords.Record r = rs.get(3);
        rs.set(3, new ImageRecords.Record(0, r.type(), r.flags() & ~ImageSeals.FLAG_ENCRYPTED, 0, r.payload()));
        assertThat(SealForgeryTest.rejected(withKey(), ImageRecords.assemble(image, rs), InvalidImageException.class))
                .hasMessageContaining("is not encrypted");
        byte[] plain = SealedImageTest.image(SealedImageTest.writer());
        List<ImageRecords.Record> ps = new ArrayList<>(ImageRecords.parse(plain));
        ImageRecords.Record q = ps.get(3);
        ps.set(3, new ImageRecords.Record(0, q.type(), q.flags() | ImageSeals.FLAG_ENCRYPTED, 0,
                Arrays.copyOf(q.payload(), q.payload().length + 16)));
        assertThat(SealForgeryTest.rejected(withKey(), ImageRecords.assemble(plain, ps), InvalidImageException.class))
                .hasMessageContaining("nothing is encrypted here");
    }

    @Test
    void theHeadFlagAndTheCipherRecordComeTogether() throws IOException {
        byte[] image = encrypted();
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(image));
        byte[] head = rs.get(0).payload().clone();
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 0);
        rs.set(0, new ImageRecords.Record(0, RecordTypes.HEAD, 0, 0, head));
        // Without the flag, the CIPHER record has no place (and what follows is flagged encrypted).
        SealForgeryTest.rejected(withKey(), ImageRecords.assemble(image, rs), InvalidImageException.class);
        byte[] plain = SealedImageTest.image(SealedImageTest.writer());
        List<ImageRecords.Record> ps = new ArrayList<>(ImageRecords.parse(plain));
        byte[] h = ps.get(0).payload().clone();
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putShort(2, (short) 3).putInt(4, (int) ImageInfo.FLAG_ENCRYPTED);
        ps.set(0, new ImageRecords.Record(0, RecordTypes.HEAD, 0, 0, h));
        assertThat(SealForgeryTest.rejected(withKey(), ImageRecords.assemble(plain, ps), InvalidImageException.class))
                .hasMessageContaining("CIPHER record right after ARCH_HEAD");
        // ... and the flag needs format 1.3.
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putShort(2, (short) 2);
        ps.set(0, new ImageRecords.Record(0, RecordTypes.HEAD, 0, 0, h));
        SealForgeryTest.rejected(withKey(), ImageRecords.assemble(plain, ps), InvalidImageException.class);
    }

    @Test
    void anAbortedEncryptedImageKeepsItsMessageSecret() {
        Vma bad = Vma.anonymous(0x10000, 0x11000, PageData.of(0x20000, new byte[4096]));
        Task t = Task.builder().pid(3).comm("x").mm(AddressSpace.of(List.of(bad))).build();
        TestChannels.Sink sink = TestChannels.sink();
        assertThatThrownBy(() -> Checkpointer.builder().architecture(TestArch.NAME).encrypt(ID, TestKeys.aes()).build()
                .checkpoint(t, sink)).hasMessageContaining("vma 0x10000");
        byte[] image = sink.toByteArray();
        List<ImageRecords.Record> rs = ImageRecords.parse(image);
        assertThat(rs.get(rs.size() - 1).type()).isEqualTo(RecordTypes.ERROR);
        assertThat(rs.get(rs.size() - 1).flags()).isEqualTo(ImageSeals.FLAG_ENCRYPTED);
        assertThatThrownBy(() -> withKey().restart(TestChannels.source(image)))
                .isInstanceOf(AbortedImageException.class).hasMessageContaining("outside the area");
        assertThatThrownBy(() -> Restarter.builder().build().scan(TestChannels.source(image), null))
                .isInstanceOf(AbortedImageException.class).hasMessageContaining("its message is encrypted");
    }

    @Test
    void encryptedPageRunsLeaveRoomForTheirTag() throws IOException {
        // Room for two pages in a plain PAGES record, not in an encrypted one (16 more bytes).
        Limits tight = Limits.DEFAULTS.withMaxRecordSize(16 + 2 * 4096 + 8);
        List<Task> tasks = List.of(secretTask());
        for (boolean encrypt : new boolean[] {false, true}) {
            TestChannels.Sink sink = TestChannels.sink();
            Checkpointer.Builder b = Checkpointer.builder().architecture(TestArch.NAME).limits(tight);
            (encrypt ? b.encrypt(ID, TestKeys.aes()) : b).build().checkpoint(tasks, sink);
            List<ImageRecords.Record> rs = ImageRecords.parse(sink.toByteArray());
            assertThat(rs).allMatch(r -> r.payload().length <= tight.maxRecordSize());
            assertThat(rs.stream().filter(r -> r.type() == RecordTypes.PAGES).count()).isEqualTo(encrypt ? 2 : 1);
            RestartResult r = Restarter.builder().limits(tight).decryptionKey(ID, TestKeys.aes()).build()
                    .restart(TestChannels.source(sink.toByteArray()));
            CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(tasks);
        }
    }

    @Test
    void fromAFileMappedOrNotTheSameChecksApply(@TempDir Path dir) throws IOException {
        byte[] image = SealedImageTest.image(SealedImageTest.writer().encrypt(ID, TestKeys.aes())
                .seal(ID, TestKeys.hmac()));
        Path file = dir.resolve("image.ckpt");
        Files.write(file, image);
        for (boolean mapped : new boolean[] {false, true}) {
            Restarter r = Restarter.builder().mapImmutableFiles(mapped).trust(ID, TestKeys.hmac())
                    .decryptionKey(ID, TestKeys.aes()).build();
            try (FileChannel in = FileChannel.open(file)) {
                CkptAssertions.assertThatTasks(r.restart(in).tasks()).isEquivalentTo(SealedImageTest.TASKS);
            }
        }
        // A sealed image read through mappings is hashed as it is copied.
        byte[] sealedOnly = SealedImageTest.image(SealedImageTest.writer().seal(ID, TestKeys.hmac()));
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(sealedOnly));
        int pages = -1;
        for (int i = 0; i < rs.size(); i++) {
            if (rs.get(i).type() == RecordTypes.PAGES) {
                pages = i;
            }
        }
        byte[] p = rs.get(pages).payload().clone();
        p[20] ^= 1;
        rs.set(pages, new ImageRecords.Record(0, RecordTypes.PAGES, 0, 0, p));
        byte[] forged = ImageRecords.assemble(sealedOnly, rs);
        Files.write(file, forged);
        Restarter mapping = Restarter.builder().mapImmutableFiles(true).trust(ID, TestKeys.hmac()).build();
        try (FileChannel in = FileChannel.open(file)) {
            assertThatThrownBy(() -> mapping.restart(in)).isInstanceOf(SealException.class);
        }
    }

    @Test
    void keysAreCheckedWhenTheBuilderTakesThem() {
        assertThatThrownBy(() -> Checkpointer.builder().encrypt(ID, new SecretKeySpec(new byte[16], "AES")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AES-256");
        assertThatThrownBy(() -> Checkpointer.builder().encrypt(ID, TestKeys.hmac()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AES key");
        assertThatThrownBy(() -> Checkpointer.builder().seal(ID, new SecretKeySpec(new byte[31], "HmacSHA256")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 32 bytes");
        assertThatThrownBy(() -> Checkpointer.builder().seal("", TestKeys.hmac()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 to 255 bytes");
        assertThatThrownBy(() -> Checkpointer.builder().seal("x".repeat(256), TestKeys.hmac()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Restarter.builder().decryptionKey(ID, new SecretKeySpec(new byte[32], "DES")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** A merge writes its head in the clear: encrypted, it names the machine only if told to, as a checkpoint does. */
    @Test
    void anEncryptedMergeOfAPlainImageNamesNoMachine() throws IOException {
        Uname machine = new Uname("Linux", "build-7", "6.1", "#1", "x86_64");
        TestChannels.Sink plain = TestChannels.sink();
        Checkpointer.builder().architecture(TestArch.NAME).uname(machine).build().checkpoint(secretTask(), plain);
        Restarter reader = Restarter.builder().build();

        TestChannels.Sink merged = TestChannels.sink();
        Checkpointer.builder().architecture(TestArch.NAME).encrypt(ID, TestKeys.aes()).build()
                .merge(reader, TestChannels.source(plain.toByteArray()), merged);
        RestartResult r = withKey().restart(TestChannels.source(merged.toByteArray()));
        assertThat(r.info().uname()).isEqualTo(new Uname("", "", "", "", ""));
        assertThat(contains(merged.toByteArray(), "build-7".getBytes(StandardCharsets.US_ASCII))).isFalse();
        CkptAssertions.assertThatTasks(r.tasks()).isEquivalentTo(List.of(secretTask()));

        TestChannels.Sink kept = TestChannels.sink();
        Checkpointer.builder().architecture(TestArch.NAME).build()
                .merge(reader, TestChannels.source(plain.toByteArray()), kept);
        assertThat(reader.restart(TestChannels.source(kept.toByteArray())).info().uname()).isEqualTo(machine);
    }
}
