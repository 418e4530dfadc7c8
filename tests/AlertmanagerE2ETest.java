import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * --alertmanager against a real Prometheus Alertmanager (Debian's
 * prometheus-alertmanager, started here on 127.0.0.1 with its own config and
 * storage) and a real supervisord: a crash becomes an alert with the
 * expected labels, and two hosts' crashes group under one alertname; a crash
 * loop stays one open alert past its first endsAt, and Alertmanager's
 * webhook receiver (send_resolved) is told it is resolved once the loop ends.
 */
class AlertmanagerE2ETest {
    private Path dir;
    private Process alertmanager;
    private int port;
    private com.sun.net.httpserver.HttpServer receiver; // Alertmanager's webhook receiver
    private final List<String> notifications = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("alertmanager");
        receiver = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            notifications.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        Files.writeString(dir.resolve("am.yml"), """
                route:
                  receiver: hook
                  group_by: ['alertname', 'process']
                  group_wait: 1s
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: hook
                    webhook_configs:
                      - url: http://127.0.0.1:%d/
                        send_resolved: true
                """.formatted(receiver.getAddress().getPort()));
        port = Repo.freePort();
        alertmanager = new ProcessBuilder("prometheus-alertmanager", "--config.file=" + dir.resolve("am.yml"),
                "--storage.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=",
                "--log.level=warn").redirectErrorStream(true).redirectOutput(dir.resolve("am.log").toFile()).start();
        Repo.await("Alertmanager to be ready", Duration.ofSeconds(30), () -> get("/-/ready") != null);
    }

    @AfterEach
    void stop() throws Exception {
        if (alertmanager != null) {
            alertmanager.destroy();
            if (!alertmanager.waitFor(10, TimeUnit.SECONDS)) alertmanager.destroyForcibly().waitFor();
        }
        if (receiver != null) receiver.stop(0);
        Repo.deleteTree(dir);
    }

    /** The body of a GET on Alertmanager, or null when it does not answer 200. */
    private String get(String path) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(5000);
            try {
                return c.getResponseCode() == 200 ? new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8) : null;
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return null;
        }
    }

    private String listener(String name, String args) {
        return listener(name, args, "PROCESS_STATE_EXITED");
    }

    private String listener(String name, String args, String events) {
        return "[eventlistener:" + name + "]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve("crashmail.java") + " " + args
                + "\nevents=" + events + "\npriority=100\nstderr_logfile=%(dir)s/" + name + ".err\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    @Test
    void aCrashReachesAlertmanagerWithItsLabelsAndTwoHostsGroup() throws Exception {
        String am = " --alertmanager http://127.0.0.1:" + port + " --alert-label env=test";
        String sections = "[program:crasher]\ncommand=/bin/sh -c 'sleep 1; exit 3'\nautostart=false\nstartsecs=0\nautorestart=unexpected\n"
                + "stopasgroup=true\nkillasgroup=true\n\n"
                + listener("am_here", "-p crasher" + am)
                // A second host's crashmail, played here: the same alert from host web-2.
                + listener("am_other", "-p crasher" + am + " --alert-label host=web-2");
        try (Supervisord s = Supervisord.start(sections)) {
            s.awaitRunning(Duration.ofSeconds(60), List.of("am_here:am_here", "am_other:am_other"));
            s.unix().startProcess("crasher", false);
            Repo.await("both hosts' alerts in Alertmanager", Duration.ofSeconds(60), () -> {
                String alerts = get("/api/v2/alerts");
                return alerts != null && alerts.contains("web-2") && alerts.split("SupervisorProcessCrashed", -1).length - 1 >= 2;
            });
            String alerts = get("/api/v2/alerts");
            String host = InetAddress.getLocalHost().getHostName();
            assertEquals("[('SupervisorProcessCrashed', 'crasher', 'crasher', 'crashmail', 'test', " + JsonTest.python("\"" + host + "\"", "d")
                            + "), ('SupervisorProcessCrashed', 'crasher', 'crasher', 'crashmail', 'test', 'web-2')]",
                    JsonTest.python(alerts, "sorted((a['labels']['alertname'], a['labels']['group'], a['labels']['process'], "
                            + "a['labels']['plugin'], a['labels']['env'], a['labels']['host']) for a in d)").replace("\"", "'"), alerts);
            assertEquals("True", JsonTest.python(alerts, "all(a['annotations']['summary'].startswith('crasher crashed at ') and "
                    + "a['annotations']['description'].startswith('Process crasher in group crasher exited unexpectedly') for a in d)"), alerts);
            // Each ends by itself a few minutes after it started, so that a one-off crash resolves.
            assertEquals("True", JsonTest.python(alerts, "all(a['endsAt'] > a['startsAt'] for a in d)"), alerts);

            // group_by: [alertname]: the two hosts' alerts are one group.
            Repo.await("the alerts grouped", Duration.ofSeconds(30), () -> {
                String groups = get("/api/v2/alerts/groups");
                return groups != null && groups.contains("web-2");
            });
            String groups = get("/api/v2/alerts/groups");
            assertEquals("[('SupervisorProcessCrashed', 2)]", JsonTest.python(groups,
                    "[(g['labels']['alertname'], len({a['labels']['host'] for a in g['alerts']})) for g in d]"), groups);
            assertTrue(!s.read("am_here.err").contains("could not post"), s.read("am_here.err"));
        }
    }

    @Test
    void aCrashLoopStaysOneOpenAlertPastItsFirstEndsAtAndResolvesWhenItEnds() throws Exception {
        // 12 crashes 1.5 s apart (18 s); only the first is posted as a crash (--fold-after 1): what keeps the alert open
        // past its first endsAt (9 s) is crashmail posting it again. RUNNING 4 s without a crash: resolved.
        String sections = RecoveryE2ETest.crashLoop(dir, "looper", 12, 1.5)
                + listener("am_loop", "-p looper --fold-after 1 --recovery 4s --alertmanager http://127.0.0.1:" + port
                        + " --alertmanager-ends-after 9s", "PROCESS_STATE_EXITED,PROCESS_STATE_RUNNING");
        try (Supervisord s = Supervisord.start(sections)) {
            s.awaitRunning(Duration.ofSeconds(60), List.of("am_loop:am_loop"));
            s.unix().startProcess("looper", false);
            Repo.await("the loop's alert", Duration.ofSeconds(30), () -> {
                String alerts = get("/api/v2/alerts?filter=process%3D%22looper%22");
                return alerts != null && alerts.contains("SupervisorProcessCrashed");
            });
            String first = get("/api/v2/alerts?filter=process%3D%22looper%22");
            String firstEndsAt = JsonTest.python(first, "d[0]['endsAt']");
            long looped = System.nanoTime();
            Thread.sleep(12_000); // past the first endsAt, the loop still going
            String later = get("/api/v2/alerts?filter=process%3D%22looper%22");
            assertEquals("(1, 'active')", JsonTest.python(later, "(len(d), d[0]['status']['state'])"), later);
            assertTrue(JsonTest.python(later, "d[0]['endsAt']").compareTo(firstEndsAt) > 0, "posted again: " + first + " " + later);
            assertTrue(Integer.parseInt(Files.readString(dir.resolve("looper.count")).trim()) <= 12, "the loop is still going");
            assertTrue(notifications.stream().noneMatch(n -> n.contains("\"resolved\"")), "no resolved while it loops: " + notifications);

            Repo.await("Alertmanager's resolved notification", Duration.ofSeconds(60),
                    () -> notifications.stream().anyMatch(n -> n.contains("\"status\":\"resolved\"") && n.contains("looper")));
            assertTrue(Integer.parseInt(Files.readString(dir.resolve("looper.count")).trim()) > 12, "resolved once the loop had ended");
            assertTrue(System.nanoTime() - looped > 12_000_000_000L);
            String resolved = notifications.stream().filter(n -> n.contains("\"status\":\"resolved\"")).findFirst().orElseThrow();
            assertEquals("[('resolved', 'SupervisorProcessCrashed', 'looper')]", JsonTest.python(resolved,
                    "[(a['status'], a['labels']['alertname'], a['labels']['process']) for a in d['alerts']]"), resolved);
            assertTrue(s.read("am_loop.err").contains("looper running again after 12 crashes in "), s.read("am_loop.err"));
        }
    }

    @Test
    void aTestAlertReachesAlertmanagerWithoutSupervisord() throws Exception {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("SUPERVISOR_SERVER_URL", null);
        Repo.Result r = Repo.run(List.of(Repo.launcher(), "memmon.java", "-a", "1GB", "--test-alert", "--alertmanager",
                "http://127.0.0.1:" + port), env, new byte[0], Duration.ofMinutes(2));
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("alertmanager http://127.0.0.1:" + port + ": sent"), r.err());
        Repo.await("the test alert in Alertmanager", Duration.ofSeconds(30), () -> {
            String alerts = get("/api/v2/alerts");
            return alerts != null && alerts.contains("SupervisorTestAlert");
        });
        String alerts = get("/api/v2/alerts");
        assertEquals("[('SupervisorTestAlert', 'memmon')]", JsonTest.python(alerts,
                "[(a['labels']['alertname'], a['labels']['plugin']) for a in d]").replace("\"", "'"), alerts);
        Repo.Result down = Repo.run(List.of(Repo.launcher(), "memmon.java", "-a", "1GB", "--test-alert", "--alertmanager",
                "http://127.0.0.1:" + Repo.freePort()), env, new byte[0], Duration.ofMinutes(2));
        assertEquals(1, down.status(), down.err());
    }
}
