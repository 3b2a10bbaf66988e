package org.ckpt.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The process {@code ckpt demo} (and the tests) checkpoint: it fills memory with a
 * known pattern (the last quarter zero), opens a few files under a directory — one of
 * them then deleted, one a directory — a pipe holding a few bytes, and a memfd it writes
 * through a shared mapping,
 * prints one {@code ready} line and waits. On
 * the line {@code poke} it changes one byte of its buffer, on {@code scribble} some pages of it
 * ({@link #scribble}), on {@code unmap} it unmaps it; when its stdin closes it exits.
 */
public final class DemoChild {
    static final String NOTES = "notes.txt";
    static final String INPUT = "input.bin";
    static final String SCRATCH = "scratch.tmp";
    static final int SCRATCH_BYTES = 100_000;
    static final long INPUT_POSITION = 4096;
    static final int MEMFD_BYTES = 256 << 10;
    static final String PIPE_BYTES = "buffered in a pipe";

    private DemoChild() {
    }

    /** Every how many pages {@code scribble} writes one of the patterned part. */
    static final int SCRIBBLE_STRIDE = 16;

    /**
     * What an incremental dump must see: new bytes in every {@link #SCRIBBLE_STRIDE}th page of the
     * patterned part, the second whole page of the buffer zeroed, and 8 bytes of the zero part
     * written (at offset {@code patterned}).
     */
    static void scribble(ByteBuffer buf, int patterned, int round) {
        for (int p = 0; p < patterned / 4096; p += SCRIBBLE_STRIDE) {
            buf.putLong(p * 4096 + 8, pattern(p) ^ (round + 1));
        }
        int second = (int) ((4096 - (address(buf) & 4095)) & 4095) + 4096;
        for (int i = second; i < second + 4096; i += 8) {
            buf.putLong(i, 0);
        }
        if (patterned + 8 <= buf.capacity()) {
            buf.putLong(patterned, 0x5C81BB1E0000L + round);
        }
    }

    /** The 8 bytes at {@code offset} of the patterned part: never a zero page. */
    static long pattern(long offset) {
        return (offset + 8) * 0x9E3779B97F4A7C15L;
    }

    /**
     * @param args the directory for the files, the buffer size in MiB, and optionally {@code dense}
     *             (the whole buffer pseudo-random bytes, for bench/dump-vs-gcore) or {@code churn}
     *             (a thread that starts short-lived threads without pause, for the tests)
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int size = Integer.parseInt(args[1]) << 20;
        ByteBuffer buf = ByteBuffer.allocateDirect(size);
        boolean dense = args.length > 2 && args[2].equals("dense");
        if (args.length > 2 && args[2].equals("churn")) {
            // threads come and go all the time: a dump must catch the ones born while it freezes
            Thread churn = new Thread(() -> {
                while (true) {
                    Thread t = new Thread(() -> {
                        // born, gone
                    });
                    t.start();
                    try {
                        t.join();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "churn");
            churn.setDaemon(true);
            churn.start();
        }
        int patterned = dense ? size : size / 4 * 3;
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < patterned; i += 8) {
            if (dense) {
                // xorshift64: every page different, none zero, nothing to compress
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                buf.putLong(i, x);
            } else {
                buf.putLong(i, pattern(i));
            }
        }

        FileChannel notes = FileChannel.open(dir.resolve(NOTES), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        notes.write(ByteBuffer.wrap("written by the ckpt demo child\n".getBytes(StandardCharsets.UTF_8)));
        Path inputPath = dir.resolve(INPUT);
        Files.write(inputPath, new byte[64 << 10]);
        FileChannel input = FileChannel.open(inputPath, StandardOpenOption.READ);
        input.position(INPUT_POSITION);
        Path scratchPath = dir.resolve(SCRATCH);
        FileChannel scratch = FileChannel.open(scratchPath, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        byte[] s = new byte[SCRATCH_BYTES];
        for (int i = 0; i < s.length; i++) {
            s[i] = (byte) (i * 7 + 1);
        }
        scratch.write(ByteBuffer.wrap(s));
        Files.delete(scratchPath);
        DirectoryStream<Path> listing = Files.newDirectoryStream(dir);

        // a pipe with bytes in it: recorded in the image with those bytes (a pipe cannot be restored)
        java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        pipe.sink().write(ByteBuffer.wrap(PIPE_BYTES.getBytes(StandardCharsets.UTF_8)));

        // a memfd, written through a shared mapping: the image must hold its contents once
        int memfd = Linux.memfd_create("ckpt-demo", 0);
        MappedByteBuffer shared;
        try (FileChannel ch = FileChannel.open(Path.of("/proc/self/fd/" + memfd), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            shared = ch.map(FileChannel.MapMode.READ_WRITE, 0, MEMFD_BYTES);
        }
        for (int i = 0; i < MEMFD_BYTES; i += 8) {
            shared.putLong(i, ~pattern(i));
        }

        System.out.println("ready pid=" + ProcessHandle.current().pid() + " address=0x" + Long.toHexString(address(buf))
                + " size=" + size + " patterned=" + patterned + " memfd=" + memfd + " memfd_address=0x"
                + Long.toHexString(address(shared)));
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        int rounds = 0;
        while ((line = in.readLine()) != null) {
            if (line.equals("scribble")) {
                scribble(buf, patterned, rounds++);
                System.out.println("scribbled");
                System.out.flush();
            } else if (line.equals("poke")) {
                buf.put(0, (byte) (buf.get(0) + 1));
                System.out.println("poked");
                System.out.flush();
            } else if (line.equals("unmap")) {
                // the buffer's pages vanish under a dump that listed them (the buffer is never used again)
                long a = address(buf);
                long pageAligned = a & ~4095L;
                Linux.munmap(new com.sun.jna.Pointer(pageAligned), size + (a - pageAligned));
                System.out.println("unmapped");
                System.out.flush();
            }
        }
        // kept reachable (and open) until here
        notes.close();
        input.close();
        scratch.close();
        listing.close();
        shared.force();
        pipe.sink().close();
        pipe.source().close();
    }

    /** The native address of a direct buffer; needs --add-opens java.base/java.nio=ALL-UNNAMED. */
    private static long address(ByteBuffer direct) {
        try {
            Field f = Buffer.class.getDeclaredField("address");
            f.setAccessible(true);
            return f.getLong(direct);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return 0;
        }
    }
}
