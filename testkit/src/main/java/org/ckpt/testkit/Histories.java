package org.ckpt.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileTable;
import org.ckpt.model.OpenFile;
import org.ckpt.model.PageData;
import org.ckpt.model.PageRanges;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/**
 * Task histories for incremental checkpoints: a generated task set and a sequence of mutation
 * rounds, as a host that checkpoints the same tasks again and again sees them. Each round
 * changes pages (new bytes, zeroed, dropped, made clean or dirty), grows, shrinks, moves,
 * re-protects, removes and adds areas, changes file tables and the tasks' counters; sharing
 * between tasks is kept. Every step after the first comes twice: as plain tasks, and with each
 * area's {@link PageData#changedSinceParent() host dirty set} (exactly the pages whose bytes,
 * presence or cleanliness differ from the previous step at the same address; everything for a
 * new or moved area).
 *
 * @since 0.3 (evolving)
 */
public final class Histories {
    private static final int PAGE = Generators.PAGE;

    private Histories() {
    }

    /**
     * A task set and what became of it.
     *
     * @param steps   the task sets, oldest first; {@code steps.get(0)} is the generated set
     * @param tracked the same sets with host dirty sets relative to the step before (element 0
     *                is {@code steps.get(0)})
     */
    public record History(List<List<Task>> steps, List<List<Task>> tracked) {
        public History {
            steps = List.copyOf(steps);
            tracked = List.copyOf(tracked);
        }

        /** The last task set. */
        public List<Task> last() {
            return steps.get(steps.size() - 1);
        }

        @Override
        public String toString() {
            return "History[" + steps.size() + " steps of " + steps.get(0).size() + " task(s)]";
        }
    }

    /** Histories of 2 to {@code maxSteps} steps over task sets of {@code config}. */
    public static Arbitrary<History> histories(GenConfig config, int maxSteps) {
        return Combinators.combine(Generators.taskSets(config), Arbitraries.longs(),
                Arbitraries.integers().between(2, Math.max(2, maxSteps)))
                .as((tasks, seed, steps) -> history(tasks, seed, steps));
    }

    /** The history of {@code initial} under the mutation rounds drawn from {@code seed}. */
    public static History history(List<Task> initial, long seed, int steps) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<List<Task>> plain = new ArrayList<>();
        List<List<Task>> tracked = new ArrayList<>();
        plain.add(initial);
        tracked.add(initial);
        List<Task> cur = initial;
        for (int i = 1; i < steps; i++) {
            Round r = new Round(rnd);
            List<List<Task>> both = r.mutate(cur);
            plain.add(both.get(0));
            tracked.add(both.get(1));
            cur = both.get(0);
        }
        return new History(plain, tracked);
    }

    /** One area's contents, page by page. */
    private static final class Mem {
        byte[] bytes;
        boolean[] present;
        boolean[] clean;
        boolean[] dirty;

        Mem(int pages) {
            bytes = new byte[pages * PAGE];
            present = new boolean[pages];
            clean = new boolean[pages];
            dirty = new boolean[pages];
        }

        int pages() {
            return present.length;
        }

        static Mem of(Vma v) {
            Mem m = new Mem((int) (v.size() / PAGE));
            try {
                v.pages().forEachRun((address, bytes, clean) -> {
                    int p = (int) ((address - v.start()) / PAGE);
                    int n = bytes.remaining() / PAGE;
                    bytes.duplicate().get(m.bytes, p * PAGE, n * PAGE);
                    for (int i = 0; i < n; i++) {
                        m.present[p + i] = true;
                        m.clean[p + i] = clean;
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return m;
        }

        Mem resize(int pages) {
            Mem m = new Mem(pages);
            int keep = Math.min(pages, pages());
            System.arraycopy(bytes, 0, m.bytes, 0, keep * PAGE);
            System.arraycopy(present, 0, m.present, 0, keep);
            System.arraycopy(clean, 0, m.clean, 0, keep);
            System.arraycopy(dirty, 0, m.dirty, 0, keep);
            for (int i = keep; i < pages; i++) {
                m.dirty[i] = true;
            }
            return m;
        }

        PageData pages(long start, SplittableRandom rnd) {
            PageData.Builder b = PageData.builder();
            int p = 0;
            while (p < pages()) {
                if (!present[p]) {
                    p++;
                    continue;
                }
                int q = p + 1;
                while (q < pages() && present[q] && clean[q] == clean[p] && rnd.nextInt(6) != 0) {
                    q++;
                }
                ByteBuffer run = ByteBuffer.wrap(java.util.Arrays.copyOfRange(bytes, p * PAGE, q * PAGE));
                if (clean[p]) {
                    b.cleanRun(start + (long) p * PAGE, run);
                } else {
                    b.run(start + (long) p * PAGE, run);
                }
                p = q;
            }
            return b.build();
        }

        PageRanges dirty(long start) {
            PageRanges.Builder b = PageRanges.builder();
            for (int i = 0; i < dirty.length; i++) {
                if (dirty[i]) {
                    b.add(start + (long) i * PAGE, start + (long) (i + 1) * PAGE);
                }
            }
            return b.build();
        }
    }

    /** One round of mutations over a task set. */
    private static final class Round {
        final SplittableRandom rnd;
        final Map<AddressSpace, AddressSpace[]> mms = new IdentityHashMap<>();
        final Map<FileTable, FileTable> tables = new IdentityHashMap<>();

        Round(SplittableRandom rnd) {
            this.rnd = rnd;
        }

        /** [plain tasks, tracked tasks] */
        List<List<Task>> mutate(List<Task> tasks) {
            List<OpenFile> files = new ArrayList<>();
            for (Task t : tasks) {
                if (t.files() != null) {
                    t.files().entries().forEach(e -> files.add(e.file()));
                }
                if (t.mm() != null) {
                    t.mm().vmas().forEach(v -> {
                        if (v.file() != null) {
                            files.add(v.file());
                        }
                    });
                }
            }
            List<Task> plain = new ArrayList<>();
            List<Task> tracked = new ArrayList<>();
            for (Task t : tasks) {
                AddressSpace[] mm = t.mm() == null ? null : mms.computeIfAbsent(t.mm(), m -> mutate(m, files));
                FileTable ft = t.files() == null ? null : tables.computeIfAbsent(t.files(), f -> mutate(f, files));
                Task.Builder b = t.toBuilder().utime(t.utime() + 1 + rnd.nextInt(100)).nvcsw(t.nvcsw() + rnd.nextInt(3))
                        .minFlt(t.minFlt() + rnd.nextInt(1000)).files(ft);
                plain.add(b.mm(mm == null ? null : mm[0]).build());
                tracked.add(b.mm(mm == null ? null : mm[1]).build());
            }
            return List.of(plain, tracked);
        }

        FileTable mutate(FileTable t, List<OpenFile> files) {
            List<FileTable.Entry> e = new ArrayList<>(t.entries());
            int op = rnd.nextInt(4);
            if (op == 0 && !e.isEmpty()) {
                e.remove(rnd.nextInt(e.size()));
            } else if (op == 1 && !files.isEmpty()) {
                int fd = e.isEmpty() ? 0 : e.get(e.size() - 1).fd() + 1 + rnd.nextInt(3);
                e.add(new FileTable.Entry(fd, files.get(rnd.nextInt(files.size())), rnd.nextBoolean()));
            } else if (op == 2 && !e.isEmpty()) {
                int i = rnd.nextInt(e.size());
                FileTable.Entry x = e.get(i);
                e.set(i, new FileTable.Entry(x.fd(), x.file(), !x.closeOnExec()));
            }
            return new FileTable(e);
        }

        /** [plain, tracked] */
        AddressSpace[] mutate(AddressSpace mm, List<OpenFile> files) {
            List<Vma> plain = new ArrayList<>();
            List<Vma> tracked = new ArrayList<>();
            List<Vma> vmas = mm.vmas();
            long top = vmas.isEmpty() ? 0x10000L : vmas.get(vmas.size() - 1).end();
            List<Object[]> moved = new ArrayList<>();
            for (int i = 0; i < vmas.size(); i++) {
                Vma v = vmas.get(i);
                long limit = i + 1 < vmas.size() ? vmas.get(i + 1).start() : v.end() + 4L * PAGE;
                int op = rnd.nextInt(10);
                if (op == 0) {
                    continue; // removed
                }
                Mem m = Mem.of(v);
                long start = v.start();
                int prot = v.prot();
                int flags = v.flags();
                if (op == 1 && v.end() < limit) {
                    int grow = 1 + rnd.nextInt((int) Math.min(3, (limit - v.end()) / PAGE));
                    m = m.resize(m.pages() + grow);
                    for (int p = m.pages() - grow; p < m.pages(); p++) {
                        edit(m, p, v.file() != null && !v.isShared());
                    }
                } else if (op == 2 && m.pages() > 1) {
                    m = m.resize(m.pages() - 1 - rnd.nextInt(m.pages() - 1));
                } else if (op == 3) {
                    prot = rnd.nextInt(8);
                } else if (op == 4 && v.file() != null) {
                    flags ^= Vma.SHARED; // the meaning of an absent page changes: zero <-> file
                }
                boolean privateFile = v.file() != null && (flags & Vma.SHARED) == 0;
                int edits = rnd.nextInt(1 + m.pages());
                for (int k = 0; k < edits; k++) {
                    edit(m, rnd.nextInt(m.pages()), privateFile);
                }
                if (!privateFile) {
                    // clean is meaningful only in a private file-backed area
                    for (int p = 0; p < m.pages(); p++) {
                        if (m.clean[p]) {
                            m.clean[p] = false;
                            m.dirty[p] = true;
                        }
                    }
                }
                if (op == 5) {
                    // moved (mremap): every page of the new place is new there
                    moved.add(new Object[] {v, m, prot, flags});
                    continue;
                }
                long end = start + (long) m.pages() * PAGE;
                PageData pages = m.pages(start, rnd);
                plain.add(new Vma(start, end, prot, flags, v.pgoff(), v.file(), pages));
                tracked.add(new Vma(start, end, prot, flags, v.pgoff(), v.file(),
                        pages.withChangedSinceParent(m.dirty(start))));
            }
            for (Vma v : plain) {
                top = Math.max(top, v.end());
            }
            long at = top + PAGE * (1L + rnd.nextInt(3));
            for (Object[] o : moved) {
                Vma v = (Vma) o[0];
                Mem m = (Mem) o[1];
                java.util.Arrays.fill(m.dirty, true);
                long end = at + (long) m.pages() * PAGE;
                PageData pages = m.pages(at, rnd);
                plain.add(new Vma(at, end, (int) o[2], (int) o[3], v.pgoff(), v.file(), pages));
                tracked.add(new Vma(at, end, (int) o[2], (int) o[3], v.pgoff(), v.file(),
                        pages.withChangedSinceParent(PageRanges.of(at, end))));
                at = end + PAGE * (1L + rnd.nextInt(3));
            }
            if (rnd.nextInt(4) == 0) {
                int n = 1 + rnd.nextInt(6);
                OpenFile f = !files.isEmpty() && rnd.nextBoolean() ? files.get(rnd.nextInt(files.size())) : null;
                Mem m = new Mem(n);
                for (int p = 0; p < n; p++) {
                    edit(m, p, f != null);
                }
                java.util.Arrays.fill(m.dirty, true);
                long end = at + (long) n * PAGE;
                PageData pages = m.pages(at, rnd);
                plain.add(new Vma(at, end, Vma.PROT_READ | Vma.PROT_WRITE, 0, 0, f, pages));
                tracked.add(new Vma(at, end, Vma.PROT_READ | Vma.PROT_WRITE, 0, 0, f,
                        pages.withChangedSinceParent(PageRanges.of(at, end))));
            }
            return new AddressSpace[] {mm.withVmas(plain), mm.withVmas(tracked)};
        }

        /** Changes page {@code p}: new bytes, zero, absent, or (private file-backed) clean. */
        void edit(Mem m, int p, boolean privateFile) {
            int op = rnd.nextInt(privateFile ? 5 : 4);
            int base = p * PAGE;
            switch (op) {
                case 0, 1 -> {
                    for (int i = 0; i < PAGE; i += 1 + rnd.nextInt(64)) {
                        m.bytes[base + i] = (byte) rnd.nextInt();
                    }
                    m.present[p] = true;
                    m.clean[p] = false;
                }
                case 2 -> {
                    java.util.Arrays.fill(m.bytes, base, base + PAGE, (byte) 0);
                    m.present[p] = true;
                    m.clean[p] = false;
                }
                case 3 -> {
                    java.util.Arrays.fill(m.bytes, base, base + PAGE, (byte) 0);
                    m.present[p] = false;
                    m.clean[p] = false;
                }
                default -> {
                    m.present[p] = true;
                    m.clean[p] = true;
                }
            }
            m.dirty[p] = true;
        }
    }
}
