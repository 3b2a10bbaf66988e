package org.ckpt.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.ckpt.CheckpointResult;
import org.ckpt.Checkpointer;
import org.ckpt.ImageInfo;
import org.ckpt.ParentImage;
import org.ckpt.Restarter;
import org.ckpt.model.Task;
import org.ckpt.spi.ArchProvider;
import org.ckpt.spi.ImageException;
import org.ckpt.spi.Limits;
import org.ckpt.spi.RestorePolicy;

/** {@code ckpt dump}: a consistent snapshot of a live process (or tree) into an image. */
final class DumpCommand implements Command {
    static final Spec SPEC = new Spec("dump", "Checkpoint a live Linux process (or a process tree) into an image.")
            .describe("The process is frozen with ptrace (PTRACE_SEIZE + PTRACE_INTERRUPT of every thread, as gdb "
                    + "and CRIU do — no SIGSTOP, so a shell, a parent's waitpid and the process's own SIGCONT handler "
                    + "see nothing) while its registers (every thread), signal state, areas, descriptors and what "
                    + "/proc says about it are read; the kernel's soft-dirty page tracking is reset, and the process "
                    + "released. Its pages are then read while it runs and the image is written; finally it is frozen "
                    + "once more to check that no page was written, no register changed and no area moved — then the "
                    + "image is a snapshot of the first freeze and replaces FILE. If the process did change, it is "
                    + "dumped again, frozen while its pages are copied into memory of ckpt's own (also what "
                    + "--single-freeze, --staging, '-o -' and kernels without soft-dirty tracking do).")
            .describe("The image is written atomically: a temporary file in the same directory, forced to disk and "
                    + "renamed over FILE. If anything fails — the process exits or dies, a page the page table lists "
                    + "cannot be read, SIGINT or SIGTERM arrives — no image is written and a previous FILE is left as "
                    + "it was. A second dump of a process being dumped fails (it is already traced).")
            .describe("With -o s3://BUCKET/KEY the image streams into an upload that is committed only after the "
                    + "last check: until then nothing is visible under the key, and whatever fails leaves nothing "
                    + "there and a previous image under the key as it was. The bucket is looked at (a listing of "
                    + "the key) before the process is frozen.")
            .describe("What the model cannot restore (pipes with their buffered bytes, sockets, ttys, devices, "
                    + "epoll/inotify/eventfd descriptors, areas the kernel lets nobody read) is recorded in the image "
                    + "as task info (ckpt.omitted.*) and listed by 'ckpt show'. Refused (exit 2): kernel threads, "
                    + "zombies, ckpt itself and its ancestors; a thread id dumps its process.")
            .option("PID", "(required) The process to checkpoint (a thread id selects its process).", "--pid")
            .option("FILE", "(required) The image to write: a file, s3://BUCKET/KEY, or '-' for standard output "
                    + "(not atomic).", "-o", "--output")
            .flag("Also dump every descendant of the process, each with its ppid, pgid and sid.", "--tree")
            .flag("Do not freeze the process: read it while it runs. The image may mix moments and has no registers.",
                    "--leave-running")
            .flag("Freeze once, and copy the pages while frozen (no soft-dirty tracking, no second freeze).",
                    "--single-freeze")
            .option("MiB", "With one freeze: memory for a copy of the pages, so that the process runs again before the image is "
                    + "written (default: as much as the process has resident, up to half of the available memory); "
                    + "pages beyond it are read while the image is written, the process still frozen. 0: no copy.",
                    "--staging")
            .option("PREV", "Dump incrementally on PREV, an earlier image of the same process (full or itself "
                    + "incremental): pages unchanged since PREV are not written again but named as PREV's, and the "
                    + "image needs PREV (and its parents) to restart: 'ckpt restart', 'verify', 'show' and 'diff' find "
                    + "them in its directory, 'ckpt merge' makes one full image of the chain. What changed is found "
                    + "by the kernel's soft-dirty bits when this kernel tracks them and PREV's dump reset them, else "
                    + "by comparing each page's XXH64 digest with PREV's; the summary says which. PREV is verified "
                    + "whole first. The image carries page digests for the next --parent.", "--parent")
            .flag("Write page digests (XXH64 of each page) so that a later 'dump --parent' on this image need not "
                    + "hash it (implied by --parent).", "--digests")
            .option("KEY", "Seal the image with this key (docs/FORMAT.md §17): an Ed25519 private key (PKCS#8 PEM) or an "
                    + "HMAC-SHA-256 secret of at least 32 bytes (raw or base64); [ID=]FILE, ID naming the key "
                    + "(default: derived from the key, the same for the private key and its public key).",
                    "--seal-key")
            .option("KEY", "Encrypt the image's records (AES-256-GCM) under this AES-256 key (32 bytes, raw or base64): "
                    + "[ID=]FILE. An encrypted --parent is read with this key too.", "--encrypt-key")
            .option("KEYS", "With --parent: PREV must be sealed by one of these keys (several joined by commas), its "
                    + "seal verified before the dump. " + KeyOptions.FORMATS + ".", "--trust-key")
            .option("KEYS", "With --parent: decrypt an encrypted PREV with these AES-256 keys (several joined by "
                    + "commas), besides --encrypt-key. " + KeyOptions.FORMATS + ".", "--decrypt-key")
            .flag("Print nothing but errors.", "--quiet")
            .flag("Print the summary as JSON (numbers as numbers, times in milliseconds).", "--json")
            .storeOptions(true);

    /** Test hooks (never set outside tests): run right after the freeze, and right before the image is written. */
    static volatile Runnable afterFreezeHook;
    static volatile Runnable beforeWriteHook;

    @Override
    public Spec spec() {
        return SPEC;
    }

    private static void hook(Runnable h) {
        if (h != null) {
            h.run();
        }
    }

    /** What one dump did, for the summary, {@code --json} and {@code ckpt demo}. */
    record Summary(int pid, String comm, String architecture, int pageSize, int processes, int threads, int areas,
                   boolean registers, CheckpointResult result, ProcSnapshot.Stats pages, List<String> largest,
                   List<String> notes, Duration frozen, Duration elapsed, String method,
                   Map<String, Double> phases, Incremental incremental) {
        long pagesRead() {
            return pages.staged + pages.live;
        }
    }

    /**
     * A dump to do; {@code output} null: standard output; {@code parent} the image to dump
     * incrementally on, or null, read with {@code parentKeys} (and the encryption key of {@code keys}).
     */
    record Request(long pid, ImageOutput output, boolean tree, boolean leaveRunning, long stagingLimit,
                   boolean singleFreeze, Path parent, boolean digests, KeyOptions.Writing keys,
                   KeyOptions.Reading parentKeys) {
        Request(long pid, Path output, boolean tree, boolean leaveRunning) {
            this(pid, ImageOutput.file(output), tree, leaveRunning, -1, false, null, false, KeyOptions.Writing.NONE,
                    KeyOptions.Reading.NONE);
        }
    }

    /**
     * How an incremental dump was made: its parent, and how the changed pages were found
     * ({@code soft_dirty} or {@code digests}, with why not the soft-dirty bits).
     */
    record Incremental(String parentFile, long parentId, int depth, String changes, String why) {
    }

    @Override
    public int run(Spec.Parsed a, Io io) throws Exception {
        long pid = a.number("--pid", 0);
        String out = a.string("--output");
        long staging = a.number("--staging", -1);
        if (a.has("--staging") && staging < 0) {
            throw SPEC.usage("--staging must be 0 or more MiB");
        }
        if (a.has("--chunked") && !Stores.isUri(out)) {
            throw SPEC.usage("--chunked is for images in object storage (-o s3://BUCKET/KEY)");
        }
        if (!a.has("--parent") && (a.has("--trust-key") || a.has("--decrypt-key"))) {
            throw SPEC.usage("--trust-key and --decrypt-key are for reading --parent PREV");
        }
        if (a.has("--parent") && Stores.isUri(a.string("--parent"))) {
            throw SPEC.usage("--parent must be an image file, not " + a.string("--parent")
                    + " (the output may be in object storage)");
        }
        ImageOutput output = out.equals("-") ? null : ImageOutput.of(out, io.stores);
        Request r = new Request(pid, output, a.has("--tree"), a.has("--leave-running"),
                staging < 0 ? -1 : staging << 20, a.has("--single-freeze"),
                a.has("--parent") ? Path.of(a.string("--parent")) : null, a.has("--digests"), KeyOptions.Writing.of(a),
                KeyOptions.Reading.of(a));
        // with the image on stdout, the summary goes to stderr
        PrintWriter text = output == null ? io.err : io.out;
        List<String> warnings = new ArrayList<>();
        Summary s;
        try {
            s = dump(r, io, warnings);
        } finally {
            if (output != null) {
                output.close();
            }
        }
        if (a.has("--json")) {
            Map<String, Object> j = json(s, out);
            if (r.keys().seal() != null) {
                j.put("seal_key_id", r.keys().seal().keyId());
            }
            if (r.keys().encrypt() != null) {
                j.put("encryption_key_id", r.keys().encrypt().keyId());
            }
            text.println(Tree.json(j));
        } else if (!a.has("--quiet")) {
            for (String w : warnings) {
                io.err.println("ckpt dump: " + w);
            }
            print(s, out, text);
            if (r.keys().describe() != null) {
                text.println("  " + r.keys().describe());
            }
        }
        text.flush();
        return Main.OK;
    }

    /**
     * The parent of an incremental dump, read and verified whole before anything is frozen — with
     * {@code keys}: its seal verified if they trust any key, decrypted with theirs — one the image
     * could not be a child of (another architecture, page size or policy, a chain at its depth
     * limit) is refused here (exit 2), an invalid one exits 1 naming it.
     */
    static ParentImage parent(Path prev, String arch, int pageSize, Limits limits, KeyOptions.Reading keys)
            throws IOException, CliException {
        if (!Files.isRegularFile(prev)) {
            throw CliException.usage("--parent: no such image file: " + prev);
        }
        ParentImage p;
        try {
            Restarter.Builder rb = Restarter.builder().limits(limits);
            keys.apply(rb);
            p = rb.build().parentImage(prev);
        } catch (ImageException e) {
            throw CliException.failed("--parent " + prev + " is an invalid image: " + e.getMessage());
        }
        String problem = null;
        if (!p.architecture().equals(arch)) {
            problem = "it is an image of architecture " + p.architecture() + ", the process is " + arch;
        } else if (p.pageSize() != pageSize) {
            problem = "its page size is " + p.pageSize() + ", the process's " + pageSize;
        } else if ((p.flags() & ImageInfo.FLAG_EXACT) != 0) {
            problem = "it was written under the EXACT restore policy; a dump is LINUX_USER";
        } else if (p.depth() + 1 > limits.maxChainDepth()) {
            problem = "its chain is at depth " + p.depth() + ", the most a child may have is "
                    + limits.maxChainDepth() + ": merge it first ('ckpt merge " + prev + " -o " + prev + "')";
        }
        if (problem != null) {
            throw CliException.usage("--parent " + prev + ": " + problem);
        }
        return p;
    }

    /**
     * Why the soft-dirty bits cannot say what changed since {@code prev}, or null when they can:
     * the kernel tracks them, the dump is of one process frozen, and the last reset of that
     * process's bits was the freeze of {@code prev}'s own dump.
     */
    static String softDirtyUnusable(Request r, int tgid, ParentImage prev) {
        if (!SoftDirty.works()) {
            return SoftDirty.unavailable();
        }
        if (r.leaveRunning()) {
            return "--leave-running: nothing is frozen";
        }
        if (r.tree()) {
            return "--tree: the processes of a tree may be in another order than in the parent";
        }
        if (!SoftDirty.resetAt(tgid, prev.checkpointId())) {
            return "the process's soft-dirty bits were not last reset by the dump of " + Fmt.hex(prev.checkpointId())
                    + " (another dump since, or another process)";
        }
        return null;
    }

    /** The process to dump: a thread id maps to its process; what cannot be dumped is refused (exit 2). */
    static int resolve(long pid, List<String> warnings) throws CliException {
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            throw CliException.usage("pid must be a positive process id: " + pid);
        }
        if (!Files.isDirectory(ProcFs.dir(pid))) {
            throw CliException.usage("no such process: " + pid);
        }
        int tgid = ProcTree.tgid(pid);
        if (tgid < 0) {
            throw CliException.usage("no such process: " + pid);
        }
        if (tgid != pid) {
            warnings.add("pid " + pid + " is a thread of process " + tgid + ": dumping process " + tgid);
        }
        if (ProcTree.selfAndAncestors().contains((long) tgid)) {
            throw CliException.usage("process " + tgid + (tgid == ProcessHandle.current().pid() ? " is ckpt itself"
                    : " is an ancestor of this ckpt") + ": freezing it would stop ckpt too; it cannot be dumped");
        }
        ProcFs.Stat st;
        try {
            st = ProcFs.stat(ProcFs.dir(tgid));
        } catch (IOException e) {
            throw CliException.usage("no such process: " + pid);
        }
        if ((st.num(9) & ProcTree.PF_KTHREAD) != 0) {
            throw CliException.usage("process " + tgid + " (" + st.comm() + ") is a kernel thread: it has no user "
                    + "memory or registers to dump");
        }
        if (st.state() == 'Z' || st.state() == 'X' || st.state() == 'x') {
            throw CliException.usage("process " + tgid + " (" + st.comm() + ") is a zombie: it has exited and only "
                    + "its exit status is left for its parent; there is nothing to dump");
        }
        return tgid;
    }

    /** How a dump keeps its image consistent. */
    enum Mode {
        /**
         * Freeze, read everything but pages, clear the soft-dirty bits, release; write the image
         * reading pages while the process runs; freeze again and check that nothing changed
         * ({@link Fingerprint}) before the image replaces FILE. Two short freezes.
         */
        TWO_FREEZES,
        /** Freeze, read everything and copy the pages into staging memory, release, write. */
        ONE_FREEZE,
        /** {@code --leave-running}: no freeze, no registers. */
        RUNNING
    }

    /** The process changed between the two freezes: dump it again, frozen while its pages are copied. */
    private static final class Changed extends IOException {
        private static final long serialVersionUID = 1L;

        Changed(String why) {
            super(why);
        }
    }

    /** Everything a dump attempt needs that does not depend on the mode. */
    private record Prepared(int tgid, String arch, ElfArch elf, int pageSize, Checkpointer ckpt,
                            ProcSnapshot.Options options, List<Integer> known, Incremental incremental) {
        /** The same dump, its changes found by digests: the soft-dirty bits cannot be trusted ({@code why}). */
        Prepared withoutSoftDirty(String why) {
            if (incremental == null || !options.softDirtyParent()) {
                return this;
            }
            return new Prepared(tgid, arch, elf, pageSize, ckpt, options.withoutSoftDirty(), known,
                    new Incremental(incremental.parentFile(), incremental.parentId(), incremental.depth(), "digests",
                            why));
        }
    }

    static Summary dump(Request r, Io io, List<String> warnings) throws IOException, CliException {
        long started = System.nanoTime();
        Phases phases = new Phases();
        int tgid = resolve(r.pid(), warnings);
        if (r.output() != null) {
            r.output().check();
        }
        String arch = ProcFs.architecture(tgid);
        ArchProvider provider = provider(arch);
        ElfArch elf = ElfArch.of(arch);
        int pageSize = ProcFs.pageSize(tgid, !arch.equals("i386") && !arch.equals("ppc32"));
        Limits limits = Limits.DEFAULTS;
        Checkpointer.Builder cb = Checkpointer.builder().architecture(arch).root("/").pageSize(pageSize)
                .limits(limits).policy(RestorePolicy.LINUX_USER).pageDigests(r.digests());
        if (r.keys().encrypt() == null) {
            // An encrypted image's head stays in clear: it names no machine (the library's default).
            cb.uname(ProcFs.uname());
        }
        r.keys().apply(cb);
        Incremental incremental = null;
        boolean softDirtyParent = false;
        if (r.parent() != null) {
            // a chain encrypted under one key: the parent is read with the key the child is written under too
            ParentImage prev = parent(r.parent(), arch, pageSize, limits,
                    r.parentKeys().decryptingWith(r.keys().encrypt()));
            cb.parent(prev).pageDigests(true);
            String why = softDirtyUnusable(r, tgid, prev);
            softDirtyParent = why == null;
            incremental = new Incremental(r.parent().toString(), prev.checkpointId(), prev.depth() + 1,
                    softDirtyParent ? "soft_dirty" : "digests", why);
            phases.end("parent");
        }
        Checkpointer ckpt = cb.build();
        phases.end("resolve");
        // load the native library and the note converters now, not while the process is frozen
        // (the checkpoint itself runs after the release; with --staging 0 its first use is frozen)
        if (r.stagingLimit() == 0) {
            ckpt.checkpoint(List.of(), Channels.newChannel(OutputStream.nullOutputStream()));
        }
        Warmup.run(elf);
        phases.end("native");

        List<Integer> known = new ArrayList<>(List.of(tgid));
        if (r.tree()) {
            known.addAll(ProcTree.descendants(tgid));
        }
        Map<Integer, Character> before = new HashMap<>();
        for (int p : known) {
            try {
                before.putAll(ProcFs.threadStates(p));
            } catch (IOException e) {
                // exited meanwhile; the freeze finds out
            }
        }
        ProcSnapshot.Options options = new ProcSnapshot.Options(known, null, Staging.none(), limits,
                provider.addressLimit(arch, RestorePolicy.LINUX_USER), pageSize, arch, elf, before, false, false,
                softDirtyParent);
        if (!r.leaveRunning()) {
            try (ProcSnapshot dry = new ProcSnapshot(options.dry())) {
                dry.read();
            } catch (CliException | IOException e) {
                // the real pass reports what is wrong
            }
        }
        phases.end("dry_run");
        Prepared p = new Prepared(tgid, arch, elf, pageSize, ckpt, options, known, incremental);
        Mode mode = r.leaveRunning() ? Mode.RUNNING
                : r.output() == null || r.stagingLimit() >= 0 || r.singleFreeze() ? Mode.ONE_FREEZE : Mode.TWO_FREEZES;
        if (mode == Mode.TWO_FREEZES && !SoftDirty.works()) {
            // Known before the freeze: decided inside it, the staging memory was mapped and populated
            // while the process stood frozen (210 ms of page faults for 500 MiB on a kernel without
            // CONFIG_MEM_SOFT_DIRTY), on top of the copy.
            mode = Mode.ONE_FREEZE;
        }
        // the tracer of the attempt in progress, for the signal handler to release
        AtomicReference<Tracer> current = new AtomicReference<>();
        Interrupts interrupts = Interrupts.install(() -> {
            Tracer t = current.get();
            if (t != null) {
                t.close();
            }
        });
        try {
            if (mode == Mode.TWO_FREEZES) {
                try {
                    return attempt(p, r, io, Mode.TWO_FREEZES, phases, started, List.of(), current);
                } catch (Changed c) {
                    String why = "the process ran while its pages were read (" + c.getMessage()
                            + "): dumped again, frozen while its pages were copied";
                    phases.end("two_freezes_changed");
                    // the first attempt reset the soft-dirty bits: they no longer count from the parent
                    return attempt(p.withoutSoftDirty("the first attempt of this dump reset them"), r, io,
                            Mode.ONE_FREEZE, phases, started, List.of(why), current);
                }
            }
            return attempt(p, r, io, mode, phases, started, List.of(), current);
        } catch (IOException | CliException | RuntimeException e) {
            if (interrupts.signal() != 0) {
                Thread.interrupted();
                throw interrupted(interrupts.signal(), r.output());
            }
            throw e;
        } finally {
            interrupts.close();
        }
    }

    private static Summary attempt(Prepared p, Request r, Io io, Mode mode, Phases phases, long started,
                                   List<String> extraNotes, AtomicReference<Tracer> current)
            throws IOException, CliException {
        Staging staging = Staging.none();
        if (mode == Mode.ONE_FREEZE && r.stagingLimit() != 0) {
            long bytes = stagingEstimate(p.known(), p.pageSize(), false);
            staging = Staging.allocate(r.stagingLimit() > 0 ? Math.min(bytes, r.stagingLimit()) : bytes);
            phases.end("staging");
        } else if (mode == Mode.TWO_FREEZES) {
            staging = Staging.allocate(stagingEstimate(p.known(), p.pageSize(), true));
            phases.end("staging");
        }
        Tracer tracer = null;
        ProcSnapshot snap = null;
        long frozenNanos = 0;
        try {
            Tracer t = mode == Mode.RUNNING ? null : Tracer.prepare(p.tgid(), r.tree());
            tracer = t;
            current.set(t);
            long freezeStart = System.nanoTime();
            if (t != null) {
                t.freeze();
            }
            phases.end("freeze");
            hook(afterFreezeHook);
            List<Integer> processes = t != null ? t.processes() : p.known();
            boolean twoFreezes = mode == Mode.TWO_FREEZES;
            if (twoFreezes && !SoftDirty.canReset(processes)) {
                twoFreezes = false; // no soft-dirty tracking here: copy the pages now, still frozen
                if (r.stagingLimit() != 0) {
                    staging.close();
                    staging = Staging.allocate(stagingEstimate(processes, p.pageSize(), false));
                }
            }
            Fingerprint first = twoFreezes ? Fingerprint.take(t, processes, p.elf()) : null;
            // an incremental dump's soft-dirty sets are read here, before the bits are reset
            snap = new ProcSnapshot(p.options().frozen(processes, t, staging, twoFreezes)).read();
            phases.end("read");
            // Reset the soft-dirty bits now, frozen: the moment this image is a snapshot of. A
            // two-freeze dump checks against them; a later dump --parent on this image counts from them.
            List<Integer> reset = new ArrayList<>();
            if (t != null && SoftDirty.works()) {
                for (int tgid : processes) {
                    SoftDirty.forget(tgid);
                    if (SoftDirty.reset(tgid)) {
                        reset.add(tgid);
                    } else if (twoFreezes) {
                        throw new Changed("its soft-dirty bits could not be reset");
                    }
                }
                phases.end("soft_dirty_reset");
            }
            if (twoFreezes && snap.sharedNotCopied > 0) {
                throw new Changed("its shared writable memory grew past the memory set aside to copy it");
            }
            if (t != null) {
                t.checkAlive(previous(r.output()));
                if (twoFreezes || snap.allStaged) {
                    t.close();
                    frozenNanos += System.nanoTime() - freezeStart;
                }
            }
            phases.end("release");
            hook(beforeWriteHook);
            CheckpointResult result;
            if (twoFreezes) {
                List<Task> tasks = snap.tasks;
                long[] second = new long[1];
                result = r.output().write(ch -> {
                    CheckpointResult res;
                    try {
                        res = p.ckpt().checkpoint(tasks, ch);
                    } catch (IOException e) {
                        // a page listed at the first freeze was unmapped since: the process changed
                        for (Throwable c = e; c != null; c = c.getCause()) {
                            if (c instanceof ProcPages.ProcessChanged pc && !pc.gone) {
                                throw new Changed("a page it had was unmapped while it was read");
                            }
                        }
                        throw e;
                    }
                    phases.end("write");
                    long s = System.nanoTime();
                    Tracer again = Tracer.freeze(p.tgid(), r.tree());
                    current.set(again);
                    try {
                        Fingerprint now = Fingerprint.take(again, again.processes(), p.elf());
                        String why = first.changes(now, p.pageSize(), p.options().userLimit());
                        if (why != null) {
                            throw new Changed(why);
                        }
                    } finally {
                        again.close();
                        second[0] = System.nanoTime() - s;
                        phases.end("second_freeze");
                    }
                    return res;
                });
                frozenNanos += second[0];
                phases.end("commit");
            } else {
                result = write(p.ckpt(), snap.tasks, r.output(), io);
                phases.end("write");
                if (t != null && !snap.allStaged) {
                    t.close();
                    frozenNanos = System.nanoTime() - freezeStart;
                }
            }
            for (int tgid : reset) {
                SoftDirty.remember(tgid, result.checkpointId());
            }
            Task firstTask = snap.tasks.isEmpty() ? null : snap.tasks.get(0);
            List<String> notes = new ArrayList<>(extraNotes);
            notes.addAll(snap.notes);
            String how = switch (mode == Mode.TWO_FREEZES && !twoFreezes ? Mode.ONE_FREEZE : mode) {
                case TWO_FREEZES -> "two_freezes";
                case ONE_FREEZE -> snap.allStaged ? "one_freeze_staged" : "one_freeze_until_written";
                case RUNNING -> "running";
            };
            return new Summary(p.tgid(), firstTask == null ? "?" : firstTask.comm(), p.arch(), p.pageSize(),
                    processes.size(), snap.tasks.size(), snap.areas, t != null && p.elf() != null, result, snap.stats,
                    snap.largestAreas(3), notes, Duration.ofNanos(frozenNanos),
                    Duration.ofNanos(System.nanoTime() - started), how, phases.millis(), p.incremental());
        } catch (Changed c) {
            throw c;
        } catch (IOException | CliException | RuntimeException e) {
            rethrow(e, r.output());
            // whatever failed, if the process died meanwhile that is the reason to give
            if (tracer != null && !tracer.isClosed()) {
                tracer.checkAliveAfterFailure(previous(r.output()));
            }
            if (tracer == null && !ProcFs.alive(p.tgid())) {
                throw CliException.failed("process " + p.tgid() + " exited during the dump: no image written"
                        + previous(r.output()));
            }
            throw e;
        } finally {
            current.set(null);
            if (tracer != null) {
                tracer.close();
            }
            if (snap != null) {
                snap.close();
            }
            staging.close();
        }
    }

    private static CliException interrupted(int sig, ImageOutput output) {
        return new CliException(128 + sig, "interrupted by " + Signals.name(sig) + ": the process was released, "
                + "no image was written" + (output != null && output.hadPrevious() ? " and " + output.name()
                + " keeps its previous contents" : ""));
    }

    private static String previous(ImageOutput output) {
        return output != null && output.hadPrevious() ? " (" + output.name() + " keeps its previous contents)" : "";
    }

    /** A process that changed under a read while the image was written: one line saying so (exit 1). */
    private static void rethrow(Exception e, ImageOutput output) throws CliException {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof ProcPages.ProcessChanged p) {
                throw CliException.failed(p.getMessage() + ": no image written" + previous(output));
            }
        }
    }

    private static CheckpointResult write(Checkpointer ckpt, List<Task> tasks, ImageOutput output, Io io)
            throws IOException, CliException {
        if (output == null) {
            return ckpt.checkpoint(tasks, io.stdout());
        }
        try {
            return output.write(ch -> ckpt.checkpoint(tasks, ch));
        } catch (java.nio.file.FileSystemException e) {
            throw CliException.usage("cannot write " + output.name() + ": " + reason(e));
        }
    }

    private static String reason(java.nio.file.FileSystemException e) {
        String why = e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
        if (e instanceof java.nio.file.AccessDeniedException) {
            why = "Permission denied";
        } else if (e instanceof java.nio.file.NoSuchFileException) {
            why = "No such file or directory";
        }
        return why + (e.getFile() != null && !e.getFile().isEmpty() ? " (" + e.getFile() + ")" : "");
    }

    /** The output must be creatable before anything is frozen: its directory exists and is writable, on a real file system. */
    static void checkOutput(Path output) throws CliException {
        Path abs = output.toAbsolutePath();
        Path parent = abs.getParent();
        if (parent == null) {
            throw CliException.usage("cannot write " + output + ": it names no file");
        }
        if (Files.isDirectory(abs)) {
            throw CliException.usage("cannot write " + output + ": it is a directory");
        }
        if (!Files.isDirectory(parent)) {
            throw CliException.usage("cannot write " + output + ": no such directory " + parent);
        }
        try {
            Path probe = Files.createTempFile(parent, ".ckpt-probe-", "");
            Files.delete(probe);
        } catch (java.nio.file.FileSystemException e) {
            throw CliException.usage("cannot write " + output + ": cannot create a file in " + parent + ": "
                    + reason(e));
        } catch (IOException e) {
            throw CliException.usage("cannot write " + output + ": " + e.getMessage());
        }
    }

    /**
     * Bytes a dump will copy while frozen, capped by half of what is free: resident and swapped
     * memory and shared areas (read whole) — or with {@code sharedWritableOnly}, for a two-freeze
     * dump, only the shared writable areas.
     */
    static long stagingEstimate(List<Integer> processes, int pageSize, boolean sharedWritableOnly) {
        long total = 0;
        for (int p : processes) {
            try {
                if (!sharedWritableOnly) {
                    Map<String, String> r = kv(ProcFs.read(ProcFs.dir(p).resolve("smaps_rollup")));
                    total += kib(r.get("Rss")) + kib(r.get("Swap"));
                }
                for (ProcFs.MapsEntry e : ProcFs.maps(p)) {
                    if (e.shared() && (!sharedWritableOnly || (e.prot() & 2) != 0)) {
                        total += e.end() - e.start();
                    }
                }
            } catch (IOException | RuntimeException e) {
                // gone or unreadable: the freeze reports it
            }
        }
        long available = 0;
        try {
            available = kib(kv(ProcFs.read(ProcFs.PROC.resolve("meminfo"))).get("MemAvailable"));
        } catch (IOException | RuntimeException e) {
            // unknown: stage nothing more than a little
        }
        return total == 0 ? 0 : Math.min(total + 4L * pageSize, available / 2);
    }

    private static Map<String, String> kv(String text) {
        Map<String, String> m = new HashMap<>();
        for (String line : text.split("\n")) {
            int c = line.indexOf(':');
            if (c > 0) {
                m.put(line.substring(0, c).trim(), line.substring(c + 1).trim());
            }
        }
        return m;
    }

    private static long kib(String v) {
        return v == null ? 0 : Long.parseLong(v.replace("kB", "").trim()) * 1024;
    }

    static ArchProvider provider(String arch) throws CliException {
        TreeSet<String> known = new TreeSet<>();
        for (ArchProvider p : ServiceLoader.load(ArchProvider.class, Main.class.getClassLoader())) {
            if (p.architectures().contains(arch)) {
                return p;
            }
            known.addAll(p.architectures());
        }
        throw CliException.usage("process architecture '" + arch + "' has no ckpt architecture provider "
                + "(this ckpt has " + String.join(", ", known) + ")");
    }

    static Map<String, Object> json(Summary s, String output) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", s.pid());
        m.put("comm", s.comm());
        m.put("output", output);
        m.put("architecture", s.architecture());
        m.put("processes", s.processes());
        m.put("threads", s.threads());
        m.put("areas", s.areas());
        m.put("registers", s.registers());
        m.put("page_size", s.pageSize());
        m.put("pages_read", s.pagesRead());
        m.put("pages_staged", s.pages().staged);
        m.put("pages_read_while_writing", s.pages().live);
        m.put("pages_written", s.result().pagesWritten());
        m.put("zero_pages_skipped", s.result().zeroPagesSkipped());
        m.put("pages_never_touched", s.pages().untouched);
        m.put("clean_file_pages_left_to_files", s.pages().leftToFile);
        m.put("pages_in_file_objects", s.pages().inFileObjects);
        m.put("image_bytes", s.result().bytesWritten());
        m.put("records", s.result().recordsWritten());
        m.put("frozen_ms", s.frozen().toNanos() / 1e6);
        m.put("write_ms", s.result().elapsed().toNanos() / 1e6);
        m.put("elapsed_ms", s.elapsed().toNanos() / 1e6);
        m.put("method", s.method());
        m.put("phases_ms", s.phases());
        m.put("left_out", s.notes());
        if (s.incremental() != null) {
            Incremental i = s.incremental();
            Map<String, Object> inc = new LinkedHashMap<>();
            inc.put("parent", i.parentFile());
            inc.put("parent_checkpoint_id", Fmt.hex(i.parentId()));
            inc.put("depth", i.depth());
            inc.put("pages_from_parent", s.result().pagesFromParent());
            inc.put("changes_found_by", i.changes());
            if (i.why() != null) {
                inc.put("soft_dirty_not_used", i.why());
            }
            m.put("incremental", inc);
        }
        return m;
    }

    static void print(Summary s, String output, PrintWriter out) {
        CheckpointResult r = s.result();
        out.println("dumped pid " + s.pid() + " (" + s.comm() + ") to " + output + ": " + s.architecture() + ", "
                + (s.processes() > 1 ? Fmt.plural(s.processes(), "process") + ", " : "")
                + Fmt.plural(s.threads(), "thread") + ", " + Fmt.plural(s.areas(), "area") + ", "
                + (s.registers() ? "registers of every thread" : "no registers (--leave-running)"));
        out.println("  pages: " + Fmt.count(s.pagesRead()) + " read (" + Fmt.bytes(s.pagesRead() * s.pageSize())
                + "), " + Fmt.count(r.pagesWritten()) + " written, " + Fmt.count(r.zeroPagesSkipped())
                + " zero pages skipped, " + Fmt.count(s.pages().untouched) + " never touched (not read), "
                + Fmt.count(s.pages().leftToFile) + " clean file pages left to their files"
                + (s.pages().inFileObjects > 0 ? ", " + Fmt.count(s.pages().inFileObjects)
                + " in deleted/memfd file objects (saved once)" : ""));
        out.println("  image: " + Fmt.bytes(r.bytesWritten()) + " in " + Fmt.plural(r.recordsWritten(), "record")
                + ", written in " + Fmt.seconds(r.elapsed()) + " (" + Fmt.rate(r.bytesWritten(), r.elapsed()) + ")"
                + (s.frozen().isZero() ? "" : "; process frozen for " + Fmt.millis(s.frozen()) + " ("
                + switch (s.method()) {
                    case "two_freezes" -> "twice: to read it, and to check nothing changed while its pages were written";
                    case "one_freeze_staged" -> "its pages copied, released before writing";
                    default -> "until written";
                } + ")"));
        if (s.incremental() != null) {
            Incremental i = s.incremental();
            out.println("  incremental on " + i.parentFile() + " (checkpoint " + Fmt.hex(i.parentId()) + "): depth "
                    + i.depth() + ", " + Fmt.count(r.pagesWritten()) + " pages written, "
                    + Fmt.count(r.pagesFromParent()) + " unchanged taken from the parent; changes found by "
                    + (i.changes().equals("soft_dirty") ? "the kernel's soft-dirty bits (reset by the parent's dump)"
                    : "comparing page digests with the parent's (soft-dirty bits not used: " + i.why() + ")"));
        }
        if (!s.largest().isEmpty()) {
            out.println("  largest areas:");
            for (String a : s.largest()) {
                out.println("    " + a);
            }
        }
        if (!s.notes().isEmpty()) {
            out.println("  recorded but not restorable, or left out (" + s.notes().size() + "; 'ckpt show --all' "
                    + "lists them per task):");
            for (String n : s.notes()) {
                out.println("    " + n);
            }
        }
        out.flush();
    }
}
