package lib;

import java.time.Duration;
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

    public BatchMailer(Batch batch, Alerts alerts, Function<Batch.Lines, Alert> toAlert, Alert.Kind kind, Postmortem postmortem) {
        this.batch = batch;
        this.alerts = alerts;
        this.toAlert = toAlert;
        this.kind = kind;
        this.postmortem = postmortem;
    }

    /**
     * Serves supervisord: lineFor turns an event into a report line, or null
     * for events it does not report. Returns the exit status.
     */
    public int serve(Function<Event, String> lineFor) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> flush(Outbox.AT_EXIT), "flush-at-exit"));
        return Listener.serve(event -> handle(event, lineFor));
    }

    void handle(Event event, Function<Event, String> lineFor) {
        if (event.isTick()) {
            tick(event.tickSeconds(), event.when());
            return;
        }
        String line = lineFor.apply(event);
        if (line == null) return;
        Log.info("%s", line);
        batch.add(line, Alert.of(kind, event));
        // Read while the event is handled: by the time the batch goes out, the log has moved on.
        if (postmortem != null) batch.report(event.namespec(), postmortem.of(event.groupName(), event.processName(), event.pid()));
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
