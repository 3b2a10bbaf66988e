package org.ckpt.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.ckpt.model.FileTable;
import org.ckpt.model.OpenFile;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.ImageLimitException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;

/** File tables ("files"): the OBJECT body holds every descriptor, ascending, with its file's objref. */
public final class FileTableOps implements ObjectOps<FileTable> {
    static final String TYPE = "files";
    private static final int CLOEXEC = 1;

    @Override
    public String typeName() {
        return TYPE;
    }

    @Override
    public Class<FileTable> type() {
        return FileTable.class;
    }

    /** Trail labels of the usual descriptors, made once: a walk over a table labels every reference. */
    private static final String[] FD_LABELS = new String[1024];

    static String fdLabel(int fd) {
        if (fd < 0 || fd >= FD_LABELS.length) {
            return "fd " + fd;
        }
        String l = FD_LABELS[fd];
        if (l == null) {
            l = "fd " + fd;
            FD_LABELS[fd] = l;  // a racy but safe publication: strings are immutable
        }
        return l;
    }

    @Override
    public void forEachReference(FileTable table, BiConsumer<String, Object> refs) {
        List<FileTable.Entry> entries = table.entries();
        for (int i = 0; i < entries.size(); i++) {
            FileTable.Entry e = entries.get(i);
            refs.accept(fdLabel(e.fd()), e.file());
        }
    }

    /** The entries in ascending descriptor order: the table's own list when it is sorted already (the usual case). */
    private static List<FileTable.Entry> sorted(List<FileTable.Entry> entries) {
        for (int i = 1; i < entries.size(); i++) {
            if (entries.get(i - 1).fd() > entries.get(i).fd()) {
                List<FileTable.Entry> copy = new ArrayList<>(entries);
                copy.sort((a, b) -> Integer.compare(a.fd(), b.fd()));
                return copy;
            }
        }
        return entries;
    }

    @Override
    public void checkpoint(FileTable table, CkptContext ctx, PayloadWriter body) throws IOException {
        List<FileTable.Entry> entries = sorted(table.entries());
        if (entries.size() > ctx.limits().maxDescriptors()) {
            throw new CheckpointException(entries.size() + " descriptors exceed maxDescriptors "
                    + ctx.limits().maxDescriptors());
        }
        int prev = -1;
        for (int i = 0; i < entries.size(); i++) {
            FileTable.Entry e = entries.get(i);
            if (e.fd() < 0 || e.fd() >= ctx.limits().maxDescriptor()) {
                throw new CheckpointException("descriptor " + e.fd() + " is outside [0, maxDescriptor "
                        + ctx.limits().maxDescriptor() + ")");
            }
            if (e.fd() == prev) {
                throw new CheckpointException("descriptor " + e.fd() + " appears twice in the file table");
            }
            prev = e.fd();
        }
        body.u32(entries.size()).u32(0);
        for (int i = 0; i < entries.size(); i++) {
            FileTable.Entry e = entries.get(i);
            body.i32(e.fd()).u32(e.closeOnExec() ? CLOEXEC : 0).u64(ctx.checkpointObject(e.file()));
        }
        if (Log.FILE.isDebugEnabled()) {
            Log.FILE.debug("files: {} descriptors", entries.size());
        }
    }

    @Override
    public FileTable restore(CkptContext ctx, PayloadReader body) throws IOException {
        int count = body.count("count", ctx.limits().maxDescriptors(), "maxDescriptors");
        body.reserved32("reserved");
        List<FileTable.Entry> entries = new ArrayList<>(Math.min(count, 1024));
        long prev = -1;
        for (int i = 0; i < count; i++) {
            long at = body.position();
            int fd = body.i32("fd");
            long flagsAt = body.position();
            long flags = body.u32("flags");
            long ref = body.u64("file_objref");
            try {
                if (fd < 0) {
                    throw new InvalidImageException(body.recordName(), at, "negative descriptor " + fd);
                }
                if (fd >= ctx.limits().maxDescriptor()) {
                    throw new ImageLimitException(body.recordName(), at,
                            "descriptor " + fd + " is not below maxDescriptor " + ctx.limits().maxDescriptor());
                }
                if (fd == prev) {
                    throw new InvalidImageException(body.recordName(), at, "duplicate descriptor " + fd);
                }
                if (fd < prev) {
                    throw new InvalidImageException(body.recordName(), at,
                            "descriptor " + fd + " after " + prev + ": descriptors must ascend");
                }
                if ((flags & ~(long) CLOEXEC) != 0) {
                    throw new InvalidImageException(body.recordName(), flagsAt,
                            "unknown descriptor flags 0x" + Long.toHexString(flags));
                }
                OpenFile file = ctx.restoreObject(ref, OpenFile.class, false, "file_objref");
                entries.add(new FileTable.Entry(fd, file, flags == CLOEXEC));
            } catch (ImageException e) {
                throw e.addTrace(fdLabel(fd));
            }
            prev = fd;
        }
        return new FileTable(entries);
    }
}
