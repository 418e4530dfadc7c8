package lib;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What supervisord can still tell about a process that has just exited or
 * failed to start: how it ended, how long it ran, why it could not start,
 * and the last lines of its log. Read when the event is handled (never when
 * the mail goes out), each RPC call bounded; whatever cannot be read is said
 * in one line, and the alert goes out all the same.
 *
 * supervisord starts an autorestarted program again before its listeners
 * hear of the exit, and that clears the exit status and start time which
 * getProcessInfo gives. So how it ended comes from supervisord's own log
 * line ("exited: web (exit status 3; not expected)"), and when it started
 * from what was seen of that pid earlier.
 */
public final class Postmortem {
    /** How much of a log is read: enough for the last lines, bounded however long they are. */
    public static final int TAIL_BYTES = 8192;
    static final int MAIN_LOG_BYTES = 65536; // supervisord at loglevel debug writes much between a spawn and its exit
    static final int MAX_LINE = 500;

    /** One process's account. uptime is -1 when not known; missing says why there is no excerpt, or is null. */
    public record Report(String ended, long uptime, String spawnerr, String log, List<String> lines, String missing) {
        /** The lines an alert carries below superlance's own. */
        public String text() {
            StringBuilder text = new StringBuilder();
            if (ended != null) text.append(ended);
            if (uptime >= 0) text.append(text.length() == 0 ? "" : ", ").append("after ").append(uptime).append(" s up");
            if (text.length() > 0) text.append('\n');
            if (!spawnerr.isEmpty()) text.append("supervisord says: ").append(spawnerr).append('\n');
            if (missing != null) {
                text.append("(no log excerpt: ").append(missing).append(")\n");
            } else if (!lines.isEmpty()) {
                text.append("last ").append(lines.size()).append(" line(s) of its ").append(log).append(":\n");
                for (String line : lines) text.append(line).append('\n');
            }
            return text.toString();
        }
    }

    private final Supervisor supervisor; // null without SUPERVISOR_SERVER_URL
    private final int logLines;
    private final Map<String, long[]> starts = new HashMap<>(); // namespec -> {pid, start} last seen

    public Postmortem(Supervisor supervisor, int logLines) {
        this.supervisor = supervisor;
        this.logLines = logLines;
    }

    /** Each call is bounded by this: an alert waits for its context at most a few seconds. */
    static final java.time.Duration RPC_TIMEOUT = java.time.Duration.ofSeconds(3);

    /** For a listener: its own supervisord. Without SUPERVISOR_SERVER_URL, one warning now and alerts say why they have no excerpt. */
    public static Postmortem forListener(Map<String, String> env, int logLines) {
        String url = env.get("SUPERVISOR_SERVER_URL");
        if (url == null || url.isBlank()) {
            Log.warn("--log-lines: SUPERVISOR_SERVER_URL is not set (not run by supervisord?), so alerts carry no log excerpt");
            return new Postmortem(null, logLines);
        }
        return new Postmortem(Supervisor.fromEnvironment(env, RPC_TIMEOUT), logLines);
    }

    /** Notes when the running processes started, for the uptime of their first crash. A failure is only logged. */
    public synchronized void learnStarts() {
        if (supervisor == null) return;
        try {
            for (ProcessInfo p : supervisor.getAllProcessInfo()) remember(p);
        } catch (IOException e) {
            Log.warn("cannot ask supervisord when its processes started (uptimes of first crashes unknown): %s", e.getMessage());
        }
    }

    private void remember(ProcessInfo p) {
        if (p.pid() > 0) starts.put(p.namespec(), new long[] {p.pid(), p.start()});
    }

    /** The account of process group:name, which had `pid` (0 when it never ran). */
    public synchronized Report of(String group, String name, int pid) {
        String namespec = Selection.namespec(group, name);
        if (supervisor == null) return new Report(null, -1, "", "", List.of(), "SUPERVISOR_SERVER_URL is not set");
        ProcessInfo info;
        try {
            info = supervisor.getProcessInfo(namespec);
        } catch (IOException e) {
            return new Report(null, -1, "", "", List.of(), "supervisord did not answer: " + e.getMessage());
        }
        boolean restarted = info.pid() > 0 && info.pid() != pid;
        String ended = null;
        long uptime = -1;
        if (pid > 0) { // it ran: how it ended and how long it had been up
            Exit exit = fromMainLog(name, pid);
            long[] seen = starts.get(namespec);
            ended = exit.how() != null ? exit.how() : restarted || info.state() == ProcessInfo.FATAL ? null
                    : info.exitstatus() == -1 ? "killed by a signal" : "exit status " + info.exitstatus();
            uptime = !restarted && info.start() > 0 && info.stop() >= info.start() ? info.stop() - info.start()
                    : exit.uptime() >= 0 ? exit.uptime()
                    : seen != null && seen[0] == pid && info.stop() >= seen[1] ? info.stop() - seen[1] : -1;
        }
        remember(info);
        // Why it could not start; for a run that ended, supervisord's "Bad exit code" only repeats the exit.
        String spawnerr = pid > 0 ? "" : info.spawnerr();
        if (logLines <= 0) return new Report(ended, uptime, spawnerr, "", List.of(), null);
        String channel = !info.stderrLogfile().isEmpty() ? "stderr" : !info.stdoutLogfile().isEmpty() ? "stdout" : null;
        if (channel == null) {
            return new Report(ended, uptime, spawnerr, "", List.of(), "the program has no log file (stdout_logfile=NONE)");
        }
        try {
            List<String> lines = lines(tail(namespec, channel, channel.equals("stderr") ? info.stderrLogfile() : info.stdoutLogfile()));
            if (lines.isEmpty() && channel.equals("stderr") && !info.stdoutLogfile().isEmpty()) {
                channel = "stdout"; // nothing on stderr: what it printed may be on stdout
                lines = lines(tail(namespec, channel, info.stdoutLogfile()));
            }
            return new Report(ended, uptime, spawnerr, channel + " log", lines, null);
        } catch (IOException e) {
            return new Report(ended, uptime, spawnerr, "", List.of(), e.getMessage());
        }
    }

    /** How a run ended ("exit status 3", "terminated by SIGSEGV (core dumped)") and its uptime, as far as supervisord's log says. */
    record Exit(String how, long uptime) {}

    private static final java.time.format.DateTimeFormatter LOG_TIME = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");

    /**
     * Reads the end of supervisord's own log for the lines it wrote about
     * this process: "spawned: 'web' with pid 42" and "exited: web (exit
     * status 3; not expected)". Nothing is known when it has no log to read.
     */
    private Exit fromMainLog(String name, int pid) {
        String log;
        try {
            log = supervisor.tailMainLog(MAIN_LOG_BYTES);
        } catch (IOException e) {
            return new Exit(null, -1); // logging to syslog, or NONE
        }
        // The run that had this pid: from its "spawned" line to the first "exited" after it (later runs may follow).
        Matcher spawned = Pattern.compile("(?m)^(\\S+ \\S+) \\w+ spawned: '" + Pattern.quote(name) + "' with pid " + pid + "$").matcher(log);
        Matcher exited = Pattern.compile("(?m)^(\\S+ \\S+) \\w+ exited: " + Pattern.quote(name) + " \\(([^;\\n]*); not expected\\)").matcher(log);
        boolean start = spawned.find();
        String how = null, end = null;
        if (start) {
            if (exited.find(spawned.end())) {
                end = exited.group(1);
                how = exited.group(2);
            }
        } else {
            while (exited.find()) how = exited.group(2); // its spawned line is long gone: the last exit said
        }
        long uptime = -1;
        if (end != null && start) {
            try {
                uptime = java.time.Duration.between(java.time.LocalDateTime.parse(spawned.group(1), LOG_TIME),
                        java.time.LocalDateTime.parse(end, LOG_TIME)).toSeconds();
            } catch (java.time.format.DateTimeParseException e) {
                // another log format: the uptime stays unknown
            }
        }
        return new Exit(how, uptime);
    }

    /** The end of a log, through supervisord; if that fails (it cannot decode bytes that are not UTF-8), from the file. */
    private Supervisor.Tail tail(String namespec, String channel, String file) throws IOException {
        try {
            settle(namespec, channel);
            return supervisor.tailLog(namespec, channel, TAIL_BYTES);
        } catch (IOException rpc) {
            try (RandomAccessFile f = new RandomAccessFile(file, "r")) {
                long from = Math.max(0, f.length() - TAIL_BYTES);
                byte[] bytes = new byte[(int) (f.length() - from)];
                f.seek(from);
                f.readFully(bytes);
                return new Supervisor.Tail(new String(bytes, StandardCharsets.UTF_8), from > 0, f.length()); // invalid UTF-8 becomes U+FFFD
            } catch (IOException | RuntimeException local) {
                throw new IOException("supervisord could not give the " + channel + " log (" + rpc.getMessage()
                        + ") and it cannot be read here (" + local.getMessage() + ")");
            }
        }
    }

    /**
     * supervisord writes a program's last output to its log after it has
     * reaped it (and told its listeners): wait, at most a second, until the
     * log stops growing, so that the excerpt has the lines before the exit.
     */
    private void settle(String namespec, String channel) throws IOException {
        long size = -1;
        for (int i = 0; i < 10; i++) {
            long now = supervisor.tailLog(namespec, channel, 0).size();
            if (now == size) return;
            size = now;
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The last logLines whole lines, each made safe to show. */
    private List<String> lines(Supervisor.Tail tail) {
        String text = tail.text();
        if (tail.cut() || text.length() >= TAIL_BYTES) text = text.substring(text.indexOf('\n') + 1); // the first line is cut
        List<String> all = new ArrayList<>(List.of(text.split("\n", -1)));
        while (!all.isEmpty() && all.get(all.size() - 1).isBlank()) all.remove(all.size() - 1);
        List<String> last = all.subList(Math.max(0, all.size() - logLines), all.size());
        List<String> safe = new ArrayList<>();
        for (String line : last) safe.add(safe(line));
        return safe;
    }

    /** Log text is data: at most MAX_LINE characters, control characters but tab shown escaped (\x1b). */
    public static String safe(String line) {
        if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
        boolean cut = line.length() > MAX_LINE;
        if (cut) line = line.substring(0, Character.isHighSurrogate(line.charAt(MAX_LINE - 1)) ? MAX_LINE - 1 : MAX_LINE);
        StringBuilder out = new StringBuilder(line.length() + 16);
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f) out.append(String.format("\\x%02x", (int) c));
            else if (c >= 0x80 && c < 0xa0 || c == '\u2028' || c == '\u2029') out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return cut ? out.append(" [cut at ").append(MAX_LINE).append(" characters]").toString() : out.toString();
    }
}
