package org.ckpt.cli;

import java.io.BufferedReader;
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

/** A {@link DemoChild} in a second JVM started with this JVM's {@code java}. */
final class Child implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    final long pid;
    final long address;
    final int size;
    final int patterned;

    private Child(Process process, BufferedReader out, Map<String, String> ready) {
        this.process = process;
        this.out = out;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.pid = process.pid();
        this.address = Long.parseUnsignedLong(ready.get("address").substring(2), 16);
        this.size = Integer.parseInt(ready.get("size"));
        this.patterned = Integer.parseInt(ready.get("patterned"));
    }

    static Child start(Path dir, int mib) throws IOException, CliException {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx32m", "-XX:+UseSerialGC", "-XX:-UsePerfData",
                "-XX:TieredStopAtLevel=1", "-XX:MaxDirectMemorySize=" + (mib + 16) + "m", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), DemoChild.class.getName(), dir.toString(),
                Integer.toString(mib)));
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("child.err").toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        try {
            line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return null;
                }
            }).get(60, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            throw CliException.failed("the demo child did not start within 60 s: " + e);
        }
        if (line == null || !line.startsWith("ready ")) {
            p.destroyForcibly();
            String why = line;
            try {
                List<String> err = Files.readAllLines(dir.resolve("child.err"));
                why = err.isEmpty() ? line : err.get(0);
            } catch (IOException e) {
                // keep what stdout said
            }
            throw CliException.failed("the demo child failed to start: " + why);
        }
        Map<String, String> kv = new HashMap<>();
        for (String part : line.substring(6).split(" ")) {
            int eq = part.indexOf('=');
            kv.put(part.substring(0, eq), part.substring(eq + 1));
        }
        return new Child(p, out, kv);
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
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.close();
    }
}
