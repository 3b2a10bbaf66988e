package org.ckpt.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.ImageInfo;
import org.ckpt.ImageTail;
import org.ckpt.Inspection;
import org.ckpt.ParentLink;
import org.ckpt.ParentResolver;

/**
 * Incremental images on the command line (docs/FORMAT.md §15): where the parents of an image
 * are found — among files named, or in a directory (by default the image's own) — which file
 * each one was, and the chain an inspection read, for {@code show}, {@code verify},
 * {@code diff}, {@code restart} and {@code merge}.
 */
final class Chains {
    private Chains() {
    }

    /**
     * The parents of images: image files among {@code candidates} (directories stand for the files
     * in them), chosen as {@link ParentResolver#directory} chooses — the head carries the link's
     * id; among several, the one whose tail matches the link's pin — remembering the file of each.
     */
    static final class Parents implements ParentResolver {
        private final List<Path> candidates;
        final Map<Long, Path> found = new LinkedHashMap<>();

        Parents(List<Path> candidates) {
            this.candidates = List.copyOf(candidates);
        }

        @Override
        public ReadableByteChannel open(ParentLink link) throws IOException {
            Path f = fileOf(link);
            if (f == null) {
                return null;
            }
            found.put(link.checkpointId(), f);
            return FileChannel.open(f);
        }

        /** The file that holds the parent {@code link} names, or null. */
        Path fileOf(ParentLink link) throws IOException {
            return ParentResolver.find(files(), link);
        }

        private List<Path> files() throws IOException {
            List<Path> out = new ArrayList<>();
            for (Path c : candidates) {
                if (Files.isDirectory(c)) {
                    try (DirectoryStream<Path> d = Files.newDirectoryStream(c)) {
                        for (Path f : d) {
                            if (Files.isRegularFile(f)) {
                                out.add(f);
                            }
                        }
                    }
                } else if (Files.isRegularFile(c)) {
                    out.add(c);
                }
            }
            return out;
        }
    }

    /**
     * The parents of image {@code name}: in {@code parents} (a directory or an image file) when
     * given, else in the image's directory (the current one for standard input; none for an image
     * named by URI).
     */
    static Parents resolver(String name, String parents) throws CliException {
        if (parents != null) {
            if (Stores.isUri(parents)) {
                throw CliException.usage("--parents: parents are looked for in local files, not in " + parents);
            }
            Path p = Path.of(parents);
            if (!Files.exists(p)) {
                throw CliException.usage("--parents: no such file or directory: " + p);
            }
            return new Parents(List.of(p));
        }
        if (name.equals("-")) {
            return new Parents(List.of(Path.of("").toAbsolutePath()));
        }
        if (Stores.isUri(name)) {
            // an image in a store: its parents are not looked for there, only in --parents
            return new Parents(List.of());
        }
        Path dir = Path.of(name).toAbsolutePath().getParent();
        return new Parents(dir == null ? List.of() : List.of(dir));
    }

    /**
     * What the head of an image file says: its id, whether it is encrypted and, for an incremental
     * image in clear, its link (an encrypted image's {@code PARENT} record is encrypted: null).
     */
    record Head(long id, boolean encrypted, ParentLink parent) {
    }

    /**
     * The checkpoint id, the encryption flag and the {@code PARENT} link of an image file, read
     * from its first records without verifying them (the restart does), or null if it is no image.
     */
    static Head head(Path f) {
        ByteBuffer b = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel in = FileChannel.open(f)) {
            while (b.hasRemaining() && in.read(b) >= 0) {
                // fill
            }
        } catch (IOException e) {
            return null;
        }
        int n = b.position();
        // magic (8), then records: type u32, flags u32, length u32, crc u32, payload padded to 8
        if (n < 48 || b.get(0) != (byte) 0x89 || b.get(1) != 'C' || b.get(2) != 'K' || b.getInt(8) != 1) {
            return null;
        }
        long id = b.getLong(8 + 16 + 8);
        boolean encrypted = (b.getInt(8 + 16 + 4) & ImageInfo.FLAG_ENCRYPTED) != 0;
        int at = 8;
        for (int record = 0; record < 3; record++) {
            if (at + 16 > n) {
                return new Head(id, encrypted, null);
            }
            int type = b.getInt(at);
            long length = b.getInt(at + 8) & 0xFFFF_FFFFL;
            if (record == 2 && type == 0x0006 && length == 32 && at + 48 <= n) {
                int p = at + 16;
                return new Head(id, encrypted, new ParentLink(b.getLong(p),
                        new ImageTail(b.getLong(p + 8), b.getLong(p + 16), b.getInt(p + 24)), b.getInt(p + 28)));
            }
            at += 16 + (int) ((length + 7) & ~7L);
        }
        return new Head(id, encrypted, null);
    }

    /** One image of the chain an inspection read, newest first. */
    record Link(long id, int depth, long bytes, String file, String created) {
    }

    /**
     * The images of the chain {@code in} read, newest first: ids, depths, sizes (the newest as
     * read, each parent as its child's pin says: {@code byte_count} + 48) and files.
     */
    static List<Link> chain(String file, Inspection in, Parents parents) {
        List<Link> out = new ArrayList<>();
        List<ImageInfo> infos = in.chain();
        List<ParentLink> links = in.links();
        for (int i = 0; i < infos.size(); i++) {
            ImageInfo h = infos.get(i);
            ParentLink own = links.get(i);
            int depth = own == null ? 0 : own.depth();
            long bytes = i == 0 ? in.image().bytesRead() : links.get(i - 1).tail().byteCount() + 48;
            String f = i == 0 ? file : parents == null ? null : String.valueOf(parents.found.get(h.checkpointId()));
            out.add(new Link(h.checkpointId(), depth, bytes, f, h.created().toString()));
        }
        return out;
    }

    /** The chain as JSON-ready maps. */
    static List<Object> tree(List<Link> chain) {
        List<Object> out = new ArrayList<>();
        for (Link l : chain) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("checkpoint_id", Fmt.hex(l.id()));
            m.put("depth", l.depth());
            m.put("bytes", l.bytes());
            m.put("file", l.file());
            m.put("created", l.created());
            out.add(m);
        }
        return out;
    }

    /**
     * What the seals of a chain came to, or null for a full image or a chain read without trusted
     * keys: a restarter that trusts keys reads every image of a chain as if it stood alone, so
     * the newest image's verified seal means every image's verified (docs/FORMAT.md §17.7).
     */
    static String seals(List<Link> chain, Inspection in) {
        if (chain.size() < 2 || !in.seal().map(s -> s.verified()).orElse(false)) {
            return null;
        }
        return "every image of the chain is sealed by a trusted key: " + chain.size() + " seals verified";
    }

    /** "chain of 3 images, depth 2: …" — one line per image, newest first; empty for a full image. */
    static List<String> describe(List<Link> chain) {
        if (chain.size() < 2) {
            return List.of();
        }
        long total = 0;
        for (Link l : chain) {
            total += l.bytes();
        }
        List<String> lines = new ArrayList<>();
        lines.add("incremental image: a chain of " + chain.size() + " images, depth " + chain.get(0).depth() + ", "
                + Fmt.bytes(total) + " in all (newest first):");
        for (Link l : chain) {
            lines.add("  " + Fmt.hex(l.id()) + "  depth " + l.depth() + (l.depth() == 0 ? " (full)" : "") + "  "
                    + Fmt.bytes(l.bytes()) + "  " + l.file());
        }
        return lines;
    }
}
