//DEPS info.picocli:picocli:4.7.7
package lib;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Runs a plugin's picocli command the same way for every plugin, parsing
 * as superlance's getopt did (unique prefixes of long options, the last of
 * an option given twice counts): a usage error is one line on stderr and exit status 2; a failure at
 * start-up (no SUPERVISOR_SERVER_URL, an unreadable password file) is one
 * logged line and exit status 1; never a stack trace.
 */
public final class Cli {
    public static final String VERSION = "superlance-jbang 0.1.0";

    private Cli() {}

    /** Parses args into command, runs it, and returns the exit status. */
    public static int execute(Object command, String... args) {
        CommandLine cli = new CommandLine(command);
        String name = cli.getCommandName();
        Log.name(name);
        cli.setOverwrittenOptionsAllowed(true); // as Python's getopt: an option given twice, the last one counts
        cli.setParameterExceptionHandler((e, given) -> usageError(cli, e instanceof CommandLine.UnmatchedArgumentException u
                ? leftOver(cli.getCommandSpec(), given, u) : e.getMessage()));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // Checks made in call() (no limit given, an option pair that excludes itself) are usage errors too.
            if (e instanceof CommandLine.ParameterException || e instanceof IllegalArgumentException) {
                return usageError(cli, e.getMessage());
            }
            Log.error("%s", e.getMessage() == null ? e.toString() : e.getMessage());
            return 1;
        });
        String[] full;
        try {
            full = unabbreviated(cli.getCommandSpec(), args);
        } catch (IllegalArgumentException e) {
            return usageError(cli, e.getMessage());
        }
        return cli.execute(full);
    }

    /**
     * Long options as superlance's getopt and optparse take them: any unique
     * prefix stands for the option (--prog, --cumul, --sendmail=CMD), an
     * exact name always wins, and an ambiguous prefix is an error naming the
     * candidates. Where a prefix fits one of superlance's own options (they
     * all have a short name too) and only options added here besides, it
     * means what it meant in superlance. Option values are never touched.
     */
    static String[] unabbreviated(CommandSpec spec, String[] args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--")) {
                out.addAll(Arrays.asList(args).subList(i, args.length));
                break;
            }
            OptionSpec option = null;
            boolean attached = false; // the value is in the same word: --x=v, -xv
            if (arg.startsWith("--")) {
                int eq = arg.indexOf('=');
                String given = eq < 0 ? arg : arg.substring(0, eq);
                option = named(spec, given);
                if (option == null) {
                    option = unique(spec, given);
                    if (option != null) arg = option.longestName() + (eq < 0 ? "" : arg.substring(eq));
                }
                attached = eq >= 0;
            } else if (arg.startsWith("-") && arg.length() > 1) {
                option = named(spec, arg.substring(0, 2));
                attached = arg.length() > 2;
            }
            out.add(arg);
            if (option != null && option.arity().min() > 0 && !attached && i + 1 < args.length) out.add(args[++i]);
        }
        return out.toArray(new String[0]);
    }

    /** The option with exactly this name ("--program", "-p"), or null. */
    private static OptionSpec named(CommandSpec spec, String name) {
        for (OptionSpec o : spec.options()) if (Arrays.asList(o.names()).contains(name)) return o;
        return null;
    }

    /** The one option whose long name begins with the prefix; null when none does, an error when several do. */
    private static OptionSpec unique(CommandSpec spec, String prefix) {
        Set<OptionSpec> candidates = new LinkedHashSet<>();
        for (OptionSpec o : spec.options()) {
            for (String n : o.names()) if (n.startsWith("--") && n.startsWith(prefix)) candidates.add(o);
        }
        if (candidates.size() > 1) {
            List<OptionSpec> original = candidates.stream().filter(o -> o.shortestName().length() == 2).toList();
            if (original.size() == 1) return original.get(0);
            List<String> names = new ArrayList<>();
            for (OptionSpec o : candidates) {
                for (String n : o.names()) if (n.startsWith(prefix)) names.add(n);
            }
            throw new IllegalArgumentException("'" + prefix + "' is ambiguous: it could be " + String.join(", ", names));
        }
        return candidates.isEmpty() ? null : candidates.iterator().next();
    }

    /**
     * superlance silently dropped words after an option's value
     * (memmon -p a=500MB b=300MB watched only a); here they are an error
     * that says what to write instead.
     */
    private static String leftOver(CommandSpec spec, String[] given, CommandLine.UnmatchedArgumentException e) {
        List<String> words = e.getUnmatched();
        if (words.isEmpty()) return e.getMessage();
        String word = words.get(0);
        if (word.startsWith("-")) return e.getMessage(); // an unknown option, not a left-over value
        List<String> args = Arrays.asList(unabbreviated(spec, given));
        for (int i = args.indexOf(word) - 1; i >= 0; i--) {
            String arg = args.get(i);
            if (!arg.startsWith("-") || arg.length() < 2) continue;
            OptionSpec option = named(spec, arg.startsWith("--") ? arg.split("=", 2)[0] : arg.substring(0, 2));
            if (option == null) continue;
            if (option.arity().min() == 0 || !option.isMultiValue()) break;
            String what = option.paramLabel().contains("SIZE") ? "limit" : "value";
            return "'" + word + "' is not an option: each " + what + " needs its own " + option.shortestName() + ": "
                    + option.shortestName() + " " + word;
        }
        return e.getMessage();
    }

    private static int usageError(CommandLine cli, String message) {
        String name = cli.getCommandName();
        PrintWriter err = cli.getErr();
        err.println(name + ": " + message.replaceAll("[\\r\\n]+", " ") + " (see " + name + " --help)");
        err.flush();
        return 2;
    }

    /** An option's value checked after parsing: an IllegalArgumentException becomes a usage error naming the option. */
    public static <T> T checked(CommandSpec spec, String option, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw usage(spec, "Invalid value for option '" + option + "': " + e.getMessage());
        }
    }

    /** A usage error found after parsing: exit status 2 with this message. */
    public static CommandLine.ParameterException usage(CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
