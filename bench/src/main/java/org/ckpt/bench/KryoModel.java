package org.ckpt.bench;

import com.esotericsoftware.kryo.Kryo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt.arch.x86.X86_64State;
import org.ckpt.model.AddressSpace;
import org.ckpt.model.FileTable;
import org.ckpt.model.GenericFile;
import org.ckpt.model.Task;
import org.ckpt.model.Vma;

/**
 * The alternative a Java user might pick: plain classes with byte arrays for
 * pages, written by Kryo 5 with references on (so shared file tables and files
 * stay shared). Areas hold their whole contents, zero pages included, because a
 * general serializer has no notion of a page.
 */
public final class KryoModel {
    public static final class KTask {
        int pid;
        int tgid;
        String comm;
        long[] regs;
        KMm mm;
        KTable files;
    }

    public static final class KMm {
        KVma[] vmas;
    }

    public static final class KVma {
        long start;
        long end;
        int prot;
        int flags;
        long[] runAddress;
        byte[][] runBytes;
    }

    public static final class KTable {
        int[] fds;
        boolean[] cloexec;
        KFile[] files;
    }

    public static final class KFile {
        String path;
        int flags;
        int mode;
        long position;
    }

    private KryoModel() {
    }

    public static Kryo kryo() {
        Kryo k = new Kryo();
        k.setReferences(true);
        k.register(KTask.class);
        k.register(KTask[].class);
        k.register(KMm.class);
        k.register(KVma.class);
        k.register(KVma[].class);
        k.register(KTable.class);
        k.register(KFile.class);
        k.register(KFile[].class);
        k.register(long[].class);
        k.register(int[].class);
        k.register(boolean[].class);
        k.register(byte[].class);
        k.register(byte[][].class);
        return k;
    }

    /** The same tasks as Kryo objects; page bytes are the host's arrays, not copies. */
    public static KTask[] of(List<Task> tasks) throws IOException {
        Map<Object, Object> seen = new IdentityHashMap<>();
        KTask[] out = new KTask[tasks.size()];
        for (int i = 0; i < out.length; i++) {
            Task t = tasks.get(i);
            KTask k = new KTask();
            k.pid = t.pid();
            k.tgid = t.tgid();
            k.comm = t.comm();
            k.regs = ((X86_64State) t.cpu()).regs().toArray();
            k.mm = (KMm) seen.computeIfAbsent(t.mm(), m -> mm((AddressSpace) m));
            k.files = (KTable) seen.computeIfAbsent(t.files(), f -> table((FileTable) f, seen));
            out[i] = k;
        }
        return out;
    }

    private static KMm mm(AddressSpace mm) {
        KMm k = new KMm();
        k.vmas = new KVma[mm.vmas().size()];
        for (int i = 0; i < k.vmas.length; i++) {
            Vma v = mm.vmas().get(i);
            KVma kv = new KVma();
            kv.start = v.start();
            kv.end = v.end();
            kv.prot = v.prot();
            kv.flags = v.flags();
            List<Long> addresses = new ArrayList<>();
            List<byte[]> bytes = new ArrayList<>();
            try {
                v.pages().forEachRun((address, run, clean) -> {
                    if (!clean) { // a user who knows pages are the file's does not serialise them either
                        addresses.add(address);
                        bytes.add(array(run));
                    }
                });
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            kv.runAddress = addresses.stream().mapToLong(Long::longValue).toArray();
            kv.runBytes = bytes.toArray(new byte[0][]);
            k.vmas[i] = kv;
        }
        return k;
    }

    /** Copied once while the model is built, outside any measurement (runs are read-only views). */
    private static byte[] array(ByteBuffer run) {
        byte[] copy = new byte[run.remaining()];
        run.duplicate().get(copy);
        return copy;
    }

    private static KTable table(FileTable t, Map<Object, Object> seen) {
        KTable k = new KTable();
        int n = t.entries().size();
        k.fds = new int[n];
        k.cloexec = new boolean[n];
        k.files = new KFile[n];
        for (int i = 0; i < n; i++) {
            FileTable.Entry e = t.entries().get(i);
            k.fds[i] = e.fd();
            k.cloexec[i] = e.closeOnExec();
            k.files[i] = (KFile) seen.computeIfAbsent(e.file(), f -> {
                GenericFile g = (GenericFile) f;
                KFile kf = new KFile();
                kf.path = g.path();
                kf.flags = g.flags();
                kf.mode = g.mode();
                kf.position = g.position();
                return kf;
            });
        }
        return k;
    }
}
