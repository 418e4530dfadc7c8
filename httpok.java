///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/*.java
//DESCRIPTION httpok: restart supervisord programs when an HTTP(S) health check fails. Drop-in for superlance's httpok.
//JAVA_OPTIONS -XX:+UseSerialGC -XX:-UsePerfData -XX:+UnlockDiagnosticVMOptions -XX:GuaranteedSafepointInterval=0 -XX:AsyncDeflationInterval=60000 -XX:TrimNativeHeapInterval=60000 -Xms4m -Xmn1m -Xmx32m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m -Xss512k -XX:+DisplayVMOutputToStderr -Xlog:disable -Xlog:all=warning:stderr

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocketFactory;
import lib.Alert;
import lib.Alerts;
import lib.Argv;
import lib.ChannelOptions;
import lib.Cli;
import lib.Event;
import lib.Http;
import lib.History;
import lib.Listener;
import lib.Log;
import lib.Mail;
import lib.MailOptions;
import lib.Outbox;
import lib.ProcessInfo;
import lib.RestartLimitOptions;
import lib.Selection;
import lib.Sizes;
import lib.Subprocess;
import lib.Supervisor;
import lib.Tls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * httpok, subscribed to TICK_5, TICK_60 or TICK_3600: on each tick, GET the
 * URL; when the request fails, times out, answers a status not expected, or
 * (with -b) a body without the text, restart the selected processes that
 * are RUNNING (a core dump of each first, with -d) and mail what happened.
 * With --max-restarts it gives up on a process restarted too often; with
 * --recovery the first passing check after a failure alert says so.
 *
 *   [eventlistener:httpok]
 *   command=jbang httpok.java -p web -m ops@example.com http://127.0.0.1:8080/health
 *   events=TICK_60
 */
@Command(name = "httpok", mixinStandardHelpOptions = true, version = Cli.VERSION, sortOptions = false,
        description = {"Restarts supervisord programs when a GET of URL fails, on each TICK event.",
                "A refused connection is retried every second until the timeout is spent (a restarting service is not "
                        + "hung yet). HTTPS certificates and host names are verified. Without -p or -a, failures are "
                        + "reported and nothing is restarted. The listener never restarts itself; other event listeners "
                        + "count as ordinary processes for -a.", ""})
class httpok implements Callable<Integer> {
    static final int MAX_BODY = 1 << 20; // what -b searches; a health page is small
    static final String AUTH_ENV = "HTTPOK_AUTH";

    @Option(names = {"-p", "--program"}, paramLabel = "NAME",
            description = "Restart this program: a bare name, group:name, or a group's name (repeatable).")
    List<String> programs = new ArrayList<>();

    @Option(names = {"-a", "--any"}, description = "Restart every RUNNING process.")
    boolean any;

    @Option(names = {"-t", "--timeout"}, paramLabel = "SEC", defaultValue = "10",
            description = "Seconds for the whole check, connecting included (default: ${DEFAULT-VALUE}).")
    int timeout;

    @Option(names = {"-c", "--code"}, paramLabel = "N", description = "Expected status (repeatable; default: 200).")
    List<Integer> codes = new ArrayList<>();

    @Option(names = {"-b", "--body"}, paramLabel = "TEXT", description = "Text the body must contain.")
    String body;

    @Option(names = {"-m", "--email"}, paramLabel = "ADDR", description = "Mail a report of each failed check here (comma-separated for several).")
    String email;

    @Option(names = {"-s", "--sendmail_program"}, paramLabel = "CMD", defaultValue = "/usr/sbin/sendmail -t -i",
            description = "Sendmail command, run without a shell (default: ${DEFAULT-VALUE}).")
    String sendmail;

    @Option(names = {"-g", "--gcore"}, paramLabel = "CMD", defaultValue = "/usr/bin/gcore -o",
            description = "Core dump command; it gets the core file name and the pid (default: ${DEFAULT-VALUE}).")
    String gcore;

    @Option(names = {"-d", "--coredir"}, paramLabel = "DIR", description = "Dump a core of each hung process here before restarting it.")
    Path coredir;

    boolean notEager;

    // As superlance's getopt: of -e and -E, the one given last counts.
    @Option(names = {"-e", "--eager"}, description = "Check even when no selected process is RUNNING (the default).")
    void eager(boolean given) { notEager = false; }

    @Option(names = {"-E", "--not-eager"}, description = "Check only while a selected process is RUNNING.")
    void notEager(boolean given) { notEager = true; }

    @Option(names = {"-w", "--delay"}, paramLabel = "SEC",
            description = "Do not restart a process that has been RUNNING for less than this many seconds.")
    Integer delay;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Name shown in the mail subject: httpok [NAME]: ...")
    String name;

    @Option(names = "--proxy", paramLabel = "URL|env",
            description = "Check through this HTTP proxy (http://[user:password@]host:port; also env:NAME or file:PATH), or "
                    + "env: $https_proxy / $http_proxy and $no_proxy, as curl reads them. Default: direct (a health check is "
                    + "usually of a local service).")
    String proxySpec;

    @Option(names = "--ca", paramLabel = "PEM", description = "Trust the CA certificates in this PEM file for HTTPS instead of the JDK's.")
    Path caFile;

    @Option(names = "--insecure", description = "Do not verify the HTTPS certificate or host name (not recommended).")
    boolean insecure;

    @Option(names = "--dry-run", description = "Log what would be restarted; restart nothing, dump nothing, mail nothing.")
    boolean dryRun;

    @Option(names = "--failures", paramLabel = "N", defaultValue = "1",
            description = "Restart only after N failed checks in a row; one success starts the count again (default: ${DEFAULT-VALUE}).")
    int failures;

    @Option(names = "--header", paramLabel = "'NAME: VALUE'", description = "A header sent with the GET (repeatable); Host: is honoured.")
    List<String> headers = new ArrayList<>();

    @Option(names = "--auth-file", paramLabel = "FILE",
            description = "Basic auth from this file's first line, USER:PASSWORD (or $" + AUTH_ENV + ", or the URL's user:pass@).")
    Path authFile;

    @Option(names = "--recovery", description = "Report the first passing check after a failure alert: 'healthy again after "
            + "4 failed checks (down 3m20s)'. Alertmanager gets it (resolved) even without this option.")
    boolean recovery;

    @Mixin
    RestartLimitOptions restartLimit = new RestartLimitOptions();

    @Option(names = "--start-stopped", description = "When the check fails, also start selected processes that are EXITED or FATAL "
            + "(not those STOPPED by hand).")
    boolean startStopped;

    @Parameters(arity = "1", paramLabel = "URL", description = "The http:// or https:// URL to check, or tcp://HOST:PORT for a TCP connect.")
    String url;

    @Mixin
    MailOptions mailOptions = new MailOptions();

    @Mixin
    ChannelOptions channelOptions = new ChannelOptions();

    @Spec
    CommandSpec spec;

    URI uri;
    String shown; // the URL as logs and mails show it: without a password
    final Map<String, String> requestHeaders = new java.util.LinkedHashMap<>(); // --header, split once; the last of a name wins
    String authorization; // "Basic ..." or null
    boolean tcp; // tcp://HOST:PORT: a connect is the check
    final List<String> failed = new ArrayList<>(); // the failed checks in a row: "time: why"
    Selection selection;
    SSLSocketFactory sockets; // null: the JDK's default trust
    Http.Proxy proxy; // null: direct
    Supervisor supervisor;
    Alerts alerts; // mail (with -m) and the other channels
    List<String> to; // -m, split and checked
    History history = new History(); // the check's failures since it last passed, restarts in the window, open alerts

    static {
        // A --header 'Host: ...' is sent as given (virtual hosts behind a local port); the JDK drops it otherwise.
        System.setProperty("sun.net.http.allowRestrictedHeaders", "true");
    }

    public static void main(String... args) {
        System.exit(Cli.execute(new httpok(), args));
    }

    @Override
    public Integer call() throws IOException {
        configure(System.getenv());
        Outbox outbox = null; // mail; none without -m
        String from = null;
        if (email != null) {
            Mail.Sender sender = mailOptions.sender(sendmail, System.getenv());
            from = mailOptions.from("httpok");
            MailOptions.warnIfLocal(sender, from, to);
            outbox = new Outbox(sender, "httpok");
        }
        alerts = new Alerts(outbox, from, to, channelOptions.channels("httpok", System.getenv()), "httpok");
        if (channelOptions.testAlert()) return alerts.testAlert("httpok");
        supervisor = Supervisor.fromEnvironment(System.getenv());
        if (alerts.any()) Runtime.getRuntime().addShutdownHook(new Thread(() -> alerts.drain(Outbox.AT_EXIT), "flush-at-exit"));
        if (insecure) Log.warn("--insecure: the HTTPS certificate and host name of %s are NOT verified", shown);
        Log.info("checking %s (timeout %d s, %s%s%s%s%s); on %s %s; mail %s%s", shown, timeout,
                tcp ? "a TCP connect" : "status " + codes, body == null ? "" : ", body containing '" + body + "'",
                headers.isEmpty() ? "" : ", " + headers.size() + " header(s)", authorization == null ? "" : ", basic auth",
                notEager ? ", only while a selected process is RUNNING" : "",
                failures == 1 ? "failure" : failures + " failures in a row",
                (any ? "restart every process" : programs.isEmpty() ? "restart nothing (no -p or -a)" : "restart " + programs)
                        + (startStopped ? ", start those EXITED or FATAL" : ""),
                outbox == null ? "off" : "to " + email, dryRun ? "; DRY RUN: nothing is restarted" : "");
        if (restartLimit.max > 0 || recovery) {
            Log.info("%s%s", restartLimit.describe().replaceFirst("^; ", ""),
                    recovery ? (restartLimit.max > 0 ? "; " : "") + "recovery notices on" : "");
        }
        return Listener.serve(this::onEvent);
    }

    /** Checks the options and sets up TLS; a bad URL or value is a usage error (exit 2). */
    void configure(Map<String, String> env) throws IOException {
        try {
            uri = new URI(url);
        } catch (Exception e) {
            throw Cli.usage(spec, "'" + url + "' is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        tcp = scheme.equals("tcp");
        if (!scheme.equals("http") && !scheme.equals("https") && !tcp || uri.getHost() == null) {
            throw Cli.usage(spec, "'" + url + "' is not an http://, https:// or tcp:// URL with a host");
        }
        if (tcp && uri.getPort() < 0) throw Cli.usage(spec, "'" + url + "' has no port: tcp://HOST:PORT");
        if (tcp && (!codes.isEmpty() || body != null)) throw Cli.usage(spec, "-c and -b are for HTTP: a tcp:// check only connects");
        if (timeout < 1) throw Cli.usage(spec, "Invalid value for option '--timeout': " + timeout + " is not a number of seconds above 0");
        if (failures < 1) throw Cli.usage(spec, "Invalid value for option '--failures': " + failures + " is not a number above 0");
        restartLimit.check();
        if (insecure && caFile != null) throw Cli.usage(spec, "--insecure and --ca exclude each other");
        for (String header : headers) {
            int colon = header.indexOf(':');
            if (colon <= 0 || header.substring(0, colon).isBlank() || header.chars().anyMatch(c -> c == '\r' || c == '\n')) {
                throw Cli.usage(spec, "Invalid value for option '--header': '" + header + "' is not 'Name: value'");
            }
            requestHeaders.put(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
        }
        if (codes.isEmpty()) codes.add(200);
        if (email != null) to = Cli.checked(spec, "--email", () -> Mail.addresses(email));
        if (coredir != null) Argv.split(gcore); // a bad quote in -g fails now, not when a process hangs
        selection = new Selection(programs, any, env);
        String credentials = authFile != null ? MailOptions.password(authFile, Map.of()) : env.get(AUTH_ENV);
        if (credentials == null) credentials = uri.getUserInfo(); // http://user:pass@host/: the least private place
        if (credentials != null) {
            if (!credentials.contains(":")) throw Cli.usage(spec, "the credentials for basic auth are not USER:PASSWORD");
            authorization = "Basic " + java.util.Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        }
        try { // never a password in a log line or a mail
            shown = new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), uri.getQuery(), null).toString();
        } catch (java.net.URISyntaxException e) {
            shown = uri.getScheme() + "://" + uri.getHost();
        }
        if (proxySpec != null) {
            if (tcp) throw Cli.usage(spec, "--proxy is for HTTP: a tcp:// check connects directly");
            proxy = Cli.checked(spec, "--proxy", () -> Http.choose(uri, proxySpec.equals("env") ? null : resolved(proxySpec, env), env));
            if (proxy == null) Log.info("--proxy %s: no proxy for %s (not set, or $no_proxy): checking directly", proxySpec, uri.getHost());
            else Log.info("checking %s through %s", shown, proxy);
        }
        if (insecure) sockets = Tls.trustingAnything().getSocketFactory();
        else if (caFile != null) sockets = Tls.trusting(caFile).getSocketFactory();
    }

    private static String resolved(String spec, Map<String, String> env) {
        try {
            return lib.WebChannel.resolve(spec, env);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    void onEvent(Event event) throws IOException {
        if (!event.isTick()) return; // acknowledged, ignored
        alerts.ticksEvery(event.tickSeconds());
        for (Alert open : history.due(alerts.repostMillis(event.tickSeconds()))) alerts.repost(open); // still failing, or given up
        history.forget(restartLimit.withinMillis());
        List<ProcessInfo> watched = notEager ? supervisor.getAllProcessInfo().stream().filter(selection::includes).toList() : List.of();
        if (notEager && watched.stream().noneMatch(ProcessInfo::running)) {
            Log.info("%s: no selected process is RUNNING: not checking (--not-eager)", event.name());
            return;
        }
        long started = System.nanoTime();
        Check check = check();
        Log.info("%s: %s in %d ms", event.name(), check.line(), (System.nanoTime() - started) / 1_000_000);
        if (check.problem() == null) {
            failed.clear();
            healthy(check);
            return;
        }
        if (notEager && watched.stream().anyMatch(p -> p.state() == ProcessInfo.STARTING || p.state() == ProcessInfo.BACKOFF)) {
            Log.info("check failed while supervisord is starting a selected process itself: not counted (--not-eager)");
            return;
        }
        history.trouble(shown, 0);
        failed.add(Log.asctime(System.currentTimeMillis()) + ": " + check.line());
        if (failed.size() < failures) {
            Log.info("check failed (%d of %d)", failed.size(), failures);
            return;
        }
        if (failures > 1) Log.info("check failed (%d of %d): acting", failed.size(), failures);
        List<String> inARow = List.copyOf(failed);
        failed.clear();
        act(check, inARow);
    }

    /**
     * A passing check: after failed ones, "healthy again after 4 failed
     * checks (down 3m20s)"; when a failure was alerted, the recovery goes to
     * Alertmanager (resolved), and with --recovery everywhere. Give-up alerts
     * still open end too: the service is fine.
     */
    void healthy(Check check) {
        History.Recovery r = history.fine(shown);
        if (r == null) return;
        String again = "healthy again after " + r.count() + (r.count() == 1 ? " failed check" : " failed checks")
                + " (down " + Sizes.duration(r.millis()) + ")";
        Log.info("%s", again);
        if (r.open() != null && !dryRun) {
            alerts.recovered(r.open().resolved(subject(shown + ": healthy again"), again + "\n" + check.line() + "\n"), recovery);
        }
        for (Alert open : history.closeAll()) { // give-up alerts: Alertmanager only
            if (!dryRun) alerts.recovered(open.resolved(open.subject(), "httpok: " + shown + " is healthy again.\n"), false);
        }
    }

    /** The outcome of one check: problem is null when healthy, else "bad status" or "bad body". */
    record Check(String problem, String line) {}

    /** One GET (or TCP connect), bounded by the timeout as a whole; a refused connection is retried every second within it. */
    Check check() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout);
        while (true) {
            try {
                return tcp ? connect(deadline) : get(deadline);
            } catch (ConnectException e) {
                if (deadline - System.nanoTime() > TimeUnit.SECONDS.toNanos(1)) {
                    sleep(1000); // refused: the service may be restarting; try again within the timeout
                    continue;
                }
                return new Check("bad status returned", "error contacting " + shown + ": " + Log.describe(e));
            } catch (SocketTimeoutException e) {
                return new Check("bad status returned", "error contacting " + shown + ": timed out after " + timeout + " s");
            } catch (IOException | RuntimeException e) {
                return new Check("bad status returned", "error contacting " + shown + ": " + Log.describe(e));
            }
        }
    }

    /** tcp://HOST:PORT: the service is up when it accepts a connection. */
    private Check connect(long deadline) throws IOException {
        int left = (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        try (Socket socket = new Socket(Proxy.NO_PROXY)) {
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), left);
        }
        return new Check(null, "status contacting " + shown + ": connected");
    }

    /** The GET, through lib/Http within the deadline; what is read of the body is what -b searches. */
    private Check get(long deadline) throws IOException {
        java.util.Map<String, String> headers = new java.util.LinkedHashMap<>(requestHeaders);
        headers.put("Connection", "close"); // each check on a fresh connection, as superlance's
        if (authorization != null) headers.put("Authorization", authorization);
        Http.Response r = Http.exchange(new Http.Client(proxy, sockets, insecure, "httpok"), "GET", uri, headers, null, deadline,
                body == null ? 0 : MAX_BODY);
        String line = "status contacting " + shown + ": " + r.status();
        if (!codes.contains(r.status())) return new Check("bad status returned", line);
        if (body != null && !r.text().contains(body)) return new Check("bad body returned", line + ", body without '" + body + "'");
        return new Check(null, line);
    }

    /** Restarts what is selected, reports each step, mails the report (with --failures, each failed check). */
    void act(Check check, List<String> inARow) {
        List<String> report = new ArrayList<>(List.of(check.line()));
        if (inARow.size() > 1) {
            report.add(inARow.size() + " checks failed in a row:");
            for (String failure : inARow) report.add("  " + failure);
        }
        List<ProcessInfo> processes;
        try {
            processes = supervisor.getAllProcessInfo();
        } catch (IOException e) {
            say(report, "Exception retrieving process info " + e.getMessage() + ", not acting");
            mail(check, report, List.of());
            return;
        }
        List<String> missing = new ArrayList<>(programs);
        List<Alert.Event> events = new ArrayList<>();
        int heldBack = 0; // selected processes the restart limit held back
        for (ProcessInfo p : processes) {
            if (!selection.includes(p)) continue;
            missing.removeIf(spec -> Selection.matches(spec, p.group(), p.name()));
            events.add(Alert.of(Alert.Kind.HEALTH, p));
            if (restart(p, report, check)) heldBack++;
        }
        if (!missing.isEmpty()) say(report, "Programs not restarted because they did not exist: " + missing);
        // Every selected process given up on, and this failure already alerted: logged, not mailed again and again.
        if (!events.isEmpty() && heldBack == events.size() && history.open(shown) != null) {
            Log.info("every selected process is given up on: this failed check is logged, not mailed again");
            return;
        }
        mail(check, report, events);
    }

    /** Restarts (or starts) one process as it may; true when the restart limit held it back. */
    private boolean restart(ProcessInfo p, List<String> report, Check check) {
        String namespec = p.namespec();
        if (p.running() && (delay == null || p.uptime() >= delay) && !dryRun) {
            boolean wasGivenUp = history.givenUp(namespec);
            switch (history.mayRestart(namespec, p.pid(), restartLimit.max, restartLimit.withinMillis())) {
                case GIVE_UP -> {
                    giveUp(p, check);
                    say(report, namespec + " is in RUNNING state, NOT restarting: " + restartLimit.givingUp(namespec,
                            history.restarts(namespec).size()) + " (--max-restarts)");
                    return true;
                }
                case GIVEN_UP -> {
                    say(report, namespec + " is in RUNNING state, NOT restarting: given up on it (--max-restarts)");
                    return true;
                }
                case RESTART -> {
                    if (wasGivenUp) {
                        Alert open = history.close(namespec);
                        if (open != null) alerts.recovered(open.resolved(open.subject(), "httpok acts on " + namespec + " again.\n"), false);
                    }
                }
            }
        }
        restartOrStart(p, report, check);
        return false;
    }

    /** --max-restarts reached: one alert, kept open in Alertmanager while httpok leaves the process alone. */
    private void giveUp(ProcessInfo p, Check check) {
        String namespec = p.namespec();
        List<History.Restart> restarts = history.restarts(namespec);
        String what = restartLimit.givingUp(namespec, restarts.size());
        Log.warn("%s", what);
        Alert alert = new Alert("httpok", subject(what),
                restartLimit.givingUpText("httpok", namespec, "the check fails again: " + check.line(), restarts,
                        "What you can do: look at why " + namespec + " does not come up healthy (its log, its dependencies), "
                                + "or restart it by hand once it is fixed."),
                List.of(Alert.of(Alert.Kind.GIVEN_UP, p)), null);
        history.opened(namespec, alert);
        alerts.send(alert);
    }

    private void restartOrStart(ProcessInfo p, List<String> report, Check check) {
        String namespec = p.namespec();
        if (!p.running()) {
            if (startStopped && (p.state() == ProcessInfo.EXITED || p.state() == ProcessInfo.FATAL)) {
                start(p, report);
                return;
            }
            say(report, namespec + " not in RUNNING state, NOT restarting");
            return;
        }
        if (delay != null && p.uptime() < delay) {
            say(report, namespec + " is in RUNNING state " + p.uptime() + " seconds (<" + delay + "), delay restarting");
            return;
        }
        if (dryRun) {
            say(report, namespec + " is in RUNNING state, would restart (dry run)");
            return;
        }
        if (coredir != null) say(report, "gcore output for " + namespec + ":\n\n" + gcore(namespec, p.pid()));
        say(report, namespec + " is in RUNNING state, restarting");
        try {
            supervisor.stopAndWait(namespec); // however long its stopwaitsecs: started again only once stopped
        } catch (IOException e) {
            // Starting it blindly could leave two copies, or hide why it would not stop.
            say(report, "Failed to stop process " + namespec + ": " + e.getMessage() + "; not starting it");
            return;
        }
        try {
            supervisor.startProcess(namespec, false); // no wait for startsecs: the next tick sees the result
            history.restarted(namespec, check.line() + ", uptime " + p.uptime() + " s");
            say(report, namespec + " restarted");
        } catch (IOException e) {
            say(report, "Failed to start process " + namespec + ": " + e.getMessage());
        }
    }

    /** --start-stopped: a program that crashed or never came up (a person's STOPPED is left alone). */
    private void start(ProcessInfo p, List<String> report) {
        String namespec = p.namespec();
        String why = p.spawnerr().isEmpty() ? "" : " (" + p.spawnerr() + ")";
        if (dryRun) {
            say(report, namespec + " is in " + p.statename() + " state" + why + ", would start it (dry run)");
            return;
        }
        say(report, namespec + " is in " + p.statename() + " state" + why + ", starting it (--start-stopped)");
        try {
            supervisor.startProcess(namespec, false);
            say(report, namespec + " started");
        } catch (IOException e) {
            say(report, "Failed to start process " + namespec + ": " + e.getMessage());
        }
    }

    /** Runs the core dump command (no shell): gcore -o COREDIR/NAMESPEC PID. Its output goes in the report. */
    String gcore(String namespec, int pid) {
        List<String> argv = new ArrayList<>(Argv.split(gcore));
        argv.add(coredir.resolve(namespec).toString());
        argv.add(String.valueOf(pid));
        Duration limit = Duration.ofSeconds(Math.max(60, timeout)); // a large process takes a while; a hung dump must not hang us
        try {
            Subprocess.Result result = Subprocess.run(argv, null, limit, 16 * 1024);
            if (result.timedOut()) return argv.get(0) + " did not finish within " + limit.toSeconds() + " s";
            return result.output() + (result.status() == 0 ? "" : "\n(exit status " + result.status() + ")");
        } catch (IOException e) {
            return "cannot run " + argv + ": " + e.getMessage();
        }
    }

    private static void say(List<String> report, String line) {
        Log.info("%s", line);
        report.add(line);
    }

    /** Subject "httpok: URL: bad status returned", or with -n X "httpok [X]: ...". */
    String subject(Check check) {
        return subject(shown + ": " + check.problem());
    }

    /** "httpok: WHAT", or with -n X "httpok [X]: WHAT". */
    String subject(String what) {
        return "httpok" + (name == null ? "" : " [" + name + "]") + ": " + what;
    }

    /** Mails the report and keeps it open (Alertmanager) until a check passes. */
    private void mail(Check check, List<String> report, List<Alert.Event> events) {
        if (dryRun) return;
        // No process (none selected, or supervisord did not answer): the check itself is what is open.
        if (events.isEmpty()) events = List.of(new Alert.Event(Alert.Kind.HEALTH, "", "", 0, "", null, java.time.Instant.now()));
        Alert alert = new Alert("httpok", subject(check), String.join("\n", report) + "\n", events, null);
        history.opened(shown, alert);
        alerts.send(alert);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
