package lib;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Alert-storm control: at most `limit` alerts per key (a process) in a
 * window that opens with the key's first alert. Further alerts in the
 * window are folded; when the window ends, the folded ones come back as one
 * summary. A limit or window of 0 turns folding off.
 */
public final class Storm {
    /** The alerts folded for one key in one window. */
    public record Folded(String key, List<String> entries, long count, long windowStart) {}

    static final int MAX_ENTRIES = 1000; // per summary; past it only the count grows

    private final int limit;
    private final long windowMillis;
    private final Map<String, Window> windows = new LinkedHashMap<>();
    private final List<Folded> ended = new ArrayList<>();

    private static final class Window {
        final long start;
        int sent;
        long folded;
        final List<String> entries = new ArrayList<>();

        Window(long start) { this.start = start; }
    }

    public Storm(int limit, long windowMillis) {
        this.limit = limit;
        this.windowMillis = windowMillis;
    }

    public boolean enabled() { return limit > 0 && windowMillis > 0; }

    /** True when no window is open and no summary waits: nothing can come due. */
    public synchronized boolean isEmpty() { return windows.isEmpty() && ended.isEmpty(); }

    /**
     * True when the alert goes out as usual; false when it was folded into
     * the key's summary. `now` is epoch milliseconds.
     */
    public synchronized boolean admit(String key, String entry, long now) {
        if (!enabled()) return true;
        Window window = windows.get(key);
        if (window == null || now - window.start >= windowMillis) {
            if (window != null && window.folded > 0) ended.add(summary(key, window)); // due() had not run yet
            window = new Window(now);
            windows.put(key, window);
        }
        if (window.sent < limit) {
            window.sent++;
            return true;
        }
        window.folded++;
        if (window.entries.size() < MAX_ENTRIES) window.entries.add(entry);
        return false;
    }

    /** Summaries of the windows that have ended; those windows are forgotten. */
    public synchronized List<Folded> due(long now) {
        return collect(now, false);
    }

    /** The key's summary now, if its window has folded alerts (a crash loop that ended early); the window is forgotten. */
    public synchronized List<Folded> take(String key) {
        List<Folded> ready = new ArrayList<>();
        for (Iterator<Folded> it = ended.iterator(); it.hasNext(); ) {
            Folded f = it.next();
            if (f.key().equals(key)) {
                ready.add(f);
                it.remove();
            }
        }
        Window w = windows.remove(key);
        if (w != null && w.folded > 0) ready.add(summary(key, w));
        return ready;
    }

    /** Summaries of every window with folded alerts, ended or not (at exit). */
    public synchronized List<Folded> all() {
        return collect(0, true);
    }

    private List<Folded> collect(long now, boolean everything) {
        List<Folded> ready = new ArrayList<>(ended);
        ended.clear();
        for (Iterator<Map.Entry<String, Window>> it = windows.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Window> e = it.next();
            Window w = e.getValue();
            if (!everything && now - w.start < windowMillis) continue;
            if (w.folded > 0) ready.add(summary(e.getKey(), w));
            it.remove();
        }
        return ready;
    }

    private static Folded summary(String key, Window w) {
        return new Folded(key, List.copyOf(w.entries), w.folded, w.start);
    }
}
