package org.ckpt.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;
import org.ckpt.ImageRecord;
import org.ckpt.ImageScan;
import org.ckpt.Inspection;
import org.ckpt.ParentResolver;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.spi.RestorePolicy;

/**
 * Reading images named on the command line — files, FIFOs, {@code /dev/stdin},
 * {@code -} (standard input) or URIs ({@code s3://BUCKET/KEY}, {@link Stores}) — in one
 * sequential pass, never seeking, with one-line errors. The restart copies every payload
 * into memory of its own (the library's default): an image file changed while it is read
 * cannot change what was verified.
 */
final class Images {
    private Images() {
    }

    /** Opens an image for reading; a missing or unreadable file is a usage error (exit 2). */
    static ReadableByteChannel open(String name, Io io) throws CliException {
        if (name.equals("-")) {
            return io.stdin();
        }
        if (Stores.isUri(name)) {
            return io.stores.open(name);
        }
        Path file = Path.of(name);
        if (Files.isDirectory(file)) {
            throw CliException.usage(file + " is a directory, not an image file");
        }
        try {
            return FileChannel.open(file);
        } catch (NoSuchFileException e) {
            throw CliException.usage("no such file: " + file);
        } catch (AccessDeniedException e) {
            throw CliException.usage("permission denied: cannot read " + file);
        } catch (IOException e) {
            throw CliException.usage("cannot open " + file + ": " + e.getMessage());
        }
    }

    /** The size of a regular file (for the progress bar), or 0 for a stream. */
    static long size(String name) {
        try {
            Path p = Path.of(name);
            return !name.equals("-") && !Stores.isUri(name) && Files.isRegularFile(p) ? Files.size(p) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The {@code --policy} option: {@code null} (the image's own), {@code linux-user} or {@code exact}. */
    static RestorePolicy policy(String v) throws CliException {
        if (v == null) {
            return null;
        }
        return switch (v.toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "linux-user" -> RestorePolicy.LINUX_USER;
            case "exact" -> RestorePolicy.EXACT;
            default -> throw CliException.usage("invalid value for option --policy: '" + v
                    + "' (expected linux-user or exact)");
        };
    }

    /**
     * A restarter under {@code policy} (null: the image's own) with the keys of {@code --trust-key}
     * and {@code --decrypt-key}, finding the parents of an incremental image with {@code parents}
     * (null: none). The chain's parents are read with the same keys and trust as the image.
     */
    static Restarter restarter(RestorePolicy policy, Progress p, KeyOptions.Reading keys, ParentResolver parents) {
        Restarter.Builder b = Restarter.builder().progressListener(p);
        if (policy != null) {
            b.policy(policy);
        }
        keys.apply(b);
        if (parents != null) {
            b.parents(parents);
        }
        return b.build();
    }

    /** A full restart into the model, with a progress bar on a terminal; parents in the image's directory. */
    static RestartResult restart(String name, Io io, RestorePolicy policy) throws IOException, CliException {
        return restart(name, io, policy, KeyOptions.Reading.NONE, Chains.resolver(name, null));
    }

    /** A full restart into the model of an image and, if it is incremental, its chain. */
    static RestartResult restart(String name, Io io, RestorePolicy policy, KeyOptions.Reading keys,
                                 ParentResolver parents) throws IOException, CliException {
        try (ReadableByteChannel in = open(name, io);
             Progress p = Progress.of(io.err, "reading " + Path.of(name).getFileName(), size(name))) {
            return restarter(policy, p, keys, parents).restart(in);
        }
    }

    /** {@link Restarter#inspect}: the image as it is, and whether it passes the check phase. */
    static Inspection inspect(String name, Io io, Consumer<ImageRecord> records, RestorePolicy policy)
            throws IOException, CliException {
        return inspect(name, io, records, policy, KeyOptions.Reading.NONE);
    }

    /** {@link #inspect(String, Io, Consumer, RestorePolicy)} with keys; parents in the image's directory. */
    static Inspection inspect(String name, Io io, Consumer<ImageRecord> records, RestorePolicy policy,
                              KeyOptions.Reading keys) throws IOException, CliException {
        return inspect(name, io, records, policy, keys, Chains.resolver(name, null));
    }

    /** {@link #inspect(String, Io, Consumer, RestorePolicy)} with keys, the parents found with {@code parents}. */
    static Inspection inspect(String name, Io io, Consumer<ImageRecord> records, RestorePolicy policy,
                              KeyOptions.Reading keys, ParentResolver parents) throws IOException, CliException {
        try (ReadableByteChannel in = open(name, io);
             Progress p = Progress.of(io.err, "reading " + Path.of(name).getFileName(), size(name))) {
            return restarter(policy, p, keys, parents).inspect(in, records);
        }
    }

    /**
     * {@link Restarter#scan}: framing, checksums, tail and (with trusted keys) the seal, without
     * interpreting the records — what can be said of an encrypted image without its key.
     */
    static ImageScan scan(String name, Io io, Consumer<ImageRecord> records, KeyOptions.Reading keys)
            throws IOException, CliException {
        try (ReadableByteChannel in = open(name, io);
             Progress p = Progress.of(io.err, "reading " + Path.of(name).getFileName(), size(name))) {
            return restarter(null, p, keys, null).scan(in, records);
        }
    }

    /**
     * Whether {@code e} says an encrypted image was read without its key: then only a scan can say
     * more. Not when the key missing is a parent's (the trail names the chain link): that image
     * itself was read, and the failure is the chain's.
     */
    static boolean missingKey(Exception e) {
        return e instanceof org.ckpt.spi.DecryptionException d
                && (d.kind() == org.ckpt.spi.DecryptionException.Kind.NO_KEY
                || d.kind() == org.ckpt.spi.DecryptionException.Kind.UNKNOWN_KEY)
                && !d.trail().startsWith("chain ");
    }

    /** One line on an image's seal and encryption, or null for an image that has neither. */
    static String protection(java.util.Optional<org.ckpt.ImageSeal> seal,
                             java.util.Optional<org.ckpt.ImageEncryption> encryption, KeyOptions.Reading keys) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        seal.ifPresent(s -> parts.add("sealed (" + s.algorithm() + ") by key id " + s.keyId() + ", "
                + (s.verified() ? "seal verified" : "seal not verified (no --trust-key)")));
        encryption.ifPresent(e -> parts.add("encrypted (" + e.cipher() + ") under key id " + e.keyId()
                + (e.decrypted() ? "" : ", contents not read (no --decrypt-key for it)")));
        if (parts.isEmpty()) {
            return keys.trusts() ? null : "not sealed";
        }
        return String.join("; ", parts);
    }
}
