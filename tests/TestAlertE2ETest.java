import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * --test-alert, run as a user runs it from a shell, with no supervisord and
 * no SUPERVISOR_SERVER_URL: every plugin reaches a real SMTP server and a
 * webhook receiver (exit 0); a refusing SMTP server, a closed port and a 5xx
 * receiver each get one line naming the reason (exit 1); a usage error is
 * still exit 2. (Alertmanager: AlertmanagerE2ETest.)
 */
class TestAlertE2ETest {
    private GreenMail mail;
    private int smtpPort;
    private HttpServer receiver;
    private final List<String> posts = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void build() throws Exception {
        for (String plugin : CatalogTest.PLUGINS) Repo.build(plugin + ".java");
    }

    @BeforeEach
    void setUp() throws Exception {
        smtpPort = Repo.freePort();
        mail = Mails.smtp(smtpPort);
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/ok", exchange -> {
            posts.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.createContext("/down", exchange -> {
            byte[] said = "upstream down".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(503, said.length);
            exchange.getResponseBody().write(said);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void tearDown() {
        mail.stop();
        receiver.stop(0);
    }

    private String hook(String path) { return "http://127.0.0.1:" + receiver.getAddress().getPort() + path; }

    /** The plugin's command line with --test-alert, run from a shell: no supervisord, no SUPERVISOR_SERVER_URL. */
    private static Repo.Result testAlert(String plugin, String args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(Repo.launcher(), plugin + ".java", "--test-alert"));
        argv.addAll(lib.Argv.split(args));
        Map<String, String> env = new HashMap<>();
        env.put("SUPERVISOR_SERVER_URL", null);
        return Repo.run(argv, env, new byte[0], Duration.ofMinutes(2));
    }

    @Test
    void everyPluginReachesMailAndAWebhookAndSaysSo() throws Exception {
        String host = java.net.InetAddress.getLocalHost().getHostName();
        String smtp = " --smtp-host 127.0.0.1:" + smtpPort + " --from supervisord@example.com";
        String batch = " -f supervisord@example.com -H 127.0.0.1:" + smtpPort + " --webhook " + hook("/ok");
        Map<String, String> lines = Map.of(
                "crashmail", "-a -m crashmail@example.com" + smtp + " --webhook " + hook("/ok"),
                "memmon", "-p app=1GB -m memmon@example.com" + smtp + " --webhook " + hook("/ok"),
                "httpok", "-p web -m httpok@example.com" + smtp + " --webhook " + hook("/ok") + " http://127.0.0.1:8080/health",
                "crashmailbatch", "-t crashmailbatch@example.com --log-lines 5" + batch,
                "fatalmailbatch", "-t fatalmailbatch@example.com" + batch,
                "crashsms", "-t crashsms@example.com" + batch);
        for (String plugin : CatalogTest.PLUGINS) {
            Repo.Result r = testAlert(plugin, lines.get(plugin));
            assertEquals(0, r.status(), plugin + ": " + r.err());
            assertEquals("", r.out(), plugin + " writes nothing to stdout");
            assertTrue(r.err().contains("mail to " + plugin + "@example.com via SMTP 127.0.0.1:" + smtpPort + " (plain): sent"), r.err());
            assertTrue(r.err().contains("webhook " + hook("/ok") + ": sent"), r.err());
            List<jakarta.mail.internet.MimeMessage> got = Mails.to(mail, plugin + "@example.com");
            assertEquals(1, got.size(), plugin);
            assertEquals(plugin + " [test]: test alert from " + host, got.get(0).getSubject());
            assertTrue(got.get(0).getContent().toString().contains("sent by --test-alert"), got.get(0).getContent().toString());
        }
        assertEquals(6, posts.size());
        String crashmail = posts.stream().filter(p -> p.contains("\"crashmail\"")).findFirst().orElseThrow();
        assertEquals("('crashmail [test]: test alert from " + host + "', 'test')",
                JsonTest.python(crashmail, "(d['subject'], d['events'][0]['kind'])").replace("\"", "'"));
    }

    @Test
    void eachDestinationThatFailsGetsOneLineWithTheReasonAndExitOne() throws Exception {
        try (FaultySmtp refusing = new FaultySmtp(0)) {
            refusing.refuse = "554 5.7.1 no mail from you";
            int closed = Repo.freePort();
            Repo.Result r = testAlert("crashmail", "-a -m ops@example.com --smtp-host 127.0.0.1:" + refusing.port()
                    + " --from s@example.com --webhook " + hook("/down") + " --slack http://127.0.0.1:" + closed + "/services/T0/B0/SECRET");
            assertEquals(1, r.status(), r.err());
            assertEquals("", r.out());
            assertEquals(3, Repo.count(r.err(), "ERROR crashmail: .*: failed: "), r.err());
            assertTrue(r.err().matches("(?s).*mail to ops@example.com via SMTP 127.0.0.1:\\d+ \\(plain\\): failed: [^\n]*554[^\n]*.*"), r.err());
            assertTrue(r.err().contains("webhook " + hook("/down") + ": failed: answered HTTP 503: upstream down"), r.err());
            assertTrue(r.err().matches("(?s).*slack http://127.0.0.1:\\d+/services…: failed: Connection refused.*"), r.err());
            assertTrue(!r.err().contains("SECRET"), "a channel URL is shown shortened: " + r.err());
        }
        Repo.Result none = testAlert("crashmail", "-a");
        assertEquals(1, none.status(), none.err());
        assertTrue(none.err().contains("--test-alert: no destination to test"), none.err());
        assertEquals(2, testAlert("memmon", "-m ops@example.com").status(), "no limit: refused as the listener would be");
        assertEquals(2, testAlert("crashmail", "-a --webhook ftp://x.example.com/").status());
    }
}
