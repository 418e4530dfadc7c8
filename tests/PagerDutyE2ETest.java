import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * --pagerduty and --exec under a real supervisord: a crash loop is one
 * PagerDuty incident (one dedup_key: trigger, then resolve once it runs
 * again), a 429 is retried; the same alerts run a script that gets them as
 * JSON and SUPERLANCE_* variables, and never our SMTP password.
 */
class PagerDutyE2ETest {
    private Path dir;
    private HttpServer receiver;
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger requests = new AtomicInteger();

    @BeforeAll
    static void build() throws Exception {
        Repo.build("crashmail.java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("pagerduty");
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/v2/enqueue", exchange -> {
            String event = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean busy = requests.incrementAndGet() == 1; // the first is answered 429: it must come again
            if (!busy) events.add(event);
            byte[] said = (busy ? "{\"status\":\"throttled\"}" : "{\"status\":\"success\",\"message\":\"Event processed\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(busy ? 429 : 202, said.length);
            exchange.getResponseBody().write(said);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        receiver.stop(0);
        Repo.deleteTree(dir);
    }

    @Test
    void aCrashLoopIsOneIncidentResolvedWhenItEndsAndEachAlertRunsTheScript() throws Exception {
        Path script = dir.resolve("page.sh");
        Files.writeString(script, "#!/bin/sh\nn=$(ls " + dir + " | grep -c '^call')\ncat > " + dir + "/call$n.json\n"
                + "env > " + dir + "/env$n\n");
        script.toFile().setExecutable(true);
        String sections = RecoveryE2ETest.crashLoop(dir, "flaky", 3, 1)
                + "[eventlistener:pd]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve("crashmail.java") + " -p flaky --recovery 3s"
                + " --pagerduty env:PD_ROUTING_KEY --pagerduty-url http://127.0.0.1:" + receiver.getAddress().getPort() + "/v2/enqueue"
                + " --exec " + script
                + "\nenvironment=PD_ROUTING_KEY=\"R0UT1NGKEY\",SMTP_PASSWORD=\"not-for-scripts\""
                + "\nevents=PROCESS_STATE_EXITED,PROCESS_STATE_RUNNING\nstderr_logfile=%(dir)s/pd.err\nstopasgroup=true\nkillasgroup=true\n\n";
        try (Supervisord s = Supervisord.start(sections)) {
            s.awaitRunning(Duration.ofSeconds(60), List.of("pd:pd"));
            s.unix().startProcess("flaky", false);
            Repo.await("three triggers and a resolve", Duration.ofSeconds(90),
                    () -> events.stream().anyMatch(e -> e.contains("\"event_action\":\"resolve\"")));
            String all = "[" + String.join(",", events) + "]";
            assertEquals("(['trigger', 'trigger', 'trigger', 'resolve'], 1, {'R0UT1NGKEY'})", JsonTest.python(all,
                    "([e['event_action'] for e in d], len({e['dedup_key'] for e in d}), {e['routing_key'] for e in d})"), all);
            assertEquals("{'crash'}", JsonTest.python(all, "{e['payload']['class'] for e in d if 'payload' in e}"));
            String log = s.read("pd.err");
            assertTrue(log.contains("answered HTTP 429"), "the 429 was retried: " + log);
            assertTrue(!log.contains("R0UT1NGKEY"), "the routing key is never logged: " + log);

            Repo.await("the script for each alert", Duration.ofSeconds(30), () -> Files.exists(dir.resolve("env3")));
            assertEquals("('firing', 'flaky')", JsonTest.python(Files.readString(dir.resolve("call0.json")),
                    "(d['status'], d['events'][0]['process'])"));
            assertTrue(Files.readString(dir.resolve("env3")).contains("SUPERLANCE_STATUS=resolved\n"), Files.readString(dir.resolve("env3")));
            for (int i = 0; i < 4; i++) {
                String env = Files.readString(dir.resolve("env" + i));
                assertTrue(env.contains("SUPERLANCE_PROCESS=flaky:flaky\n") && env.contains("SUPERLANCE_PLUGIN=crashmail\n"), env);
                assertTrue(!env.contains("not-for-scripts") && !env.contains("R0UT1NGKEY"),
                        "no password or key of ours in the script's environment: " + env);
            }
        }
    }
}
