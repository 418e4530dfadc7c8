import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Crash alerts that say why, with a real supervisord and a real SMTP server:
 * how the process ended, how long it ran and the end of its log below
 * superlance's line; a failed start's reason; a bounded, clean excerpt of a
 * binary log; and the alert without an excerpt when supervisord's RPC is gone.
 */
class PostmortemE2ETest {
    private static final String SUPERLANCE_LINE = "Process %s in group %s exited unexpectedly \\(pid \\d+\\) from state RUNNING";
    private Path dir;
    private GreenMail mail;
    private int port;

    @BeforeAll
    static void build() throws Exception {
        for (String plugin : List.of("crashmail", "crashmailbatch", "fatalmailbatch")) Repo.build(plugin + ".java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("postmortem");
        port = Repo.freePort();
        mail = Mails.smtp(port);
    }

    @AfterEach
    void tearDown() throws Exception {
        mail.stop();
        Repo.deleteTree(dir);
    }

    private String script(String name, String body) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        file.toFile().setExecutable(true);
        return file.toString();
    }

    /** A program the test starts itself (autostart=false), unless extra says otherwise. */
    private static String program(String name, String command, String extra) {
        return "[program:" + name + "]\ncommand=" + command + "\n" + (extra.contains("autostart=") ? "" : "autostart=false\n")
                + "startsecs=0\nstartretries=0\n"
                + (extra.contains("autorestart=") ? "" : "autorestart=unexpected\n") + "stopasgroup=true\nkillasgroup=true\n" + extra + "\n";
    }

    private String listener(String name, String plugin, String args, String events) {
        return "[eventlistener:" + name + "]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve(plugin + ".java") + " " + args
                + " --smtp-host 127.0.0.1:" + port + "\nevents=" + events + "\npriority=100\nstderr_logfile=%(dir)s/" + name
                + ".err\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    /** Waits for n mails to this address; when they do not come, the failure shows the listener's and supervisord's logs. */
    private void awaitMails(String to, int n, Supervisord s, String listener) throws Exception {
        try {
            Repo.await(n + " mail(s) to " + to, Duration.ofSeconds(90), () -> Mails.to(mail, to).size() >= n);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + (s == null ? "" : "; " + listener + "'s log:\n" + s.read(listener + ".err")
                    + "\nsupervisord's log:\n" + s.log()));
        }
    }

    private static String oneLine(String text) { return text.replace("\n", "\\n"); }

    private String body(String to) throws Exception {
        return body(to, null, null);
    }

    /** The first mail to this address; when none comes, the failure shows the listener's log. */
    private String body(String to, Supervisord s, String listener) throws Exception {
        awaitMails(to, 1, s, listener);
        MimeMessage m = Mails.to(mail, to).get(0);
        return ((String) m.getContent()).replace("\r\n", "\n");
    }

    @Test
    void crashAlertsSayHowItEndedAndShowTheEndOfTheLog() throws Exception {
        // A recognisable stack trace on stderr, then exit 3; supervisord restarts it (autorestart) before crashmail hears.
        String trace = script("trace", "echo starting; sleep 1; echo 'Exception in thread \"main\" java.lang.IllegalStateException: boom' >&2;"
                + " echo '    at app.Main.run(Main.java:42)' >&2; echo '    at app.Main.main(Main.java:7)' >&2; exit 3");
        String redirected = script("redirected", "echo 'all output on stdout: disk full' >&2; sleep 1; exit 2");
        // Binary bytes and a 100 KB line: the excerpt stays clean and bounded.
        String binary = script("binary", "head -c 3000 /dev/urandom >&2; head -c 100000 /dev/zero | tr '\\000' x >&2; echo >&2;"
                + " head -c 5000 /dev/zero | tr '\\000' y >&2; echo >&2; printf 'tab\\there\\033[31mred\\001 bad\\377\\376utf8\\n' >&2;"
                + " sleep 1; exit 5");
        String sections = program("trace", trace, "")
                + program("redirected", redirected, "redirect_stderr=true")
                // Run once: a restarted run would write its own first bytes before the excerpt is read.
                + program("binary", binary, "autorestart=false")
                + program("silent", "/bin/sh -c 'sleep 1; exit 4'", "stdout_logfile=NONE\nstderr_logfile=NONE")
                // supervisord refuses to start it by RPC (NO_FILE); at its own start it tries, fails and marks it FATAL.
                + program("missing", "/opt/app/bin/x", "autostart=true")
                + listener("cm", "crashmail", "-p trace -p redirected -p binary -p silent -m cm@example.com --fold-after 1 --from cm@example.com",
                        "PROCESS_STATE_EXITED")
                + listener("plain", "crashmail", "-p trace -m plain@example.com --log-lines 0 --fold-after 1 --from cm@example.com",
                        "PROCESS_STATE_EXITED")
                + listener("cmb", "crashmailbatch", "-t cmb@example.com -f cmb@example.com -i 0.1 -e TICK_5 --log-lines 3",
                        "PROCESS_STATE_EXITED,TICK_5")
                + listener("fmb", "fatalmailbatch", "-t fmb@example.com -f fmb@example.com -i 0.1 --log-lines 3",
                        "PROCESS_STATE_FATAL,TICK_5");
        // loglevel info, as in production: at debug, supervisord copies the binary output into its own log, and then
        // cannot give that log's tail (it fails to decode it), so how a run ended would not be known.
        try (Supervisord s = Supervisord.start(sections, "info")) {
            s.awaitRunning(Duration.ofSeconds(60), List.of("cm:cm", "plain:plain", "cmb:cmb", "fmb:fmb"));
            // Until a listener is ready, supervisord holds its events in a buffer of 10 and drops the oldest past that: under
            // load a JVM takes seconds to start, three crash loops fill the buffer, and binary's one exit would be dropped.
            Repo.await("the listeners to start", Duration.ofSeconds(60), () -> s.read("cm.err").contains("watching ")
                    && s.read("plain.err").contains("watching ") && s.read("cmb.err").contains("batching every")
                    && s.read("fmb.err").contains("batching every"));
            for (String p : List.of("trace", "redirected", "binary", "silent")) s.unix().startProcess(p, false);

            String traceMail = null;
            awaitMails("cm@example.com", 4, s, "cm");
            for (MimeMessage m : Mails.to(mail, "cm@example.com")) {
                String text = ((String) m.getContent()).replace("\r\n", "\n");
                if (m.getSubject().startsWith("trace ")) traceMail = text;
                if (m.getSubject().startsWith("redirected ")) {
                    // Each run writes the line again; the log is read when crashmail handles the event, a run or two later maybe.
                    assertTrue(text.matches("(?s)" + String.format(SUPERLANCE_LINE, "redirected", "redirected") + "\n\n"
                            + "exit status 2, after \\d+ s up\nlast \\d+ line\\(s\\) of its stdout log:\nall output on stdout: disk full(\nall output on stdout: disk full)*\n?"),
                            oneLine(text));
                }
                if (m.getSubject().startsWith("binary ")) {
                    assertTrue(text.contains("exit status 5"), text);
                    assertTrue(text.length() < 12_000, "bounded: " + text.length() + " characters");
                    assertTrue(text.contains("\n" + "y".repeat(500) + " [cut at 500 characters]\n"), "a long line is cut: " + oneLine(text));
                    assertTrue(!text.contains("xxx"), "the 100 KB line is past the 8 KiB read; never a piece of it");
                    assertTrue(text.contains(" bad\uFFFD\uFFFDutf8"), "bytes that are not UTF-8 are replaced:\n" + text);
                    assertTrue(text.contains("tab\there\\x1b[31mred\\x01"), "control characters shown escaped:\n" + text);
                    assertTrue(text.chars().noneMatch(c -> c < 0x20 && c != '\n' && c != '\t'), "no raw control character");
                }
                if (m.getSubject().startsWith("silent ")) {
                    assertTrue(text.contains("exit status 4") && text.contains("(no log excerpt: the program has no log file"), text);
                }
            }
            assertTrue(traceMail != null, "a mail for trace");
            assertTrue(traceMail.matches("(?s)" + String.format(SUPERLANCE_LINE, "trace", "trace") + "\n\nexit status 3, after \\d+ s up\n"
                    + "last \\d+ line\\(s\\) of its stderr log:\n(.*\n)?" // up to --log-lines' 10; earlier runs' lines may come first
                    + "Exception in thread \"main\" java.lang.IllegalStateException: boom\n"
                    + "    at app.Main.run\\(Main.java:42\\)\n    at app.Main.main\\(Main.java:7\\)\n?"), oneLine(traceMail));

            // --log-lines 0: superlance's body, exactly.
            assertTrue(body("plain@example.com").matches(String.format(SUPERLANCE_LINE, "trace", "trace") + "\n?"), body("plain@example.com"));

            // The batch plugins: one account per process after the lines; a failed start says why.
            String batch = body("cmb@example.com", s, "cmb");
            assertTrue(batch.contains("\n--- trace:trace, the last time:\nexit status 3"), oneLine(batch));
            assertTrue(batch.contains("    at app.Main.main(Main.java:7)"), oneLine(batch)); // the mail's last line, maybe: no \n then
            String fatal = body("fmb@example.com", s, "fmb");
            assertTrue(fatal.contains("Process missing:missing failed to start too many times"), oneLine(fatal));
            assertTrue(fatal.contains("--- missing:missing, the last time:\nsupervisord says: can't find command '/opt/app/bin/x'"), fatal);
        }
    }

    @Test
    void withoutSupervisordsRpcTheAlertStillGoesOutAndSaysWhy() throws Exception {
        Map<String, String> env = Map.of("SUPERVISOR_SERVER_URL", "unix://" + dir.resolve("gone.sock"));
        try (ListenerProcess crashmail = ListenerProcess.start("crashmail",
                List.of("-a", "-m", "ops@example.com", "--from", "cm@example.com", "--smtp-host", "127.0.0.1:" + port), env)) {
            long ms = crashmail.event("PROCESS_STATE_EXITED", "processname:web groupname:web from_state:RUNNING expected:0 pid:42",
                    Duration.ofSeconds(30));
            assertTrue(ms < 10_000, "answered in " + ms + " ms");
            String text = body("ops@example.com");
            assertTrue(text.startsWith("Process web in group web exited unexpectedly (pid 42) from state RUNNING\n\n(no log excerpt: "
                    + "supervisord did not answer: cannot connect to supervisord"), text);
            assertEquals(0, crashmail.finish(Duration.ofSeconds(30)));
        }
    }
}
