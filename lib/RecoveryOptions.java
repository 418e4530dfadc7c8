package lib;

import java.util.Map;
import picocli.CommandLine.Option;

/**
 * --recovery, for the plugins that report crashes (crashmail and the batch
 * plugins; a picocli mixin): a process that crashed (or went FATAL) and has
 * been RUNNING for the settle time without a new crash is reported as
 * running again. With an Alertmanager channel recoveries are always
 * tracked, so that its alerts resolve; --recovery also sends them to mail
 * and every other channel.
 *
 * supervisord sends PROCESS_STATE_RUNNING only to listeners subscribed to
 * it, and never tells a listener what it is subscribed to: the start-up line
 * says it is needed, and the first crash that shows a start the listener
 * was not told of says so again, once, as a warning.
 */
public final class RecoveryOptions {
    public static final long DEFAULT_SETTLE_SECONDS = 60;

    @Option(names = "--recovery", arity = "0..1", paramLabel = "DURATION", fallbackValue = "60s", converter = Sizes.Seconds.class,
            description = "Report a process that crashed and has been RUNNING for DURATION without a new crash: 'NAME running again "
                    + "after 7 crashes in 12m' (DURATION optional, default 60s). Needs PROCESS_STATE_RUNNING in events=. "
                    + "Alertmanager gets its recoveries (resolved) even without this option.")
    Long settleSeconds; // null: not asked for

    private boolean warned;

    /** True when recovery notices go to every destination (--recovery given). */
    public boolean notices() { return settleSeconds != null; }

    /** True when recoveries are tracked at all: asked for, or a channel that must be told (Alertmanager). */
    public boolean tracked(Alerts alerts) { return notices() || alerts.keepsState(); }

    public long settleMillis() { return (settleSeconds != null ? settleSeconds : DEFAULT_SETTLE_SECONDS) * 1000; }

    /** The start-up line's part about recoveries, or "" when none are tracked. */
    public String describe(Alerts alerts) {
        if (!tracked(alerts)) return "";
        return "; recoveries after " + Sizes.duration(settleMillis()) + " RUNNING without a crash, "
                + (notices() ? "to every destination" : "to Alertmanager only (--recovery for the others)")
                + " (needs PROCESS_STATE_RUNNING in events=)";
    }

    /**
     * Feeds the history with what an event says: RUNNING starts a settle
     * time; a reported crash or FATAL (report true) is trouble. Warns once
     * when a crash shows a start that no PROCESS_STATE_RUNNING told of.
     */
    public void watch(Event event, boolean report, History history, Map<String, String> env) {
        String key = event.namespec();
        if (event.name().equals("PROCESS_STATE_RUNNING")) {
            history.running(key);
            return;
        }
        if (!report) return;
        int before = history.lastTroublePid(key);
        if (!warned && !history.seesRunning() && event.fromState().equals("RUNNING") && before != 0 && before != event.pid()) {
            warned = true;
            Log.warn("%s crashed again after running as pid %d, but this listener got no PROCESS_STATE_RUNNING event: add "
                    + "PROCESS_STATE_RUNNING to events= of [eventlistener:%s], or no recovery is ever seen", key, event.pid(),
                    env.getOrDefault("SUPERVISOR_PROCESS_NAME", "..."));
        }
        history.trouble(key, event.pid());
    }

    /**
     * "running again after 7 crashes in 12m" (first crash to RUNNING for
     * good), "running again after 1 crash", or for FATAL "after 2 FATAL starts in 1h".
     */
    public static String phrase(History.Recovery r, Alert.Kind kind) {
        String what = kind == Alert.Kind.FATAL ? (r.count() == 1 ? "1 FATAL start" : r.count() + " FATAL starts")
                : r.count() == 1 ? "1 crash" : r.count() + " crashes";
        return "running again after " + what + (r.count() == 1 ? "" : " in " + Sizes.duration(r.millis()));
    }
}
