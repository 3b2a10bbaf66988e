package org.ckpt.cli;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link DemoChild} in a second JVM started with this JVM's {@code java} — not as this
 * JVM's child (see {@link #start}), so it can be dumped from here.
 */
final class Child implements AutoCloseable {
    private final BufferedReader out;
    private final Writer in;
    final long pid;
    final long address;
    final int size;
    final int patterned;
    final int memfd;
    final long memfdAddress;

    private Child(BufferedReader out, Writer in, Map<String, String> ready) {
        this.out = out;
        this.in = in;
        this.pid = Long.parseLong(ready.get("pid"));
        this.address = Long.parseUnsignedLong(ready.get("address").substring(2), 16);
        this.size = Integer.parseInt(ready.get("size"));
        this.patterned = Integer.parseInt(ready.get("patterned"));
        this.memfd = Integer.parseInt(ready.get("memfd"));
        this.memfdAddress = Long.parseUnsignedLong(ready.get("memfd_address").substring(2), 16);
    }

    /**
     * Starts the child through a shell that exits at once, so that this JVM is not its parent: a
     * parent JVM waits for each child in waitpid(pid, 0), which would also take the ptrace stops of
     * a dump out of the tracer's hands. Its stdin and stdout are two FIFOs in {@code dir} (a pipe of
     * a Process is closed by the JVM when that process, here the shell, exits).
     */
    static Child start(Path dir, int mib) throws IOException, CliException {
        return start(dir, mib, List.of());
    }

    /** {@link #start(Path, int)} with further arguments for {@link DemoChild} ({@code dense}, {@code churn}). */
    static Child start(Path dir, int mib, List<String> more) throws IOException, CliException {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx32m", "-XX:+UseSerialGC", "-XX:-UsePerfData",
                "-XX:TieredStopAtLevel=1", "-XX:MaxDirectMemorySize=" + (mib + 16) + "m", "--add-opens",
                "java.base/java.nio=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                DemoChild.class.getName(), dir.toString(), Integer.toString(mib)));
        cmd.addAll(more);
        Path toChild = dir.resolve("child.in");
        Path fromChild = dir.resolve("child.out");
        Path err = dir.resolve("child.err");
        Linux.mkfifo(toChild.toString(), 0600);
        Linux.mkfifo(fromChild.toString(), 0600);
        List<String> sh = new ArrayList<>(List.of("/bin/sh", "-c", "\"$@\" < '" + toChild + "' > '" + fromChild
                + "' 2> '" + err + "' & exit 0", "sh"));
        sh.addAll(cmd);
        Process p = new ProcessBuilder(sh).start();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
            // the child's shell opens its stdin first, then its stdout: open ours in that order
            CompletableFuture<Object[]> opened = CompletableFuture.supplyAsync(() -> {
                try {
                    Writer w = new OutputStreamWriter(new FileOutputStream(toChild.toFile()), StandardCharsets.UTF_8);
                    BufferedReader r = new BufferedReader(new InputStreamReader(new FileInputStream(
                            fromChild.toFile()), StandardCharsets.UTF_8));
                    return new Object[] {w, r, r.readLine()};
                } catch (IOException e) {
                    return new Object[] {null, null, null};
                }
            });
            Object[] o = opened.get(60, TimeUnit.SECONDS);
            String line = (String) o[2];
            if (line == null || !line.startsWith("ready ")) {
                List<String> lines = Files.exists(err) ? Files.readAllLines(err) : List.of();
                throw CliException.failed("the demo child failed to start: " + (lines.isEmpty() ? line : lines.get(0)));
            }
            Map<String, String> kv = new HashMap<>();
            for (String part : line.substring(6).split(" ")) {
                int eq = part.indexOf('=');
                kv.put(part.substring(0, eq), part.substring(eq + 1));
            }
            return new Child((BufferedReader) o[1], (Writer) o[0], kv);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw CliException.failed("the demo child did not start within 60 s: " + e);
        }
    }

    /** Stops the child with SIGSTOP (job control, as a user would) and waits until every thread is stopped. */
    void stop() throws IOException, CliException {
        Linux.kill((int) pid, 19);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            boolean all = true;
            for (char c : ProcFs.threadStates(pid).values()) {
                all &= c == 'T' || c == 't' || c == 'Z' || c == 'X';
            }
            if (all) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw CliException.failed("the child did not stop within 5 s of SIGSTOP");
            }
            Thread.onSpinWait();
        }
    }

    /** Continues a stopped child (SIGCONT). */
    void cont() {
        Linux.kill((int) pid, 18);
    }

    /** Makes the child unmap its buffer, and waits until it has. */
    void unmap() throws IOException {
        in.write("unmap\n");
        in.flush();
        String ack = out.readLine();
        if (!"unmapped".equals(ack)) {
            throw new IOException("demo child answered " + ack);
        }
    }

    /** Closes the child's stdin: it exits by itself. */
    void exit() throws IOException {
        in.close();
    }

    /** Makes the child change some pages of its buffer ({@link DemoChild#scribble}), and waits until it has. */
    void scribble() throws IOException {
        in.write("scribble\n");
        in.flush();
        String ack = out.readLine();
        if (!"scribbled".equals(ack)) {
            throw new IOException("demo child answered " + ack);
        }
    }

    /** Makes the child change one byte of its buffer, and waits until it has. */
    void poke() throws IOException {
        in.write("poke\n");
        in.flush();
        String ack = out.readLine();
        if (!"poked".equals(ack)) {
            throw new IOException("demo child answered " + ack);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            Linux.kill((int) pid, 9);
        } catch (com.sun.jna.LastErrorException e) {
            // gone already
        }
        in.close();
        out.close();
    }
}
