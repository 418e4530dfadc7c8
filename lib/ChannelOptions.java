package lib;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocketFactory;
import picocli.CommandLine.Option;

/**
 * The alert channels every alerting plugin shares besides mail (a picocli
 * mixin): JSON webhooks, Slack-shaped webhooks, Prometheus Alertmanager,
 * PagerDuty and a command.
 * Each is repeatable, in any mix with mail, and each has its own outbox:
 * one that is down never delays another.
 */
public final class ChannelOptions {
    List<String> webhooks = new ArrayList<>();
    List<Path> templates = new ArrayList<>(); // one per webhook, null: the webhook document
    String strayTemplate; // a --webhook-template before any --webhook

    @Option(names = "--webhook", paramLabel = "URL", description = "POST each alert as JSON here (repeatable; also env:NAME or file:PATH).")
    void webhook(String url) {
        webhooks.add(url);
        templates.add(null);
    }

    // picocli calls these in the order of the command line: a template belongs to the --webhook just before it.
    @Option(names = "--webhook-template", paramLabel = "FILE", description = "Post this JSON instead, for the --webhook given just "
            + "before it: {{subject}}, {{text}}, {{host}}, {{plugin}}, {{status}}, {{process}}, {{excerpt}} (each JSON-escaped) and "
            + "{{json}} (the whole document) are filled in. Examples for Teams, Telegram, Google Chat, ntfy: examples/templates/.")
    void template(Path file) {
        if (webhooks.isEmpty()) strayTemplate = file.toString();
        else templates.set(templates.size() - 1, file);
    }

    @Option(names = "--slack", paramLabel = "URL", description = "Post each alert to a Slack-style incoming webhook (Mattermost, "
            + "Rocket.Chat, Discord's /slack) (repeatable; also env:NAME or file:PATH).")
    List<String> slack = new ArrayList<>();

    @Option(names = "--alertmanager", paramLabel = "URL", description = "Send each alert to Prometheus Alertmanager's v2 API at this "
            + "base URL (repeatable; also env:NAME or file:PATH).")
    List<String> alertmanagers = new ArrayList<>();

    @Option(names = "--pagerduty", paramLabel = "ROUTING_KEY", description = "Send each alert to PagerDuty's Events API v2 with "
            + "this integration's routing key (repeatable; also env:NAME or file:PATH): one incident per host and process, "
            + "triggered, then resolved when the process is fine again.")
    List<String> pagerduty = new ArrayList<>();

    @Option(names = "--pagerduty-url", paramLabel = "URL", defaultValue = PagerDuty.EVENTS_API,
            description = "The Events API endpoint (default: ${DEFAULT-VALUE}; an EU account's, or a test server).")
    String pagerdutyUrl;

    @Option(names = "--pagerduty-severity", paramLabel = "LEVEL", defaultValue = "error",
            description = "critical, error, warning or info (default: ${DEFAULT-VALUE}).")
    String pagerdutySeverity;

    @Option(names = "--exec", paramLabel = "CMD", description = "Run this command for each alert, without a shell: the --webhook "
            + "JSON on its stdin, SUPERLANCE_SUBJECT, _PLUGIN, _PROCESS and _STATUS in its environment; a non-zero exit is "
            + "retried (repeatable).")
    List<String> exec = new ArrayList<>();

    @Option(names = "--alert-label", paramLabel = "K=V", description = "A label added to every Alertmanager alert (repeatable).")
    List<String> alertLabels = new ArrayList<>();

    @Option(names = "--alertmanager-ends-after", paramLabel = "DURATION", defaultValue = "5m", converter = Sizes.Seconds.class,
            description = "An Alertmanager alert not posted again ends this long after its last post; one kept open (a crash "
                    + "loop, a failing check) is posted again before (default: ${DEFAULT-VALUE}).")
    long endsAfterSeconds;

    @Option(names = "--alert-proxy", paramLabel = "URL|none",
            description = "The HTTP proxy for every channel (http://[user:password@]host:port; also env:NAME or file:PATH), "
                    + "or none. Default: $https_proxy / $http_proxy and $no_proxy, as curl reads them.")
    String proxy;

    @Option(names = "--test-alert", description = "Send one test alert to every destination of this command line now (mail and "
            + "each channel: one try each, no retry), say on stderr what each did, and exit: 0 when every one took it, "
            + "1 otherwise. Needs no supervisord.")
    boolean testAlert;

    @Option(names = "--alert-ca", paramLabel = "PEM", description = "Trust the CA certificates in this PEM file for the channels' HTTPS.")
    Path caFile;

    @Option(names = "--alert-insecure", description = "Do not verify the channels' HTTPS certificates (not recommended).")
    boolean insecure;

    /** --test-alert: the plugin tests its destinations and exits instead of serving supervisord. */
    public boolean testAlert() { return testAlert; }

    /** True when a channel besides mail was asked for. */
    public boolean any() {
        return !webhooks.isEmpty() || !slack.isEmpty() || !alertmanagers.isEmpty() || !pagerduty.isEmpty() || !exec.isEmpty();
    }

    /** The channels asked for, checked; a bad URL or label is an IllegalArgumentException (a usage error). */
    public List<Channel> channels(String plugin, Map<String, String> env) throws IOException {
        if (insecure && caFile != null) throw new IllegalArgumentException("--alert-insecure and --alert-ca exclude each other");
        if (endsAfterSeconds < 3) throw new IllegalArgumentException("--alertmanager-ends-after must be 3 s or more");
        Map<String, String> labels = new LinkedHashMap<>();
        for (String pair : alertLabels) {
            int eq = pair.indexOf('=');
            if (eq <= 0 || !pair.substring(0, eq).matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
                throw new IllegalArgumentException("--alert-label '" + pair + "' is not NAME=VALUE (a label name: letters, digits, _)");
            }
            labels.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        SSLSocketFactory sockets = insecure ? Tls.trustingAnything().getSocketFactory()
                : caFile != null ? Tls.trusting(caFile).getSocketFactory() : null;
        if (!any()) return List.of(); // and no name lookup at start for a listener that has no channel
        String host = Alert.host();
        List<Channel> channels = new ArrayList<>();
        if (strayTemplate != null) {
            throw new IllegalArgumentException("--webhook-template " + strayTemplate + " comes before any --webhook: give it right after its --webhook URL");
        }
        for (int i = 0; i < webhooks.size(); i++) {
            WebChannel c = channel(WebChannel.Shape.WEBHOOK, webhooks.get(i), plugin, host, labels, sockets, env);
            Path file = templates.get(i);
            if (file != null) {
                String json;
                try {
                    json = Files.readString(file, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new IllegalArgumentException("--webhook-template " + file + " cannot be read: " + Log.describe(e));
                }
                c.template(json, file.toString());
            }
            channels.add(c);
        }
        for (String url : slack) channels.add(channel(WebChannel.Shape.SLACK, url, plugin, host, labels, sockets, env));
        for (String url : alertmanagers) {
            channels.add(channel(WebChannel.Shape.ALERTMANAGER, url, plugin, host, labels, sockets, env)
                    .endsAfter(java.time.Duration.ofSeconds(endsAfterSeconds)));
        }
        String proxySpec = proxy == null || proxy.equalsIgnoreCase("none") ? proxy : WebChannel.resolve(proxy, env);
        for (Channel c : channels) ((WebChannel) c).via(Http.choose(((WebChannel) c).target(), proxySpec, env));
        for (String key : pagerduty) {
            PagerDuty pd = new PagerDuty(WebChannel.resolve(key, env), pagerdutyUrl, plugin, host, pagerdutySeverity, sockets, insecure);
            channels.add(pd.via(Http.choose(pd.target(), proxySpec, env)));
        }
        for (String command : exec) {
            channels.add(new ExecChannel(command, new WebChannel(WebChannel.Shape.WEBHOOK, "http://exec.invalid/", plugin, host, labels,
                    null, false), ExecChannel.TIMEOUT));
        }
        for (Channel c : channels) {
            Log.info("alerts also go to %s, %s%s", c, c.route(), insecure ? " (certificates NOT verified: --alert-insecure)" : "");
        }
        return channels;
    }

    private WebChannel channel(WebChannel.Shape shape, String spec, String plugin, String host, Map<String, String> labels,
                               SSLSocketFactory sockets, Map<String, String> env) throws IOException {
        return new WebChannel(shape, WebChannel.resolve(spec, env), plugin, host, labels, sockets, insecure);
    }
}
