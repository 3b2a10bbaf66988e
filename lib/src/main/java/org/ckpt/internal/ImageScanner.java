package org.ckpt.internal;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import org.ckpt.ImageEncryption;
import org.ckpt.ImageInfo;
import org.ckpt.ImageRecord;
import org.ckpt.ImageScan;
import org.ckpt.ImageSeal;
import org.ckpt.spi.ArchHead;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.RecordTypes;

/**
 * A record-level pass over an image that interprets only what needs no key and no provider:
 * head, framing and checksums of every record, the end of an encrypted image, the seal and the
 * tail. What a tool can say of an encrypted image without its key (docs/FORMAT.md §17.6).
 */
public final class ImageScanner {
    private ImageScanner() {
    }

    public static ImageScan scan(Registry registry, Limits limits, ReadableByteChannel channel, Duration stallTimeout,
                                 RestartSession.Trust trust, boolean hashThread, Consumer<ImageRecord> records)
            throws IOException {
        ImageReader in = new ImageReader(channel, limits.maxRecordSize(), limits.maxStringLength(), stallTimeout,
                false);
        in.recordListener(records);
        if (trust.requiresSeal()) {
            in.hashForSeal(hashThread);
        }
        in.readMagic();
        long headAt = in.recordOffset();
        ImageInfo head = Records.readHead(in.next(RecordTypes.HEAD), limits);
        RestartSession.checkReplay(trust, head, headAt);
        ArchHead archHead = null;
        ArchProvider arch = (head.flags() & ImageInfo.FLAG_NO_ARCH) != 0 ? null : registry.arch(head.architecture());
        if (arch != null) {
            in.archTypes(arch.recordTypes());
            archHead = arch.readArchHead(head.architecture(), in.next(RecordTypes.ARCH_HEAD));
        } else {
            int t = in.peekType();
            if (t != RecordTypes.ARCH_HEAD) {
                throw in.unexpected(t, "ARCH_HEAD");
            }
            long at = in.recordOffset();
            PayloadReader ah = in.skipPeeked();
            if ((head.flags() & ImageInfo.FLAG_NO_ARCH) != 0 && ah.remaining() != 0) {
                throw new InvalidImageException("ARCH_HEAD", at, "an image with head flag NO_ARCH has an ARCH_HEAD of "
                        + ah.remaining() + " bytes; it must be empty");
            }
        }
        head = new ImageInfo(head.formatMajor(), head.formatMinor(), head.flags(), head.checkpointId(),
                head.created(), head.pageSize(), head.taskCount(), head.producerName(), head.producerVersion(),
                head.architecture(), archHead, head.uname());
        byte[] headDigest = in.headDigest();
        boolean encrypted = (head.flags() & ImageInfo.FLAG_ENCRYPTED) != 0;
        ImageEncryption encryption = encrypted ? RestartSession.openCipher(in, trust, headDigest, false) : null;
        RestartSession.End end = new RestartSession.End(in, trust, head, encrypted);
        ImageSeal seal = null;
        while (true) {
            int type = in.peekType();
            end.before(type);
            if (type == RecordTypes.TAIL) {
                break;
            }
            if (type == RecordTypes.CIPHER) {
                end.closingCipher();
            } else if (type == RecordTypes.SEAL) {
                seal = end.seal();
            } else {
                in.skipPeeked();
            }
        }
        long recordsBefore = in.recordsBefore();
        long bytes = in.recordOffset();
        long crc = in.crcBeforeRecord();
        Records.readTail(in.next(RecordTypes.TAIL), recordsBefore, bytes, crc);
        in.expectEnd();
        return new ImageScan(head, Optional.ofNullable(seal), Optional.ofNullable(encryption), in.offset(),
                in.records());
    }
}
