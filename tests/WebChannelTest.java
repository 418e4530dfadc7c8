import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import lib.Alert;
import lib.WebChannel;
import org.junit.jupiter.api.Test;

/** How each channel renders an alert, and that a channel's URL, a secret, is never shown whole (ChannelsE2ETest posts for real). */
class WebChannelTest {
    private static final Alert CRASH = new Alert("crashmail", "web crashed at 2026-12-02 10:00:00,000",
            "Process web in group web exited unexpectedly (pid 7) from state RUNNING\n",
            List.of(new Alert.Event(Alert.Kind.CRASH, "web", "web", 7, "RUNNING", 3, Instant.parse("2026-12-02T10:00:00Z"))), "boom <&>");

    private static WebChannel channel(WebChannel.Shape shape, String url) {
        return new WebChannel(shape, url, "crashmail", "host-1", Map.of("env", "prod"), null, false);
    }

    @Test
    void urlsAreShownShortened() throws Exception {
        assertEquals("slack https://hooks.slack.com/services…",
                channel(WebChannel.Shape.SLACK, "https://hooks.slack.com/services/T000/B000/XXXXSECRET").toString());
        assertEquals("webhook https://alerts.example.com/hook…", channel(WebChannel.Shape.WEBHOOK, "https://alerts.example.com/hook?token=abc").toString());
        assertEquals("alertmanager http://127.0.0.1:9093", channel(WebChannel.Shape.ALERTMANAGER, "http://127.0.0.1:9093").toString());
        assertEquals("https://x.example.com/h", WebChannel.resolve("file:" + write("https://x.example.com/h\n"), Map.of()));
        assertEquals("https://y.example.com/", WebChannel.resolve("env:HOOK", Map.of("HOOK", "https://y.example.com/")));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> WebChannel.resolve("env:NOPE", Map.of())).getMessage().contains("$NOPE is not set"));
        assertThrows(IOException.class, () -> WebChannel.resolve("file:/nonexistent/hook", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> channel(WebChannel.Shape.WEBHOOK, "ftp://x.example.com/"));
    }

    private static String write(String text) throws IOException {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("hook", ".url");
        file.toFile().deleteOnExit();
        return java.nio.file.Files.writeString(file, text).toString();
    }

    @Test
    void eachChannelRendersTheSameAlert() throws Exception {
        String webhook = channel(WebChannel.Shape.WEBHOOK, "http://127.0.0.1/h").envelope(CRASH).body();
        assertEquals("('crashmail', 'host-1', 3, '2026-12-02T10:00:00Z', 'crash', 'boom <&>')", JsonTest.python(webhook,
                "(d['plugin'], d['host'], d['events'][0]['exit_status'], d['events'][0]['time'], d['events'][0]['kind'], d['excerpt'])"));
        String slack = channel(WebChannel.Shape.SLACK, "http://127.0.0.1/s").envelope(CRASH).body();
        assertEquals("'*web crashed at 2026-12-02 10:00:00,000*\\n```\\nProcess web in group web exited unexpectedly (pid 7) from state RUNNING\\n\\n```'",
                JsonTest.python(slack, "d['text']"));
        long before = System.currentTimeMillis();
        String am = channel(WebChannel.Shape.ALERTMANAGER, "http://127.0.0.1:9093/").envelope(CRASH).body();
        assertEquals("[('SupervisorProcessCrashed', 'host-1', 'web', 'web', 'crashmail', 'prod', '2026-12-02T10:00:00Z')]",
                JsonTest.python(am, "[(a['labels']['alertname'], a['labels']['host'], a['labels']['group'], a['labels']['process'], "
                        + "a['labels']['plugin'], a['labels']['env'], a['startsAt']) for a in d]"));
        assertEndsIn(am, before, 300);
        assertEquals(2, AlertsTest.exitStatus(new crashmail(), "-a", "--alert-label", "no good=1"));
        assertEquals(2, AlertsTest.exitStatus(new crashmail(), "-a", "--webhook", "ftp://x.example.com/"));
        assertEquals(2, AlertsTest.exitStatus(new crashmail(), "-a", "--slack", "env:SURELY_NOT_SET_ANYWHERE"));
    }

    /** Each Alertmanager alert in the posted JSON ends `seconds` after `before` (give or take the test's own time). */
    private static void assertEndsIn(String am, long before, long seconds) throws Exception {
        long after = System.currentTimeMillis();
        for (String endsAt : JsonTest.python(am, "' '.join(a['endsAt'] for a in d)").replace("'", "").split(" ")) {
            long ends = Instant.parse(endsAt).toEpochMilli();
            assertTrue(ends >= before + seconds * 1000 && ends <= after + seconds * 1000, endsAt + " is not " + seconds + " s from now");
        }
    }

    @Test
    void anAlertIsFiringOrResolvedAndAlertmanagerIsToldWhenItEnds() throws Exception {
        Alert recovery = CRASH.resolved("web running again after 3 crashes in 2m", "Process web in group web is running again\n");
        assertEquals("firing", CRASH.status());
        assertEquals("resolved", recovery.status());
        assertEquals("('firing', 'firing')", JsonTest.python(channel(WebChannel.Shape.WEBHOOK, "http://127.0.0.1/h").envelope(CRASH).body(),
                "(d['status'], d['events'][0]['status'])"));
        assertEquals("('resolved', 'resolved', 'web running again after 3 crashes in 2m')", JsonTest.python(
                channel(WebChannel.Shape.WEBHOOK, "http://127.0.0.1/h").envelope(recovery).body(),
                "(d['status'], d['events'][0]['status'], d['subject'])"));

        // Resolved: the same identity and start, ending now, so that Alertmanager notifies 'resolved' at once.
        long before = System.currentTimeMillis();
        WebChannel am = channel(WebChannel.Shape.ALERTMANAGER, "http://127.0.0.1:9093/");
        String resolved = am.envelope(recovery).body();
        assertEquals("[('SupervisorProcessCrashed', 'web', 'web', '2026-12-02T10:00:00Z')]", JsonTest.python(resolved,
                "[(a['labels']['alertname'], a['labels']['group'], a['labels']['process'], a['startsAt']) for a in d]"));
        assertEndsIn(resolved, before, 0);

        // --alertmanager-ends-after, and ticks far apart: an alert posted again at a tick outlives three of them.
        am.endsAfter(java.time.Duration.ofSeconds(15));
        before = System.currentTimeMillis();
        assertEndsIn(am.envelope(CRASH).body(), before, 15);
        lib.Alerts alerts = new lib.Alerts(null, null, null, List.of(am), "crashmail");
        assertEquals(4_500, alerts.repostMillis(0), "a third of 15 s, a little early");
        alerts.ticksEvery(3600);
        before = System.currentTimeMillis();
        assertEndsIn(am.envelope(CRASH).body(), before, 3 * 3600);
        assertEquals(3_240_000, alerts.repostMillis(3600), "at most once a tick");
        assertTrue(alerts.keepsState());
        assertTrue(!new lib.Alerts(null, null, null, List.of(channel(WebChannel.Shape.SLACK, "http://127.0.0.1/s")), "x").keepsState());

        // A batch that reports a crash and then its recovery: Alertmanager gets the last word for that process only.
        Alert batch = new Alert("crashmailbatch", "Crash alert from supervisord", "...", List.of(CRASH.events().get(0),
                new Alert.Event(Alert.Kind.CRASH, "db", "db", 8, "RUNNING", null, Instant.parse("2026-12-02T10:01:00Z")),
                CRASH.events().get(0).resolvedNow()), null);
        assertEquals("['web', 'db']", JsonTest.python(am.envelope(batch).body(),
                "[a['labels']['process'] for a in sorted(d, key=lambda a: a['endsAt'])]"), "one alert each; web's ends now, db's later");
    }

    @Test
    void channelsVerifyCertificatesUnlessTrustedOrToldNotTo() throws Exception {
        try (TestTls.HandshakeOnly tls = new TestTls.HandshakeOnly()) { // a certificate the JDK's CAs do not vouch for
            String url = "https://127.0.0.1:" + tls.port() + "/hook";
            lib.Mail envelope = channel(WebChannel.Shape.WEBHOOK, url).envelope(CRASH);
            IOException refused = assertThrows(IOException.class, () -> channel(WebChannel.Shape.WEBHOOK, url).send(envelope));
            assertTrue(refused.getMessage().matches("(?s).*(PKIX|certification path).*"), refused.getMessage());
            assertEquals(0, tls.handshakes.get(), "verified by default: refused");
            // --alert-ca with the test's CA, then --alert-insecure: the handshake goes through (this server says nothing after it).
            WebChannel trusting = new WebChannel(WebChannel.Shape.WEBHOOK, url, "crashmail", "host-1", Map.of(),
                    lib.Tls.trusting(TestTls.caPem()).getSocketFactory(), false);
            assertThrows(IOException.class, () -> trusting.send(envelope));
            Repo.await("the trusted handshake", java.time.Duration.ofSeconds(10), () -> tls.handshakes.get() == 1);
            WebChannel insecure = new WebChannel(WebChannel.Shape.WEBHOOK, url, "crashmail", "host-1", Map.of(),
                    lib.Tls.trustingAnything().getSocketFactory(), true);
            assertThrows(IOException.class, () -> insecure.send(envelope));
            Repo.await("the insecure handshake", java.time.Duration.ofSeconds(10), () -> tls.handshakes.get() == 2);
        }
    }
}
