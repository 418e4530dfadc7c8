import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * crashmail through ./jbang, fed crashes while its mail transport fails in
 * each way production sees: SMTP refusing, hanging, greylisting (4xx),
 * rejecting (5xx), a certificate that does not verify; the sendmail command
 * missing, failing, hanging. Each must give a clear one-line log per failed
 * try, answer every event at once meanwhile, and deliver every alert exactly
 * once when the fault is over (or, where trying again cannot help, put it
 * whole in the log). The hanging cases wait out the 30 s mail timeout, so
 * the cases run side by side.
 */
@Execution(ExecutionMode.CONCURRENT)
@Isolated // side by side with each other only: no other test class shares the machine with them meanwhile
class MailFaultsE2ETest {
    static final Duration PROMPT = Duration.ofSeconds(5); // an answer held by the mail would take 30 s
    static final Duration FIRST = Duration.ofSeconds(60); // a cold JVM's first event, next to seven others starting
    private Path dir;
    private GreenMail greenMail;
    private final List<AutoCloseable> started = new ArrayList<>();

    @BeforeAll
    static void build() throws Exception {
        Repo.build("crashmail.java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("mailfaults");
        greenMail = Mails.smtp(Repo.freePort());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : started) c.close();
        greenMail.stop();
        Repo.deleteTree(dir);
    }

    private ListenerProcess crashmail(String... transport) throws IOException {
        List<String> args = new ArrayList<>(List.of("-a"));
        args.addAll(List.of(transport));
        if (!args.contains("-m")) args.addAll(List.of("-m", "ops@example.com"));
        ListenerProcess listener = ListenerProcess.start("crashmail", args, Map.of());
        started.add(listener);
        return listener;
    }

    private FaultySmtp faultySmtp(int port) throws IOException {
        FaultySmtp smtp = new FaultySmtp(port);
        started.add(smtp);
        return smtp;
    }

    /** A crash of process NAME; returns how long the answer took. The first (a) may take a while: classes load. */
    private static long crash(ListenerProcess listener, String name) throws Exception {
        return listener.event("PROCESS_STATE_EXITED", "processname:" + name + " groupname:" + name
                + " from_state:RUNNING expected:0 pid:4242", name.equals("a") ? FIRST : PROMPT);
    }

    /** Sends crashes of a, b and c, each answered at once, the first once its mail has failed. */
    private static void crashesWhileFailing(ListenerProcess listener, String reason) throws Exception {
        crash(listener, "a");
        listener.awaitLog("could not mail 'a crashed at", Duration.ofSeconds(45));
        for (String name : List.of("b", "c")) {
            long ms = crash(listener, name);
            assertTrue(ms < PROMPT.toMillis(), "answered in " + ms + " ms");
        }
        assertClearFailures(listener.stderr(), reason);
    }

    /** Every failed try is one ERROR line naming the mail and the reason; no stack trace anywhere. */
    static void assertClearFailures(String log, String reason) {
        Matcher failures = Pattern.compile("(?m)^.* ERROR crashmail: could not mail '[abc] crashed at [^']*': (.*); \\d+ mail\\(s\\) waiting, next try in \\d+ s$")
                .matcher(log);
        int count = 0;
        while (failures.find()) {
            count++;
            assertTrue(Pattern.compile(reason).matcher(failures.group(1)).find(), "'" + failures.group(1) + "' does not say " + reason);
        }
        assertTrue(count >= 1, "no failure line in:\n" + log);
        assertFalse(log.contains("\tat ") || log.contains("Exception in thread"), log);
    }

    /** Waits for a, b and c at GreenMail, then checks each came exactly once. */
    private void awaitEachOnce(Duration timeout) throws Exception {
        Repo.await("3 mails at GreenMail", timeout, () -> greenMail.getReceivedMessages().length >= 3);
        Thread.sleep(500); // a duplicate would follow at once
        List<String> subjects = new ArrayList<>();
        for (MimeMessage m : greenMail.getReceivedMessages()) subjects.add(m.getSubject().replaceAll(" crashed at .*", ""));
        assertEquals(List.of("a", "b", "c"), subjects);
    }

    @Test
    void smtpRefusingConnectionsUntilItIsBack() throws Exception {
        int port = Repo.freePort();
        ListenerProcess listener = crashmail("--smtp-host", "127.0.0.1:" + port);
        crashesWhileFailing(listener, "Connection refused");
        faultySmtp(port).relayTo = greenMail.getSmtp().getPort();
        awaitEachOnce(Duration.ofSeconds(30));
    }

    @Test
    void smtpHangingIsTimedOutAndRetried() throws Exception {
        FaultySmtp smtp = faultySmtp(0);
        smtp.hang = true;
        ListenerProcess listener = crashmail("--smtp-host", "127.0.0.1:" + smtp.port());
        crash(listener, "a");
        Repo.await("a connection", Duration.ofSeconds(30), () -> smtp.connections.get() == 1);
        assertTrue(crash(listener, "b") < PROMPT.toMillis() && crash(listener, "c") < PROMPT.toMillis());
        smtp.hang = false; // the hung session stays hung until crashmail's 30 s timeout
        smtp.relayTo = greenMail.getSmtp().getPort();
        listener.awaitLog("could not mail 'a crashed at", Duration.ofSeconds(45));
        assertClearFailures(listener.stderr(), "(?i)timed? ?out");
        awaitEachOnce(Duration.ofSeconds(30));
    }

    @Test
    void smtpGreylisting4xxIsRetried() throws Exception {
        FaultySmtp smtp = faultySmtp(0);
        smtp.rcpt = address -> "451 4.7.1 greylisted, try again later";
        ListenerProcess listener = crashmail("--smtp-host", "127.0.0.1:" + smtp.port());
        crashesWhileFailing(listener, "451 4.7.1 greylisted");
        smtp.relayTo = greenMail.getSmtp().getPort();
        awaitEachOnce(Duration.ofSeconds(30));
    }

    @Test
    void smtpRejecting5xxIsNotRetriedAndTheMailIsLoggedWhole() throws Exception {
        FaultySmtp smtp = faultySmtp(0);
        smtp.rcpt = address -> address.startsWith("ops@") ? "550 5.1.1 no such mailbox" : "250 2.1.5 ok";
        ListenerProcess listener = crashmail("--smtp-host", "127.0.0.1:" + smtp.port(), "-m", "ops@example.com,lead@example.com");
        // One refused recipient: the other still gets the alert, and it is not sent again.
        crash(listener, "a");
        listener.awaitLog("WARN crashmail: mailed 'a crashed at [^']*' to \\[lead@example.com\\] only; refused: .*550 5.1.1 no such mailbox",
                Duration.ofSeconds(30));
        assertEquals(1, smtp.received.size());

        smtp.rcpt = address -> "550 5.1.1 no such mailbox"; // now every recipient
        crash(listener, "b");
        listener.awaitLog("ERROR crashmail: mail 'b crashed at [^']*' refused for good, not retrying: SMTP .*550 5.1.1 no such mailbox.*"
                + "; the mail follows\\\\nProcess b in group b exited unexpectedly", Duration.ofSeconds(30));
        int connections = smtp.connections.get();
        smtp.rcpt = address -> "250 2.1.5 ok";
        crash(listener, "c"); // not held behind b
        Repo.await("c at the server", Duration.ofSeconds(30), () -> smtp.received.size() == 2);
        assertTrue(smtp.received.get(1).contains("Subject: c crashed at"), smtp.received.get(1));
        assertEquals(connections + 1, smtp.connections.get(), "b was not tried again");
        assertFalse(listener.stderr().contains("could not mail"), "a refusal is not a failure to retry:\n" + listener.stderr());
    }

    @Test
    void aCertificateThatDoesNotVerifyFailsClearlyAndTheAlertReachesTheLog() throws Exception {
        TestTls.HandshakeOnly tls = new TestTls.HandshakeOnly(); // GreenMail's SMTPS would print a trace for each refusal
        started.add(tls);
        // The test CA is not among the JDK's: verification is on by default, so this must fail.
        ListenerProcess listener = crashmail("--smtp-host", "127.0.0.1:" + tls.port(), "--smtp-tls");
        crashesWhileFailing(listener, "(?i)certif|PKIX");
        assertEquals(0, listener.finish(Duration.ofSeconds(30)));
        String log = listener.stderr();
        for (String name : List.of("a", "b", "c")) {
            assertTrue(Pattern.compile("unsent: " + name + " crashed at [^\\n]*\\\\nProcess " + name + " in group").matcher(log).find(), log);
        }
        assertEquals(0, tls.handshakes.get(), "no handshake completed");
    }

    private Path script(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    /** The mails a fake sendmail saved as mail.PID files, by subject without the time. */
    private List<String> saved() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("mail.")).map(f -> {
                try {
                    return Files.readString(f).replaceAll("(?s).*\nSubject: (\\w) crashed at.*", "$1");
                } catch (IOException e) {
                    return "?";
                }
            }).sorted().toList();
        }
    }

    private void awaitSavedOnce() throws Exception {
        Repo.await("3 saved mails", Duration.ofSeconds(45), () -> {
            try {
                return saved().size() >= 3;
            } catch (IOException e) {
                return false;
            }
        });
        Thread.sleep(500);
        assertEquals(List.of("a", "b", "c"), saved());
    }

    private String saving() { return "cat > \"" + dir + "/mail.$$\"\n"; }

    @Test
    void sendmailMissingUntilItIsInstalled() throws Exception {
        Path later = dir.resolve("sendmail-later");
        ListenerProcess listener = crashmail("-s", later + " -t -i");
        crashesWhileFailing(listener, "cannot run sendmail command .*sendmail-later.*No such file");
        assertTrue(listener.stderr().contains("WARN crashmail: the sendmail command " + later + " is not an executable file (yet)"),
                "said at start:\n" + listener.stderr());
        script("sendmail-later", saving());
        awaitSavedOnce();
    }

    @Test
    void sendmailExitingNonZeroIsRetried() throws Exception {
        Path sendmail = script("sendmail", "if [ ! -e \"" + dir + "/fixed\" ]; then echo 'sendmail: cannot queue: disk full' >&2; exit 75; fi\n" + saving());
        ListenerProcess listener = crashmail("-s", sendmail + " -t -i");
        crashesWhileFailing(listener, "exited with status 75: sendmail: cannot queue: disk full");
        Files.createFile(dir.resolve("fixed"));
        awaitSavedOnce();
    }

    @Test
    void sendmailHangingIsKilledAndRetried() throws Exception {
        // exec: the hung sleep is the process crashmail kills, so nothing is left behind.
        Path sendmail = script("sendmail", "if [ ! -e \"" + dir + "/fixed\" ]; then echo $$ > \"" + dir + "/hung.pid\"; exec sleep 120; fi\n" + saving());
        ListenerProcess listener = crashmail("-s", sendmail + " -t -i");
        crash(listener, "a");
        Repo.await("sendmail to hang", Duration.ofSeconds(30), () -> Files.exists(dir.resolve("hung.pid")));
        assertTrue(crash(listener, "b") < PROMPT.toMillis() && crash(listener, "c") < PROMPT.toMillis());
        Files.createFile(dir.resolve("fixed"));
        listener.awaitLog("could not mail 'a crashed at", Duration.ofSeconds(45));
        assertClearFailures(listener.stderr(), "sendmail command .*sendmail did not finish within 30 s");
        long hung = Long.parseLong(Files.readString(dir.resolve("hung.pid")).trim());
        assertFalse(ProcessHandle.of(hung).map(ProcessHandle::isAlive).orElse(false), "the hung sendmail was killed");
        awaitSavedOnce();
    }
}
