import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What memmon and httpok remember, under a real supervisord: memmon --for
 * ignores a one-tick spike and restarts a steady hog; --max-restarts 2
 * restarts twice, gives up with one alert and no third restart, and acts
 * again once a person restarts the program with supervisorctl.
 */
class RestartLimitsE2ETest {
    private Path dir;
    private GreenMail mail;
    private int smtpPort;

    @BeforeAll
    static void build() throws Exception {
        Repo.build("memmon.java");
        Repo.build("httpok.java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("limits");
        // mem.py FILE: holds as many MiB as FILE says, read every 50 ms (a spike is a write to FILE).
        Files.writeString(dir.resolve("mem.py"), """
                import sys, time
                held = b''
                while True:
                    want = int(open(sys.argv[1]).read().strip()) << 20
                    if len(held) != want:
                        held = b''
                        held = b'a' * want
                    time.sleep(0.05)
                """);
        // web.py PORT: answers 500 to every GET.
        Files.writeString(dir.resolve("web.py"), """
                import http.server, sys
                class Handler(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        self.send_response(500)
                        self.send_header('Content-Length', '0')
                        self.end_headers()
                    def log_message(self, *args):
                        pass
                http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
                """);
        smtpPort = Repo.freePort();
        mail = Mails.smtp(smtpPort);
    }

    @AfterEach
    void tearDown() throws IOException {
        mail.stop();
        Repo.deleteTree(dir);
    }

    private String program(String name, String command) {
        return "[program:" + name + "]\ncommand=" + command + "\nstartsecs=1\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    /** A program holding the MiB its file says, starting with `mb`. */
    private String memory(String name, int mb) throws IOException {
        Files.writeString(dir.resolve(name + ".mb"), String.valueOf(mb));
        return program(name, "/usr/bin/python3 " + dir.resolve("mem.py") + " " + dir.resolve(name + ".mb"));
    }

    private String listener(String plugin, String name, String args) {
        return "[eventlistener:" + name + "]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve(plugin + ".java") + " " + args
                + " --smtp-host 127.0.0.1:" + smtpPort + " --from " + plugin + "@example.com"
                + "\nevents=TICK_5\nstderr_logfile=%(dir)s/" + name + ".err\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    private static void awaitLog(Supervisord s, String name, String regex, int times) throws InterruptedException {
        Repo.await(name + " to log '" + regex + "' " + times + " time(s)", Duration.ofSeconds(90),
                () -> Repo.count(s.read(name + ".err"), regex) >= times);
    }

    /** The subjects of the mails to this address, in order. */
    private List<String> subjects(String to) {
        return Mails.to(mail, to).stream().map(m -> {
            try {
                return m.getSubject();
            } catch (jakarta.mail.MessagingException e) {
                throw new AssertionError(e);
            }
        }).toList();
    }

    /** supervisorctl, as a person types it (on the unix socket). */
    private static void supervisorctl(Supervisord s, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("supervisorctl", "-s", s.url()));
        command.addAll(List.of(args));
        Repo.Result r = Repo.run(command);
        assertEquals(0, r.status(), r.out() + r.err());
    }

    @Test
    void memmonIgnoresASpikeRestartsASteadyHogAndGivesUpAfterMaxRestarts() throws Exception {
        String sections = memory("spiky", 10) + memory("steady", 90) + memory("looping", 90)
                + listener("memmon", "mm_for", "-p spiky=60MB -p steady=60MB --for 2 -m for@example.com")
                + listener("memmon", "mm_limit", "-p looping=60MB --max-restarts 2 --within 1h -m limit@example.com");
        try (Supervisord s = Supervisord.start(sections)) {
            s.awaitAllRunning(Duration.ofSeconds(60));
            int spiky = s.pidOf("spiky:spiky");

            // A steady hog: over on two ticks in a row, then restarted.
            awaitLog(s, "mm_for", "memmon: restarting steady:steady", 1);
            String log = s.read("mm_for.err");
            int once = log.indexOf("steady:steady over its limit (1 of 2)");
            assertTrue(once >= 0 && once < log.indexOf("memmon: restarting steady:steady"), log);

            // A spike seen on one tick only: never restarted.
            Files.writeString(dir.resolve("spiky.mb"), "100");
            awaitLog(s, "mm_for", "spiky:spiky over its limit \\(1 of 2\\)", 1);
            Files.writeString(dir.resolve("spiky.mb"), "10"); // the nightly job is done (the next tick is ~5 s away)
            int ticks = Repo.count(s.read("mm_for.err"), "TICK_5: \\d+ checked");
            awaitLog(s, "mm_for", "TICK_5: \\d+ checked", ticks + 2);
            assertEquals(spiky, s.pidOf("spiky:spiky"), "a one-tick spike is no reason: " + s.read("mm_for.err"));
            assertTrue(!s.read("mm_for.err").contains("memmon: restarting spiky"), s.read("mm_for.err"));

            // --max-restarts 2: two restarts, one give-up alert, then nothing over the following ticks.
            awaitLog(s, "mm_limit", "giving up on looping:looping: restarted 2 times within 1h", 1);
            int givenUp = s.pidOf("looping:looping");
            ticks = Repo.count(s.read("mm_limit.err"), "TICK_5: \\d+ checked");
            awaitLog(s, "mm_limit", "TICK_5: \\d+ checked", ticks + 2);
            assertEquals(givenUp, s.pidOf("looping:looping"), "no third restart: " + s.read("mm_limit.err"));
            assertEquals(2, Repo.count(s.read("mm_limit.err"), "memmon: restarting looping:looping"));
            Repo.await("the give-up mail", Duration.ofSeconds(30), () -> subjects("limit@example.com").size() == 3);
            assertEquals(List.of("memmon: process looping:looping restarted", "memmon: process looping:looping restarted",
                    "memmon: giving up on looping:looping: restarted 2 times within 1h"), subjects("limit@example.com"));

            // A person restarts it: a pid memmon did not cause, so memmon acts on it again.
            supervisorctl(s, "restart", "looping:looping");
            awaitLog(s, "mm_limit", "memmon: restarting looping:looping", 3);
        }
    }

    @Test
    void httpokGivesUpAfterMaxRestartsAndActsAgainAfterAManualRestart() throws Exception {
        int port = Repo.freePort();
        String sections = program("web", "/usr/bin/python3 " + dir.resolve("web.py") + " " + port)
                + listener("httpok", "ok_limit", "-p web --max-restarts 2 --within 1h -t 3 -m ops@example.com http://127.0.0.1:"
                        + port + "/health");
        try (Supervisord s = Supervisord.start(sections)) {
            s.awaitAllRunning(Duration.ofSeconds(60));
            awaitLog(s, "ok_limit", "giving up on web:web: restarted 2 times within 1h", 1);
            int givenUp = s.pidOf("web:web");
            int checks = Repo.count(s.read("ok_limit.err"), "TICK_5: status contacting");
            awaitLog(s, "ok_limit", "TICK_5: status contacting", checks + 2);
            assertEquals(givenUp, s.pidOf("web:web"), "no third restart: " + s.read("ok_limit.err"));
            String url = "http://127.0.0.1:" + port + "/health";
            Repo.await("three mails", Duration.ofSeconds(30), () -> subjects("ops@example.com").size() == 3);
            assertEquals(List.of("httpok: " + url + ": bad status returned", "httpok: " + url + ": bad status returned",
                    "httpok: giving up on web:web: restarted 2 times within 1h"), subjects("ops@example.com"),
                    "the checks after giving up are not mailed");

            supervisorctl(s, "restart", "web");
            awaitLog(s, "ok_limit", "web:web is in RUNNING state, restarting", 3);
            Repo.await("the report of the restart after the manual one", Duration.ofSeconds(30),
                    () -> subjects("ops@example.com").size() == 4);
        }
    }
}
