package org.ckpt.cli;

/** One subcommand of {@code ckpt}: what it accepts, and what it does. */
interface Command {
    Spec spec();

    /**
     * Runs the command.
     *
     * @return the exit code (normally {@link Main#OK}); failures are thrown
     *         ({@link CliException} with its own code, or an exception {@link Main} maps)
     */
    int run(Spec.Parsed args, Io io) throws Exception;
}
