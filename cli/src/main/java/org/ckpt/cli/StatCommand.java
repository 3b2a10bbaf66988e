package org.ckpt.cli;

import java.io.PrintWriter;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.ckpt.ImageObject;
import org.ckpt.ImageRecord;
import org.ckpt.Inspection;
import org.ckpt.RestartResult;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/** {@code ckpt stat}: what an image is made of, and how fast it reads. */
final class StatCommand implements Command {
    static final Spec SPEC = new Spec("stat", "Bytes by record type, pages in and out of the image, read throughput.")
            .describe("Measure an image: bytes and records by record type, pages in the image and pages left out "
                    + "(zero or never touched in anonymous areas, left to the file in private file mappings), "
                    + "and the time and throughput of reading and validating it.")
            .param("FILE", "The image: a file, '-' for standard input, or s3://BUCKET/KEY.")
            .storeOptions(false)
            .flag("Print JSON for scripts (numbers as numbers, the time in milliseconds).", "--json")
            .option("KEYS", "Trust seals by these keys, and only them (several joined by commas). "
                    + KeyOptions.FORMATS + ".", "--trust-key")
            .option("KEYS", "Decrypt with these AES-256 keys (several joined by commas). " + KeyOptions.FORMATS + ".",
                    "--decrypt-key");

    @Override
    public Spec spec() {
        return SPEC;
    }

    private static final class Count {
        long records;
        long bytes;
    }

    @Override
    public int run(Spec.Parsed a, Io io) throws Exception {
        String file = a.param(0);
        boolean json = a.has("--json");
        Map<String, Count> byType = new TreeMap<>();
        Inspection in = Images.inspect(file, io, r -> add(byType, r), null, KeyOptions.Reading.of(a));
        RestartResult r = in.image();
        int ps = r.info().pageSize();

        long areas = 0;
        long spanPages = 0;
        long absentAnon = 0;
        long absentFile = 0;
        Map<AddressSpace, Boolean> seen = new IdentityHashMap<>();
        for (Task t : in.imageTasks()) {
            if (t.mm() == null || seen.put(t.mm(), true) != null) {
                continue;
            }
            for (Vma v : t.mm().vmas()) {
                areas++;
                long span = (v.end() - v.start()) / ps;
                long present = PageRuns.pages(PageRuns.of(v.pages(), ps));
                spanPages += span;
                if (v.file() != null && !v.isShared()) {
                    absentFile += span - present;
                } else {
                    absentAnon += span - present;
                }
            }
        }
        Map<String, Long> objects = new TreeMap<>();
        for (ImageObject o : in.objects()) {
            objects.merge(o.typeName(), 1L, Long::sum);
        }

        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("file", file);
        tree.put("bytes", r.bytesRead());
        tree.put("records", r.recordsRead());
        Map<String, Object> types = new LinkedHashMap<>();
        Map<String, Object> magic = new LinkedHashMap<>();
        magic.put("records", 0);
        magic.put("bytes", 8);
        types.put("magic", magic);
        for (Map.Entry<String, Count> e : byType.entrySet()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("records", e.getValue().records);
            c.put("bytes", e.getValue().bytes);
            types.put(e.getKey(), c);
        }
        tree.put("by_type", types);
        tree.put("tasks", r.tasks().size());
        tree.put("objects", objects);
        tree.put("address_spaces", seen.size());
        tree.put("areas", areas);
        tree.put("page_size", ps);
        tree.put("pages_mapped", spanPages);
        tree.put("pages_in_image", r.pagesRead());
        tree.put("pages_absent_anonymous", absentAnon);
        tree.put("pages_absent_file", absentFile);
        tree.put("read_ms", Fmt.ms(r.elapsed()));
        tree.put("read_mib_per_second", Fmt.mibPerSecond(r.bytesRead(), r.elapsed()));

        PrintWriter out = io.out;
        if (json) {
            out.println(Tree.json(tree));
            out.flush();
            return Main.OK;
        }
        out.println(file + ": " + Fmt.bytes(r.bytesRead()) + " (" + Fmt.count(r.bytesRead()) + " bytes), "
                + Fmt.plural(r.recordsRead(), "record") + ", " + r.info().architecture() + ", page size " + ps);
        out.printf("%-12s %9s %14s %7s%n", "record type", "records", "bytes", "share");
        out.printf("%-12s %9s %14s %7s%n", "(magic)", "", "8", pct(8, r.bytesRead()));
        for (Map.Entry<String, Count> e : byType.entrySet()) {
            out.printf("%-12s %9s %14s %7s%n", e.getKey(), Fmt.count(e.getValue().records),
                    Fmt.count(e.getValue().bytes), pct(e.getValue().bytes, r.bytesRead()));
        }
        out.println("tasks: " + r.tasks().size() + "; objects: " + objects + "; " + Fmt.plural(areas, "area") + " in "
                + Fmt.plural(seen.size(), "address space"));
        out.println("pages: " + Fmt.count(r.pagesRead()) + " in the image (" + Fmt.bytes(r.pagesRead() * ps)
                + ") of " + Fmt.count(spanPages) + " mapped; left out: " + Fmt.count(absentAnon)
                + " in anonymous or shared areas (zero or never touched: read back as zero), "
                + Fmt.count(absentFile) + " in private file mappings (clean: come from the file)");
        out.println("read and validated in " + Fmt.seconds(r.elapsed()) + ": " + Fmt.rate(r.bytesRead(), r.elapsed()));
        out.flush();
        return Main.OK;
    }

    private static void add(Map<String, Count> byType, ImageRecord r) {
        Count c = byType.computeIfAbsent(r.typeName(), k -> new Count());
        c.records++;
        c.bytes += r.size();
    }

    private static String pct(long part, long whole) {
        return String.format(Locale.ROOT, "%.1f%%", whole == 0 ? 0 : 100.0 * part / whole);
    }
}
