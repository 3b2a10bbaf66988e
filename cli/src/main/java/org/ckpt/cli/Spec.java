package org.ckpt.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one subcommand accepts — options, flags and positional parameters — with the
 * text of its {@code --help}. Parsing is strict: an unknown option, a missing value or
 * parameter, or a surplus parameter is a usage error (exit 2) naming it. A lone
 * {@code -} is a parameter (stdin or stdout), {@code --} ends the options.
 *
 * <p>The command line is parsed by hand rather than by a framework: picocli's classes
 * (class file version 49) cannot be put in a CDS archive and cost more start-up time than
 * everything else {@code ckpt dump} loads.
 */
final class Spec {
    /** One option: its names, the label of its value ({@code null} for a flag) and its help. */
    record Opt(List<String> names, String label, String help) {
        String key() {
            return names.get(names.size() - 1);
        }

        /** An option whose help begins "(required)": listed in the usage line, and missing it is a usage error. */
        boolean required() {
            return label != null && help.startsWith("(required)");
        }
    }

    /** One positional parameter; a repeated one (the last) takes every further argument. */
    record Param(String label, String help, boolean optional, boolean repeated) {
        Param(String label, String help, boolean optional) {
            this(label, help, optional, false);
        }
    }

    final String name;
    final String header;
    final List<String> description = new ArrayList<>();
    final List<Opt> options = new ArrayList<>();
    final List<Param> params = new ArrayList<>();

    Spec(String name, String header) {
        this.name = name;
        this.header = header;
    }

    Spec describe(String paragraph) {
        description.add(paragraph);
        return this;
    }

    /** An option with a value; {@code names} short first ({@code "-o", "--output"}). */
    Spec option(String label, String help, String... names) {
        options.add(new Opt(List.of(names), label, help));
        return this;
    }

    Spec flag(String help, String... names) {
        options.add(new Opt(List.of(names), null, help));
        return this;
    }

    /** The options of images in object storage ({@code s3://}): {@link Stores#options}. */
    Spec storeOptions(boolean writing) {
        return Stores.options(this, writing);
    }

    Spec param(String label, String help) {
        params.add(new Param(label, help, false));
        return this;
    }

    Spec optionalParam(String label, String help) {
        params.add(new Param(label, help, true));
        return this;
    }

    /** One or more parameters, the last of the command: {@code FILE...}. */
    Spec repeatedParam(String label, String help) {
        params.add(new Param(label, help, false, true));
        return this;
    }

    private Opt find(String name) {
        for (Opt o : options) {
            if (o.names().contains(name)) {
                return o;
            }
        }
        return null;
    }

    /** The parsed arguments of one command. */
    static final class Parsed {
        private final String command;
        private final Map<String, String> values = new LinkedHashMap<>();
        final List<String> params = new ArrayList<>();

        Parsed(String command) {
            this.command = command;
        }

        boolean has(String key) {
            return values.containsKey(key);
        }

        String string(String key) {
            return values.get(key);
        }

        String string(String key, String dflt) {
            return values.getOrDefault(key, dflt);
        }

        /** A whole number option, or {@code dflt} when absent; anything else is a usage error naming the option. */
        long number(String key, long dflt) throws CliException {
            String v = values.get(key);
            if (v == null) {
                return dflt;
            }
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw CliException.usage("invalid value for option " + key + ": '" + v + "' is not a number"
                        + " (see 'ckpt " + command + " --help')");
            }
        }

        String param(int i) {
            return i < params.size() ? params.get(i) : null;
        }
    }

    /**
     * Parses {@code args} (after the command name). {@code --help}/{@code -h} and
     * {@code --debug} are recognised by the caller before this is called.
     */
    Parsed parse(List<String> args) throws CliException {
        Parsed p = new Parsed(name);
        boolean optionsEnded = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!optionsEnded && a.equals("--")) {
                optionsEnded = true;
                continue;
            }
            if (optionsEnded || !a.startsWith("-") || a.equals("-")) {
                p.params.add(a);
                continue;
            }
            String optName = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                optName = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            Opt o = find(optName);
            if (o == null) {
                throw usage("unknown option '" + optName + "'");
            }
            if (o.label() == null) {
                if (value != null) {
                    throw usage("option " + optName + " takes no value");
                }
                p.values.put(o.key(), "true");
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw usage("option " + optName + " needs a value (" + o.label() + ")");
                }
                value = args.get(++i);
            }
            if (p.values.containsKey(o.key())) {
                throw usage("option " + optName + " given twice");
            }
            p.values.put(o.key(), value);
        }
        int required = 0;
        for (Param q : params) {
            if (!q.optional()) {
                required++;
            }
        }
        if (p.params.size() < required) {
            throw usage("missing " + params.get(p.params.size()).label());
        }
        boolean repeated = !params.isEmpty() && params.get(params.size() - 1).repeated();
        if (p.params.size() > params.size() && !repeated) {
            throw usage("unexpected argument '" + p.params.get(params.size()) + "'");
        }
        for (Opt o : options) {
            if (o.required() && !p.has(o.key())) {
                throw usage("missing required option " + String.join("/", o.names()));
            }
        }
        return p;
    }

    CliException usage(String message) {
        return CliException.usage(message + " (see 'ckpt " + name + " --help')");
    }

    /** The {@code --help} text. */
    String help() {
        StringBuilder sb = new StringBuilder("Usage: ckpt ").append(name);
        for (Opt o : options) {
            if (o.required()) {
                sb.append(' ').append(o.key()).append(' ').append(o.label());
            }
        }
        sb.append(" [OPTIONS]");
        for (Param q : params) {
            sb.append(' ').append(q.optional() ? "[" + q.label() + "]" : q.label()).append(q.repeated() ? "..." : "");
        }
        sb.append("\n").append(header).append("\n");
        for (String d : description) {
            sb.append('\n').append(wrap(d, 0)).append('\n');
        }
        if (!params.isEmpty()) {
            sb.append("\nParameters:\n");
            for (Param q : params) {
                row(sb, q.label(), q.help());
            }
        }
        sb.append("\nOptions:\n");
        for (Opt o : options) {
            row(sb, String.join(", ", o.names()) + (o.label() == null ? "" : " " + o.label()), o.help());
        }
        row(sb, "--debug", "Print stack traces for errors, and the library's debug log (on stderr).");
        row(sb, "-h, --help", "Show this help and exit.");
        return sb.toString();
    }

    private static void row(StringBuilder sb, String left, String help) {
        String l = "  " + left;
        if (l.length() >= 26) {
            sb.append(l).append('\n').append(wrap(help, 26)).append('\n');
        } else {
            String w = wrap(help, 26);
            sb.append(l).append(w.substring(l.length())).append('\n');
        }
    }

    /** Wraps at 92 columns with {@code indent} spaces before every line. */
    static String wrap(String text, int indent) {
        StringBuilder out = new StringBuilder();
        StringBuilder line = new StringBuilder(" ".repeat(indent));
        for (String word : text.split(" ")) {
            if (line.length() > indent && line.length() + 1 + word.length() > 92) {
                out.append(line).append('\n');
                line = new StringBuilder(" ".repeat(indent));
            }
            if (line.length() > indent) {
                line.append(' ');
            }
            line.append(word);
        }
        return out.append(line).toString();
    }
}
