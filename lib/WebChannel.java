package lib;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocketFactory;

/**
 * An alert channel over HTTP(S): a JSON webhook, a Slack-shaped incoming
 * webhook (Mattermost, Rocket.Chat, Discord's /slack endpoint) or
 * Prometheus Alertmanager's v2 API. It renders an alert as the JSON it
 * posts, queued in an outbox like mail (the "envelope": subject for the
 * log, the JSON as body), and posts it through lib/Http: verified TLS, the
 * proxy ChannelOptions chose (or none), no redirects, 10 s for the whole post. 408, 429 and 5xx are
 * retried; any other 4xx is final. The URL is a secret (a Slack URL is its
 * token): it is shown shortened, and can come from env:NAME or file:PATH.
 */
public final class WebChannel implements Channel {
    public enum Shape { WEBHOOK, SLACK, ALERTMANAGER }

    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /**
     * An Alertmanager alert ends by itself this long after it was last posted
     * (--alertmanager-ends-after): a one-off crash resolves, and an alert the
     * plugin keeps open is posted again well before (Alerts.repostMillis).
     */
    public static final Duration RESOLVE_AFTER = Duration.ofMinutes(5);

    private final Shape shape;
    private final URI target;
    private final String shown;
    private final String plugin;
    private final String host;
    private final Map<String, String> labels;
    private final SSLSocketFactory sockets; // null: the JDK's default trust
    private final boolean insecure;
    private Http.Proxy proxy; // null: direct
    private String template; // --webhook-template: the body, {{...}} filled in; null: the webhook document
    private String templateFile; // its name, for the start-up line
    private Duration endsAfter = RESOLVE_AFTER; // --alertmanager-ends-after
    private volatile Duration lifetime = RESOLVE_AFTER; // endsAfter, or longer when ticks are far apart (TICK_3600)

    public WebChannel(Shape shape, String url, String plugin, String host, Map<String, String> labels, SSLSocketFactory sockets,
                      boolean insecure) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (Exception e) {
            throw new IllegalArgumentException("not a URL: " + shorten(url));
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("not an http:// or https:// URL: " + shorten(url));
        }
        if (shape == Shape.ALERTMANAGER && !uri.getPath().endsWith("/api/v2/alerts")) {
            uri = URI.create(url.replaceAll("/+$", "") + "/api/v2/alerts"); // the server's base URL, as people write it
        }
        this.shape = shape;
        this.target = uri;
        this.shown = shape.name().toLowerCase() + " " + shorten(url);
        this.plugin = plugin;
        this.host = host;
        this.labels = labels;
        this.sockets = sockets;
        this.insecure = insecure;
    }

    /** A URL as an option gives it: the URL itself, env:NAME or file:PATH (its first line). */
    public static String resolve(String spec, Map<String, String> env) throws IOException {
        if (spec.startsWith("env:")) {
            Subprocess.secret(spec.substring(4)); // --exec scripts and sendmail never see it
            String value = env.get(spec.substring(4));
            if (value == null || value.isBlank()) throw new IllegalArgumentException("$" + spec.substring(4) + " is not set");
            return value.strip();
        }
        if (spec.startsWith("file:")) {
            try {
                return Files.readString(Path.of(spec.substring(5)), StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
            } catch (IOException e) {
                throw new IOException("cannot read " + spec.substring(5) + ": " + e.getMessage());
            }
        }
        return spec;
    }

    /** Scheme, host and port, and the first path segment shortened: never the token a path or query carries. */
    static String shorten(String url) {
        try {
            URI u = new URI(url);
            if (u.getHost() == null) return "(a URL)";
            String path = u.getPath() == null ? "" : u.getPath();
            String first = path.replaceAll("^/([^/]{0,12}).*", "/$1");
            return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort())
                    + (path.length() > first.length() || u.getQuery() != null ? first + "…" : first);
        } catch (Exception e) {
            return "(a URL)";
        }
    }

    @Override
    public String toString() { return shown; }

    /** Alertmanager is told when trouble ends, and its alerts end unless posted again. */
    @Override
    public boolean keepsState() { return shape == Shape.ALERTMANAGER; }

    @Override
    public Duration expiresAfter() { return shape == Shape.ALERTMANAGER ? endsAfter : null; }

    /** How long an Alertmanager alert stays open without being posted again (--alertmanager-ends-after). */
    public WebChannel endsAfter(Duration after) {
        endsAfter = after;
        lifetime = after;
        return this;
    }

    /** Ticks this far apart: an alert posted again at a tick must outlive three of them. */
    @Override
    public void ticksEvery(Duration tick) {
        Duration three = tick.multipliedBy(3);
        lifetime = three.compareTo(endsAfter) > 0 ? three : endsAfter;
    }

    @Override
    public Mail envelope(Alert alert) {
        return new Mail("", List.of(shown), alert.subject(), template != null ? fill(template, alert) : Json.write(payload(alert)));
    }

    /** The placeholders a template may use; each value is JSON-escaped, {{json}} is the whole webhook document. */
    static final List<String> PLACEHOLDERS = List.of("subject", "text", "host", "plugin", "status", "process", "excerpt", "json");

    /**
     * --webhook-template: this JSON is posted instead of the webhook
     * document, with {{subject}}, {{text}}, {{host}}, {{plugin}},
     * {{status}}, {{process}} and {{excerpt}} replaced by the alert's values,
     * JSON-escaped (they belong inside a template's strings, and a log line
     * never breaks it), and {{json}} by the whole webhook document. Refused
     * (IllegalArgumentException) unless filled with sample values it is JSON.
     */
    public WebChannel template(String json, String file) {
        Alert sample = new Alert(plugin, "app crashed at 2026-12-03 10:00:00,000 \"quoted\" \\ {{text}}",
                "Process app exited\n\ttab \u0007 \"quote\" \\ </script> \ud83d\ude80",
                List.of(new Alert.Event(Alert.Kind.CRASH, "g", "app", 1, "RUNNING", 1, Instant.now())), "log \"line\"\r\n");
        try {
            Json.check(fill(json, sample));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--webhook-template " + file + " is not JSON once filled in: " + e.getMessage());
        }
        template = json;
        templateFile = file;
        return this;
    }

    String fill(String json, Alert alert) {
        String process = alert.events().stream().map(e -> Selection.namespec(e.group(), e.process())).filter(n -> !n.isEmpty())
                .distinct().reduce((a, b) -> a + ", " + b).orElse("");
        Map<String, String> values = Map.of("subject", alert.subject(), "text", alert.text(), "host", host, "plugin", alert.plugin(),
                "status", alert.status(), "process", process, "excerpt", alert.excerpt() == null ? "" : alert.excerpt());
        StringBuilder out = new StringBuilder();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{\\{(\\w+)\\}\\}").matcher(json);
        while (m.find()) { // one pass: a value that holds "{{text}}" is not filled in again
            String name = m.group(1);
            String value = name.equals("json") ? Json.write(webhook(alert)) : values.containsKey(name) ? Json.escaped(values.get(name)) : m.group();
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(value));
        }
        return m.appendTail(out).toString();
    }

    @Override
    public Mail notice(Mail template, String subject, String text) {
        return envelope(new Alert(plugin, subject, text, List.of(), null));
    }

    Object payload(Alert alert) {
        return switch (shape) {
            case WEBHOOK -> webhook(alert);
            case SLACK -> Map.of("text", "*" + slack(alert.subject()) + "*\n```\n" + slack(alert.text()).replace("```", "` ` `") + "\n```");
            case ALERTMANAGER -> alertmanager(alert);
        };
    }

    private Map<String, Object> webhook(Alert alert) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("plugin", alert.plugin());
        json.put("status", alert.status());
        json.put("host", host);
        json.put("subject", alert.subject());
        json.put("text", alert.text());
        List<Object> events = new ArrayList<>();
        for (Alert.Event e : alert.events()) {
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("process", e.process());
            event.put("group", e.group());
            event.put("pid", e.pid());
            event.put("from_state", e.fromState());
            event.put("exit_status", e.exitStatus());
            event.put("time", e.time().toString());
            event.put("kind", e.kind().label());
            event.put("status", e.status());
            events.add(event);
        }
        json.put("events", events);
        if (alert.excerpt() != null) json.put("excerpt", alert.excerpt());
        return json;
    }

    /** Slack's mrkdwn: &, < and > are its markup. */
    private static String slack(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /**
     * One Alertmanager alert per process reported (its labels tell them
     * apart: alertname, host, group, process, plugin). startsAt is when the
     * trouble started; a firing alert ends `lifetime` from now unless posted
     * again, a resolved one ends now. Where a batch reports one process
     * twice (a crash, then its recovery), the last word counts.
     */
    private List<Object> alertmanager(Alert alert) {
        Map<List<String>, Object> alerts = new LinkedHashMap<>();
        List<Alert.Event> events = alert.events().isEmpty()
                ? List.of(new Alert.Event(null, "", "", 0, "", null, Instant.now())) : alert.events();
        Instant now = Instant.now();
        for (Alert.Event e : events) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("alertname", e.kind() == null ? "SupervisorAlert" : e.kind().alertname);
            l.put("host", host);
            if (!e.group().isEmpty()) l.put("group", e.group());
            if (!e.process().isEmpty()) l.put("process", e.process());
            l.put("plugin", alert.plugin());
            l.putAll(labels);
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("labels", l);
            a.put("annotations", Map.of("summary", alert.subject(), "description", alert.text()));
            Instant start = e.time().isAfter(now) ? now : e.time();
            a.put("startsAt", start.toString());
            a.put("endsAt", (e.resolved() ? now : now.plus(lifetime)).toString());
            List<String> identity = List.of(String.valueOf(l.get("alertname")), e.group(), e.process());
            alerts.remove(identity);
            alerts.put(identity, a);
        }
        return new ArrayList<>(alerts.values());
    }

    @Override
    public void send(Mail envelope) throws IOException {
        Http.Client client = new Http.Client(proxy, sockets, insecure, "superlance-jbang");
        Http.Response r;
        try {
            r = Http.exchange(client, "POST", target, Map.of("Content-Type", "application/json"),
                    envelope.body().getBytes(StandardCharsets.UTF_8), System.nanoTime() + TIMEOUT.toNanos(), 1000);
        } catch (IOException e) {
            throw new IOException(shown + ": " + Log.describe(e).replace(target.toString(), shown)); // never the whole URL
        }
        if (r.status() >= 200 && r.status() < 300) return;
        String said = r.text().strip().isEmpty() ? "" : ": " + r.text().strip();
        if (r.status() == 408 || r.status() == 429 || r.status() >= 500) throw new IOException(shown + " answered HTTP " + r.status() + said);
        throw new Mail.Rejected(shown + " answered HTTP " + r.status() + said); // a 4xx (or a redirect): the same post would fail again
    }

    /** The proxy posts go through (null: direct), as ChannelOptions chose it. */
    public WebChannel via(Http.Proxy through) {
        proxy = through;
        return this;
    }

    /** For the start-up line: "direct", or which proxy and where it came from (never its credentials). */
    @Override
    public String route() {
        return (proxy == null ? "direct" : "through " + proxy) + (templateFile == null ? "" : ", body from " + templateFile);
    }

    URI target() { return target; }
}
