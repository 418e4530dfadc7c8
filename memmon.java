///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/*.java
//DESCRIPTION memmon: restart supervisord programs whose memory (RSS) exceeds a limit. Drop-in for superlance's memmon.
//JAVA_OPTIONS -XX:+UseSerialGC -XX:-UsePerfData -XX:+UnlockDiagnosticVMOptions -XX:GuaranteedSafepointInterval=0 -XX:AsyncDeflationInterval=60000 -XX:TrimNativeHeapInterval=60000 -Xms4m -Xmn1m -Xmx32m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m -Xss512k -XX:+DisplayVMOutputToStderr -Xlog:disable -Xlog:all=warning:stderr

import java.io.IOException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import lib.Alert;
import lib.Alerts;
import lib.ChannelOptions;
import lib.Cli;
import lib.Event;
import lib.History;
import lib.Listener;
import lib.Log;
import lib.Mail;
import lib.MailOptions;
import lib.MemoryMeasure;
import lib.Outbox;
import lib.ProcessInfo;
import lib.ProcessMemory;
import lib.ProcessTable;
import lib.RestartLimitOptions;
import lib.Selection;
import lib.Sizes;
import lib.Supervisor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * memmon, subscribed to TICK_5, TICK_60 or TICK_3600: on each tick, every
 * supervised process with a pid and a limit is measured (RSS from /proc;
 * with -c its descendants too) and restarted when it is over its limit
 * (with --for N, on N ticks in a row). With --max-restarts N it gives up on
 * a process restarted N times within --within, says so once, and leaves it.
 *
 *   [eventlistener:memmon]
 *   command=jbang memmon.java -p app=1GB -m ops@example.com
 *   events=TICK_60
 */
@Command(name = "memmon", mixinStandardHelpOptions = true, version = Cli.VERSION, sortOptions = false,
        description = {"Restarts supervisord programs whose resident memory is over a limit, on each TICK event.",
                "SIZE is bytes, or a number with KB, MB or GB (1024-based). The most specific limit wins: "
                        + "-p group:name, then -p name, then -g, then -a. The listener never restarts itself; "
                        + "other event listeners count as ordinary processes for -a.", ""})
class memmon implements Callable<Integer> {
    @Option(names = {"-c", "--cumulative"}, description = "Measure each process plus all its descendants.")
    boolean cumulative;

    @Option(names = {"-p", "--program"}, paramLabel = "NAME=SIZE",
            description = "Limit for a program: a bare name, group:name, or a numprocs group's name (repeatable).")
    List<String> programs = new ArrayList<>();

    @Option(names = {"-g", "--group", "--groupname"}, paramLabel = "NAME=SIZE",
            description = "Limit for every process of a group (repeatable; --groupname is superlance's documented name).")
    List<String> groups = new ArrayList<>();

    @Option(names = {"-a", "--any"}, paramLabel = "SIZE", converter = Sizes.Bytes.class,
            description = "Limit for any process without a more specific one.")
    Long any;

    @Option(names = {"-s", "--sendmail_program"}, paramLabel = "CMD", defaultValue = "/usr/sbin/sendmail -t -i",
            description = "Sendmail command, run without a shell (default: ${DEFAULT-VALUE}).")
    String sendmail;

    @Option(names = {"-m", "--email"}, paramLabel = "ADDR", description = "Mail a report of each restart here (comma-separated for several).")
    String email;

    @Option(names = {"-u", "--uptime"}, paramLabel = "DURATION", converter = Sizes.Seconds.class,
            description = "Mail only if the process had been up at most this long (seconds, or with s, m, h, d).")
    Long uptimeLimit;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Name shown in the mail subject: memmon [NAME]: ...")
    String name;

    @Option(names = "--dry-run", description = "Log what would be restarted; restart nothing, mail nothing.")
    boolean dryRun;

    @Option(names = "--for", paramLabel = "N", defaultValue = "1",
            description = "Restart only a process over its limit on N ticks in a row: a short spike is no reason "
                    + "(default: ${DEFAULT-VALUE}, superlance's behaviour).")
    int sustainFor;

    @Mixin
    RestartLimitOptions restartLimit = new RestartLimitOptions();

    @Option(names = "--measure", paramLabel = "rss|pss|uss", defaultValue = "rss",
            description = "What is compared with the limit: rss (resident, superlance's; shared pages counted in every process), "
                    + "pss (shared pages divided among the processes sharing them: with -c, a pre-forking server's real "
                    + "share, where rss counts its preloaded code once per worker) or uss (private pages only) "
                    + "(default: ${DEFAULT-VALUE}; pss and uss need Linux's /proc).")
    String measureName;

    @Option(names = "--with-swap", description = "Add the process's swapped-out memory to what is compared (VmSwap for rss, "
            + "SwapPss for pss and uss): a leak moved into swap still counts.")
    boolean withSwap;

    @Option(names = "--memory-source", paramLabel = "proc|oshi",
            description = "Where memory is read: proc (Linux's /proc, the default where it exists) or oshi (the OSHI library: "
                    + "macOS, FreeBSD and other systems without /proc).")
    String memorySource;

    @Mixin
    MailOptions mailOptions = new MailOptions();

    @Mixin
    ChannelOptions channelOptions = new ChannelOptions();

    @Spec
    CommandSpec spec;

    // Parsed once at start: namespec or bare name -> bytes, group -> bytes.
    final Map<String, Long> programLimits = new LinkedHashMap<>();
    final Map<String, Long> groupLimits = new LinkedHashMap<>();
    Selection self;
    ProcessMemory memory;
    MemoryMeasure measure = MemoryMeasure.RSS;
    final Set<Integer> unreadable = new java.util.HashSet<>(); // pids whose smaps were refused, said once each
    Supervisor supervisor;
    Alerts alerts; // mail (with -m) and the other channels
    List<String> to; // -m, split and checked
    History history = new History(); // ticks over the limit in a row, restarts in the window, give-up alerts open

    // getAllProcessInfo costs supervisord ~90 ms for 300 programs, so its answer is kept while
    // supervisord's children are the same pids (a cheap /proc read), and at most REFRESH_NANOS.
    static final long REFRESH_NANOS = 60_000_000_000L;
    List<ProcessInfo> known;
    Set<Integer> knownPids;
    int supervisordPid;
    long knownAt;

    public static void main(String... args) {
        System.exit(Cli.execute(new memmon(), args));
    }

    @Override
    public Integer call() throws IOException {
        parseLimits(System.getenv());
        String via = "";
        Outbox outbox = null; // mail; none without -m
        String from = null;
        if (email != null) {
            Mail.Sender sender = mailOptions.sender(sendmail, System.getenv());
            via = " via " + sender;
            from = mailOptions.from("memmon");
            MailOptions.warnIfLocal(sender, from, to);
            outbox = new Outbox(sender, "memmon");
        }
        alerts = new Alerts(outbox, from, to, channelOptions.channels("memmon", System.getenv()), "memmon");
        if (channelOptions.testAlert()) return alerts.testAlert("memmon");
        supervisor = Supervisor.fromEnvironment(System.getenv());
        if (alerts.any()) {
            // Reports not yet sent when supervisord stops us go out first (within Outbox.AT_EXIT).
            Runtime.getRuntime().addShutdownHook(new Thread(() -> alerts.drain(Outbox.AT_EXIT), "flush-at-exit"));
        }
        Log.info("watching %s%s%s%s%s; memory from %s (%s); mail %s%s", describeLimits(), cumulative ? " (cumulative)" : "",
                sustainFor > 1 ? "; restart after " + sustainFor + " ticks in a row over the limit" : "", restartLimit.describe(),
                uptimeLimit == null ? "" : ", mail only under " + uptimeLimit + " s of uptime",
                memory.source() == ProcessMemory.Source.PROC ? "/proc" : "OSHI", measured(), outbox == null ? "off" : "to " + email + via,
                dryRun ? "; DRY RUN: nothing is restarted" : "");
        return Listener.serve(this::onEvent);
    }

    /** Reads -p, -g and -a; no limit at all is a usage error, not a listener that silently does nothing. */
    void parseLimits(Map<String, String> env) {
        for (String p : programs) putLimit(programLimits, p, "--program");
        for (String g : groups) putLimit(groupLimits, g, "--group");
        if (programLimits.isEmpty() && groupLimits.isEmpty() && any == null) {
            throw Cli.usage(spec, "no limit given: use -p NAME=SIZE, -g NAME=SIZE or -a SIZE");
        }
        if (email != null) to = Cli.checked(spec, "--email", () -> Mail.addresses(email));
        if (sustainFor < 1) throw Cli.usage(spec, "Invalid value for option '--for': " + sustainFor + " is not a number of ticks above 0");
        restartLimit.check();
        self = new Selection(List.of(), true, env);
        memory = new ProcessMemory(memorySource == null ? ProcessMemory.defaultSource()
                : Cli.checked(spec, "--memory-source", () -> ProcessMemory.parse(memorySource)));
        measure = Cli.checked(spec, "--measure", () -> MemoryMeasure.parse(measureName));
        if (memory.source() == ProcessMemory.Source.OSHI && (measure != MemoryMeasure.RSS || withSwap)) {
            throw Cli.usage(spec, (withSwap ? "--with-swap" : "--measure " + measureName) + " needs Linux's /proc/PID/"
                    + (withSwap && measure == MemoryMeasure.RSS ? "status" : "smaps_rollup") + ", and memory is read through OSHI here ("
                    + System.getProperty("os.name") + "), which reports RSS only");
        }
    }

    /** NAME=SIZE into limits; the last '=' splits, as SIZE never holds one. */
    private void putLimit(Map<String, Long> limits, String pair, String option) {
        int eq = pair.lastIndexOf('=');
        if (eq <= 0) throw Cli.usage(spec, "Invalid value for option '" + option + "': '" + pair + "' is not NAME=SIZE");
        try {
            limits.put(pair.substring(0, eq), Sizes.parseBytes(pair.substring(eq + 1)));
        } catch (IllegalArgumentException e) {
            throw Cli.usage(spec, "Invalid value for option '" + option + "': " + e.getMessage());
        }
    }

    /** The most specific limit for a process, or null when none applies. */
    Long limitFor(String group, String processName) {
        Long limit = programLimits.get(Selection.namespec(group, processName));
        if (limit == null) limit = programLimits.get(processName);
        if (limit == null) limit = programLimits.get(group); // numprocs programs by their group's name
        if (limit == null) limit = groupLimits.get(group);
        return limit != null ? limit : any;
    }

    void onEvent(Event event) throws IOException {
        if (!event.isTick()) return; // subscribed to something else too: acknowledged, ignored
        long started = System.nanoTime();
        alerts.ticksEvery(event.tickSeconds());
        for (Alert open : history.due(alerts.repostMillis(event.tickSeconds()))) alerts.repost(open); // still given up
        history.forget(restartLimit.withinMillis());
        List<ProcessInfo> processes;
        try {
            processes = processes();
        } catch (IOException e) {
            // supervisord restarting, or gone for a moment: the next tick asks again.
            Log.error("%s: cannot get the process list from supervisord, skipping this check: %s", event.name(), e.getMessage());
            return;
        }
        // One pass over /proc per tick serves every cumulative sum.
        ProcessTable table = cumulative ? memory.scan() : null;
        int checked = 0, over = 0, restarted = 0;
        for (ProcessInfo p : processes) {
            Long limit = limitFor(p.group(), p.name());
            if (p.pid() <= 0 || limit == null || self.isSelf(p.group(), p.name())) continue;
            long[] used = measure(p, table); // bytes, descendants counted
            if (used == null) continue; // exited since supervisord answered, or may not be read
            long rss = used[0];
            checked++;
            if (rss <= limit) {
                underLimit(p);
                continue;
            }
            over++;
            int inARow = history.over(p.namespec(), p.pid());
            String measured = measured() + " " + rss + " bytes" + (cumulative ? " with its " + used[1] + " descendant(s)" : "")
                    + ", limit " + limit + " bytes";
            if (inARow < sustainFor) {
                Log.info("%s over its limit (%d of %d): %s", p.namespec(), inARow, sustainFor, measured);
                continue;
            }
            try {
                if (restart(p, measured)) restarted++;
            } catch (IOException e) { // supervisord did not answer for this one: the others are still checked
                Log.error("cannot restart %s: %s", p.namespec(), e.getMessage());
            }
        }
        Log.info("%s: %d checked, %d over limit, %d restarted in %d ms", event.name(), checked, over, restarted,
                (System.nanoTime() - started) / 1_000_000);
    }

    /** The supervised processes: the last answer while nothing was started or stopped since, else a new one. */
    List<ProcessInfo> processes() throws IOException {
        if (known != null && System.nanoTime() - knownAt < REFRESH_NANOS
                && knownPids.equals(memory.children(supervisordPid))) {
            return known;
        }
        known = null; // if a call below fails, the next tick asks again
        supervisordPid = supervisor.getPID();
        List<ProcessInfo> all = supervisor.getAllProcessInfo();
        knownPids = all.stream().filter(p -> p.pid() > 0).map(ProcessInfo::pid).collect(Collectors.toSet());
        knownAt = System.nanoTime();
        return known = all;
    }

    /** "RSS", "PSS with swap", ...: what is compared with the limit. */
    String measured() { return measure.name() + (withSwap ? " with swap" : ""); }

    /**
     * The measure of a process in bytes (with -c, summed over its tree) and
     * how many descendants that counts, or null when it is gone or may not
     * be read. RSS alone is the stat (or table) entry already read, with no
     * more I/O; the other measures read smaps (or status) of the processes
     * with a limit only. A descendant that may not be read is left out of
     * the sum; a refusal is logged once per pid.
     */
    long[] measure(ProcessInfo p, ProcessTable table) {
        int pid = p.pid();
        List<Integer> pids = table != null ? table.tree(pid) : List.of(pid);
        if (pids.isEmpty()) return null;
        long sum = 0;
        for (int each : pids) {
            ProcessTable.Entry entry = table != null ? table.get(each) : memory.read(each);
            try {
                if (entry == null) throw new java.nio.file.NoSuchFileException("/proc/" + each);
                sum += measure.of(each, entry.rss(), withSwap);
            } catch (java.nio.file.NoSuchFileException e) {
                if (each == pid) return null; // gone; a descendant that exited meanwhile is not counted
            } catch (IOException e) {
                if (unreadable.size() > 10_000) unreadable.clear(); // pids are reused: bounded, said again at worst
                if (unreadable.add(each)) {
                    Log.warn("cannot read the memory of %s (pid %d%s) for --measure %s: %s; %s", p.namespec(), each,
                            each == pid ? "" : ", a descendant", measure.name().toLowerCase(), Log.describe(e),
                            each == pid ? "skipped" : "left out of the sum");
                }
                if (each == pid) return null;
            }
        }
        return new long[] {sum, pids.size() - 1};
    }

    /** Stop, then start; each failure is mailed and logged, and the listener carries on. */
    private boolean restart(ProcessInfo cached, String measured) throws IOException {
        String namespec = cached.namespec();
        if (dryRun) {
            Log.info("would restart %s: %s (dry run)", namespec, measured);
            return false;
        }
        ProcessInfo p = supervisor.getProcessInfo(namespec); // a fresh uptime, and the pid measured is still the one
        if (p.pid() != cached.pid()) return false;
        boolean wasGivenUp = history.givenUp(namespec);
        switch (history.mayRestart(namespec, p.pid(), restartLimit.max, restartLimit.withinMillis())) {
            case GIVE_UP -> {
                giveUp(p, measured);
                return false;
            }
            case GIVEN_UP -> {
                Log.info("not restarting %s (%s): gave up on it after %d restarts within %s", namespec, measured,
                        history.restarts(namespec).size(), Sizes.duration(restartLimit.withinMillis()));
                if (history.open(namespec) == null) keepGivenUpOpen(p, measured); // over its limit again
                return false;
            }
            case RESTART -> {
                if (wasGivenUp) resolveGivenUp(namespec, "acting on it again");
            }
        }
        Log.info("restarting %s: %s", namespec, measured);
        try {
            supervisor.stopAndWait(namespec); // however long its stopwaitsecs: it is started again only once stopped
        } catch (IOException e) {
            Log.error("failed to stop %s: %s", namespec, e.getMessage());
            mail(p, "failed to stop process " + namespec, "memmon could not stop process " + namespec + " at " + now()
                    + " (" + measured + "): " + e.getMessage());
            return false;
        }
        try {
            // No wait for startsecs: the listener must answer this tick soon; the next tick sees the result.
            supervisor.startProcess(namespec, false);
        } catch (IOException e) {
            Log.error("failed to start %s after stopping it: %s", namespec, e.getMessage());
            mail(p, "failed to start process " + namespec, "memmon stopped process " + namespec + " at " + now()
                    + " (" + measured + ") but could not start it again: " + e.getMessage());
            return false;
        }
        history.restarted(namespec, measured + ", uptime " + p.uptime() + " s");
        if (uptimeLimit == null || p.uptime() <= uptimeLimit) {
            mail(p, "process " + namespec + " restarted", restartBody(namespec, measured, p.uptime()));
        }
        return true;
    }

    /** Under its limit: the ticks in a row start again, and a give-up alert still open ends (the problem is gone). */
    private void underLimit(ProcessInfo p) {
        history.under(p.namespec());
        if (history.open(p.namespec()) != null) resolveGivenUp(p.namespec(), "under its limit again");
    }

    /** --max-restarts reached: one alert, kept open in Alertmanager while memmon leaves the process alone. */
    private void giveUp(ProcessInfo p, String measured) {
        String namespec = p.namespec();
        List<History.Restart> restarts = history.restarts(namespec);
        String what = restartLimit.givingUp(namespec, restarts.size());
        Log.warn("%s (%s now)", what, measured);
        Alert alert = givenUpAlert(p, what, restartLimit.givingUpText("memmon", namespec, "it is over its limit again at "
                + now() + " (" + measured + ")", restarts, "What you can do: find out why it grows (the restarts above say how "
                + "fast), raise its limit (-p " + p.name() + "=SIZE), or restart it by hand once you have looked."));
        history.opened(namespec, alert);
        if (!dryRun) alerts.send(alert);
    }

    private Alert givenUpAlert(ProcessInfo p, String what, String text) {
        return new Alert("memmon", subject(what), text, List.of(Alert.of(Alert.Kind.GIVEN_UP, p)), null);
    }

    /** Given up, under its limit for a while, over it again: Alertmanager shows it as open again (no new mail). */
    private void keepGivenUpOpen(ProcessInfo p, String measured) {
        Alert alert = givenUpAlert(p, restartLimit.givingUp(p.namespec(), history.restarts(p.namespec()).size()),
                "memmon still leaves " + p.namespec() + " alone: it is over its limit again (" + measured + ").\n");
        history.opened(p.namespec(), alert);
        alerts.repost(alert);
    }

    /** The give-up alert ends: Alertmanager is told (resolved); no mail, memmon has no --recovery. */
    private void resolveGivenUp(String namespec, String why) {
        Alert open = history.close(namespec);
        if (open == null) return;
        Log.info("%s: %s", namespec, why);
        alerts.recovered(open.resolved(subject(namespec + " " + why), "memmon: " + namespec + " is " + why + ".\n"), false);
    }

    /** measured: "RSS 83886080 bytes, limit 41943040 bytes" (the measure, the bytes, with -c the descendants, the limit). */
    static String restartBody(String namespec, String measured, long uptime) {
        return "memmon restarted process " + namespec + " at " + now() + " because it was over its limit: "
                + measured + ".\nUptime before the restart: " + uptime + " s.\n";
    }

    /** Subject "memmon: ..." or, with -n X, "memmon [X]: ...". */
    String subject(String what) {
        return "memmon" + (name == null ? "" : " [" + name + "]") + ": " + what;
    }

    /** Queued, not sent here: the outbox sends and retries on its own thread, so the tick is answered now. */
    private void mail(ProcessInfo p, String what, String body) {
        alerts.send(new Alert("memmon", subject(what), body, List.of(Alert.of(Alert.Kind.MEMORY, p)), null));
    }


    private String describeLimits() {
        List<String> parts = new ArrayList<>();
        programLimits.forEach((k, v) -> parts.add("-p " + k + "=" + v));
        groupLimits.forEach((k, v) -> parts.add("-g " + k + "=" + v));
        if (any != null) parts.add("-a " + any);
        return String.join(" ", parts);
    }

    private static String now() {
        return LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss"));
    }
}
