package org.ckpt.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.ParentResolver;
import org.ckpt.RestartResult;
import org.ckpt.Restarter;
import org.ckpt.Uname;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.PageRanges;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;
import org.ckpt.spi.ImageException;
import org.ckpt.testkit.Equivalence;
import org.ckpt.testkit.image.ImageRecords;
import org.ckpt.testkit.image.TestChannels;

/**
 * The page records of an incremental image (docs/FORMAT.md §15): a child and its parent, derived
 * when the class loads (deterministic: fixed ids, time, host and pages, so committed inputs keep
 * selecting the same records). Byte 0 of an input picks a page record of the child ({@code
 * PAGE_RUNS}, {@code PAGE_DIGESTS}, its {@code VMA}s), the rest is its payload; checksums and
 * tail are recomputed, so the parent's pin still holds. Differential: the streaming reader
 * ({@code restart}) and the whole-payload one ({@code inspect}, whose record listener makes it
 * read whole payloads) must agree on acceptance, on the error's class and offset, and on the
 * tasks; an accepted child is written again on the same parent and must restart equal.
 */
class ChainFuzzTest {
    private static final int PS = 4096;
    private static final long BASE = 0x400000;
    private static final long OTHER = 0x800000;
    static final byte[] PARENT;
    static final byte[] CHILD;
    /**
     * A child of {@link #CHILD} (format 1.4): a third link whose runs taken from its parent
     * reach back to {@link #PARENT}, for {@link FileChangeFuzzTest#chainFileChangedDuringRestart}.
     */
    static final byte[] GRANDCHILD;
    private static final CheckpointResult PARENT_RESULT;
    /** Indexes of the child's records a fuzz input may replace. */
    static final List<Integer> SLOTS = new ArrayList<>();

    static {
        try {
            byte[] a = new byte[32 * PS];
            byte[] b = new byte[8 * PS];
            for (int p = 0; p < 32; p += 2) {
                a[p * PS + p] = (byte) (p + 1);
            }
            b[5] = 1;
            Checkpointer.Builder base = Checkpointer.builder().architecture("test64").pageDigests(true)
                    .created(Instant.parse("2026-12-02T00:00:00Z")).uname(new Uname("Linux", "fuzz", "6.0", "#1",
                            "x86_64"));
            TestChannels.Sink ps = TestChannels.sink();
            PARENT_RESULT = base.checkpointId(0xF00D).build().checkpoint(task(a, b, null, null), ps);
            PARENT = ps.toByteArray();
            for (int p = 1; p < 32; p += 5) {
                a[p * PS + 7] = 9;
            }
            b[3 * PS] = 2;
            PageRanges changedA = PageRanges.builder().add(BASE + PS, BASE + 32 * PS).build();
            PageRanges changedB = PageRanges.builder().add(OTHER + 3 * PS, OTHER + 4 * PS).build();
            TestChannels.Sink cs = TestChannels.sink();
            CheckpointResult child = base.checkpointId(0xBEEF).parent(PARENT_RESULT.asParent()).build()
                    .checkpoint(task(a, b, changedA, changedB), cs);
            CHILD = cs.toByteArray();
            a[20 * PS + 1] = 3;
            a[21 * PS + 7] = 0;  // a page the child carried becomes zero
            b[6 * PS + 9] = 4;
            TestChannels.Sink gs = TestChannels.sink();
            base.checkpointId(0xCAFE).parent(child.asParent()).build().checkpoint(task(a, b,
                    PageRanges.builder().add(BASE + 20 * PS, BASE + 22 * PS).build(),
                    PageRanges.builder().add(OTHER + 6 * PS, OTHER + 7 * PS).build()), gs);
            GRANDCHILD = gs.toByteArray();
            List<ImageRecords.Record> rs = ImageRecords.parse(CHILD);
            for (int i = 0; i < rs.size(); i++) {
                int t = rs.get(i).type();
                if (t == 0x0030 || t == 0x0034 || t == 0x0033 || t == 0x0032 || t == 0x0031) {
                    SLOTS.add(i);
                }
            }
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static Task task(byte[] a, byte[] b, PageRanges changedA, PageRanges changedB) {
        PageData pa = PageData.of(BASE, a.clone());
        PageData pb = PageData.of(OTHER, b.clone());
        return Task.builder().pid(1).tgid(1).comm("fuzz").mm(AddressSpace.of(List.of(
                Vma.anonymous(BASE, BASE + a.length, changedA == null ? pa : pa.withChangedSinceParent(changedA)),
                Vma.anonymous(OTHER, OTHER + b.length, changedB == null ? pb : pb.withChangedSinceParent(changedB)))))
                .build();
    }

    private static final ParentResolver PARENTS = link -> link.checkpointId() == 0xF00D
            ? TestChannels.source(PARENT) : null;
    private static final Restarter RESTARTER = Restarter.builder().parents(PARENTS).build();

    /** The child with record {@code SLOTS[input[0]]}'s payload replaced by {@code input[1..]}. */
    static byte[] around(byte[] input) {
        int slot = SLOTS.get(input.length == 0 ? 0 : (input[0] & 0xFF) % SLOTS.size());
        byte[] payload = input.length == 0 ? new byte[0] : java.util.Arrays.copyOfRange(input, 1, input.length);
        List<ImageRecords.Record> rs = new ArrayList<>(ImageRecords.parse(CHILD));
        ImageRecords.Record r = rs.get(slot);
        rs.set(slot, new ImageRecords.Record(r.offset(), r.type(), r.flags(), 0, payload));
        return ImageRecords.assemble(CHILD, rs);
    }

    /** The seed input that rebuilds the child with slot {@code index} unchanged. */
    static byte[] seed(int index) {
        byte[] payload = ImageRecords.parse(CHILD).get(SLOTS.get(index)).payload();
        byte[] out = new byte[payload.length + 1];
        out[0] = (byte) index;
        System.arraycopy(payload, 0, out, 1, payload.length);
        return out;
    }

    /** Byte 0 picks a page record (or VMA) of the child, the rest is its payload. */
    @FuzzTest(maxDuration = "10m")
    void childPageRecords(byte[] input) throws Exception {
        check(around(input));
    }

    static RestartResult check(byte[] child) throws IOException {
        RestartResult streamed = null;
        ImageException streamedError = null;
        try {
            streamed = RESTARTER.restart(channel(child));
        } catch (ImageException e) {
            Oracle.requireLocated(e, child);
            streamedError = e;
        }
        RestartResult whole = null;
        ImageException wholeError = null;
        try {
            whole = RESTARTER.inspect(channel(child), r -> { }).result();
        } catch (ImageException e) {
            Oracle.requireLocated(e, child);
            wholeError = e;
        }
        if ((streamed == null) != (whole == null)) {
            AssertionError failure = new AssertionError("the streaming reader " + (streamed == null ? "rejects" : "accepts")
                    + " the child, the whole-payload reader " + (whole == null ? "rejects" : "accepts") + " it");
            Optional.ofNullable(streamedError != null ? streamedError : wholeError).ifPresent(failure::initCause);
            throw failure;
        }
        if (streamed == null) {
            if (streamedError.getClass() != wholeError.getClass() || streamedError.offset() != wholeError.offset()) {
                AssertionError failure = new AssertionError("the readers reject differently: streaming "
                        + streamedError + "; whole payloads " + wholeError);
                failure.initCause(streamedError);
                throw failure;
            }
            return null;
        }
        same("whole-payload read", streamed, whole);
        // An accepted child can be written again on the same parent and restarts equal.
        TestChannels.Sink again = TestChannels.sink();
        Checkpointer.builder().sameHeadAs(streamed.info()).parent(PARENT_RESULT.asParent()).build()
                .checkpoint(streamed.tasks(), again);
        same("rewritten child", streamed, RESTARTER.restart(channel(again.toByteArray())));
        return streamed;
    }

    private static ReadableByteChannel channel(byte[] b) {
        return TestChannels.source(b);
    }

    private static void same(String what, RestartResult expected, RestartResult actual) {
        Optional<String> diff = Equivalence.firstDifference(expected.tasks(), actual.tasks());
        if (diff.isPresent()) {
            throw new AssertionError(what + " differs: " + diff.get());
        }
    }

    /** The keys of {@link #SLOTS} by record type, for the seed check. */
    static Map<Integer, Long> slotTypes() {
        List<ImageRecords.Record> rs = ImageRecords.parse(CHILD);
        return SLOTS.stream().collect(java.util.stream.Collectors.groupingBy(i -> rs.get(i).type(),
                java.util.TreeMap::new, java.util.stream.Collectors.counting()));
    }
}
