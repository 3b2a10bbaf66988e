package org.ckpt.cli;

/** A failure the command reports in one line with its own exit code. */
final class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }

    /** Bad arguments or an input that cannot be read: exit 2. */
    static CliException usage(String message) {
        return new CliException(Main.USAGE, message);
    }

    /** The subject is invalid or a check failed: exit 1. */
    static CliException failed(String message) {
        return new CliException(Main.INVALID, message);
    }
}
