package lib;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lines a batch plugin collects between two mails, and the clock that
 * says when the batch interval is over.
 *
 * Every TICK advances the clock, by the time since the previous tick when
 * the ticks carry their time (so TICK_5 and TICK_60 together do not count
 * twice), else by the tick's own length. When the wall clock steps back,
 * that tick counts its own length and the clock goes on from the new time. The original only counted the tick
 * named by -e, and a subscription to another tick silently never mailed.
 *
 * The list is bounded: past `capacity` lines the oldest are folded into a
 * count (and the first of them kept), so memory stays bounded during a long
 * mail outage and the mail still says that they happened.
 */
public final class Batch {
    /**
     * What a mail sends: the lines, how many older ones were folded before
     * them, (with --recovery) the processes running again, and (with
     * --log-lines) each process's account of its last crash.
     */
    public record Lines(List<String> lines, long folded, String firstFolded, Map<String, Postmortem.Report> reports,
                        List<Alert.Event> events, List<String> recoveries) {
        public boolean isEmpty() { return lines.isEmpty() && folded == 0 && recoveries.isEmpty(); }

        /** The plain mail body: a fold notice if any, one line each, the recoveries, then one account per process. */
        public String text() {
            StringBuilder body = new StringBuilder();
            if (folded > 0) {
                body.append("(").append(folded).append(" earlier message(s) were folded to keep this mail bounded; the first was:)\n")
                        .append(firstFolded).append("\n\n");
            }
            for (String line : lines) body.append(line).append('\n');
            for (String line : recoveries) body.append(line).append('\n');
            reports.forEach((namespec, report) -> body.append("\n--- ").append(namespec).append(", the last time:\n").append(report.text()));
            return body.toString();
        }
    }

    private final double intervalSeconds;
    private final int capacity;
    private final Deque<String> lines = new ArrayDeque<>();
    private final Deque<Alert.Event> events = new ArrayDeque<>(); // for the channels that carry them, bounded as the lines
    private final Map<String, Postmortem.Report> reports = new LinkedHashMap<>(); // namespec -> its latest, one each
    private final Deque<String> recoveries = new ArrayDeque<>(); // "... running again after ...", bounded as the lines
    private long folded;
    private String firstFolded;
    private double elapsed;
    private long lastWhen;

    public Batch(double intervalMinutes, int capacity) {
        if (!(intervalMinutes > 0)) throw new IllegalArgumentException("the interval must be more than 0 minutes");
        this.intervalSeconds = intervalMinutes * 60;
        this.capacity = capacity;
    }

    public synchronized void add(String line) {
        if (lines.size() >= capacity) {
            String oldest = lines.poll();
            if (folded++ == 0) firstFolded = oldest;
        }
        lines.add(line);
    }

    /** A line and the event it reports. */
    public synchronized void add(String line, Alert.Event event) {
        add(line);
        if (events.size() >= capacity) events.poll();
        events.add(event);
    }

    /** A recovery line and its (resolved) event: listed after the crash lines. */
    public synchronized void recovered(String line, Alert.Event event) {
        if (recoveries.size() >= capacity) recoveries.poll();
        recoveries.add(line);
        if (events.size() >= capacity) events.poll();
        events.add(event);
    }

    /** A process's account of its latest crash; it replaces the one before (one per process per mail). */
    public synchronized void report(String namespec, Postmortem.Report report) {
        reports.remove(namespec);
        reports.put(namespec, report);
    }

    /** Advances the clock for a TICK event; true when the interval is over. */
    public synchronized boolean tick(int seconds, long when) {
        if (when > 0 && lastWhen > 0 && when >= lastWhen) elapsed += when - lastWhen;
        else elapsed += seconds; // the first tick, a tick without a time, or the wall clock stepped back
        if (when > 0) lastWhen = when; // after a step back, the clock goes on from the new time
        return elapsed >= intervalSeconds;
    }

    /** Everything collected so far; the batch starts again, empty, with its clock at zero. */
    public synchronized Lines take() {
        Lines taken = new Lines(new ArrayList<>(lines), folded, firstFolded, new LinkedHashMap<>(reports), new ArrayList<>(events),
                new ArrayList<>(recoveries));
        lines.clear();
        recoveries.clear();
        events.clear();
        reports.clear();
        folded = 0;
        firstFolded = null;
        elapsed = 0;
        return taken;
    }

    public synchronized int size() { return lines.size(); }
}
