package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.PageData;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/**
 * Tasks whose areas present their pages as a full checkpoint writes them from maximal runs:
 * consecutive written pages (non-zero ones, or any non-clean page of a private file-backed
 * area) handed over as one run, in pieces of exactly one PAGES record (cut where a record is:
 * at addresses that are multiples of a record's largest size). So the image of a
 * restarted chain is the image of the same task from any host, whatever run boundaries the
 * restart's slices had. Pieces within one source buffer are slices; a piece spanning buffers is
 * copied into a scratch buffer (valid during the visitor's call, as the contract allows).
 */
public final class Canonical {
    private Canonical() {
    }

    /** The same tasks (sharing kept) with canonical page runs. */
    public static List<Task> tasks(List<Task> tasks, int pageSize, int pagesPerRecord) {
        Map<AddressSpace, AddressSpace> done = new IdentityHashMap<>();
        List<Task> out = new ArrayList<>(tasks.size());
        for (Task t : tasks) {
            AddressSpace mm = t.mm();
            if (mm == null) {
                out.add(t);
                continue;
            }
            AddressSpace c = done.computeIfAbsent(mm, m -> {
                List<Vma> vmas = new ArrayList<>(m.vmas().size());
                for (Vma v : m.vmas()) {
                    vmas.add(new Vma(v.start(), v.end(), v.prot(), v.flags(), v.pgoff(), v.file(),
                            new Pages(v.pages(), pageSize, pagesPerRecord, v.file() != null && !v.isShared())));
                }
                return m.withVmas(vmas);
            });
            out.add(t.toBuilder().mm(c).build());
        }
        return out;
    }

    private static final class Pages implements PageData {
        private final PageData source;
        private final int ps;
        private final int chunk;
        private final boolean privateFile;

        Pages(PageData source, int ps, int pagesPerRecord, boolean privateFile) {
            this.source = source;
            this.ps = ps;
            this.chunk = pagesPerRecord * ps;
            this.privateFile = privateFile;
        }

        @Override
        public void forEachRun(RunVisitor visitor) throws IOException {
            ByteBuffer zero = ByteBuffer.allocate(ps);
            ByteBuffer scratch = ByteBuffer.allocate(chunk);
            // the piece being assembled: pages [pieceStart, pieceStart + filled) of the current maximal run
            long[] piece = {-1, 0};
            List<ByteBuffer> parts = new ArrayList<>();
            source.forEachRun((address, bytes, clean) -> {
                if (clean && privateFile) {
                    emit(visitor, piece, parts, scratch);
                    return;
                }
                int n = bytes.remaining() / ps;
                int base = bytes.position();
                for (int i = 0; i < n; i++) {
                    ByteBuffer page = bytes.duplicate().limit(base + (i + 1) * ps).position(base + i * ps);
                    long a = address + (long) i * ps;
                    if (!privateFile && page.mismatch(zero) < 0) {
                        emit(visitor, piece, parts, scratch);
                        continue;
                    }
                    if (piece[0] != -1 && piece[0] + piece[1] != a) {
                        emit(visitor, piece, parts, scratch);
                    }
                    if (piece[0] == -1) {
                        piece[0] = a;
                        piece[1] = 0;
                    }
                    // extend the last part if it continues in the same buffer, else start a new one
                    ByteBuffer last = parts.isEmpty() ? null : parts.get(parts.size() - 1);
                    if (last != null && sameBufferNext(last, bytes, base + i * ps)) {
                        last.limit(last.limit() + ps);
                    } else {
                        parts.add(bytes.duplicate().limit(base + (i + 1) * ps).position(base + i * ps));
                    }
                    piece[1] += ps;
                    if (Long.remainderUnsigned(a + ps, chunk) == 0) {
                        emit(visitor, piece, parts, scratch);
                    }
                }
                // A part of a buffer valid only during this call must be used now unless it is ours for longer:
                // restored page data keeps its buffers, but a host's may not, so copy what stays open.
                stash(parts, scratch);
            });
            emit(visitor, piece, parts, scratch);
        }

        /** Whether {@code part} is a view of {@code bytes} ending exactly at {@code pos}. */
        private static boolean sameBufferNext(ByteBuffer part, ByteBuffer bytes, int pos) {
            return part.limit() == pos && part.capacity() == bytes.capacity() && !(part.isDirect() ^ bytes.isDirect())
                    && sameBacking(part, bytes);
        }

        private static boolean sameBacking(ByteBuffer a, ByteBuffer b) {
            if (a.hasArray() && b.hasArray()) {
                return a.array() == b.array() && a.arrayOffset() == b.arrayOffset();
            }
            return false;
        }

        /** Copies the open parts into the scratch buffer so they outlive the visitor call that gave them. */
        private static void stash(List<ByteBuffer> parts, ByteBuffer scratch) {
            if (parts.isEmpty() || (parts.size() == 1 && parts.get(0).hasArray() && parts.get(0).array() == scratch.array())) {
                return;
            }
            ByteBuffer joined = scratch.duplicate().clear();
            for (ByteBuffer p : parts) {
                joined.put(p.duplicate());
            }
            joined.flip();
            parts.clear();
            parts.add(joined);
        }

        private void emit(RunVisitor visitor, long[] piece, List<ByteBuffer> parts, ByteBuffer scratch)
                throws IOException {
            if (piece[0] == -1) {
                return;
            }
            ByteBuffer run;
            if (parts.size() == 1) {
                run = parts.get(0);
            } else {
                stash(parts, scratch);
                run = parts.get(0);
            }
            long at = piece[0];
            piece[0] = -1;
            piece[1] = 0;
            parts.clear();
            visitor.run(at, run.duplicate(), false);
        }

        @Override
        public String toString() {
            return "canonical " + source;
        }
    }
}
