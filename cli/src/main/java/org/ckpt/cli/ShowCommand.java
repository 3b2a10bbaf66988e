package org.ckpt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ckpt.ImageRecord;
import org.ckpt.Inspection;
import org.ckpt.spi.ImageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "show", mixinStandardHelpOptions = true,
        header = "Show an image as a tree (or JSON), like crit show.",
        description = {
    "Show an image as a tree, like CRIU's crit show: head, objects with their objrefs and who shares "
            + "them, memory areas with their page runs, files, tasks and their CPU registers.",
    "The image is validated completely first; an invalid one exits 1 (use --records to see the "
            + "records before the failure)."})
final class ShowCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The image.")
    Path file;

    @Option(names = "--json", description = "Print JSON (the same tree) for scripts.")
    boolean json;

    @Option(names = "--records", description = "List the records instead (type, offset, flags, length); "
            + "works on invalid images up to the first bad record.")
    boolean records;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (records) {
            return records(out);
        }
        Inspection in = Images.inspect(file, spec.commandLine().getErr(), null);
        Map<String, Object> tree = ImageTree.build(file.toString(), in);
        out.print(json ? Tree.json(tree) + "\n" : Tree.text(tree));
        out.flush();
        return Main.OK;
    }

    private int records(PrintWriter out) throws Exception {
        List<Object> list = new ArrayList<>();
        ImageException failure = null;
        try {
            Images.inspect(file, spec.commandLine().getErr(), r -> list.add(record(r)));
        } catch (ImageException e) {
            failure = e;
        }
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("file", file.toString());
        tree.put("records", list);
        tree.put("valid", failure == null);
        if (failure != null) {
            tree.put("error", failure.getMessage());
        }
        if (json) {
            out.println(Tree.json(tree));
        } else {
            out.printf("%-10s %-12s %-5s %10s%n", "offset", "type", "flags", "length");
            for (Object o : list) {
                Map<?, ?> r = (Map<?, ?>) o;
                out.printf("%-10s %-12s %-5s %10s%n", r.get("offset"), r.get("type"), r.get("flags"), r.get("length"));
            }
            out.println(failure == null ? "valid image" : "invalid image: " + failure.getMessage());
        }
        out.flush();
        return failure == null ? Main.OK : Main.INVALID;
    }

    private static Map<String, Object> record(ImageRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("offset", r.offset());
        m.put("type", r.typeName());
        m.put("flags", r.flags());
        m.put("length", r.length());
        return m;
    }
}
