package org.ckpt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.Inspection;
import org.ckpt.Restarter;
import org.ckpt.spi.ImageException;

/** {@code ckpt merge}: an incremental image and its parents as one full image (compaction). */
final class MergeCommand implements Command {
    static final Spec SPEC = new Spec("merge", "Merge an incremental image and its parents into one full image.")
            .describe("Compaction of a chain of images (a full image and the incremental images dumped on it with "
                    + "'ckpt dump --parent'): the whole chain is read and verified — every image, and each against "
                    + "its child's pin — and its last image's tasks are written as one full image with the last "
                    + "image's head (checkpoint id, time, machine). The result restarts to exactly what the chain "
                    + "restarts to, needs no parent, and is byte for byte what merging a full image of the same "
                    + "tasks gives.")
            .describe("Name the chain's images in any order: the one no other names as its parent is merged, the "
                    + "others are its parents. Or name one image: its parents are found in its directory (or in "
                    + "--parents). FILE may be that image itself: it is replaced atomically (a temporary file, "
                    + "forced, renamed), as are all outputs but '-'.")
            .repeatedParam("IMAGE", "The chain's images, or the last one alone.")
            .option("FILE", "(required) The full image to write: a file, s3://BUCKET/KEY, or '-' for standard output "
                    + "(not atomic).", "-o", "--output")
            .option("PATH", "Where the parents are when one image is named: a directory or an image file (default: "
                    + "its directory).", "--parents")
            .flag("Write page digests into the result, so that a later 'dump --parent' on it need not hash it.",
                    "--digests")
            .describe("Sealed and encrypted chains (docs/FORMAT.md §17.7) are read as 'verify' reads them: with "
                    + "--trust-key every image must be sealed by one of the keys, and an encrypted image needs "
                    + "--decrypt-key for its key id. The result is sealed with --seal-key and encrypted with "
                    + "--encrypt-key, and only then; a warning says when the chain was and the result is not. "
                    + "Encrypted images named one by one are read once more to find which is the last.")
            .option("KEYS", "Trust seals by these keys, and only them (several joined by commas). "
                    + KeyOptions.FORMATS + ".", "--trust-key")
            .option("KEYS", "Decrypt with these AES-256 keys (several joined by commas). " + KeyOptions.FORMATS + ".",
                    "--decrypt-key")
            .option("KEY", "Seal the result with this key: an Ed25519 private key (PKCS#8 PEM) or an HMAC-SHA-256 "
                    + "secret of at least 32 bytes (raw or base64); [ID=]FILE.", "--seal-key")
            .option("KEY", "Encrypt the result's records (AES-256-GCM) under this AES-256 key (32 bytes, raw or "
                    + "base64): [ID=]FILE.", "--encrypt-key")
            .flag("Print the summary as JSON.", "--json")
            .describe("One image named by URI (s3://BUCKET/KEY) is read from its store; its parents, if any, are "
                    + "looked for in --parents only.")
            .storeOptions(true);

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Spec.Parsed a, Io io) throws Exception {
        List<String> images = a.params;
        if (images.size() > 1 && a.has("--parents")) {
            throw SPEC.usage("--parents is for one image; with several, they are the chain");
        }
        KeyOptions.Reading keys = KeyOptions.Reading.of(a);
        KeyOptions.Writing writing = KeyOptions.Writing.of(a);
        String last;
        Chains.Parents parents;
        if (images.size() == 1) {
            last = images.get(0);
            parents = Chains.resolver(last, a.string("--parents"));
        } else {
            for (String f : images) {
                if (Stores.isUri(f)) {
                    throw SPEC.usage("a chain named image by image is of files; " + f + " is not one");
                }
            }
            last = newest(images, keys);
            List<Path> files = new ArrayList<>();
            for (String f : images) {
                files.add(Path.of(f));
            }
            parents = new Chains.Parents(files);
        }
        String out = a.string("--output");
        if (a.has("--chunked") && !Stores.isUri(out)) {
            throw SPEC.usage("--chunked is for images in object storage (-o s3://BUCKET/KEY)");
        }
        try (ImageOutput output = out.equals("-") ? null : ImageOutput.of(out, io.stores)) {
            if (output != null) {
                output.check();
            }
            return merge(a, io, last, parents, keys, writing, out, output);
        }
    }

    private static int merge(Spec.Parsed a, Io io, String last, Chains.Parents parents, KeyOptions.Reading keys,
                             KeyOptions.Writing writing, String out, ImageOutput output)
            throws IOException, CliException {
        Inspection in = Images.inspect(last, io, null, null, keys, parents);
        Checkpointer.Builder mb = Checkpointer.builder().architecture(in.image().info().architecture())
                .pageDigests(a.has("--digests"));
        writing.apply(mb);
        Checkpointer merger = mb.build();
        List<Chains.Link> chain = Chains.chain(last, in, parents);
        CheckpointResult r = output == null ? merger.merge(in, io.stdout()) : output.write(o -> merger.merge(in, o));
        PrintWriter text = out.equals("-") ? io.err : io.out;
        if (in.encryption().isPresent() && writing.encrypt() == null) {
            io.err.println("ckpt merge: warning: the chain is encrypted, " + out + " is not (no --encrypt-key)");
        }
        if (in.seal().isPresent() && writing.seal() == null) {
            io.err.println("ckpt merge: warning: the chain is sealed, " + out + " is not (no --seal-key)");
        }
        long chainBytes = 0;
        for (Chains.Link l : chain) {
            chainBytes += l.bytes();
        }
        if (a.has("--json")) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("output", out);
            m.put("image", last);
            m.put("checkpoint_id", Fmt.hex(r.checkpointId()));
            m.put("bytes", r.bytesWritten());
            m.put("pages", r.pagesWritten());
            m.put("chain_bytes", chainBytes);
            m.put("chain", Chains.tree(chain));
            if (writing.seal() != null) {
                m.put("seal_key_id", writing.seal().keyId());
            }
            if (writing.encrypt() != null) {
                m.put("encryption_key_id", writing.encrypt().keyId());
            }
            text.println(Tree.json(m));
        } else {
            text.println("merged " + (chain.size() == 1 ? "the full image " + last + " (nothing to merge: rewritten)"
                    : "a chain of " + chain.size() + " images (depth " + chain.get(0).depth() + ", "
                    + Fmt.bytes(chainBytes) + ")") + " into " + out + ": a full image of "
                    + Fmt.plural(in.imageTasks().size(), "task") + ", " + Fmt.plural(r.pagesWritten(), "page") + ", "
                    + Fmt.bytes(r.bytesWritten()) + ", checkpoint id " + Fmt.hex(r.checkpointId())
                    + " (the last image's)");
            for (String line : Chains.describe(chain)) {
                text.println("  " + line);
            }
            if (writing.describe() != null) {
                text.println("  " + writing.describe());
            }
        }
        text.flush();
        return Main.OK;
    }

    /**
     * The image among {@code images} that no other names as its parent; exactly one, or a usage
     * error. An encrypted image's link is encrypted: such images are read whole with {@code keys}
     * for their depth, and the last is the deepest of those no image in clear names.
     */
    static String newest(List<String> images, KeyOptions.Reading keys) throws IOException, CliException {
        Set<Long> parentsNamed = new HashSet<>();
        Map<String, Long> ids = new LinkedHashMap<>();
        Map<String, Integer> depths = new LinkedHashMap<>();
        boolean encrypted = false;
        for (String f : images) {
            Path p = Path.of(f);
            if (f.equals("-") || !Files.isRegularFile(p)) {
                throw SPEC.usage("with several images, each must be an image file: " + f);
            }
            Chains.Head h = Chains.head(p);
            if (h == null) {
                throw CliException.failed(f + " is not a ckpt image");
            }
            ids.put(f, h.id());
            if (h.parent() != null) {
                parentsNamed.add(h.parent().checkpointId());
            }
            if (h.encrypted()) {
                encrypted = true;
                depths.put(f, depth(p, keys));
            } else {
                depths.put(f, h.parent() == null ? 0 : h.parent().depth());
            }
        }
        List<String> newest = new ArrayList<>();
        for (Map.Entry<String, Long> e : ids.entrySet()) {
            if (!parentsNamed.contains(e.getValue())) {
                newest.add(e.getKey());
            }
        }
        if (encrypted && newest.size() > 1) {
            int deepest = newest.stream().mapToInt(depths::get).max().getAsInt();
            newest.removeIf(f -> depths.get(f) < deepest);
        }
        if (newest.size() != 1) {
            throw SPEC.usage(newest.isEmpty() ? "the images name each other as parents: no last image"
                    : "the images are not one chain: " + String.join(", ", newest) + " are each no other's parent");
        }
        return newest.get(0);
    }

    /** The depth of an encrypted image, read whole with {@code keys} (its parent is not needed). */
    private static int depth(Path image, KeyOptions.Reading keys) throws IOException, CliException {
        Restarter.Builder b = Restarter.builder();
        keys.apply(b);
        try (FileChannel in = FileChannel.open(image)) {
            return b.build().parentImage(in).depth();
        } catch (ImageException e) {
            throw CliException.failed(image + " is an invalid image: " + e.getMessage());
        }
    }
}
