package lib;

import java.util.List;
import picocli.CommandLine.Option;

/**
 * --max-restarts and --within, for the plugins that restart (memmon and
 * httpok; a picocli mixin): after N restarts of one process inside the
 * window the plugin gives up on it, says so once, and leaves it as it is
 * until the window has passed since the last of them, or someone else
 * starts it (a new pid). What it remembers is in History.
 */
public final class RestartLimitOptions {
    @Option(names = "--max-restarts", paramLabel = "N", defaultValue = "0",
            description = "Give up on a process after N restarts within --within: one alert, then no restart until the window "
                    + "has passed since the last one, or the process is started by someone else (default: 0, no limit, as "
                    + "superlance; 3 is a good start).")
    public int max;

    @Option(names = "--within", paramLabel = "DURATION", defaultValue = "1h", converter = Sizes.Seconds.class,
            description = "The window of --max-restarts (default: ${DEFAULT-VALUE}; seconds, or with s, m, h, d).")
    long withinSeconds;

    public long withinMillis() { return withinSeconds * 1000; }

    /** Checks the values: a usage error (IllegalArgumentException) names the option. */
    public void check() {
        if (max < 0) throw new IllegalArgumentException("Invalid value for option '--max-restarts': " + max + " is below 0");
        if (max > 0 && withinSeconds <= 0) {
            throw new IllegalArgumentException("Invalid value for option '--within': it must be above 0 with --max-restarts");
        }
    }

    /** For the start-up line: "" without a limit. */
    public String describe() {
        return max <= 0 ? "" : "; at most " + max + " restart(s) of a process within " + Sizes.duration(withinMillis());
    }

    /** "giving up on NAME: restarted 3 times within 1h": the give-up alert's subject, after the plugin's prefix. */
    public String givingUp(String namespec, int restarts) {
        return "giving up on " + namespec + ": restarted " + restarts + (restarts == 1 ? " time" : " times") + " within "
                + Sizes.duration(withinMillis());
    }

    /** The give-up alert's text: why, each restart with what was measured, what happens now and what the user can do. */
    public String givingUpText(String plugin, String namespec, String now, List<History.Restart> restarts, String advice) {
        StringBuilder text = new StringBuilder(plugin + " gives up on " + namespec + ": it restarted it " + restarts.size()
                + " time(s) within " + Sizes.duration(withinMillis()) + " (--max-restarts " + max + "), and " + now + ".\n\n"
                + "Each restart:\n");
        for (History.Restart r : restarts) text.append("  ").append(Log.asctime(r.at())).append(": ").append(r.what()).append('\n');
        text.append("\n").append(plugin).append(" leaves ").append(namespec).append(" as it is. It acts on it again once ")
                .append(Sizes.duration(withinMillis())).append(" has passed since the last restart, or as soon as someone else ")
                .append("starts it (supervisorctl restart ").append(namespec).append(").\n").append(advice).append('\n');
        return text.toString();
    }
}
