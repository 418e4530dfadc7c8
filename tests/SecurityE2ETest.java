import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import jakarta.mail.Address;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an attacker or a careless config must never get from the six plugins
 * run through ./jbang: a mail header made of event data, a shell, a
 * password in a log or in --help, a TLS connection that was not verified.
 * memmon and httpok talk to the fake supervisor here, which can hand them
 * process names no supervisord config would allow.
 */
class SecurityE2ETest {
    static final List<String> PLUGINS = List.of("crashmail", "crashmailbatch", "fatalmailbatch", "crashsms", "memmon", "httpok");
    // Event tokens split on spaces and the first line ends at LF: CR is what event data can carry into a header.
    static final String EVIL_NAME = "web\rBcc:victim@example.net\rX-Injected:yes";
    // The fake supervisor can send a whole LF, as a hostile RPC server could.
    static final String EVIL_RPC_NAME = "web\nBcc: victim@example.net\nX-Injected: yes";
    private Path dir;
    private GreenMail greenMail;
    private FakeSupervisor fake;
    private Process sleeper; // the process the fake supervisor says it runs: memmon measures it
    private int closedPort; // httpok's URL: nothing listens there, so its check fails
    private final List<AutoCloseable> started = new ArrayList<>();

    @BeforeAll
    static void build() throws Exception {
        for (String plugin : PLUGINS) Repo.build(plugin + ".java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("security");
        greenMail = Mails.smtp(Repo.freePort());
        sleeper = new ProcessBuilder("sleep", "300").start();
        closedPort = Repo.freePort();
        fake = new FakeSupervisor();
        fake.processes = List.of(FakeSupervisor.process(EVIL_RPC_NAME, EVIL_RPC_NAME, 20, (int) sleeper.pid(), 60));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : started) c.close();
        fake.close();
        sleeper.destroyForcibly().waitFor();
        greenMail.stop();
        Repo.deleteTree(dir);
    }

    /** The plugin's arguments to watch everything and mail ops@example.com, then `mail` (the transport). */
    private List<String> args(String plugin, List<String> mail) {
        List<String> args = new ArrayList<>(switch (plugin) {
            case "crashmail" -> List.of("-a", "-m", "ops@example.com", "-o", "ops\r\nX-Injected: yes");
            case "memmon" -> List.of("-a", "1KB", "-m", "ops@example.com", "-n", "n\r\nX-Injected: yes");
            case "httpok" -> List.of("-a", "-t", "1", "-m", "ops@example.com");
            default -> List.of("-t", "ops@example.com", "-f", "alerts@example.com", "-s", "alerts\r\nX-Injected: yes");
        });
        args.addAll(mail);
        if (plugin.equals("httpok")) args.add("http://127.0.0.1:" + closedPort + "/");
        return args;
    }

    private ListenerProcess start(String plugin, List<String> args, Map<String, String> env) throws IOException {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("SUPERVISOR_SERVER_URL", "http://127.0.0.1:" + fake.port());
        ListenerProcess listener = ListenerProcess.start(plugin, args, all);
        started.add(listener);
        return listener;
    }

    /** Makes the plugin mail once: a crash (or fatal start), or a tick that memmon and httpok act on; then EOF, which flushes batches. */
    private static void provoke(List<String> plugins, List<ListenerProcess> listeners) throws Exception {
        for (int i = 0; i < plugins.size(); i++) provoke(plugins.get(i), listeners.get(i));
        for (ListenerProcess listener : listeners) listener.endInput(); // all at once: each may spend 8 s retrying at exit
        for (ListenerProcess listener : listeners) assertEquals(0, listener.finish(Duration.ofSeconds(30)), listener.stderr());
    }

    private static void provoke(String plugin, ListenerProcess listener) throws Exception {
        Duration first = Duration.ofMinutes(1);
        switch (plugin) {
            case "memmon", "httpok" -> listener.event("TICK_5", "when:1800000000", first);
            case "fatalmailbatch" -> listener.event("PROCESS_STATE_FATAL", "processname:" + EVIL_NAME + " groupname:g from_state:BACKOFF", first);
            default -> listener.event("PROCESS_STATE_EXITED", "processname:" + EVIL_NAME + " groupname:g from_state:RUNNING expected:0 pid:7", first);
        }
    }

    @Test
    void eventDataNeverBecomesAMailHeader() throws Exception {
        List<String> smtp = List.of("--smtp-host", "127.0.0.1:" + greenMail.getSmtp().getPort());
        List<ListenerProcess> listeners = new ArrayList<>();
        for (String plugin : PLUGINS) listeners.add(start(plugin, args(plugin, smtp), Map.of()));
        provoke(PLUGINS, listeners);
        Repo.await("a mail from each plugin", Duration.ofSeconds(30), () -> greenMail.getReceivedMessages().length >= PLUGINS.size());
        MimeMessage[] received = greenMail.getReceivedMessages();
        assertEquals(PLUGINS.size(), received.length);
        for (MimeMessage m : received) {
            assertNull(m.getHeader("X-Injected"), m.getSubject());
            assertNull(m.getHeader("Bcc"), m.getSubject());
            for (Address a : m.getAllRecipients()) assertEquals("ops@example.com", a.toString());
            assertFalse(m.getSubject().contains("\r") || m.getSubject().contains("\n"), m.getSubject());
        }
        assertEquals(0, greenMail.getReceivedMessagesForDomain("example.net").length, "nothing reached the victim");
    }

    @Test
    void noShellBetweenUserTextAndAProcess() throws Exception {
        // The fake sendmail keeps its argv and its message; a shell would have created the pwned files.
        Path sendmail = dir.resolve("sendmail");
        Files.writeString(sendmail, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"" + dir + "/argv\"\ncat > \"" + dir + "/mail\"\n");
        Files.setPosixFilePermissions(sendmail, PosixFilePermissions.fromString("rwx------"));
        String command = sendmail + " -t -i; touch " + dir + "/pwned1 $(touch " + dir + "/pwned2) `touch " + dir + "/pwned3` | touch "
                + dir + "/pwned4";
        ListenerProcess crashmail = start("crashmail", List.of("-a", "-m", "ops@example.com", "-s", command), Map.of());
        crashmail.event("PROCESS_STATE_EXITED", "processname:$(touch${IFS}" + dir + "/pwned5)\rBcc:victim@example.net groupname:g"
                + " from_state:RUNNING expected:0 pid:7", Duration.ofMinutes(1));
        assertEquals(0, crashmail.finish(Duration.ofSeconds(30)), crashmail.stderr()); // at EOF it sends what waits

        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith("pwned")).toList(), "a shell ran");
        }
        assertEquals(List.of("-t", "-i;", "touch", dir + "/pwned1", "$(touch", dir + "/pwned2)", "`touch", dir + "/pwned3`", "|", "touch",
                dir + "/pwned4"), Files.readAllLines(dir.resolve("argv")), "each word is one argument, quoting as a shell would, no more");
        // sendmail -t takes its recipients from the headers: an injected Bcc line would mail the victim.
        String headers = Files.readString(dir.resolve("mail")).replace("\r\n", "\n").split("\n\n", 2)[0];
        assertFalse(headers.contains("\nBcc:") || headers.contains("\r"), "a header line was forged:\n" + headers);
        assertTrue(headers.contains("\nTo: ops@example.com"), headers);
    }

    @Test
    void passwordsNeverAppearInLogsOrHelp() throws Exception {
        String secret = "pw-" + UUID.randomUUID();
        Path secretFile = dir.resolve("smtp.secret");
        Files.writeString(secretFile, secret + "\n");
        for (String plugin : PLUGINS) {
            Repo.Result help = Repo.run(List.of(Repo.launcher(), plugin + ".java", "--help"), Map.of("SMTP_PASSWORD", secret),
                    new byte[0], Duration.ofMinutes(1));
            assertEquals(0, help.status(), plugin + ": " + help.err());
            assertTrue(help.out().contains("--smtp-user"), plugin + " --help names the login option");
            assertFalse(help.out().contains(secret) || help.err().contains(secret), plugin + " --help shows the password");
        }
        // The server refuses the login: every way of giving the password ends in failure lines that must not hold it.
        greenMail.setUser("alerts@example.com", "alerts", "the-right-one");
        greenMail.getUserManager().setAuthRequired(true);
        String host = "127.0.0.1:" + greenMail.getSmtp().getPort();
        List<ListenerProcess> listeners = List.of(
                start("crashmail", args("crashmail", List.of("--smtp-host", host, "--smtp-user", "alerts")), Map.of("SMTP_PASSWORD", secret)),
                start("memmon", args("memmon", List.of("--smtp-host", host, "--smtp-user", "alerts", "--smtp-password-file",
                        secretFile.toString())), Map.of()),
                start("crashmailbatch", args("crashmailbatch", List.of("-H", host, "-u", "alerts", "-p", secret)), Map.of()));
        List<String> names = List.of("crashmail", "memmon", "crashmailbatch");
        provoke(names, listeners);
        for (int i = 0; i < listeners.size(); i++) {
            String log = listeners.get(i).stderr();
            assertTrue(log.contains("535") || log.toLowerCase().contains("authentication"), names.get(i) + " tried and failed:\n" + log);
            assertFalse(log.contains(secret), names.get(i) + " logged the password:\n" + log);
        }
        assertEquals(0, greenMail.getReceivedMessages().length);
    }

    @Test
    void tlsIsVerifiedByDefaultInEveryPlugin() throws Exception {
        TestTls.HandshakeOnly tls = new TestTls.HandshakeOnly(); // implicit TLS with a certificate the JDK's CAs do not vouch for
        started.add(tls);
        List<String> mail = List.of("--smtp-host", "127.0.0.1:" + tls.port(), "--smtp-tls");
        List<ListenerProcess> listeners = new ArrayList<>();
        for (String plugin : PLUGINS) listeners.add(start(plugin, args(plugin, mail), Map.of()));
        provoke(PLUGINS, listeners);
        for (int i = 0; i < PLUGINS.size(); i++) {
            String log = listeners.get(i).stderr();
            assertTrue(log.matches("(?s).*could not mail .*(PKIX|certification path).*"), PLUGINS.get(i) + ":\n" + log);
            assertTrue(log.contains("unsent: "), PLUGINS.get(i) + " keeps the alert in its log:\n" + log);
        }
        assertEquals(0, tls.handshakes.get(), "no plugin accepted the certificate");
    }
}
