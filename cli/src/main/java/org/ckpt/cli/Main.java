package org.ckpt.cli;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.ckpt.Checkpointer;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.ImageException;
import org.ckpt.store.StoreException;

/**
 * The {@code ckpt} command. Exit codes: 0 success, 1 an invalid image, a failed check or
 * a dump that could not be made consistent (the message says which), 2 bad arguments or
 * an input, output or process that cannot be used, 3 an internal error; 128 + the signal
 * number when SIGINT or SIGTERM ended it.
 */
public final class Main {
    static final int OK = 0;
    static final int INVALID = 1;
    static final int USAGE = 2;
    static final int INTERNAL = 3;

    /** The subcommands in the order help lists them; each class is loaded only when used. */
    private static final Map<String, Supplier<Command>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("dump", DumpCommand::new);
        COMMANDS.put("show", ShowCommand::new);
        COMMANDS.put("verify", VerifyCommand::new);
        COMMANDS.put("diff", DiffCommand::new);
        COMMANDS.put("merge", MergeCommand::new);
        COMMANDS.put("stat", StatCommand::new);
        COMMANDS.put("restart", RestartCommand::new);
        COMMANDS.put("export-core", ExportCoreCommand::new);
        COMMANDS.put("import-core", ImportCoreCommand::new);
        COMMANDS.put("demo", DemoCommand::new);
    }

    private Main() {
    }

    public static void main(String[] args) {
        for (String a : args) {
            if (a.equals("--debug")) {
                // must be set before the first logger is created
                System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
            }
        }
        Io io = Io.system();
        Interrupts.enabled = true;
        int code = run(io, args);
        io.out.flush();
        io.err.flush();
        System.exit(code);
    }

    /** Runs {@code ckpt args...} with {@code io} and returns the exit code. */
    static int run(Io io, String... args) {
        List<String> rest = new ArrayList<>();
        boolean debug = false;
        for (String a : args) {
            if (a.equals("--debug")) {
                debug = true;
            } else {
                rest.add(a);
            }
        }
        if (rest.isEmpty()) {
            io.err.print(usage());
            io.err.println("ckpt: no command given");
            io.err.flush();
            return USAGE;
        }
        String first = rest.get(0);
        if (first.equals("--version") || first.equals("-V")) {
            io.out.println(version());
            io.out.flush();
            return OK;
        }
        if (first.equals("--help") || first.equals("-h")) {
            io.out.print(usage());
            io.out.flush();
            return OK;
        }
        if (first.equals("help")) {
            if (rest.size() == 1) {
                io.out.print(usage());
                io.out.flush();
                return OK;
            }
            first = rest.get(1);
            rest = List.of(first, "--help");
        }
        Supplier<Command> s = COMMANDS.get(first);
        if (s == null) {
            io.err.println("ckpt: unknown command '" + first + "' (see 'ckpt --help')");
            io.err.flush();
            return USAGE;
        }
        Command c = s.get();
        Spec spec = c.spec();
        List<String> cmdArgs = rest.subList(1, rest.size());
        for (String a : cmdArgs) {
            if (a.equals("--")) {
                break;
            }
            if (a.equals("--help") || a.equals("-h")) {
                io.out.print(spec.help());
                io.out.flush();
                return OK;
            }
        }
        try {
            Spec.Parsed parsed = spec.parse(cmdArgs);
            return c.run(parsed, io.with(Stores.of(parsed)));
        } catch (Exception | LinkageError e) {
            return failed(e, "ckpt " + spec.name, io.err, debug);
        } finally {
            io.out.flush();
            io.err.flush();
        }
    }

    static String version() {
        return "ckpt " + Checkpointer.VERSION + ", Java " + System.getProperty("java.version");
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("Usage: ckpt COMMAND [OPTIONS]   (ckpt COMMAND --help for each)\n")
                .append("Checkpoint a live Linux process into a ckpt image; show, verify, diff, measure and restart "
                        + "images; convert between images and ELF core files.\n\nCommands:\n");
        for (Map.Entry<String, Supplier<Command>> e : COMMANDS.entrySet()) {
            sb.append(String.format("  %-13s %s%n", e.getKey(), e.getValue().get().spec().header));
        }
        sb.append("\nOptions: --version, --help, --debug (stack traces and the library's debug log).\n")
                .append("Exit codes: 0 success; 1 invalid image, failed check or a dump that could not be made "
                        + "consistent; 2 bad arguments, or an input, output or process that cannot be used; "
                        + "3 internal error; 130/143 ended by SIGINT/SIGTERM.\n");
        return sb.toString();
    }

    private static int failed(Throwable e, String name, PrintWriter err, boolean debug) {
        int code;
        String message;
        if (e instanceof CliException c) {
            code = c.exitCode();
            message = c.getMessage();
        } else if (e instanceof ImageException) {
            code = INVALID;
            message = "invalid image: " + e.getMessage();
        } else if (e instanceof CheckpointException) {
            code = INVALID;
            message = "checkpoint failed: " + e.getMessage();
        } else if (e instanceof NoSuchFileException n) {
            code = USAGE;
            message = "no such file: " + n.getFile();
        } else if (e instanceof AccessDeniedException a) {
            code = USAGE;
            message = "permission denied: " + a.getFile();
        } else if (e instanceof FileSystemException f) {
            code = USAGE;
            message = "cannot access " + f.getFile() + (f.getReason() != null ? ": " + f.getReason() : "");
        } else if (e instanceof StoreException) {
            code = USAGE;
            message = e.getMessage();  // names the object, and the part or range
        } else if (e instanceof InterruptedIOException) {
            code = USAGE;
            message = "interrupted: " + e.getMessage();
        } else if (e instanceof IOException) {
            code = USAGE;
            message = "I/O error: " + e.getMessage();
        } else if (e instanceof UnsatisfiedLinkError) {
            code = INTERNAL;
            message = "cannot load native access (JNA) for this platform: " + e.getMessage();
        } else if (e instanceof LinkageError) {
            code = INTERNAL;
            message = "incomplete installation: " + e + " (run with --debug for the stack trace)";
        } else {
            code = INTERNAL;
            message = "internal error: " + e + " (run with --debug for the stack trace)";
        }
        err.println(name + ": " + oneLine(message));
        if (debug) {
            e.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
