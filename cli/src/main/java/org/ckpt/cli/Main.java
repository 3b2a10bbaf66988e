package org.ckpt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.ckpt.Checkpointer;
import org.ckpt.spi.CheckpointException;
import org.ckpt.spi.ImageException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

/**
 * The {@code ckpt} command. Exit codes: 0 success, 1 an invalid image or a failed
 * check (the library's message says which record, where and why), 2 bad arguments
 * or an input that cannot be read, 3 an internal error.
 */
@Command(name = "ckpt", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Checkpoint a live Linux process into a ckpt image, and show, verify, diff, "
                + "measure and restart images.",
        subcommands = {DumpCommand.class, ShowCommand.class, VerifyCommand.class, DiffCommand.class,
            StatCommand.class, RestartCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static final int OK = 0;
    static final int INVALID = 1;
    static final int USAGE = 2;
    static final int INTERNAL = 3;

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Print stack traces for errors, and the library's debug log (on stderr).")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        for (String a : args) {
            if (a.equals("--debug")) {
                // must be set before the first logger is created
                System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
            }
        }
        System.exit(commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true))
                .execute(args));
    }

    /** The command with its error handling, writing to {@code out} and {@code err}. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler(Main::badArguments);
        cl.setExecutionExceptionHandler(Main::failed);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static int badArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        String name = cl.getCommandSpec().qualifiedName();
        cl.getErr().println(name + ": " + e.getMessage() + " (see '" + name + " --help')");
        cl.getErr().flush();
        return USAGE;
    }

    private static int failed(Exception e, CommandLine cl, ParseResult parsed) {
        PrintWriter err = cl.getErr();
        String name = cl.getCommandSpec().qualifiedName();
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
        } else if (e instanceof IOException) {
            code = USAGE;
            message = "I/O error: " + e.getMessage();
        } else {
            code = INTERNAL;
            message = "internal error: " + e + " (run with --debug for the stack trace)";
        }
        err.println(name + ": " + oneLine(message));
        if (debugRequested(parsed)) {
            e.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }

    private static boolean debugRequested(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--debug")) {
                return true;
            }
        }
        return false;
    }

    /** The version printed by {@code ckpt --version}: the library's. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"ckpt " + Checkpointer.VERSION + " (image format 1.0), Java "
                    + System.getProperty("java.version")};
        }
    }
}
