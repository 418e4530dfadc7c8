import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * crashmail, crashmailbatch, fatalmailbatch and crashsms run by a real
 * supervisord through ./jbang, mailing a real SMTP server (GreenMail).
 * The crashing program records each pid it had, so the tests can check
 * that every crash is reported exactly once.
 */
class AlertsE2ETest {
    private static final String PLAIN_CRASH = "(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}) -- Process crasher:crasher \\(pid (\\d+)\\) died unexpectedly";
    private Path dir;
    private final List<GreenMail> servers = new ArrayList<>();

    @BeforeAll
    static void build() throws Exception {
        for (String plugin : List.of("crashmail", "crashmailbatch", "fatalmailbatch", "crashsms")) Repo.build(plugin + ".java");
    }

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("alerts");
    }

    @AfterEach
    void tearDown() throws IOException {
        for (GreenMail server : servers) server.stop();
        Repo.deleteTree(dir);
    }

    private GreenMail smtp(int port) {
        GreenMail server = Mails.smtp(port);
        servers.add(server);
        return server;
    }

    /** A program that records its pid, runs two seconds and exits with status 3: a crash loop. */
    private String crasher() {
        return "[program:crasher]\ncommand=/bin/sh -c 'echo $$ >> " + dir.resolve("pids") + "; sleep 2; exit 3'\n"
                + "autostart=false\nstartsecs=0\nautorestart=unexpected\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    private static String listener(String name, String plugin, String args, String events) {
        // priority 100: started before the programs and stopped after them, so no crash goes unheard.
        return "[eventlistener:" + name + "]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve(plugin + ".java") + " " + args
                + "\nevents=" + events + "\npriority=100\nstderr_logfile=%(dir)s/" + name + ".err\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    private static int count(GreenMail server, String address) { return Mails.to(server, address).size(); }

    private static String body(MimeMessage m) {
        try {
            return ((String) m.getContent()).replace("\r\n", "\n");
        } catch (IOException | MessagingException e) {
            throw new AssertionError(e);
        }
    }

    private List<Integer> recordedPids() throws IOException {
        return Files.readAllLines(dir.resolve("pids")).stream().map(String::trim).filter(s -> !s.isEmpty()).map(Integer::valueOf).toList();
    }

    /**
     * The pids in these mails' crash lines: each at most once, and every
     * crash the program had except possibly the last (stopped, not crashed).
     */
    private void assertEveryCrashOnce(List<MimeMessage> mails, String what) throws IOException {
        List<Integer> reported = new ArrayList<>();
        for (MimeMessage m : mails) {
            Matcher line = Pattern.compile(PLAIN_CRASH).matcher(body(m));
            while (line.find()) reported.add(Integer.valueOf(line.group(2)));
        }
        List<Integer> crashed = recordedPids();
        assertEquals(reported.size(), new HashSet<>(reported).size(), what + ": a crash reported twice: " + reported);
        Set<Integer> missing = new HashSet<>(crashed);
        missing.removeAll(reported);
        assertTrue(crashed.containsAll(reported), what + ": reported " + reported + ", recorded " + crashed);
        assertTrue(missing.isEmpty() || missing.equals(Set.of(crashed.get(crashed.size() - 1))),
                what + ": crashes never reported: " + missing + " of " + crashed);
        assertTrue(reported.size() >= 3, what + ": only " + reported.size() + " crashes reported");
    }

    @Test
    void crashmailMailsSelectedCrashesAndFoldsACrashLoop() throws Exception {
        int port = Repo.freePort();
        GreenMail mail = smtp(port);
        String smtp = " --smtp-host 127.0.0.1:" + port + " --from crashmail@example.com";
        String sections = crasher()
                + "[program:worker]\ncommand=/bin/sh -c 'sleep 3; exit 4'\nprocess_name=%(program_name)s_%(process_num)d\n"
                + "numprocs=2\nautostart=false\nstartsecs=0\nstopasgroup=true\nkillasgroup=true\n\n"
                + listener("cm_p", "crashmail", "-p crasher -p worker:worker_1 -o P -m p@example.com --fold-after 3 --fold-window 15s" + smtp,
                        "PROCESS_STATE_EXITED")
                + listener("cm_a", "crashmail", "-a -o A -m a@example.com" + smtp, "PROCESS_STATE_EXITED")
                + listener("cm_log", "crashmail", "-a", "PROCESS_STATE_EXITED")
                // supervisord expands %(host_node_name)s in command= (quoted, as a README line would have it).
                + listener("cm_host", "crashmail", "-p crasher -o \"%(host_node_name)s\" -m host@example.com --fold-after 1" + smtp,
                        "PROCESS_STATE_EXITED");
        try (Supervisord s = Supervisord.start(sections)) {
            s.awaitRunning(Duration.ofSeconds(60), List.of("cm_p:cm_p", "cm_a:cm_a", "cm_log:cm_log", "cm_host:cm_host")); // the programs wait for us
            for (String p : List.of("crasher", "worker:worker_0", "worker:worker_1")) s.unix().startProcess(p, false);

            // -p with --fold-after 3: three crash mails for crasher, then one summary when its 15 s window ends.
            Repo.await("cm_p's crash-loop summary", Duration.ofSeconds(60),
                    () -> Mails.to(mail, "p@example.com").stream().anyMatch(m -> subject(m).contains("more time(s) (crash loop)")));
            List<MimeMessage> pMails = Mails.to(mail, "p@example.com");
            List<String> subjects = pMails.stream().map(AlertsE2ETest::subject).toList();
            int summaryAt = subjects.indexOf(subjects.stream().filter(t -> t.contains("crash loop")).findFirst().orElseThrow());
            assertEquals(3, subjects.subList(0, summaryAt).stream().filter(t -> t.startsWith("P: crasher crashed at ")).count(),
                    "three mails before the fold: " + subjects);
            assertTrue(subjects.get(summaryAt).matches("P: crasher crashed \\d+ more time\\(s\\) \\(crash loop\\)"), subjects.get(summaryAt));
            assertTrue(subjects.stream().anyMatch(t -> t.startsWith("P: worker_1 crashed at ")), "-p group:name: " + subjects);
            assertTrue(subjects.stream().noneMatch(t -> t.contains("worker_0")), "worker_0 was not selected: " + subjects);
            MimeMessage first = pMails.get(0);
            assertTrue(body(first).matches("Process (crasher in group crasher|worker_1 in group worker) exited unexpectedly "
                    + "\\(pid \\d+\\) from state RUNNING\n\n(?s)exit status \\d.*"), body(first)); // superlance's line, then why
            assertEquals("crashmail@example.com", first.getFrom()[0].toString());

            // -a: every program; the default fold (5 in 10 minutes) holds back the rest of crasher's loop.
            List<String> aSubjects = Mails.to(mail, "a@example.com").stream().map(AlertsE2ETest::subject).toList();
            for (String name : List.of("crasher", "worker_0", "worker_1")) {
                assertTrue(aSubjects.stream().anyMatch(t -> t.startsWith("A: " + name + " crashed at ")), name + ": " + aSubjects);
            }
            // crasher's sixth crash, which may come a little after cm_p's 15 s window ends.
            Repo.await("cm_a to fold crasher's sixth crash", Duration.ofSeconds(30),
                    () -> s.read("cm_a.err").contains("the mail for this crash of crasher:crasher is folded"));
            assertEquals(5, Mails.to(mail, "a@example.com").stream().filter(m -> subject(m).startsWith("A: crasher crashed at ")).count());

            // The host name supervisord expanded is the subject's prefix.
            String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip(); // what platform.node() gives
            Repo.await("the mail with the host name", Duration.ofSeconds(30), () -> count(mail, "host@example.com") > 0);
            String hostSubject = subject(Mails.to(mail, "host@example.com").get(0));
            assertTrue(hostSubject.startsWith(host + ": crasher crashed at "), hostSubject + " (host " + host + ")");

            // No -m: logged, never mailed.
            String log = s.read("cm_log.err");
            assertTrue(log.contains("mail off (no -m)") && log.contains("Process crasher in group crasher exited unexpectedly (pid "), log);
        }
        // Stopping supervisord ends cm_a's open window: its summary is sent on the way out.
        assertTrue(Mails.to(mail, "a@example.com").stream().anyMatch(m -> subject(m).matches("A: crasher crashed \\d+ more time\\(s\\) \\(crash loop\\)")),
                "cm_a's summary at exit");
        for (MimeMessage m : mail.getReceivedMessages()) {
            String address = m.getRecipients(Message.RecipientType.TO)[0].toString();
            assertTrue(List.of("p@example.com", "a@example.com", "host@example.com").contains(address), "unexpected mail to " + address);
        }
    }

    private static String subject(MimeMessage m) {
        try {
            return m.getSubject();
        } catch (MessagingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void batchPluginsMailEveryCrashOnceEvenThroughAnOutageAndAtExit() throws Exception {
        int open = Repo.freePort(), locked = Repo.freePort();
        GreenMail mail = smtp(open);
        // The "down" listener's server: one that answers 421 until the test relays it to a real one. It holds its
        // port all along (a port picked free and left unbound may be taken by any other server meanwhile).
        FaultySmtp down = new FaultySmtp(0);
        down.refuse = "421 4.3.2 down for maintenance";
        GreenMail late = smtp(Repo.freePort());
        GreenMail auth = smtp(locked);
        auth.setUser("alerts@example.com", "alerts", "s3cret");
        auth.getUserManager().setAuthRequired(true);
        TestTls.StartTlsFront front = new TestTls.StartTlsFront(locked);
        String common = " -f supervisord@example.com -i 0.1 -e TICK_5";
        String sections = crasher()
                + "[program:broken]\ncommand=/bin/false\nautostart=false\nstartsecs=1\nstartretries=1\n\n"
                + listener("cmb", "crashmailbatch", "-t batch@example.com,copy@example.com -H 127.0.0.1:" + open + common,
                        "PROCESS_STATE_EXITED,TICK_5")
                // No -e: the original counted only TICK_60 and never mailed under a TICK_5 subscription.
                + listener("fmb", "fatalmailbatch", "-t fatal@example.com -f supervisord@example.com -i 0.1 -H 127.0.0.1:" + open,
                        "PROCESS_STATE_FATAL,TICK_5")
                + listener("sms", "crashsms", "-t 5551234567@sms.example.com -H 127.0.0.1:" + open + common,
                        "PROCESS_STATE_EXITED,TICK_5")
                + listener("auth", "crashmailbatch", "-t auth@example.com -s 'Auth batch' -H 127.0.0.1:" + front.port()
                        + " -u alerts -p s3cret --tls --smtp-ca " + TestTls.caPem() + common, "PROCESS_STATE_EXITED,TICK_5")
                + listener("down", "crashmailbatch", "-t down@example.com -H 127.0.0.1:" + down.port() + common, "PROCESS_STATE_EXITED,TICK_5")
                + listener("atexit", "crashmailbatch", "-t atexit@example.com -H 127.0.0.1:" + open + " -f supervisord@example.com -i 60",
                        "PROCESS_STATE_EXITED,TICK_5");
        try (front; down; Supervisord s = Supervisord.start(sections)) {
            s.awaitRunning(Duration.ofSeconds(60), List.of("cmb:cmb", "fmb:fmb", "sms:sms", "auth:auth", "down:down", "atexit:atexit"));
            s.unix().startProcess("crasher", false);
            try {
                s.unix().startProcess("broken", true);
            } catch (IOException expected) {
                // /bin/false never stays up: FATAL after one retry
            }

            // Several crashes in one interval: one mail lists them all.
            Repo.await("a crashmailbatch mail with several crashes", Duration.ofSeconds(60),
                    () -> Mails.to(mail, "batch@example.com").stream().anyMatch(m -> Repo.count(body(m), PLAIN_CRASH) >= 2));
            MimeMessage batch = Mails.to(mail, "batch@example.com").get(0);
            assertEquals("Crash alert from supervisord", batch.getSubject());
            assertEquals("batch@example.com, copy@example.com", batch.getHeader("To", ","));
            for (String header : List.of("From", "Date", "Message-ID")) assertTrue(batch.getHeader(header) != null, header);

            Repo.await("the fatal start alert", Duration.ofSeconds(60), () -> count(mail, "fatal@example.com") > 0);
            MimeMessage fatal = Mails.to(mail, "fatal@example.com").get(0);
            assertEquals("Fatal start alert from supervisord", fatal.getSubject());
            assertTrue(body(fatal).matches("(?s)\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} -- Process broken:broken failed to start too many times\n?"),
                    body(fatal));

            Repo.await("an SMS", Duration.ofSeconds(60), () -> count(mail, "5551234567@sms.example.com") > 0);
            MimeMessage sms = Mails.to(mail, "5551234567@sms.example.com").get(0);
            assertNull(sms.getSubject(), "crashsms sends no subject by default");
            assertTrue(body(sms).length() <= 160, body(sms));
            // One crash or several in the first interval, depending on timing; a last newline may not survive SMTP.
            // broken (/bin/false) can come first: each turn of supervisord's loop moves processes to RUNNING before
            // it reaps exits, and when a turn comes more than startsecs after the start (its poll waits up to 1 s,
            // longer on a busy machine), broken is RUNNING and its exit an unexpected EXITED.
            assertTrue(body(sms).matches("(?s)\\[(crasher:crasher|broken:broken)\\]\\(\\d+\\) exited unexpectedly \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}(\n.*)?"),
                    body(sms));

            // SMTP AUTH (-u/-p) over STARTTLS (--tls) with the certificate verified against the test CA.
            Repo.await("the authenticated batch", Duration.ofSeconds(60), () -> count(auth, "auth@example.com") > 0);
            assertEquals("Auth batch", Mails.to(auth, "auth@example.com").get(0).getSubject());
            assertTrue(!s.read("auth.err").contains("s3cret"), "the password is never logged");

            // The "down" listener's server is not there yet: its batch waits and is retried.
            Repo.await("a failed send", Duration.ofSeconds(60), () -> s.read("down.err").contains("could not mail"));
            assertTrue(s.read("down.err").contains("421 4.3.2 down for maintenance"), s.read("down.err"));
            down.relayTo = late.getSmtp().getPort(); // the server is back (relaying is checked first)
            down.refuse = null;
            Repo.await("the held batch once the server is up", Duration.ofSeconds(60), () -> count(late, "down@example.com") > 0);
            assertEquals(0, count(mail, "atexit@example.com"), "an hour's batch is not due yet");
        }
        // supervisord has stopped every listener: what each had collected was sent on the way out.
        assertEquals(1, count(mail, "atexit@example.com"), "the pending batch mailed at exit");
        assertEveryCrashOnce(Mails.to(mail, "atexit@example.com"), "atexit");
        assertEveryCrashOnce(Mails.to(mail, "batch@example.com"), "crashmailbatch");
        assertEveryCrashOnce(Mails.to(late, "down@example.com"), "through the outage");
        assertEveryCrashOnce(Mails.to(auth, "auth@example.com"), "authenticated");
    }

    @Test
    void stdinClosedFlushesThePendingBatch() throws Exception {
        int port = Repo.freePort();
        GreenMail mail = smtp(port);
        StringBuilder events = new StringBuilder();
        for (int pid = 1; pid <= 3; pid++) {
            events.append(Frames.frame("PROCESS_STATE_EXITED", pid, "processname:web groupname:web from_state:RUNNING expected:0 pid:" + pid));
        }
        Repo.Result r = Repo.run(List.of(Repo.launcher(), "crashsms.java", "-t", "sms@example.com", "-f", "s@example.com",
                        "-H", "127.0.0.1:" + port), Map.of(), events.toString().getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(60));
        assertEquals(0, r.status(), r.err());
        assertEquals("READY\nRESULT 2\nOKREADY\nRESULT 2\nOKREADY\nRESULT 2\nOKREADY\n", r.out());
        assertEquals(1, count(mail, "sms@example.com"), r.err());
        String body = body(Mails.to(mail, "sms@example.com").get(0));
        // Three lines do not fit in 160 characters: two are listed and the third is counted.
        assertTrue(body.matches("\\[web:web\\]\\(1\\) exited unexpectedly [^\n]+\n\\[web:web\\]\\(2\\) exited unexpectedly [^\n]+\n\\+1 more"), body);
    }
}
