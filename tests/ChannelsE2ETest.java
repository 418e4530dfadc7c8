import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * --webhook and --slack through ./jbang, posting to receivers in this test:
 * the JSON parses with the right fields, a receiver down (503) for 20 s gets
 * every alert exactly once, a 400 is logged whole and dropped, and the URL,
 * which holds the token, is never logged whole.
 */
class ChannelsE2ETest {
    /** An HTTP receiver answering what `status` says; it keeps the bodies it answered 2xx. */
    static final class Receiver implements AutoCloseable {
        final List<String> accepted = Collections.synchronizedList(new ArrayList<>());
        final List<Integer> answers = Collections.synchronizedList(new ArrayList<>());
        volatile IntSupplier status = () -> 200;
        private final ExecutorService threads = Executors.newCachedThreadPool();
        private final HttpServer server;

        Receiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(threads);
            server.createContext("/", exchange -> {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                int code = status.getAsInt();
                answers.add(code);
                if (code / 100 == 2) accepted.add(body);
                byte[] said = (code == 400 ? "bad payload: no such channel" : "").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(code, said.length == 0 ? -1 : said.length);
                exchange.getResponseBody().write(said);
                exchange.close();
            });
            server.start();
        }

        String url(String path) { return "http://127.0.0.1:" + server.getAddress().getPort() + path; }

        @Override
        public void close() {
            server.stop(0);
            threads.shutdownNow();
        }
    }

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : started) c.close();
    }

    private Receiver receiver() throws IOException {
        Receiver r = new Receiver();
        started.add(r);
        return r;
    }

    private static String exited(String name, int pid) {
        return "processname:" + name + " groupname:grp from_state:RUNNING expected:0 pid:" + pid;
    }

    @Test
    void webhookAndSlackGetEveryAlertOnceThroughAnOutageAndA400IsDropped() throws Exception {
        Receiver hook = receiver(), slack = receiver(), refusing = receiver();
        long upAt = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        hook.status = () -> System.nanoTime() < upAt ? 503 : 200; // down for 20 s
        refusing.status = () -> 400;
        String name = "we\"b\\\u00e9\uD83D\uDE00"; // a quote, a backslash, a non-ASCII and a non-BMP character
        try (ListenerProcess crashmail = ListenerProcess.start("crashmail", List.of("-a", "--fold-after", "0",
                        "--webhook", hook.url("/hook/abcdef123456?token=s3cr3t"), "--slack", "env:SLACK_URL",
                        "--webhook", refusing.url("/refuse")),
                Map.of("SLACK_URL", slack.url("/services/T000/B000/XXXXSECRET")))) {
            for (int pid = 1; pid <= 3; pid++) crashmail.event("PROCESS_STATE_EXITED", exited(name, pid), Duration.ofSeconds(10));

            Repo.await("three slack posts", Duration.ofSeconds(30), () -> slack.accepted.size() == 3);
            Repo.await("three webhook posts once the receiver is up", Duration.ofSeconds(90), () -> hook.accepted.size() >= 3);
            assertEquals(0, crashmail.finish(Duration.ofSeconds(30)));
            String log = crashmail.stderr();

            assertEquals(3, hook.accepted.size(), "each alert exactly once: " + hook.accepted);
            assertTrue(hook.answers.contains(503), "the receiver was down first");
            String first = hook.accepted.get(0);
            assertEquals("'crashmail'", JsonTest.python(first, "d['plugin']"));
            assertEquals("True", JsonTest.python(first, "d['events'][0]['process'] == 'we\"b\\\\\\u00e9\\U0001f600'"), first);
            assertEquals("('grp', 1, 'RUNNING', None, 'crash')", JsonTest.python(first,
                    "(d['events'][0]['group'], d['events'][0]['pid'], d['events'][0]['from_state'], d['events'][0]['exit_status'], d['events'][0]['kind'])"));
            assertTrue(JsonTest.python(first, "d['subject']").contains(" crashed at "), first);
            assertTrue(JsonTest.python(first, "d['text']").startsWith("'Process we"), first);
            assertTrue(JsonTest.python(first, "d['events'][0]['time']").matches("'\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d.*Z'"), first);
            assertFalse(JsonTest.python(first, "d['host']").equals("''"));

            String slackText = JsonTest.python(slack.accepted.get(0), "d['text']");
            assertTrue(slackText.startsWith("'*") && slackText.contains("*\\n```\\nProcess we"), slackText);

            // A 400: final, tried once per alert, written whole to the log.
            assertEquals(List.of(400, 400, 400), refusing.answers);
            assertEquals(3, Repo.count(log, "ERROR crashmail: post '[^']*' refused for good, not retrying: webhook http://127\\.0\\.0\\.1:\\d+/refuse"
                    + " answered HTTP 400: bad payload: no such channel; the post follows"), log);
            assertTrue(log.contains("could not post") && log.contains("answered HTTP 503"), log);
            // The URLs are secrets: never whole in the log.
            for (String secret : List.of("s3cr3t", "abcdef123456", "XXXXSECRET", "B000")) assertFalse(log.contains(secret), secret + " in:\n" + log);
            assertTrue(log.contains("alerts also go to slack http://127.0.0.1:"), log);
        }
    }

    @Test
    void theBatchPluginsNeedNoMailWhenAChannelIsGiven() throws Exception {
        Receiver hook = receiver();
        try (ListenerProcess batch = ListenerProcess.start("fatalmailbatch", List.of("--webhook", hook.url("/fatal"), "-i", "0.1"), Map.of())) {
            batch.event("PROCESS_STATE_FATAL", "processname:api groupname:api from_state:BACKOFF", Duration.ofSeconds(10));
            batch.event("TICK_60", "when:" + (System.currentTimeMillis() / 1000), Duration.ofSeconds(10));
            Repo.await("the batch posted", Duration.ofSeconds(30), () -> hook.accepted.size() == 1);
            String posted = hook.accepted.get(0);
            assertEquals("('fatalmailbatch', 'Fatal start alert from supervisord', 'fatal', 'api')", JsonTest.python(posted,
                    "(d['plugin'], d['subject'], d['events'][0]['kind'], d['events'][0]['process'])"));
            assertTrue(JsonTest.python(posted, "d['text']").contains("Process api:api failed to start too many times"), posted);
            assertEquals(0, batch.finish(Duration.ofSeconds(30)));
            assertTrue(batch.stderr().contains("no mail (no -t)"), batch.stderr());
        }
    }
}
