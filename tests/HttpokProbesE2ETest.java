import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * httpok's opt-in probes with a real supervisord through ./jbang: failures
 * in a row before a restart, headers and basic auth, tcp:// checks, and
 * --start-stopped bringing back a FATAL program. The services are python3
 * servers whose behaviour a state file sets.
 */
class HttpokProbesE2ETest {
    private Path dir;
    private GreenMail mail;
    private int smtpPort;

    @BeforeAll
    static void build() throws Exception {
        Repo.build("httpok.java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("probes");
        // "ok"; "fail N": the next N requests get 500; "auth USER:PASS TOKEN HOST": 401 without all three.
        Files.writeString(dir.resolve("service.py"), """
                import base64, http.server, sys
                port, state = int(sys.argv[1]), sys.argv[2]
                class Handler(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        mode = open(state).read().split()
                        status = 200
                        if mode[0] == 'fail' and int(mode[1]) > 0:
                            open(state, 'w').write('fail %d' % (int(mode[1]) - 1))
                            status = 500
                        elif mode[0] == 'auth':
                            basic = 'Basic ' + base64.b64encode(mode[1].encode()).decode()
                            ok = self.headers.get('Authorization') == basic and self.headers.get('X-Token') == mode[2] \\
                                and self.headers.get('Host') == mode[3]
                            status = 200 if ok else 401
                        self.send_response(status)
                        self.send_header('Content-Length', '2')
                        self.end_headers()
                        self.wfile.write(b'ok')
                    def log_message(self, *args):
                        pass
                http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
                """);
        smtpPort = Repo.freePort();
        mail = Mails.smtp(smtpPort);
    }

    @AfterEach
    void tearDown() throws IOException {
        mail.stop();
        Repo.deleteTree(dir);
    }

    private String service(StringBuilder sections, String name, int port, String state) throws IOException {
        Files.writeString(dir.resolve(name + ".state"), state);
        sections.append("[program:").append(name).append("]\ncommand=/usr/bin/python3 ").append(dir.resolve("service.py")).append(' ')
                .append(port).append(' ').append(dir.resolve(name + ".state")).append("\nstartsecs=1\nstopasgroup=true\nkillasgroup=true\n\n");
        return "http://127.0.0.1:" + port + "/health";
    }

    private String httpok(String name, String args) {
        return "[eventlistener:" + name + "]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve("httpok.java") + " " + args
                + " --smtp-host 127.0.0.1:" + smtpPort + " --from httpok@example.com\nevents=TICK_5\nstderr_logfile=%(dir)s/" + name
                + ".err\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    private static int pid(Supervisord s, String namespec) {
        try {
            return s.unix().getProcessInfo(namespec).pid();
        } catch (IOException e) {
            return -1;
        }
    }

    private String mailTo(String address) throws Exception {
        Repo.await("a mail to " + address, Duration.ofSeconds(60), () -> !Mails.to(mail, address).isEmpty());
        return ((String) Mails.to(mail, address).get(0).getContent()).replace("\r\n", "\n");
    }

    @Test
    void failuresInARowHeadersAuthTcpAndStartStopped() throws Exception {
        StringBuilder sections = new StringBuilder();
        String flakyUrl = service(sections, "flaky", Repo.freePort(), "fail 2");
        String secureUrl = service(sections, "secure", Repo.freePort(), "auth alice:pw-s3cret t0ken app.example.com");
        int laterPort = Repo.freePort();
        int closedPort = Repo.freePort();
        // Its first start fails (FATAL: no retries) and leaves a mark; every start after that serves HTTP on
        // laterPort. The mark is its own, so no tick of httpok can come between FATAL and the test's next step.
        Path tried = dir.resolve("later.tried");
        sections.append("[program:later]\ncommand=/bin/sh -c 'test -f ").append(tried).append(" && exec /usr/bin/python3 -m http.server ")
                .append(laterPort).append(" --bind 127.0.0.1; touch ").append(tried).append("; exit 1'\nstartsecs=1\nstartretries=0\n")
                .append("stopasgroup=true\nkillasgroup=true\n\n");
        Path auth = dir.resolve("auth");
        Files.writeString(auth, "alice:pw-s3cret\n");
        sections.append(httpok("check_flaky", "-p flaky --failures 3 -m flaky@example.com " + flakyUrl))
                .append(httpok("check_secure", "-p secure --header 'X-Token: t0ken' --header 'Host: app.example.com' --auth-file " + auth + " -m secure@example.com " + secureUrl))
                .append(httpok("check_nopass", "-p secure --dry-run " + secureUrl))
                .append(httpok("check_tcpup", "-p flaky --dry-run tcp://127.0.0.1:" + flakyUrl.replaceAll(".*:(\\d+)/.*", "$1")))
                .append(httpok("check_tcpdown", "--dry-run -t 1 tcp://127.0.0.1:" + closedPort))
                .append(httpok("check_starter", "-p later --start-stopped -m later@example.com http://127.0.0.1:" + laterPort + "/"));
        try (Supervisord s = Supervisord.start(sections.toString())) {
            s.awaitRunning(Duration.ofSeconds(60), List.of("flaky:flaky", "secure:secure", "check_flaky:check_flaky", "check_secure:check_secure",
                    "check_starter:check_starter"));
            int flakyPid = pid(s, "flaky:flaky");

            // Two failures, then a success: counted, not acted on.
            Repo.await("flaky to recover after two failures", Duration.ofSeconds(60),
                    () -> s.read("check_flaky.err").contains("healthy again after 2 failed checks (down "));
            String log = s.read("check_flaky.err");
            assertTrue(log.contains("check failed (1 of 3)") && log.contains("check failed (2 of 3)"), log);
            assertEquals(flakyPid, pid(s, "flaky:flaky"), "not restarted for two failures");
            // Three in a row: restarted, and the mail lists each failed check.
            Files.writeString(dir.resolve("flaky.state"), "fail 1000");
            Repo.await("flaky restarted", Duration.ofSeconds(60), () -> pid(s, "flaky:flaky") > 0 && pid(s, "flaky:flaky") != flakyPid);
            String flakyMail = mailTo("flaky@example.com");
            assertTrue(flakyMail.matches("(?s)status contacting " + flakyUrl.replace(".", "\\.") + ": 500\n3 checks failed in a row:\n"
                    + "(  [^\n]+: 500\n){3}flaky:flaky is in RUNNING state, restarting\nflaky:flaky restarted\n?"), flakyMail);
            Files.writeString(dir.resolve("flaky.state"), "ok");

            // The header and basic auth pass; without them the same URL fails (dry run).
            Repo.await("the authenticated checks", Duration.ofSeconds(60),
                    () -> Repo.count(s.read("check_secure.err"), "status contacting " + secureUrl.replace(".", "\\.") + ": 200") >= 2);
            assertTrue(Mails.to(mail, "secure@example.com").isEmpty(), "never failed with its header and credentials");
            Repo.await("the check without them", Duration.ofSeconds(60), () -> s.read("check_nopass.err").contains(": 401"));
            for (String name : List.of("check_secure", "check_nopass", "check_flaky", "check_tcpup", "check_tcpdown", "check_starter")) {
                assertFalse(s.read(name + ".err").contains("pw-s3cret"), name + " logged the password");
            }
            assertFalse(s.log().contains("pw-s3cret"), "supervisord's log has no password");

            // tcp://: a listening port passes, a closed one fails.
            Repo.await("tcp checks", Duration.ofSeconds(60), () -> s.read("check_tcpup.err").contains(": connected in ")
                    && s.read("check_tcpdown.err").contains("error contacting tcp://127.0.0.1:" + closedPort + ": "));
            assertFalse(s.read("check_tcpup.err").contains("would restart"), s.read("check_tcpup.err"));

            // --start-stopped: the program that went FATAL is started, and then passes its check.
            s.awaitRunning(Duration.ofSeconds(60), List.of("later:later"));
            String laterMail = mailTo("later@example.com");
            assertTrue(laterMail.contains("later:later is in FATAL state") && laterMail.contains("starting it (--start-stopped)\nlater:later started"),
                    laterMail);
        }
    }
}
