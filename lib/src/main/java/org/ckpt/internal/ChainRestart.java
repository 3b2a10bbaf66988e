package org.ckpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.ckpt.ImageInfo;
import org.ckpt.ParentLink;
import org.ckpt.ParentResolver;
import org.ckpt.PageDestination;
import org.ckpt.RestartResult;
import org.ckpt.spi.ChecksumException;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.InvalidImageException;
import org.ckpt.spi.UnsupportedImageException;

/**
 * A restart of an image and, if it is incremental, of its whole chain (docs/FORMAT.md §15):
 * the heads and PARENT records are read newest first, each parent opened through the resolver
 * and its link checked (id, architecture, page size, policy, depth, no repeated id) before any
 * page is read; then the images are read oldest first, each verified to its tail and checked
 * against its child's pin before the child's body is read, each child's runs taken from the parent
 * resolved against its verified parent (the bodies of image files read ahead on one thread for
 * the chain, {@link ImageReader#readAheadTogether}). Nothing is committed here; on any failure
 * the page destination is released once.
 */
public final class ChainRestart implements AutoCloseable {
    /** Makes the session that reads one image of the chain. */
    @FunctionalInterface
    public interface Sessions {
        RestartSession open(ReadableByteChannel channel, PageDestination pages) throws IOException;
    }

    private final Sessions factory;
    private final ParentResolver resolver;
    private final Once pages;
    /** Newest first. */
    private final List<RestartSession> chain = new ArrayList<>();
    private final List<ReadableByteChannel> opened = new ArrayList<>();
    private long started;

    public ChainRestart(Sessions factory, ParentResolver resolver, PageDestination pages) {
        this.factory = factory;
        this.resolver = resolver;
        this.pages = new Once(pages);
    }

    /** The images read, newest first (after {@link #read}). */
    public List<RestartSession> sessions() {
        return List.copyOf(chain);
    }

    /** Reads and verifies the image in {@code first} and its chain; returns the newest image's session. */
    public RestartSession read(ReadableByteChannel first, java.util.function.Consumer<org.ckpt.ImageRecord> records)
            throws IOException {
        started = System.nanoTime();
        try {
            RestartSession s = factory.open(first, pages);
            s.recordListener(records);
            chain.add(s);
            s.readPrologue();
            Set<Long> ids = new HashSet<>();
            ids.add(s.head().checkpointId());
            while (s.parentLink() != null) {
                ParentLink link = s.parentLink();
                String where = linkName(s.head(), link);
                ReadableByteChannel ch = resolver.open(link);
                if (ch == null) {
                    throw new UnsupportedImageException("PARENT", s.parentRecordOffset(), "the parent, checkpoint 0x"
                            + Long.toHexString(link.checkpointId()) + ", was not found by the parent resolver")
                            .addTrace(where);
                }
                opened.add(ch);
                RestartSession p = factory.open(ch, pages);
                p.shareBudget(chain.get(0));
                p.servesAsParent();
                try {
                    p.readPrologue();
                } catch (ImageException e) {
                    throw e.addTrace("parent 0x" + Long.toHexString(link.checkpointId())).addTrace(where);
                }
                checkLink(s, p, link, ids, where);
                ids.add(p.head().checkpointId());
                chain.add(p);
                s = p;
            }
            List<ImageReader> oldestFirst = new ArrayList<>(chain.size());
            for (int i = chain.size() - 1; i >= 0; i--) {
                oldestFirst.add(chain.get(i).reader());
            }
            ReadAhead ahead = ImageReader.readAheadTogether(oldestFirst);
            try {
                for (int i = chain.size() - 1; i >= 0; i--) {
                    RestartSession c = chain.get(i);
                    if (i + 1 < chain.size()) {
                        c.parent(chain.get(i + 1));
                    }
                    try {
                        c.readBody();
                    } catch (ImageException e) {
                        throw chain.size() > 1 ? e.addTrace(imageName(c)) : e;
                    }
                    if (i > 0) {
                        checkPin(chain.get(i - 1), c);
                    }
                }
            } finally {
                if (ahead != null) {
                    ahead.close();
                }
            }
            return chain.get(0);
        } catch (IOException | RuntimeException | Error e) {
            for (RestartSession c : chain) {
                c.close();  // the images whose bodies were not read stop reading ahead
            }
            pages.release(e);
            throw e;
        }
    }

    /** The check phase of the newest image; the result counts every image of the chain. */
    public RestartResult checked() throws ImageException {
        RestartSession newest = chain.get(0);
        RestartResult r;
        try {
            r = newest.checkedResult();
        } catch (ImageException e) {
            pages.release(e);
            throw e;
        }
        return totals(r);
    }

    /** {@code r} with the byte, record and page counts of every image read, and the whole time. */
    public RestartResult totals(RestartResult r) {
        if (chain.size() == 1) {
            return r;
        }
        long bytes = 0;
        long records = 0;
        long pagesRead = 0;
        for (RestartSession s : chain) {
            bytes += s.bytes();
            records += s.records();
            pagesRead += s.imageResult().pagesRead();
        }
        return new RestartResult(r.info(), r.tasks(), bytes, records, pagesRead,
                Duration.ofNanos(System.nanoTime() - started));
    }

    /** Releases the page destination after a failure outside the reading (once, if anything was handed out). */
    public void release(Throwable failure) {
        pages.release(failure);
    }

    private static String linkName(ImageInfo child, ParentLink link) {
        return "chain link " + link.depth() + " (0x" + Long.toHexString(child.checkpointId()) + " \u2192 parent 0x"
                + Long.toHexString(link.checkpointId()) + ")";
    }

    private static String imageName(RestartSession s) {
        ParentLink l = s.parentLink();
        return "chain image 0x" + Long.toHexString(s.head().checkpointId()) + " (depth " + (l == null ? 0 : l.depth())
                + ")";
    }

    /** The rules of one link, checked from the heads before any page of the chain is read. */
    private static void checkLink(RestartSession c, RestartSession p, ParentLink link, Set<Long> ids, String where)
            throws ImageException {
        ImageInfo ch = c.head();
        ImageInfo ph = p.head();
        long at = c.parentRecordOffset();
        String problem = null;
        if (ph.checkpointId() != link.checkpointId()) {
            problem = "the resolver returned checkpoint 0x" + Long.toHexString(ph.checkpointId()) + ", not the parent";
        } else if (ids.contains(ph.checkpointId())) {
            problem = "a cycle: checkpoint 0x" + Long.toHexString(ph.checkpointId()) + " is already in the chain";
        } else if (!ph.architecture().equals(ch.architecture())) {
            problem = "the parent is of architecture '" + ph.architecture() + "', the image of '" + ch.architecture()
                    + "'";
        } else if (ph.pageSize() != ch.pageSize()) {
            problem = "the parent has page size " + ph.pageSize() + ", the image " + ch.pageSize();
        } else if ((ph.flags() & ImageInfo.FLAG_EXACT) != (ch.flags() & ImageInfo.FLAG_EXACT)) {
            problem = "the parent was written under the " + ph.policy() + " restore policy, the image under "
                    + ch.policy() + ": a chain has one policy";
        } else {
            int pd = p.parentLink() == null ? 0 : p.parentLink().depth();
            if (pd != link.depth() - 1) {
                problem = "the parent is at depth " + pd + ", the image says " + (link.depth() - 1);
            }
        }
        if (problem != null) {
            throw new InvalidImageException("PARENT", at, problem).addTrace(where);
        }
    }

    /** The child's pin against its parent's verified tail, before the child's body is read. */
    private static void checkPin(RestartSession c, RestartSession p) throws ImageException {
        ParentLink link = c.parentLink();
        if (!link.tail().equals(p.tail())) {
            throw new ChecksumException("PARENT", c.parentRecordOffset(), "the parent image is not the one this"
                    + " image was written on: its tail says " + p.tail() + ", the PARENT record pins " + link.tail())
                    .addTrace(linkName(c.head(), link));
        }
    }

    /** Closes the channels the resolver opened. */
    @Override
    public void close() {
        for (ReadableByteChannel ch : opened) {
            try {
                ch.close();
            } catch (IOException e) {
                Log.SYS.debug("closing a parent image: {}", e.toString());
            }
        }
        opened.clear();
    }

    /** The host's destination, released at most once for the whole chain, and only if it handed anything out. */
    static final class Once implements PageDestination {
        private final PageDestination d;
        private boolean allocated;
        private boolean released;

        Once(PageDestination d) {
            this.d = d;
        }

        PageDestination inner() {
            return d;
        }

        @Override
        public ByteBuffer allocate(Run run) throws IOException {
            allocated = true;
            return d.allocate(run);
        }

        @Override
        public void release(Throwable failure) {
            if (allocated && !released) {
                released = true;
                try {
                    d.release(failure);
                } catch (RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
        }
    }
}
