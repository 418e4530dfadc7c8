package lib;

import java.util.Map;

/** One entry of supervisor.getProcessInfo / getAllProcessInfo, typed. */
public record ProcessInfo(String name, String group, int state, String statename, int pid,
                          long start, long stop, long now, int exitstatus, String spawnerr, String description,
                          String stdoutLogfile, String stderrLogfile) {
    public static final int STOPPED = 0, STARTING = 10, RUNNING = 20, BACKOFF = 30, STOPPING = 40,
            EXITED = 100, FATAL = 200, UNKNOWN = 1000;

    static ProcessInfo from(Object value) {
        if (!(value instanceof Map<?, ?> m)) throw new IllegalArgumentException("process info is not a struct: " + value);
        return new ProcessInfo(str(m, "name"), str(m, "group"), num(m, "state"), str(m, "statename"), num(m, "pid"),
                num(m, "start"), num(m, "stop"), num(m, "now"), num(m, "exitstatus"), str(m, "spawnerr"),
                str(m, "description"), str(m, "stdout_logfile"), str(m, "stderr_logfile"));
    }

    /** group:name, the name supervisorctl and the RPC calls take. */
    public String namespec() { return Selection.namespec(group, name); }

    public boolean running() { return state == RUNNING; }

    /** Seconds since the process started, while it has a pid; else 0. */
    public long uptime() { return pid > 0 ? Math.max(0, now - start) : 0; }

    private static String str(Map<?, ?> m, String key) {
        Object v = m.get(key);
        return v == null ? "" : v.toString();
    }

    private static int num(Map<?, ?> m, String key) {
        return m.get(key) instanceof Number n ? n.intValue() : 0;
    }
}
