//DEPS info.picocli:picocli:4.7.7
package lib;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Runs a plugin's picocli command the same way for every plugin:
 * a usage error is one line on stderr and exit status 2; a failure at
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
        cli.setParameterExceptionHandler((e, ignored) -> usageError(cli, e.getMessage()));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // Checks made in call() (no limit given, an option pair that excludes itself) are usage errors too.
            if (e instanceof CommandLine.ParameterException || e instanceof IllegalArgumentException) {
                return usageError(cli, e.getMessage());
            }
            Log.error("%s", e.getMessage() == null ? e.toString() : e.getMessage());
            return 1;
        });
        return cli.execute(args);
    }

    private static int usageError(CommandLine cli, String message) {
        String name = cli.getCommandName();
        PrintWriter err = cli.getErr();
        err.println(name + ": " + message.replace('\n', ' ') + " (see " + name + " --help)");
        err.flush();
        return 2;
    }

    /** An option's value checked after parsing: an IllegalArgumentException becomes a usage error naming the option. */
    public static <T> T checked(CommandLine.Model.CommandSpec spec, String option, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw usage(spec, "Invalid value for option '" + option + "': " + e.getMessage());
        }
    }

    /** A usage error found after parsing: exit status 2 with this message. */
    public static CommandLine.ParameterException usage(CommandLine.Model.CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
