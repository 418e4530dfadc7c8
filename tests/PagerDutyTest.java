import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import lib.Alert;
import lib.Mail;
import lib.PagerDuty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PagerDuty's Events API v2 as the channel speaks it, against a receiver here (PagerDutyE2ETest: a crash loop under supervisord). */
class PagerDutyTest {
    private HttpServer server;
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private volatile int status = 202;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v2/enqueue", exchange -> {
            events.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] said = (status == 400 ? "{\"status\":\"invalid event\",\"errors\":[\"'routing_key' is invalid\"]}" : "{}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, said.length);
            exchange.getResponseBody().write(said);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() { server.stop(0); }

    private PagerDuty channel(String severity) {
        return new PagerDuty("R0UT1NGKEY", "http://127.0.0.1:" + server.getAddress().getPort() + "/v2/enqueue", "crashmail", "web-1",
                severity, null, false);
    }

    private static final Alert.Event CRASH = new Alert.Event(Alert.Kind.CRASH, "app", "web", 7, "RUNNING", 3, Instant.parse("2026-12-02T10:00:00Z"));

    @Test
    void aTriggerCarriesTheDocumentedFieldsAndAResolveTheSameKey() throws Exception {
        PagerDuty pd = channel("warning");
        Alert crash = new Alert("crashmail", "web crashed at 2026-12-02 10:00:00,000", "Process web ...\n", List.of(CRASH), "boom");
        Mail envelope = pd.envelope(crash);
        assertFalse(envelope.body().contains("R0UT1NGKEY"), "the key is added only when sent, never in what may be logged");
        pd.send(envelope);
        pd.send(pd.envelope(crash.resolved("web running again after 3 crashes in 2m", "fine\n")));
        assertEquals(2, events.size());
        assertEquals("('R0UT1NGKEY', 'trigger', 'superlance/web-1/app:web', 'web crashed at 2026-12-02 10:00:00,000', 'web-1', 'warning', "
                        + "'web', 'app', 'crash', 'boom', 'crashmail')",
                JsonTest.python(events.get(0), "(d['routing_key'], d['event_action'], d['dedup_key'], d['payload']['summary'], "
                        + "d['payload']['source'], d['payload']['severity'], d['payload']['component'], d['payload']['group'], "
                        + "d['payload']['class'], d['payload']['custom_details']['excerpt'], d['payload']['custom_details']['plugin'])"));
        assertEquals("('resolve', 'superlance/web-1/app:web', False)",
                JsonTest.python(events.get(1), "(d['event_action'], d['dedup_key'], 'payload' in d)"));
    }

    @Test
    void aBatchIsOneEventPerProcessAndFailuresAreRetriedOrFinal() throws Exception {
        PagerDuty pd = channel("error");
        Alert.Event other = new Alert.Event(Alert.Kind.CRASH, "db", "db", 8, "RUNNING", null, Instant.now());
        pd.send(pd.envelope(new Alert("crashmailbatch", "Crash alert from supervisord", "...", List.of(CRASH, other), null)));
        assertEquals("['superlance/web-1/app:web', 'superlance/web-1/db:db']",
                JsonTest.python("[" + String.join(",", events) + "]", "[e['dedup_key'] for e in d]"));
        status = 429;
        java.io.IOException retried = assertThrows(java.io.IOException.class, () -> pd.send(pd.envelope(new Alert("x", "s", "t", List.of(CRASH), null))));
        assertFalse(retried instanceof Mail.Rejected, "429: tried again later");
        status = 500;
        assertFalse(assertThrows(java.io.IOException.class, () -> pd.send(pd.envelope(new Alert("x", "s", "t", List.of(CRASH), null))))
                instanceof Mail.Rejected);
        status = 400;
        Mail.Rejected refused = assertThrows(Mail.Rejected.class, () -> pd.send(pd.envelope(new Alert("x", "s", "t", List.of(CRASH), null))));
        assertTrue(refused.getMessage().contains("answered HTTP 400") && !refused.getMessage().contains("R0UT1NGKEY"), refused.getMessage());
        assertThrows(IllegalArgumentException.class, () -> channel("loud"));
        assertEquals(2, AlertsTest.exitStatus(new crashmail(), "-a", "--pagerduty", "k", "--pagerduty-severity", "high"));
    }
}
