///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/*.java
//DESCRIPTION crashmail: mail when a supervisord program exits unexpectedly, with crash loops folded. Drop-in for superlance's crashmail.
//JAVA_OPTIONS -XX:+UseSerialGC -XX:-UsePerfData -XX:+UnlockDiagnosticVMOptions -XX:GuaranteedSafepointInterval=0 -XX:AsyncDeflationInterval=60000 -XX:TrimNativeHeapInterval=60000 -Xms4m -Xmn1m -Xmx32m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m -Xss512k -XX:+DisplayVMOutputToStderr -Xlog:disable -Xlog:all=warning:stderr

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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
import lib.Outbox;
import lib.Postmortem;
import lib.RecoveryOptions;
import lib.Selection;
import lib.Sizes;
import lib.Storm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * crashmail, subscribed to PROCESS_STATE_EXITED: one mail per unexpected
 * exit (expected:0) of a selected process, as superlance sends it, with how
 * it ended, its uptime and the end of its log below superlance's line. A process
 * in a crash loop gets at most --fold-after mails per --fold-window; its
 * further crashes come as one summary when the window ends. With --recovery,
 * a process RUNNING again for the settle time without a new crash is
 * reported as running again (Alertmanager is told either way).
 *
 *   [eventlistener:crashmail]
 *   command=jbang crashmail.java -a -m ops@example.com
 *   events=PROCESS_STATE_EXITED
 */
@Command(name = "crashmail", mixinStandardHelpOptions = true, version = Cli.VERSION, sortOptions = false,
        description = {"Mails when a supervisord program exits unexpectedly (PROCESS_STATE_EXITED with expected:0).",
                "Without -m the crash is only logged. Mail that cannot be sent is kept and retried.", ""})
class crashmail implements Callable<Integer> {
    @Option(names = {"-p", "--program"}, paramLabel = "NAME",
            description = "Watch this program: a bare name, group:name, or a group's name (repeatable).")
    List<String> programs = new ArrayList<>();

    @Option(names = {"-a", "--any"}, description = "Watch every process (also what neither -p nor -a does, as in superlance).")
    boolean any;

    @Option(names = {"-o", "--optionalheader"}, paramLabel = "TEXT", description = "Subject prefix: 'TEXT: NAME crashed at ...'.")
    String optionalHeader;

    @Option(names = {"-m", "--email"}, paramLabel = "ADDR", description = "Mail each crash here (comma-separated for several).")
    String email;

    @Option(names = {"-s", "--sendmail_program"}, paramLabel = "CMD", defaultValue = "/usr/sbin/sendmail -t -i",
            description = "Sendmail command, run without a shell (default: ${DEFAULT-VALUE}).")
    String sendmail;

    @Option(names = "--fold-after", paramLabel = "N", defaultValue = "5",
            description = "Mails per process per window before further crashes are folded into one summary "
                    + "(default: ${DEFAULT-VALUE}; 0: never fold).")
    int foldAfter;

    @Option(names = "--fold-window", paramLabel = "DURATION", defaultValue = "10m", converter = Sizes.Seconds.class,
            description = "The window, opened by a process's first crash (default: ${DEFAULT-VALUE}; seconds, or with s, m, h; 0: never fold).")
    long foldWindow;

    @Option(names = "--log-lines", paramLabel = "N", defaultValue = "10",
            description = "Add how it ended (exit status or signal), its uptime and the last N lines of its log "
                    + "(stderr, else stdout) below superlance's line (default: ${DEFAULT-VALUE}; 0: superlance's body exactly).")
    int logLines;

    @Mixin
    RecoveryOptions recovery = new RecoveryOptions();

    @Mixin
    MailOptions mailOptions = new MailOptions();

    @Mixin
    ChannelOptions channelOptions = new ChannelOptions();

    @Spec
    CommandSpec spec;

    Selection selection;
    Storm storm;
    Postmortem postmortem; // null with --log-lines 0 or without -m
    Alerts alerts; // mail (with -m) and the other channels
    List<String> to;
    History history = new History(); // crashes since each process was last fine, and the alert open for it
    boolean tracking; // recoveries tracked: --recovery, or an Alertmanager channel
    java.util.Map<String, String> env; // SUPERVISOR_PROCESS_NAME names this listener in a warning
    ScheduledThreadPoolExecutor clock; // ends crash loops' windows and sees recoveries; null until served
    ScheduledFuture<?> ticking; // the clock's check, while something can come due (keepClock)

    public static void main(String... args) {
        System.exit(Cli.execute(new crashmail(), args));
    }

    @Override
    public Integer call() throws IOException {
        configure(System.getenv());
        Outbox outbox = null; // mail; none without -m
        String from = null;
        if (email != null) {
            Mail.Sender sender = mailOptions.sender(sendmail, System.getenv());
            from = mailOptions.from("crashmail");
            MailOptions.warnIfLocal(sender, from, to);
            outbox = new Outbox(sender, "crashmail");
        }
        alerts = new Alerts(outbox, from, to, channelOptions.channels("crashmail", System.getenv()), "crashmail");
        tracking = recovery.tracked(alerts);
        if (channelOptions.testAlert()) return alerts.testAlert("crashmail");
        if (alerts.any() && logLines > 0) {
            postmortem = Postmortem.forListener(System.getenv(), logLines);
            postmortem.learnStarts(); // when the running programs started: the uptime of their first crash
        }
        Log.info("watching %s; mail %s; %s%s", any ? "every process" : String.join(", ", programs),
                outbox != null ? "to " + email : alerts.any() ? "off (no -m)" : "off (no -m): crashes are only logged",
                storm.enabled() ? "crash loops folded after " + foldAfter + " mails in " + foldWindow + " s" : "no folding",
                recovery.describe(alerts));
        clock = new ScheduledThreadPoolExecutor(1, task -> {
            Thread t = new Thread(task, "crashmail-summaries");
            t.setDaemon(true);
            return t;
        });
        clock.setRemoveOnCancelPolicy(true);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (this) {
                summaries(storm.all()); // a crash loop still open at exit is reported now
            }
            alerts.drain(Outbox.AT_EXIT);
        }, "flush-at-exit"));
        return Listener.serve(this::onEvent);
    }

    /** Checks the options. Neither -p nor -a watches every process, as superlance did (configs in the field rely on it). */
    void configure(java.util.Map<String, String> env) {
        this.env = env;
        if (programs.isEmpty() && !any) {
            any = true;
            Log.info("no -p or -a given: watching every process, as superlance did");
        }
        if (foldAfter < 0) throw Cli.usage(spec, "Invalid value for option '--fold-after': " + foldAfter + " is below 0");
        if (logLines < 0) throw Cli.usage(spec, "Invalid value for option '--log-lines': " + logLines + " is below 0");
        if (email != null) to = Cli.checked(spec, "--email", () -> Mail.addresses(email));
        selection = new Selection(programs, any, env);
        storm = new Storm(foldAfter, foldWindow * 1000);
    }

    /**
     * The clock's check for ended crash loops. Synchronized with onEvent: a
     * summary taken out of the storm here is queued before the next crash's
     * mail can be, so mails keep the order of what happened.
     */
    synchronized void summariesDue() {
        summaries(storm.due(System.currentTimeMillis()));
        if (tracking) {
            recoveries();
            if (history.seesRunning()) { // else no recovery can be seen, and an alert ends by itself after a while
                for (Alert open : history.due(alerts.repostMillis(0))) alerts.repost(open);
            }
        }
        keepClock();
    }

    /**
     * The clock looks once a second while something can come due: a crash
     * loop's window is open, or (tracking recoveries) a process is remembered.
     * With nothing of the kind it is stopped, and an idle crashmail does
     * not wake up at all (docs/performance.md); the next crash starts it again.
     */
    private void keepClock() {
        if (clock == null) return; // not serving (a test calls onEvent itself)
        boolean pending = !storm.isEmpty() || tracking && history.size() > 0;
        if (pending && ticking == null) {
            ticking = clock.scheduleWithFixedDelay(this::summariesDue, 1, 1, TimeUnit.SECONDS);
        } else if (!pending && ticking != null) {
            ticking.cancel(false);
            ticking = null;
        }
    }

    synchronized void onEvent(Event event) {
        handle(event);
        keepClock();
    }

    private void handle(Event event) {
        boolean crash = event.name().equals("PROCESS_STATE_EXITED") && !event.expected();
        if (!selection.includes(event.groupName(), event.processName())) return;
        if (tracking && event.isProcessState()) recovery.watch(event, crash, history, env);
        if (!crash) return;
        long now = System.currentTimeMillis();
        summaries(storm.due(now)); // an ended crash loop's summary before this crash's mail
        String body = body(event);
        Log.info("%s", body);
        if (storm.admit(event.namespec(), Log.asctime(now) + " pid " + event.pid() + " from state " + event.fromState(), now)) {
            // Read now, while it is fresh, not when the mail goes out; superlance's line stays first.
            String why = postmortem == null ? "" : postmortem.of(event.groupName(), event.processName(), event.pid()).text();
            Alert alert = new Alert("crashmail", subject(event.processName() + " crashed at " + Log.asctime(now)),
                    body + "\n" + (why.isEmpty() ? "" : "\n" + why), List.of(Alert.of(Alert.Kind.CRASH, event)), why.isEmpty() ? null : why);
            alerts.send(alert);
            if (tracking) history.opened(event.namespec(), alert); // open until it runs again for the settle time
        } else {
            Log.info("crash loop: the mail for this crash of %s is folded into a summary", event.namespec());
        }
    }

    static String body(Event event) {
        return "Process " + event.processName() + " in group " + event.groupName() + " exited unexpectedly (pid "
                + event.pid() + ") from state " + event.fromState();
    }

    /** 'NAME crashed at ...', or with -o P: 'P: NAME crashed at ...' (no stray leading space). */
    String subject(String what) {
        return optionalHeader == null ? what : optionalHeader + ": " + what;
    }

    /**
     * The processes RUNNING again for the settle time without a crash: a
     * crash loop's folded crashes go out first, then "NAME running again
     * after 7 crashes in 12m", resolving the open alert.
     */
    void recoveries() {
        for (History.Recovery r : history.recovered(recovery.settleMillis())) {
            summaries(storm.take(r.key()));
            String name = r.key().substring(r.key().indexOf(':') + 1);
            String group = r.key().contains(":") ? r.key().substring(0, r.key().indexOf(':')) : name;
            String again = name + " " + RecoveryOptions.phrase(r, Alert.Kind.CRASH);
            Log.info("%s", again);
            String text = "Process " + name + " in group " + group + " is running again: it crashed " + r.count() + " time(s) from "
                    + Log.asctime(r.since()) + ", and has been RUNNING since " + Log.asctime(r.fineAt()) + " without a new crash.\n";
            Alert open = r.open() != null ? r.open() : new Alert("crashmail", "", "",
                    List.of(new Alert.Event(Alert.Kind.CRASH, group, name, 0, "", null, java.time.Instant.ofEpochMilli(r.since()))), null);
            alerts.recovered(open.resolved(subject(again), text), recovery.notices());
        }
        history.forget(0);
    }

    /** One mail per crash loop whose window ended: how many crashes were held back, when, which pids. */
    void summaries(List<Storm.Folded> folded) {
        for (Storm.Folded f : folded) {
            String name = f.key().substring(f.key().indexOf(':') + 1);
            String group = f.key().contains(":") ? f.key().substring(0, f.key().indexOf(':')) : name;
            StringBuilder body = new StringBuilder("Process " + name + " in group " + group + " exited unexpectedly "
                    + f.count() + " more time(s) in the " + foldWindow + " s after " + Log.asctime(f.windowStart())
                    + ". After " + foldAfter + " mails in that window, these crashes were folded into this summary:\n\n");
            for (String entry : f.entries()) body.append(entry).append('\n');
            if (f.count() > f.entries().size()) body.append("... and ").append(f.count() - f.entries().size()).append(" more\n");
            Log.info("crash loop of %s: %d crash(es) folded", f.key(), f.count());
            send(subject(name + " crashed " + f.count() + " more time(s) (crash loop)"), body.toString(),
                    new Alert.Event(Alert.Kind.CRASH, group, name, 0, "", null, java.time.Instant.now()), null);
        }
    }

    private void send(String subject, String body, Alert.Event event, String excerpt) {
        alerts.send(new Alert("crashmail", subject, body, List.of(event), excerpt));
    }
}
