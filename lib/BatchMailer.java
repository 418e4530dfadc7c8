package lib;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The run loop of the batch plugins: report lines join the batch; when a
 * TICK ends the interval the batch becomes one alert (a mail, a post per
 * channel). While every destination still has an earlier batch waiting (its
 * server is down), new lines keep joining the current batch, which goes out
 * once one of them is free; a channel that is down alone does not hold the
 * others. At exit
 * (stdin closed, or SIGTERM when supervisord stops) whatever is collected is
 * sent before the process ends, within Outbox.AT_EXIT.
 *
 * With recoveries tracked (--recovery, or an Alertmanager channel), a
 * process reported and then RUNNING for the settle time without a new
 * report is running again: a line of the next batch with --recovery, and
 * a resolved alert for Alertmanager either way.
 */
public final class BatchMailer {
    /**
     * Lines kept per batch before the oldest are folded into a count (10,000
     * crashes fit). Measured with the plugins' 32 MiB heap: 10,000 lines take
     * 2 MiB and their mail at most 8 MiB while it is built; 100,000 took
     * 13 MiB and building their mail ran out of heap.
     */
    public static final int CAPACITY = 10_000;

    private final Batch batch;
    private final Alerts alerts;
    private final Function<Batch.Lines, Alert> toAlert;
    private final Alert.Kind kind;
    private final Postmortem postmortem; // null without --log-lines
    private RecoveryOptions recovery; // null: recoveries not tracked
    private History history = new History(); // what is reported since it was last fine, and the alert open for it
    private Map<String, String> env = Map.of();

    public BatchMailer(Batch batch, Alerts alerts, Function<Batch.Lines, Alert> toAlert, Alert.Kind kind, Postmortem postmortem) {
        this.batch = batch;
        this.alerts = alerts;
        this.toAlert = toAlert;
        this.kind = kind;
        this.postmortem = postmortem;
    }

    /** Tracks recoveries as these options say (nothing when neither --recovery nor Alertmanager is given), in this history. */
    public BatchMailer recovering(RecoveryOptions options, Map<String, String> env, History history) {
        this.recovery = options.tracked(alerts) ? options : null;
        this.env = env;
        this.history = history;
        String said = options.describe(alerts);
        if (!said.isEmpty()) Log.info("%s", said.substring(2));
        return this;
    }

    /**
     * Serves supervisord: lineFor turns an event into a report line, or null
     * for events it does not report; recoveryLine turns a namespec and
     * "running again after ..." into the batch's line. Returns the exit status.
     */
    public int serve(Function<Event, String> lineFor, BiFunction<String, String, String> recoveryLine) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> flush(Outbox.AT_EXIT), "flush-at-exit"));
        return Listener.serve(event -> handle(event, lineFor, recoveryLine));
    }

    /** One event: a report line joins the batch, a RUNNING starts a settle time, a TICK may end the interval. */
    public void handle(Event event, Function<Event, String> lineFor, BiFunction<String, String, String> recoveryLine) {
        if (event.isTick()) {
            if (recovery != null) recoveries(event.tickSeconds(), recoveryLine);
            tick(event.tickSeconds(), event.when());
            return;
        }
        String line = lineFor.apply(event);
        if (recovery != null && event.isProcessState()) recovery.watch(event, line != null, history, env);
        if (line == null) return;
        Log.info("%s", line);
        Alert.Event reported = Alert.of(kind, event);
        batch.add(line, reported);
        if (recovery != null) history.opened(event.namespec(), one(line, reported)); // open until it runs again
        // Read while the event is handled: by the time the batch goes out, the log has moved on.
        if (postmortem != null) batch.report(event.namespec(), postmortem.of(event.groupName(), event.processName(), event.pid()));
    }

    /** --test-alert: a test alert to every destination now; the exit status. */
    public int testAlert(String plugin) { return alerts.testAlert(plugin); }

    /** At a tick: the processes running again, and the open alerts posted again where they would end by themselves. */
    private void recoveries(int tickSeconds, BiFunction<String, String, String> recoveryLine) {
        alerts.ticksEvery(tickSeconds);
        for (History.Recovery r : history.recovered(recovery.settleMillis())) {
            String key = r.key();
            Alert.Event ended = (r.open() != null ? r.open().events().get(0) : new Alert.Event(kind, key.substring(0, key.indexOf(':')),
                    key.substring(key.indexOf(':') + 1), 0, "", null, java.time.Instant.ofEpochMilli(r.since()))).resolvedNow();
            String line = recoveryLine.apply(key, RecoveryOptions.phrase(r, kind));
            Log.info("%s", line);
            if (recovery.notices()) batch.recovered(line, ended); // said in the next batch, after superlance's lines
            else alerts.recovered(one(line, ended), false); // Alertmanager only, now
        }
        history.forget(0);
        if (history.seesRunning()) for (Alert open : history.due(alerts.repostMillis(tickSeconds))) alerts.repost(open);
    }

    /** The alert of one line alone, as the batch's would be (its subject; the line as text). */
    private Alert one(String line, Alert.Event event) {
        Alert whole = toAlert.apply(new Batch.Lines(List.of(line), 0, null, Map.of(), List.of(event), List.of()));
        return new Alert(whole.plugin(), whole.subject(), line + "\n", List.of(event), null);
    }

    public void add(String line) {
        Log.info("%s", line);
        batch.add(line);
    }

    /** A TICK: when the interval is over and some destination has no earlier batch still waiting, the batch goes out. */
    public void tick(int seconds, long when) {
        if (batch.tick(seconds, when) && alerts.anyIdle()) send(batch.take());
    }

    /** Sends what is collected now and waits, at most `limit`, for every outbox to empty. */
    public boolean flush(Duration limit) {
        send(batch.take());
        return alerts.drain(limit);
    }

    private void send(Batch.Lines lines) {
        if (!lines.isEmpty()) alerts.send(toAlert.apply(lines));
    }
}
