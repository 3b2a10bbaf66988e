package org.ckpt.cli;

/** Linux signal names (x86 and PowerPC numbering, which agree for 1–31). */
final class Signals {
    private static final String[] NAMES = {"0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
        "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
        "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
        "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};

    private Signals() {
    }

    static String name(int sig) {
        if (sig > 0 && sig < NAMES.length) {
            return NAMES[sig];
        }
        return sig >= 32 && sig <= 64 ? "SIGRTMIN+" + (sig - 32) : "signal " + sig;
    }

    /** The names of the signals set in a 64-bit mask ({@code SigBlk} and friends): bit n-1 is signal n. */
    static String names(long mask) {
        if (mask == 0) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (int sig = 1; sig <= 64; sig++) {
            if ((mask & (1L << (sig - 1))) != 0) {
                sb.append(sb.length() == 0 ? "" : " ").append(name(sig));
            }
        }
        return sb.toString();
    }
}
