package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.ckpt.model.FileKind;
import org.ckpt.model.GenericFile;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.CkptContext;
import org.ckpt.spi.ImageLimitException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.ObjectOps;
import org.ckpt.spi.PayloadReader;
import org.ckpt.spi.PayloadWriter;
import org.ckpt.spi.RecordTypes;

/**
 * Regular files and directories ("file"): the OBJECT body holds kind, flags, mode,
 * position, version and the root-relative path; a deleted file's contents follow
 * in OBJECT_DATA records of at most 1 MiB.
 */
public final class GenericFileOps implements ObjectOps<GenericFile> {
    static final String TYPE = "file";
    private static final int DELETED = 1;

    @Override
    public String typeName() {
        return TYPE;
    }

    @Override
    public Class<GenericFile> type() {
        return GenericFile.class;
    }

    @Override
    public void checkpoint(GenericFile f, CkptContext ctx, PayloadWriter body) throws IOException {
        // The path relative to the root is path[from…] of the normalised path: written from there, not copied.
        String path = PosixPaths.normalizeUnder(ctx.root(), f.path());
        int from = path == null ? -1 : PosixPaths.relativeStart(ctx.root(), path);
        if (from < 0) {
            throw new CheckpointException("file '" + f.path() + "' is outside the checkpoint root '" + ctx.root()
                    + "' (or not an absolute path without NUL)");
        }
        if (PayloadBuffer.utf8Length(path, from) > ctx.limits().maxPathLength()) {
            throw new CheckpointException("path '" + f.path() + "' is longer than maxPathLength "
                    + ctx.limits().maxPathLength());
        }
        if ((f.flags() & ~GenericFile.FLAGS_MASK) != 0) {
            throw new CheckpointException("file '" + f.path() + "' has unknown open flags 0x"
                    + Integer.toHexString(f.flags()));
        }
        if ((f.mode() & ~GenericFile.MODE_MASK) != 0) {
            throw new CheckpointException("file '" + f.path() + "' has unknown mode bits 0x"
                    + Integer.toHexString(f.mode()));
        }
        if (f.position() < 0) {
            throw new CheckpointException("file '" + f.path() + "' has negative position " + f.position());
        }
        ByteBuffer contents = f.deletedContents();
        if (contents != null && (contents.remaining() > ctx.limits().maxDeletedFileSize()
                || contents.remaining() > Integer.MAX_VALUE - 8)) {
            throw new CheckpointException("deleted file '" + f.path() + "' has " + contents.remaining()
                    + " bytes, more than maxDeletedFileSize " + ctx.limits().maxDeletedFileSize());
        }
        body.u32(f.kind().code()).u32(f.flags()).u32(f.mode()).u32(contents != null ? DELETED : 0);
        body.u64(f.position()).u64(f.version());
        if (body instanceof PayloadBuffer b) {
            b.string(path, from);
        } else {
            body.string(path.substring(from));
        }
        if (contents != null) {
            body.u64(contents.remaining());
            ByteBuffer c = contents.duplicate();
            while (c.hasRemaining()) {
                int n = Math.min(c.remaining(), Format.DATA_CHUNK);
                ByteBuffer chunk = c.slice(c.position(), n);
                ctx.output().begin(RecordTypes.OBJECT_DATA).bytes(chunk);
                c.position(c.position() + n);
            }
            ctx.output().end();
        }
        if (Log.FILE.isDebugEnabled()) {
            Log.FILE.debug("file {} ({}{})", path.substring(from), f.kind(), contents != null ? ", deleted" : "");
        }
    }

    @Override
    public GenericFile restore(CkptContext ctx, PayloadReader body) throws IOException {
        long at = body.position();
        long kindCode = body.u32("kind");
        FileKind kind = FileKind.ofCode(kindCode);
        if (kind == null) {
            throw new InvalidImageException(body.recordName(), at, "unknown file kind " + kindCode);
        }
        at = body.position();
        long flags = body.u32("flags");
        if ((flags & ~(long) GenericFile.FLAGS_MASK) != 0) {
            throw new InvalidImageException(body.recordName(), at, "unknown open flags 0x" + Long.toHexString(flags));
        }
        at = body.position();
        long mode = body.u32("mode");
        if ((mode & ~(long) GenericFile.MODE_MASK) != 0) {
            throw new InvalidImageException(body.recordName(), at, "unknown mode bits 0x" + Long.toHexString(mode));
        }
        at = body.position();
        long fileFlags = body.u32("file_flags");
        if ((fileFlags & ~(long) DELETED) != 0) {
            throw new InvalidImageException(body.recordName(), at,
                    "unknown file flags 0x" + Long.toHexString(fileFlags));
        }
        long position = body.u64InRange("position", Long.MAX_VALUE);
        long version = body.u64("version");
        at = body.position();
        String path;
        if (body instanceof PayloadCursor cursor && ctx instanceof RestartSession s) {
            // The engine's own reader: the path is read with the root in front, one string per file.
            String prefix = s.rootPrefix();
            String joined = cursor.string("path", ctx.limits().maxPathLength(), prefix);
            String problem = PosixPaths.problem(joined, prefix.length());
            if (problem != null) {
                throw new InvalidImageException(body.recordName(), at, problem);
            }
            path = PosixPaths.normalizeAbsolute(joined);
        } else {
            String rel = body.string("path", ctx.limits().maxPathLength());
            String problem = PosixPaths.problem(rel);
            if (problem != null) {
                throw new InvalidImageException(body.recordName(), at, problem);
            }
            path = PosixPaths.resolve(ctx.root(), rel);
        }
        ByteBuffer contents = null;
        if (fileFlags == DELETED) {
            at = body.position();
            long size = body.u64("content_length");
            if (size < 0 || size > ctx.limits().maxDeletedFileSize() || size > Integer.MAX_VALUE - 8) {
                throw new ImageLimitException(body.recordName(), at, "deleted file content_length "
                        + Long.toUnsignedString(size) + " exceeds maxDeletedFileSize " + ctx.limits().maxDeletedFileSize());
            }
            contents = readContents(ctx, (int) size, size);
        }
        return new GenericFile(kind, path, (int) flags, (int) mode, position, version, contents);
    }

    /** Grows the buffer only as chunks arrive, so a claimed size costs nothing until its bytes do. */
    private static ByteBuffer readContents(CkptContext ctx, int size, long claimed) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(Math.min(size, 64 << 10));
        long got = 0;
        while (got < claimed) {
            PayloadReader r = ctx.input().next(RecordTypes.OBJECT_DATA);
            int n = r.remaining();
            if (n == 0 || got + n > claimed) {
                throw new InvalidImageException("OBJECT_DATA", r.position(), "chunk of " + n + " bytes after " + got
                        + " does not fit the announced content_length " + claimed);
            }
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(size, Math.max(buf.capacity() * 2L, got + n)));
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
            buf.put(r.slice("data", n));
            got += n;
        }
        return buf.flip();
    }
}
