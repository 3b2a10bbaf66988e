package org.ckpt.cli;

import java.io.PrintWriter;
import java.util.List;
import org.ckpt.ImageScan;
import org.ckpt.Inspection;
import org.ckpt.RestartResult;
import org.ckpt.spi.RestorePolicy;

/** {@code ckpt verify}: everything a restart checks, without a target. */
final class VerifyCommand implements Command {
    static final Spec SPEC = new Spec("verify", "Check everything a restart would check; exit 0 valid, 1 invalid.")
            .describe("Check everything a restart would check, without a target: framing, every record and image "
                    + "checksum, limits, references, address ranges, and the architecture's register rules of the "
                    + "restore policy the image was written under (or --policy).")
            .describe("Exit 0 when valid; 1 with the library's message (record type, offset, reason) when not. "
                    + "Reads in one pass: files, FIFOs, /dev/stdin and '-' alike.")
            .param("FILE", "The image: a file, '-' for standard input, or s3://BUCKET/KEY.")
            .describe("Sealed images (docs/FORMAT.md §17): with --trust-key only an image sealed by one of the given "
                    + "keys is valid — an unsealed image, a seal by another key, any byte changed after sealing, a "
                    + "seal copied from another image, an image cut after its seal each exit 1 with the reason. "
                    + "Without --trust-key a seal is read but not verified (the output says so). An encrypted image "
                    + "needs --decrypt-key to be checked whole; without it, its framing, checksums, tail and (with "
                    + "--trust-key) seal are checked and the output says that its contents were not.")
            .storeOptions(false)
            .option("POLICY", "Check under this restore policy (linux-user or exact) instead of the image's own.",
                    "--policy")
            .option("PATH", "Where the parents of an incremental image are: a directory, or an image file (default: "
                    + "the image's directory). Every image of the chain is verified, and each against its child's "
                    + "pin (its exact bytes), with the same --trust-key and --decrypt-key as the image.", "--parents")
            .option("KEYS", "Trust seals by these keys, and only them (several joined by commas). "
                    + KeyOptions.FORMATS + ".", "--trust-key")
            .option("KEYS", "Decrypt with these AES-256 keys (several joined by commas). " + KeyOptions.FORMATS + ".",
                    "--decrypt-key");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Spec.Parsed a, Io io) throws Exception {
        String file = a.param(0);
        RestorePolicy policy = Images.policy(a.string("--policy"));
        KeyOptions.Reading keys = KeyOptions.Reading.of(a);
        Chains.Parents parents = Chains.resolver(file, a.string("--parents"));
        PrintWriter out = io.out;
        Inspection in;
        try {
            in = Images.inspect(file, io, null, policy, keys, parents);
        } catch (org.ckpt.spi.ImageException e) {
            if (!Images.missingKey(e)) {
                throw e;
            }
            // Encrypted, and no key for it: check what needs none.
            ImageScan scan = Images.scan(file, io, null, keys);
            out.println(file + ": " + scan.info().architecture() + " image, " + Fmt.plural(scan.records(), "record")
                    + ", " + Fmt.bytes(scan.bytes()) + ": framing, checksums and tail valid; "
                    + Images.protection(scan.seal(), scan.encryption(), keys));
            out.flush();
            return Main.OK;
        }
        if (in.checkFailure().isPresent()) {
            throw in.checkFailure().get();
        }
        RestartResult r = in.result();
        List<Chains.Link> chain = Chains.chain(file, in, parents);
        out.println(file + ": valid " + r.info().architecture() + (chain.size() > 1 ? " incremental" : "")
                + " image, " + Fmt.plural(r.tasks().size(), "task")
                + ", " + Fmt.plural(r.recordsRead(), "record") + ", " + Fmt.plural(r.pagesRead(), "page") + ", "
                + Fmt.bytes(r.bytesRead()) + " verified in " + Fmt.seconds(r.elapsed()) + " ("
                + Fmt.rate(r.bytesRead(), r.elapsed()) + ") under " + (policy != null ? policy : r.info().policy())
                + " rules");
        String protection = Images.protection(in.seal(), in.encryption(), keys);
        if (protection != null) {
            out.println("  " + protection);
        }
        for (String line : Chains.describe(chain)) {
            out.println(line);
        }
        String seals = Chains.seals(chain, in);
        if (seals != null) {
            out.println("  " + seals);
        }
        out.flush();
        return Main.OK;
    }
}
