package org.ckpt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.ckpt.Inspection;
import org.ckpt.model.Task;

/** {@code ckpt export-core}: one process of an image as an ELF core file. */
final class ExportCoreCommand implements Command {
    static final Spec SPEC = new Spec("export-core", "Write one process of an image as an ELF core file gdb loads.")
            .describe("The core has what gdb's gcore writes: NT_PRPSINFO; per thread NT_PRSTATUS with the "
                    + "registers, NT_FPREGSET, NT_X86_XSTATE (i386 also NT_PRXFPREG and NT_386_TLS; PowerPC "
                    + "NT_PPC_VMX/VSX/SPE); NT_AUXV; NT_FILE; and one PT_LOAD per area with its whole contents: "
                    + "the image's pages, zeros (holes in the file) where the image has none, and the clean pages "
                    + "of private file mappings read from those files (which must still be there and unchanged; "
                    + "pages of files that are gone are written as zeros and counted).")
            .describe("Load it with: gdb PROGRAM CORE (or gdb -ex 'core-file CORE'). The image must hold registers: "
                    + "an image dumped with --leave-running has none.")
            .param("IMAGE", "The image: a file, '-' for standard input, or s3://BUCKET/KEY.")
            .storeOptions(false)
            .option("FILE", "(required) The core to write ('-' for standard output); written atomically.", "-o",
                    "--output")
            .option("PID", "The process to export, for an image of a process tree (default: the first).", "--pid")
            .flag("Print the summary as JSON.", "--json");

    @Override
    public Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Spec.Parsed a, Io io) throws Exception {
        String image = a.param(0);
        String out = a.string("--output");
        if (Stores.isUri(out)) {
            throw SPEC.usage("a core is written to a file or '-', not to " + out);
        }
        long pid = a.number("--pid", -1);
        Inspection in = Images.inspect(image, io, null, null);
        List<Task> threads = CoreExport.process(in.imageTasks(), pid);
        if (threads.isEmpty()) {
            throw CliException.usage(in.imageTasks().isEmpty() ? image + " holds no task" : "pid " + pid
                    + " is not a process of " + image);
        }
        String arch = in.image().info().architecture();
        int ps = in.image().info().pageSize();
        CoreExport.Summary s;
        if (out.equals("-")) {
            s = CoreExport.write(arch, ps, threads, io.stdout());
        } else {
            s = AtomicOutput.write(Path.of(out), ch -> CoreExport.write(arch, ps, threads, AtomicOutput.file(ch)));
        }
        PrintWriter text = out.equals("-") ? io.err : io.out;
        if (a.has("--json")) {
            text.println(Tree.json(CoreExport.json(s, out)));
        } else {
            text.println("wrote " + out + ": ELF core of pid " + s.pid() + " (" + s.comm() + "), " + s.architecture()
                    + ", " + Fmt.plural(s.threads(), "thread") + " with registers, " + Fmt.plural(s.areas(), "area")
                    + ", " + Fmt.bytes(s.bytes()) + " (" + Fmt.count(s.pagesFromImage()) + " pages from the image, "
                    + Fmt.count(s.pagesFromFiles()) + " from mapped files, the rest zero)");
            if (!s.missing().isEmpty()) {
                text.println("  files no longer there (their " + Fmt.count(s.pagesMissingFiles())
                        + " clean pages written as zeros): " + String.join(", ", s.missing()));
            }
        }
        text.flush();
        return Main.OK;
    }
}
