package org.ckpt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.spi.RestorePolicy;

/** {@code ckpt import-core}: an ELF core file as an image. */
final class ImportCoreCommand implements Command {
    static final Spec SPEC = new Spec("import-core",
            "Turn an ELF core file (gcore's or the kernel's; x86_64, i386, ppc64, ppc32) into an image.")
            .describe("Every thread of the core (NT_PRSTATUS) becomes a task with the CPU state of its register "
                    + "notes, decoded by the architecture modules; the PT_LOAD segments become its areas (file-backed "
                    + "where NT_FILE says so; a segment the core left empty comes from its file on restart); "
                    + "NT_PRPSINFO, NT_AUXV and NT_SIGINFO become task info. A core has no descriptors. Areas above "
                    + "the user address limit (the vsyscall page of kernel cores) are left out.")
            .param("CORE", "The core file.")
            .option("FILE", "(required) The image to write: a file, s3://BUCKET/KEY, or '-' for standard output; "
                    + "written atomically (an upload is committed only when the image is complete).", "-o", "--output")
            .option("POLICY", "Check the registers under this restore policy: linux-user (default) or exact.",
                    "--policy")
            .storeOptions(true);

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Spec.Parsed a, Io io) throws Exception {
        Path core = Path.of(a.param(0));
        String out = a.string("--output");
        if (a.has("--chunked") && !Stores.isUri(out)) {
            throw SPEC.usage("--chunked is for images in object storage (-o s3://BUCKET/KEY)");
        }
        RestorePolicy policy = Images.policy(a.string("--policy"));
        if (policy == null) {
            policy = RestorePolicy.LINUX_USER;
        }
        if (Files.isDirectory(core)) {
            throw CliException.usage(core + " is a directory, not a core file");
        }
        // an image in a store: its bucket looked at before the core is read
        ImageOutput store = Stores.isUri(out) ? ImageOutput.of(out, io.stores) : null;
        try (FileChannel ch = FileChannel.open(core)) {
            if (store != null) {
                store.check();
            }
            probe(ch, core);
            String arch = ElfCore.read(ch).arch().architecture;
            long limit = DumpCommand.provider(arch).addressLimit(arch, policy);
            CoreImport imp = CoreImport.read(ch, core, 4096, limit);
            Checkpointer ckpt = Checkpointer.builder().architecture(arch).pageSize(4096)
                    .policy(policy).build();
            CheckpointResult r = out.equals("-") ? ckpt.checkpoint(imp.tasks, io.stdout())
                    : store != null ? store.write(o -> ckpt.checkpoint(imp.tasks, o))
                    : ckpt.checkpoint(imp.tasks, checked(Path.of(out)));
            PrintWriter text = out.equals("-") ? io.err : io.out;
            text.println("imported " + core + " (" + arch + " core, " + Fmt.plural(imp.tasks.size(), "thread")
                    + ", " + Fmt.plural(imp.areas, "segment") + ", " + Fmt.count(imp.pages) + " pages) into " + out
                    + ": " + Fmt.bytes(r.bytesWritten()) + ", " + Fmt.count(r.pagesWritten()) + " pages written, "
                    + Fmt.count(r.zeroPagesSkipped()) + " zero pages skipped");
            for (String n : imp.notes) {
                text.println("  " + n);
            }
            text.flush();
            return Main.OK;
        } catch (NoSuchFileException e) {
            throw CliException.usage("no such file: " + core);
        } catch (AccessDeniedException e) {
            throw CliException.usage("permission denied: cannot read " + core);
        } finally {
            if (store != null) {
                store.close();
            }
        }
    }

    private static Path checked(Path out) throws CliException {
        DumpCommand.checkOutput(out);
        return out;
    }

    private static void probe(FileChannel ch, Path core) throws IOException, CliException {
        if (ch.size() < 16) {
            throw CliException.failed(core + " is not an ELF core file (" + ch.size() + " bytes)");
        }
    }
}
