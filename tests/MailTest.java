import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import lib.Mail;
import lib.MailOptions;
import lib.Sendmail;
import lib.Smtp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Both transports for real: a sendmail command that records its input, and SMTP to GreenMail. */
class MailTest {
    private Path dir;
    private GreenMail greenMail;
    private int smtpPort, smtpsPort;

    private static final Mail MAIL = new Mail("memmon@example.com", List.of("ops@example.com", "dev@example.com"),
            "memmon: process web:web restarted\r\nBcc: victim@example.com", "Process web:web was restarted.\nRSS: 41943040 bytes");

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("mail");
        TestTls.keystore(); // before GreenMail opens its SMTPS socket
        smtpPort = Repo.freePort();
        smtpsPort = Repo.freePort();
        greenMail = new GreenMail(new ServerSetup[] {
                new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP),
                new ServerSetup(smtpsPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTPS)});
        greenMail.start();
    }

    @AfterEach
    void tearDown() throws IOException {
        greenMail.stop();
        Repo.deleteTree(dir);
    }

    private Path script(String name, String body) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    private Smtp smtp(int port, Smtp.Security security, String user, String password, Path ca, boolean insecure) {
        return new Smtp(new Smtp.Settings("127.0.0.1", port, user, password, security, ca, insecure, Duration.ofSeconds(10)));
    }

    private MimeMessage onlyReceived() {
        assertTrue(greenMail.waitForIncomingEmail(5000, 1), "a mail arrived");
        MimeMessage[] received = greenMail.getReceivedMessages();
        return received[0];
    }

    @Test
    void sendmailGetsTheMessageOnStdinAndArgvWithoutAShell() throws Exception {
        Path recorder = script("sendmail", "printf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args\"\n"
                + "cat > \"$(dirname \"$0\")/message\"\necho 'this line must not reach the protocol stdout'");
        new Sendmail(recorder + " -t -i 'x;touch " + dir.resolve("pwned") + "'", Duration.ofSeconds(10)).send(MAIL);
        assertEquals("-t\n-i\nx;touch " + dir.resolve("pwned") + "\n", Files.readString(dir.resolve("args")));
        assertFalse(Files.exists(dir.resolve("pwned")), "no shell ran the command");
        String message = Files.readString(dir.resolve("message"), StandardCharsets.UTF_8);
        assertTrue(message.contains("From: memmon@example.com\r\n"), message);
        assertTrue(message.contains("To: ops@example.com, dev@example.com\r\n"), message);
        assertTrue(message.contains("Subject: memmon: process web:web restarted Bcc: victim@example.com\r\n"), message);
        assertFalse(message.contains("\nBcc:"), "CR/LF in the subject never starts a header");
        assertTrue(message.matches("(?s)(.*\r\n)?Date: [^\r\n]+\r\n.*"), message);
        assertTrue(message.matches("(?s)(.*\r\n)?Message-ID: <[^\r\n]+>\r\n.*"), message);
        assertTrue(message.contains("RSS: 41943040 bytes"), message);
    }

    @Test
    void sendmailFailuresAreClearAndBounded() throws Exception {
        IOException status = assertThrows(IOException.class, () -> new Sendmail(
                script("fails", "cat >/dev/null; echo 'relay denied' >&2; exit 3") + "", Duration.ofSeconds(10)).send(MAIL));
        assertTrue(status.getMessage().contains("exited with status 3: relay denied"), status.getMessage());

        IOException missing = assertThrows(IOException.class,
                () -> new Sendmail(dir.resolve("no-such-sendmail") + " -t", Duration.ofSeconds(10)).send(MAIL));
        assertTrue(missing.getMessage().contains("cannot run sendmail command"), missing.getMessage());

        Path hangs = script("hangs", "echo $$ > \"$(dirname \"$0\")/pid\"; exec sleep 60");
        long start = System.nanoTime();
        IOException hung = assertThrows(IOException.class, () -> new Sendmail(hangs.toString(), Duration.ofSeconds(1)).send(MAIL));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(hung.getMessage().contains("did not finish within 1 s"), hung.getMessage());
        assertTrue(ms < 10_000, "gave up after " + ms + " ms");
        long pid = Long.parseLong(Files.readString(dir.resolve("pid")).trim());
        Repo.await("the hung sendmail to be killed", Duration.ofSeconds(5),
                () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    void smtpPlainDeliversWithEveryHeader() throws Exception {
        smtp(smtpPort, Smtp.Security.PLAIN, null, null, null, false).send(MAIL);
        MimeMessage received = onlyReceived();
        assertEquals("memmon: process web:web restarted Bcc: victim@example.com", received.getSubject());
        assertEquals("memmon@example.com", received.getFrom()[0].toString());
        assertEquals("ops@example.com, dev@example.com", received.getHeader("To", ","));
        assertNull(received.getHeader("Bcc"));
        assertTrue(received.getSentDate() != null);
        assertTrue(received.getMessageID().startsWith("<"));
        assertTrue(((String) received.getContent()).contains("RSS: 41943040 bytes"));
        assertEquals(2, greenMail.getReceivedMessages().length, "one copy per recipient");
    }

    @Test
    void smtpAuthUsesTheCredentialsAndNeverLeaksThePassword() throws Exception {
        greenMail.setUser("alice@example.com", "alice", "s3cret");
        greenMail.getUserManager().setAuthRequired(true);
        IOException refused = assertThrows(IOException.class,
                () -> smtp(smtpPort, Smtp.Security.PLAIN, "alice", "wrong-pw", null, false).send(MAIL));
        assertFalse(refused.getMessage().contains("wrong-pw"), refused.getMessage());
        assertTrue(refused.getMessage().contains("SMTP 127.0.0.1:" + smtpPort + " (plain, user alice)"), refused.getMessage());
        assertEquals(0, greenMail.getReceivedMessages().length);
        smtp(smtpPort, Smtp.Security.PLAIN, "alice", "s3cret", null, false).send(MAIL);
        assertEquals(MAIL.subject(), onlyReceived().getSubject());
    }

    @Test
    void startTlsVerifiesTheCertificate() throws Exception {
        try (TestTls.StartTlsFront front = new TestTls.StartTlsFront(smtpPort)) {
            IOException untrusted = assertThrows(IOException.class,
                    () -> smtp(front.port(), Smtp.Security.STARTTLS, null, null, null, false).send(MAIL));
            assertTrue(untrusted.getMessage().toLowerCase().contains("certification path")
                    || untrusted.getMessage().contains("PKIX"), untrusted.getMessage());
            assertEquals(0, greenMail.getReceivedMessages().length);

            smtp(front.port(), Smtp.Security.STARTTLS, null, null, TestTls.caPem(), false).send(MAIL);
            assertEquals(MAIL.subject(), onlyReceived().getSubject());

            smtp(front.port(), Smtp.Security.STARTTLS, null, null, null, true).send(MAIL);
            assertTrue(greenMail.waitForIncomingEmail(5000, 4), "insecure opt-out delivers too");
        }
    }

    @Test
    void startTlsIsRequiredNotJustTried() {
        // GreenMail's plain port offers no STARTTLS: the mail must not go out in clear text.
        IOException e = assertThrows(IOException.class,
                () -> smtp(smtpPort, Smtp.Security.STARTTLS, null, null, null, false).send(MAIL));
        assertTrue(e.getMessage().contains("STARTTLS"), e.getMessage());
        assertEquals(0, greenMail.getReceivedMessages().length);
    }

    @Test
    void implicitTlsVerifiesTheCertificate() throws Exception {
        IOException untrusted = assertThrows(IOException.class,
                () -> smtp(smtpsPort, Smtp.Security.TLS, null, null, null, false).send(MAIL));
        assertTrue(untrusted.getMessage().contains("PKIX") || untrusted.getMessage().contains("certification path"),
                untrusted.getMessage());
        smtp(smtpsPort, Smtp.Security.TLS, null, null, TestTls.caPem(), false).send(MAIL);
        assertEquals(MAIL.subject(), onlyReceived().getSubject());
    }

    @Test
    void aServerThatIsDownIsAClearError() throws Exception {
        int closed = Repo.freePort();
        IOException e = assertThrows(IOException.class,
                () -> smtp(closed, Smtp.Security.PLAIN, "alice", "topsecret", null, false).send(MAIL));
        assertTrue(e.getMessage().contains("127.0.0.1:" + closed) && e.getMessage().contains("Connection refused"), e.getMessage());
        assertFalse(e.getMessage().contains("topsecret"));
        assertFalse(e.getMessage().contains("\n"));
    }

    /** The shared mail options: SMTP or sendmail, and the password from env or a file only. */
    @CommandLine.Command(name = "probe")
    static final class Probe {
        @CommandLine.Mixin
        MailOptions mail = new MailOptions();
    }

    private static MailOptions options(String... args) {
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs(args);
        return probe.mail;
    }

    @Test
    void mailOptionsPickTheTransportAndReadTheSecretFromEnvOrFile() throws Exception {
        assertTrue(options().sender("/usr/sbin/sendmail -t -i", Map.of()) instanceof Sendmail);
        greenMail.setUser("alice@example.com", "alice", "from-file");
        greenMail.getUserManager().setAuthRequired(true);
        Path secret = dir.resolve("smtp-password");
        Files.writeString(secret, "from-file\n");
        Mail.Sender sender = options("--smtp-host", "127.0.0.1:" + smtpPort, "--smtp-user", "alice",
                "--smtp-password-file", secret.toString()).sender("unused", Map.of(MailOptions.PASSWORD_ENV, "from-env"));
        assertFalse(sender.toString().contains("from-file"), sender.toString());
        sender.send(MAIL);
        assertEquals(MAIL.subject(), onlyReceived().getSubject());

        greenMail.setUser("bob@example.com", "bob", "from-env");
        options("--smtp-host", "127.0.0.1:" + smtpPort, "--smtp-user", "bob")
                .sender("unused", Map.of(MailOptions.PASSWORD_ENV, "from-env")).send(MAIL);
        assertTrue(greenMail.waitForIncomingEmail(5000, 4));

        IllegalArgumentException noPassword = assertThrows(IllegalArgumentException.class,
                () -> options("--smtp-host", "h", "--smtp-user", "bob").sender("x", Map.of()));
        assertTrue(noPassword.getMessage().contains(MailOptions.PASSWORD_ENV), noPassword.getMessage());
        assertThrows(IllegalArgumentException.class, () -> options("--smtp-starttls").sender("x", Map.of()));
        assertThrows(CommandLine.UnmatchedArgumentException.class, () -> options("--smtp-password", "argv-secret"));
    }

    @Test
    void aSendmailThatStopsReadingABigMailIsStillBoundedByTheTimeout() throws Exception {
        Mail big = new Mail("memmon@example.com", List.of("ops@example.com"), "big", "x".repeat(300_000)); // past a pipe's 64 KiB
        Path deaf = script("deaf", "exec sleep 60"); // never reads its stdin
        long start = System.nanoTime();
        IOException hung = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(IOException.class, () -> new Sendmail(deaf.toString(), Duration.ofSeconds(1)).send(big)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(hung.getMessage().contains("did not finish within 1 s"), hung.getMessage());
        assertTrue(ms < 10_000, "gave up after " + ms + " ms");
    }

    @Test
    void aRecipientDeferredWithA4xxIsTriedAgainAloneWhileTheOthersHaveIt() throws Exception {
        try (FaultySmtp server = new FaultySmtp(0)) {
            server.rcpt = address -> address.startsWith("late") ? "451 4.3.0 mailbox busy, try later" : "250 2.1.5 ok";
            Smtp smtp = smtp(server.port(), Smtp.Security.PLAIN, null, null, null, false);
            Mail.Partial partial = assertThrows(Mail.Partial.class,
                    () -> smtp.send(new Mail("memmon@example.com", List.of("ops@example.com", "late@example.com"), "s", "b")));
            assertEquals(List.of("late@example.com"), partial.rest().to());
            assertEquals(1, server.received.size(), "ops@ has it");
            server.rcpt = address -> "250 2.1.5 ok";
            smtp.send(partial.rest());
            assertEquals(2, server.received.size());
            server.rcpt = address -> address.startsWith("late") ? "550 5.1.1 no such mailbox" : "250 2.1.5 ok";
            smtp.send(new Mail("memmon@example.com", List.of("ops@example.com", "late@example.com"), "s", "b")); // 5xx: final, not retried
            assertEquals(3, server.received.size());
        }
    }

    @Test
    void aMailThatCannotBeBuiltIsRefusedForGoodNotRetried() throws Exception {
        Mail unbuildable = new Mail("memmon@my_host", List.of("ops@example.com"), "s", "b"); // a host name with '_'
        Mail.Rejected bySmtp = assertThrows(Mail.Rejected.class,
                () -> smtp(smtpPort, Smtp.Security.PLAIN, null, null, null, false).send(unbuildable));
        assertTrue(bySmtp.getMessage().contains("cannot build the mail"), bySmtp.getMessage());
        assertThrows(Mail.Rejected.class, () -> new Sendmail(script("ok", "cat >/dev/null") + "", Duration.ofSeconds(10)).send(unbuildable));
        // The default From is never such an address: the host name is left out when it cannot be in one.
        assertEquals("memmon", MailOptions.defaultFrom("memmon", "my_host"));
        assertEquals("memmon@web-1.example.com", MailOptions.defaultFrom("memmon", "web-1.example.com"));
    }

    @Test
    void childrenDoNotInheritThePasswords() throws Exception {
        Path out = dir.resolve("env.txt");
        Path dump = script("dump-env", "env > '" + out + "'; cat > /dev/null");
        String event = Frames.frame("PROCESS_STATE_EXITED", 1, "processname:web groupname:web from_state:RUNNING expected:0 pid:7");
        Repo.Result r = Repo.run(List.of(Repo.launcher(), "crashmail.java", "-a", "-m", "ops@example.com", "-s", dump.toString()),
                Map.of("SMTP_PASSWORD", "smtp-s3cret", "SUPERVISOR_PASSWORD", "rpc-s3cret"),
                event.getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(2));
        assertEquals(0, r.status(), r.err());
        String env = Files.readString(out);
        assertTrue(env.contains("PATH="), env);
        assertFalse(env.contains("smtp-s3cret") || env.contains("rpc-s3cret"), "a password reached the sendmail command:\n" + env);
    }
}
