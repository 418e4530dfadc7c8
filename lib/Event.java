package lib;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One supervisor event: the header tokens and the payload.
 * The payload's first line is itself key:value tokens for the events the
 * plugins use (PROCESS_STATE_*, TICK_*, PROCESS_LOG_*); what follows it,
 * if anything, is data (process output).
 */
public final class Event {
    private final Map<String, String> header;
    private final String payload;
    private final Map<String, String> tokens;
    private final String data;

    public Event(Map<String, String> header, String payload) {
        this.header = Map.copyOf(header);
        this.payload = payload;
        int newline = payload.indexOf('\n');
        this.tokens = parseTokens(newline < 0 ? payload : payload.substring(0, newline));
        this.data = newline < 0 ? "" : payload.substring(newline + 1);
    }

    /** "key:value key:value" to a map; a token without ':' is ignored, the first ':' splits. */
    public static Map<String, String> parseTokens(String line) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String token : line.split(" ")) {
            int colon = token.indexOf(':');
            if (colon > 0) map.putIfAbsent(token.substring(0, colon), token.substring(colon + 1));
        }
        return map;
    }

    public String name() { return header.get("eventname"); }
    public String serial() { return header.getOrDefault("serial", ""); }
    public String pool() { return header.getOrDefault("pool", ""); }
    public Map<String, String> header() { return header; }
    public String payload() { return payload; }
    /** The payload's first line as tokens. */
    public Map<String, String> tokens() { return tokens; }
    /** The payload after its first line (process output for PROCESS_LOG events). */
    public String data() { return data; }

    public boolean isProcessState() { return name().startsWith("PROCESS_STATE_"); }
    public boolean isTick() { return name().startsWith("TICK_"); }

    public String processName() { return tokens.getOrDefault("processname", ""); }
    public String groupName() { return tokens.getOrDefault("groupname", ""); }
    public String namespec() { return Selection.namespec(groupName(), processName()); }
    public String fromState() { return tokens.getOrDefault("from_state", ""); }
    /** For PROCESS_STATE_EXITED: false when supervisord did not expect the exit (expected:0). */
    public boolean expected() { return !"0".equals(tokens.get("expected")); }
    /** The pid, or 0 when the event carries none. */
    public int pid() { return intToken("pid"); }
    public int tries() { return intToken("tries"); }

    /** For TICK_*: the epoch second the tick is for (0 if absent). */
    public long when() {
        try {
            return Long.parseLong(tokens.getOrDefault("when", "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** For TICK_*: the tick's length in seconds (TICK_60 is 60); 0 for other events. */
    public int tickSeconds() {
        if (!isTick()) return 0;
        try {
            return Integer.parseInt(name().substring("TICK_".length()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private int intToken(String key) {
        try {
            return Integer.parseInt(tokens.getOrDefault(key, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public String toString() { return name() + " serial " + serial(); }
}
