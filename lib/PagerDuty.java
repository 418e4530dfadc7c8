package lib;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocketFactory;

/**
 * PagerDuty's Events API v2 (--pagerduty ROUTING_KEY): one event per
 * process an alert reports, with one dedup_key per host and process, so a
 * crash loop is one incident, not hundreds: `trigger` while it lasts,
 * `resolve` with the same key once it is fine again. The routing key is a
 * secret: never logged. 429 and 5xx are retried, 400 is final and logged.
 */
public final class PagerDuty implements Channel {
    public static final String EVENTS_API = "https://events.pagerduty.com/v2/enqueue";
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final List<String> SEVERITIES = List.of("critical", "error", "warning", "info");

    private final String routingKey;
    private final URI target;
    private final String shown;
    private final String plugin;
    private final String host;
    private final String severity;
    private final SSLSocketFactory sockets;
    private final boolean insecure;
    private Http.Proxy proxy;

    public PagerDuty(String routingKey, String url, String plugin, String host, String severity, SSLSocketFactory sockets,
                     boolean insecure) {
        if (routingKey.isBlank()) throw new IllegalArgumentException("--pagerduty: the routing key is empty");
        if (!SEVERITIES.contains(severity)) {
            throw new IllegalArgumentException("--pagerduty-severity '" + severity + "' is not one of " + String.join(", ", SEVERITIES));
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (Exception e) {
            throw new IllegalArgumentException("--pagerduty-url is not a URL: " + WebChannel.shorten(url));
        }
        if (uri.getHost() == null || !List.of("http", "https").contains(String.valueOf(uri.getScheme()).toLowerCase())) {
            throw new IllegalArgumentException("--pagerduty-url is not an http:// or https:// URL: " + WebChannel.shorten(url));
        }
        this.routingKey = routingKey;
        this.target = uri;
        this.shown = "pagerduty " + WebChannel.shorten(url);
        this.plugin = plugin;
        this.host = host;
        this.severity = severity;
        this.sockets = sockets;
        this.insecure = insecure;
    }

    @Override
    public String toString() { return shown; }

    @Override
    public boolean keepsState() { return true; }

    public PagerDuty via(Http.Proxy through) {
        proxy = through;
        return this;
    }

    URI target() { return target; }

    @Override
    public String route() { return proxy == null ? "direct" : "through " + proxy; }

    /**
     * The events to send, one per process, one JSON object a line (each is
     * posted on its own). Without the routing key: it is added as each is
     * sent, so that no log of a message (a refused one, one unsent at exit)
     * ever shows it.
     */
    @Override
    public Mail envelope(Alert alert) {
        List<Object> events = new ArrayList<>();
        List<Alert.Event> reported = alert.events().isEmpty()
                ? List.of(new Alert.Event(null, "", "", 0, "", null, java.time.Instant.now())) : alert.events();
        for (Alert.Event e : reported) {
            String key = "superlance/" + host + "/" + (e.process().isEmpty() ? plugin : Selection.namespec(e.group(), e.process()));
            events.add(event(e.resolved() ? "resolve" : "trigger", key, alert, e));
            if (e.kind() == Alert.Kind.TEST) events.add(event("resolve", key, alert, e)); // a test opens no lasting incident
        }
        StringBuilder lines = new StringBuilder();
        for (Object event : events) lines.append(Json.write(event)).append('\n'); // Json escapes every newline in a string
        return new Mail("", List.of(shown), alert.subject(), lines.toString());
    }

    private Map<String, Object> event(String action, String key, Alert alert, Alert.Event e) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("event_action", action);
        event.put("dedup_key", key);
        if (action.equals("trigger")) {
            Map<String, Object> payload = new LinkedHashMap<>();
            String summary = alert.subject();
            payload.put("summary", summary.length() > 1024 ? summary.substring(0, 1024) : summary);
            payload.put("source", host);
            payload.put("severity", severity);
            if (!e.process().isEmpty()) payload.put("component", e.process());
            if (!e.group().isEmpty()) payload.put("group", e.group());
            payload.put("class", e.kind() == null ? "alert" : e.kind().label());
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("plugin", alert.plugin());
            details.put("text", alert.text());
            if (alert.excerpt() != null) details.put("excerpt", alert.excerpt());
            payload.put("custom_details", details);
            event.put("payload", payload);
            event.put("client", "superlance-jbang");
        }
        return event;
    }

    @Override
    public void send(Mail envelope) throws IOException {
        Http.Client client = new Http.Client(proxy, sockets, insecure, "superlance-jbang");
        for (String event : envelope.body().split("\n")) {
            if (event.isBlank()) continue;
            String withKey = "{\"routing_key\":" + Json.write(routingKey) + "," + event.substring(1);
            Http.Response r;
            try {
                r = Http.exchange(client, "POST", target, Map.of("Content-Type", "application/json"),
                        withKey.getBytes(StandardCharsets.UTF_8), System.nanoTime() + TIMEOUT.toNanos(), 1000);
            } catch (IOException e) {
                throw new IOException(shown + ": " + Log.describe(e));
            }
            if (r.status() >= 200 && r.status() < 300) continue;
            String said = r.text().strip().replace(routingKey, "(the routing key)");
            said = said.isEmpty() ? "" : ": " + said;
            if (r.status() == 429 || r.status() >= 500) throw new IOException(shown + " answered HTTP " + r.status() + said);
            throw new Mail.Rejected(shown + " answered HTTP " + r.status() + said);
        }
    }
}
