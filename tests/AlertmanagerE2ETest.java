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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * --alertmanager against a real Prometheus Alertmanager (Debian's
 * prometheus-alertmanager, started here on 127.0.0.1 with its own config and
 * storage) and a real supervisord: a crash becomes an alert with the
 * expected labels, and two hosts' crashes group under one alertname.
 */
class AlertmanagerE2ETest {
    private Path dir;
    private Process alertmanager;
    private int port;

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("alertmanager");
        Files.writeString(dir.resolve("am.yml"), """
                route:
                  receiver: nobody
                  group_by: ['alertname']
                  group_wait: 1s
                receivers:
                  - name: nobody
                """);
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
        return "[eventlistener:" + name + "]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve("crashmail.java") + " " + args
                + "\nevents=PROCESS_STATE_EXITED\npriority=100\nstderr_logfile=%(dir)s/" + name + ".err\nstopasgroup=true\nkillasgroup=true\n\n";
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
}
