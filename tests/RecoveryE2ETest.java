import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import jakarta.mail.internet.MimeMessage;
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
 * Recovery notices under a real supervisord, mailed to a real SMTP server:
 * crashmail --recovery says when a crash loop has ended, httpok --recovery
 * when its check passes again.
 */
class RecoveryE2ETest {
    private Path dir;
    private GreenMail mail;
    private int smtpPort;

    @BeforeAll
    static void build() throws Exception {
        Repo.build("crashmail.java");
        Repo.build("httpok.java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("recovery");
        smtpPort = Repo.freePort();
        mail = Mails.smtp(smtpPort);
    }

    @AfterEach
    void tearDown() throws IOException {
        mail.stop();
        Repo.deleteTree(dir);
    }

    private String smtp(String plugin) { return " --smtp-host 127.0.0.1:" + smtpPort + " --from " + plugin + "@example.com"; }

    private static String subject(MimeMessage m) {
        try {
            return m.getSubject();
        } catch (jakarta.mail.MessagingException e) {
            throw new AssertionError(e);
        }
    }

    private static String body(MimeMessage m) {
        try {
            return m.getContent().toString();
        } catch (IOException | jakarta.mail.MessagingException e) {
            throw new AssertionError(e);
        }
    }

    /** A program that crashes `times` times, a second after each start, then runs. */
    static String crashLoop(Path dir, String name, int times, double seconds) throws IOException {
        Path script = dir.resolve(name + ".sh");
        Files.writeString(script, "#!/bin/sh\nn=$(cat " + dir.resolve(name + ".count") + " 2>/dev/null || echo 0)\n"
                + "echo $((n + 1)) > " + dir.resolve(name + ".count") + "\n"
                + "if [ \"$n\" -lt " + times + " ]; then sleep " + seconds + "; echo \"run $n failed\" >&2; exit 3; fi\nexec sleep 1000\n");
        script.toFile().setExecutable(true);
        return "[program:" + name + "]\ncommand=" + script + "\nautostart=false\nstartsecs=0\nautorestart=unexpected\nstartretries=100\n"
                + "stopasgroup=true\nkillasgroup=true\n\n";
    }

    @Test
    void crashmailMailsARecoveryOnceACrashLoopHasEnded() throws Exception {
        String sections = crashLoop(dir, "flaky", 3, 1)
                + "[eventlistener:cm]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve("crashmail.java")
                + " -p flaky --recovery 5s -m ops@example.com" + smtp("crashmail")
                + "\nevents=PROCESS_STATE_EXITED,PROCESS_STATE_RUNNING\nstderr_logfile=%(dir)s/cm.err\nstopasgroup=true\nkillasgroup=true\n\n";
        try (Supervisord s = Supervisord.start(sections)) {
            s.awaitRunning(Duration.ofSeconds(60), List.of("cm:cm"));
            s.unix().startProcess("flaky", false);
            Repo.await("three crash mails and the recovery", Duration.ofSeconds(60), () -> Mails.to(mail, "ops@example.com").size() >= 4);
            List<MimeMessage> mails = Mails.to(mail, "ops@example.com");
            for (int i = 0; i < 3; i++) assertTrue(subject(mails.get(i)).startsWith("flaky crashed at "), subject(mails.get(i)));
            assertTrue(subject(mails.get(3)).matches("flaky running again after 3 crashes in \\d+s"), subject(mails.get(3)));
            assertTrue(body(mails.get(3)).startsWith("Process flaky in group flaky is running again: it crashed 3 time(s) from "),
                    body(mails.get(3)));
            assertTrue(s.read("cm.err").contains("recoveries after 5s RUNNING without a crash, to every destination"), s.read("cm.err"));
            Thread.sleep(2000);
            assertEquals(4, Mails.to(mail, "ops@example.com").size(), "said once");
        }
    }

    @Test
    void httpokMailsHealthyAgainAfterAFailureAlert() throws Exception {
        int port = Repo.freePort();
        Path mode = dir.resolve("web.mode");
        Files.writeString(mode, "500");
        Files.writeString(dir.resolve("web.py"), """
                import http.server, sys
                class Handler(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        self.send_response(int(open(sys.argv[2]).read().strip()))
                        self.send_header('Content-Length', '0')
                        self.end_headers()
                    def log_message(self, *args):
                        pass
                http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
                """);
        String url = "http://127.0.0.1:" + port + "/health";
        String sections = "[program:web]\ncommand=/usr/bin/python3 " + dir.resolve("web.py") + " " + port + " " + mode
                + "\nstartsecs=1\nstopasgroup=true\nkillasgroup=true\n\n"
                + "[eventlistener:ok]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve("httpok.java")
                + " --recovery -m ops@example.com" + smtp("httpok") + " " + url
                + "\nevents=TICK_5\nstderr_logfile=%(dir)s/ok.err\nstopasgroup=true\nkillasgroup=true\n\n";
        try (Supervisord s = Supervisord.start(sections)) {
            s.awaitAllRunning(Duration.ofSeconds(60));
            Repo.await("the failure alert", Duration.ofSeconds(60), () -> Mails.to(mail, "ops@example.com").size() >= 1);
            Files.writeString(mode, "200");
            Repo.await("healthy again", Duration.ofSeconds(60), () -> Mails.to(mail, "ops@example.com").stream()
                    .anyMatch(m -> subject(m).endsWith(": healthy again")));
            MimeMessage again = Mails.to(mail, "ops@example.com").stream().filter(m -> subject(m).endsWith(": healthy again"))
                    .findFirst().orElseThrow();
            assertEquals("httpok: " + url + ": healthy again", subject(again));
            assertTrue(body(again).matches("(?s)healthy again after \\d+ failed checks? \\(down \\d+s\\)\r?\nstatus contacting "
                    + java.util.regex.Pattern.quote(url) + ": 200.*"), body(again));
        }
    }
}
