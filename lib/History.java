package lib;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What a plugin remembers about each process it watches, keyed by namespec
 * (or, for httpok's check, by the URL): ticks over a limit in a row, the
 * restarts it made inside the restart window and whether it gave up, the
 * trouble a process is in (crashes, failed checks) until it is fine again,
 * and the alert still open for it. The plugins feed it and ask it; it
 * decides nothing on its own and sends nothing.
 *
 * Time is epoch milliseconds from one clock, which tests move. When the
 * clock steps back, every time remembered later than the new now is taken
 * as now: a window then lasts at most its length from the step, never
 * longer, and no duration comes out negative.
 *
 * Bounded: a process with nothing left to remember (under its limit, no
 * restart inside the window, not in trouble, no open alert) is forgotten
 * at the next forget(); past MAX_PROCESSES entries the one touched longest
 * ago goes. Memory is kept in the listener only: a restarted listener
 * starts from nothing and learns again from the next events.
 */
public final class History {
    public static final int MAX_PROCESSES = 10_000;
    static final int MAX_RESTARTS_KEPT = 100; // per process: a limit above it still counts, the report lists the last ones

    /** A restart the plugin made: when, and what it measured then. */
    public record Restart(long at, String what) {}

    /** Trouble that ended: how many times it went wrong, from when, until when it was fine, and the alert it had open. */
    public record Recovery(String key, int count, long since, long fineAt, Alert open) {
        /** How long it lasted, first trouble to fine again. */
        public long millis() { return Math.max(0, fineAt - since); }
    }

    /** What the restart limit says about restarting a process now. */
    public enum Verdict { RESTART, GIVE_UP, GIVEN_UP }

    private static final class Track {
        int pid;
        int overTicks;
        final ArrayDeque<Restart> restarts = new ArrayDeque<>();
        boolean givenUp;
        int givenUpPid;
        long troubleSince; // 0: not in trouble
        int troubles;
        int lastTroublePid;
        long runningSince; // 0: not RUNNING since the last trouble
        Alert open; // the alert to post again while the trouble lasts, or null
        long postedAt;

        boolean empty() {
            return overTicks == 0 && restarts.isEmpty() && !givenUp && troubleSince == 0 && open == null;
        }
    }

    private final LongSupplier clock;
    private final Map<String, Track> tracks = new LinkedHashMap<>(16, 0.75f, true) { // access order: the eldest is the least touched
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Track> eldest) { return size() > MAX_PROCESSES; }
    };
    private long latest; // the latest time the clock gave
    private boolean seenRunning;

    public History(LongSupplier clock) {
        this.clock = clock;
    }

    /** The history of a listener: the wall clock. */
    public History() {
        this(System::currentTimeMillis);
    }

    /** Now, by the clock; a step back first brings every later time remembered down to it. */
    public synchronized long now() {
        long now = clock.getAsLong();
        if (now < latest) {
            for (Track t : tracks.values()) {
                for (int i = t.restarts.size(); i > 0; i--) { // in order, each later one brought down to now
                    Restart r = t.restarts.poll();
                    t.restarts.add(r.at > now ? new Restart(now, r.what) : r);
                }
                t.troubleSince = Math.min(t.troubleSince, now);
                t.runningSince = Math.min(t.runningSince, now);
                t.postedAt = Math.min(t.postedAt, now);
            }
        }
        latest = now;
        return now;
    }

    private Track track(String key) {
        return tracks.computeIfAbsent(key, k -> new Track());
    }

    // ---- sustained limits (memmon --for)

    /** One more tick over the limit for this pid; returns how many in a row (a new pid starts again at 1). */
    public synchronized int over(String key, int pid) {
        Track t = track(key);
        if (t.pid != pid) t.overTicks = 0;
        t.pid = pid;
        return ++t.overTicks;
    }

    /** Under the limit (or restarted): the count in a row starts again. */
    public synchronized void under(String key) {
        Track t = tracks.get(key);
        if (t != null) t.overTicks = 0;
    }

    // ---- restart limits (--max-restarts, --within)

    /**
     * Whether the plugin may restart the process (pid as measured now):
     * RESTART; GIVE_UP when this would be restart max+1 inside the window
     * (said once: the plugin alerts then); GIVEN_UP while it stays given up.
     * It is not given up any more once the window has passed since the last
     * of those restarts, or once the process has a pid the plugin did not
     * cause (someone started it). max 0 is no limit.
     */
    public synchronized Verdict mayRestart(String key, int pid, int max, long withinMillis) {
        if (max <= 0) return Verdict.RESTART;
        long now = now();
        Track t = track(key);
        if (t.givenUp && pid > 0 && pid != t.givenUpPid) { // started by someone else: a fresh start, a fresh window
            t.givenUp = false;
            t.restarts.clear();
        }
        t.restarts.removeIf(r -> now - r.at >= withinMillis);
        if (t.givenUp && t.restarts.isEmpty()) t.givenUp = false; // the window has passed since the last restart
        if (t.givenUp) return Verdict.GIVEN_UP;
        if (t.restarts.size() >= max) {
            t.givenUp = true;
            t.givenUpPid = pid;
            return Verdict.GIVE_UP;
        }
        return Verdict.RESTART;
    }

    /** The plugin restarted the process; what it measured goes in the give-up alert. */
    public synchronized void restarted(String key, String what) {
        Track t = track(key);
        t.overTicks = 0;
        t.restarts.add(new Restart(now(), what));
        while (t.restarts.size() > MAX_RESTARTS_KEPT) t.restarts.poll();
    }

    /** The restarts inside the window, oldest first (as of the last mayRestart). */
    public synchronized List<Restart> restarts(String key) {
        Track t = tracks.get(key);
        return t == null ? List.of() : List.copyOf(t.restarts);
    }

    public synchronized boolean givenUp(String key) {
        Track t = tracks.get(key);
        return t != null && t.givenUp;
    }

    // ---- trouble and recovery (crashes, FATAL, failed checks)

    /** Something went wrong for the process again (a crash, a failed check); pid 0 when there is none. */
    public synchronized void trouble(String key, int pid) {
        long now = now();
        Track t = track(key);
        if (t.troubleSince == 0) {
            t.troubleSince = now;
            t.troubles = 0;
        }
        t.troubles++;
        t.lastTroublePid = pid;
        t.runningSince = 0;
    }

    /** True when the process crashed since it was last seen fine. */
    public synchronized boolean inTrouble(String key) {
        Track t = tracks.get(key);
        return t != null && t.troubleSince != 0;
    }

    /** The pid of the last trouble (0 if none or not known). */
    public synchronized int lastTroublePid(String key) {
        Track t = tracks.get(key);
        return t == null ? 0 : t.lastTroublePid;
    }

    /** supervisord says the process is RUNNING (PROCESS_STATE_RUNNING): the settle time starts. */
    public synchronized void running(String key) {
        seenRunning = true;
        Track t = tracks.get(key);
        if (t != null && t.troubleSince != 0) t.runningSince = now();
    }

    /** True once a PROCESS_STATE_RUNNING event came: the listener's subscription has them, so recoveries can be seen. */
    public synchronized boolean seesRunning() { return seenRunning; }

    /** The processes RUNNING for at least settleMillis without new trouble: each is fine again, and its trouble forgotten. */
    public synchronized List<Recovery> recovered(long settleMillis) {
        long now = now();
        List<Recovery> fine = new ArrayList<>();
        for (Map.Entry<String, Track> e : tracks.entrySet()) {
            Track t = e.getValue();
            if (t.troubleSince != 0 && t.runningSince != 0 && now - t.runningSince >= settleMillis) {
                fine.add(end(e.getKey(), t, t.runningSince));
            }
        }
        return fine;
    }

    /** Fine again now (a passing check): the trouble that ended, or null when there was none. */
    public synchronized Recovery fine(String key) {
        Track t = tracks.get(key);
        if (t == null || t.troubleSince == 0) return null;
        return end(key, t, now());
    }

    private Recovery end(String key, Track t, long fineAt) {
        Recovery r = new Recovery(key, t.troubles, t.troubleSince, fineAt, t.open);
        t.troubleSince = 0;
        t.troubles = 0;
        t.runningSince = 0;
        t.open = null;
        return r;
    }

    // ---- open alerts (posted again while the trouble lasts)

    /** The alert now open for the process: posted again by due() until closed. */
    public synchronized void opened(String key, Alert alert) {
        Track t = track(key);
        t.open = alert;
        t.postedAt = now();
    }

    /** The alert open for the process, or null. */
    public synchronized Alert open(String key) {
        Track t = tracks.get(key);
        return t == null ? null : t.open;
    }

    /** Closes the process's open alert and returns it (null if none). */
    public synchronized Alert close(String key) {
        Track t = tracks.get(key);
        if (t == null || t.open == null) return null;
        Alert open = t.open;
        t.open = null;
        return open;
    }

    /** Closes every open alert and returns them. */
    public synchronized List<Alert> closeAll() {
        List<Alert> closed = new ArrayList<>();
        for (Track t : tracks.values()) {
            if (t.open != null) closed.add(t.open);
            t.open = null;
        }
        return closed;
    }

    /** The open alerts last posted at least everyMillis ago; each counts as posted now. */
    public synchronized List<Alert> due(long everyMillis) {
        long now = now();
        List<Alert> due = new ArrayList<>();
        for (Track t : tracks.values()) {
            if (t.open != null && now - t.postedAt >= everyMillis) {
                t.postedAt = now;
                due.add(t.open);
            }
        }
        return due;
    }

    // ---- bounds

    /** Forgets what is past every window: restarts older than withinMillis, and processes with nothing left. */
    public synchronized void forget(long withinMillis) {
        long now = now();
        for (Iterator<Track> it = tracks.values().iterator(); it.hasNext(); ) {
            Track t = it.next();
            if (!t.givenUp) t.restarts.removeIf(r -> now - r.at >= withinMillis);
            if (t.empty()) it.remove();
        }
    }

    /** How many processes it remembers. */
    public synchronized int size() { return tracks.size(); }
}
