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
        cli.setParameterExceptionHandler((e, ignored) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println(name + ": " + e.getMessage().replace('\n', ' ') + " (see " + name + " --help)");
            err.flush();
            return 2;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CommandLine.ParameterException pe) throw pe; // checks done in call() are usage errors too
            Log.error("%s", e.getMessage() == null ? e.toString() : e.getMessage());
            return 1;
        });
        return cli.execute(args);
    }
}
