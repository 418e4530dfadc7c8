import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import lib.Alert;
import lib.ExecChannel;
import lib.WebChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** --exec: a script gets the alert as JSON on stdin and SUPERLANCE_* in its environment; failures and hangs are retried. */
class ExecChannelTest {
    private Path dir;

    @BeforeEach
    void setUp() throws Exception { dir = Files.createTempDirectory("exec"); }

    @AfterEach
    void tearDown() throws Exception { Repo.deleteTree(dir); }

    private Path script(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body);
        p.toFile().setExecutable(true);
        return p;
    }

    private static ExecChannel exec(String command, Duration timeout) {
        return new ExecChannel(command, new WebChannel(WebChannel.Shape.WEBHOOK, "http://exec.invalid/", "crashmail", "web-1", Map.of(),
                null, false), timeout);
    }

    private static final Alert CRASH = new Alert("crashmail", "web crashed at 2026-12-02 10:00:00,000", "Process web \"quoted\"\n",
            List.of(new Alert.Event(Alert.Kind.CRASH, "app", "web", 7, "RUNNING", 3, Instant.now())), null);

    @Test
    void theScriptGetsTheAlertOnStdinAndInItsEnvironmentWithoutAShell() throws Exception {
        Path record = script("record", "cat > " + dir.resolve("stdin") + "\nenv > " + dir.resolve("env") + "\necho \"$1\" > "
                + dir.resolve("arg") + "\n");
        ExecChannel c = exec(record + " 'one arg; $(not run)'", Duration.ofSeconds(10));
        c.send(c.envelope(CRASH));
        assertEquals("('crashmail', 'firing', 'web crashed at 2026-12-02 10:00:00,000', 'Process web \"quoted\"\\n')",
                JsonTest.python(Files.readString(dir.resolve("stdin")), "(d['plugin'], d['status'], d['subject'], d['text'])")
                        .replace("\\\\n", "\\n"));
        String env = Files.readString(dir.resolve("env"));
        for (String line : List.of("SUPERLANCE_SUBJECT=web crashed at 2026-12-02 10:00:00,000", "SUPERLANCE_PLUGIN=crashmail",
                "SUPERLANCE_PROCESS=app:web", "SUPERLANCE_STATUS=firing")) {
            assertTrue(env.contains(line + "\n"), line + " in\n" + env);
        }
        assertEquals("one arg; $(not run)\n", Files.readString(dir.resolve("arg")), "no shell: one word, nothing run");
        c.send(c.envelope(CRASH.resolved("web running again", "fine\n")));
        assertTrue(Files.readString(dir.resolve("env")).contains("SUPERLANCE_STATUS=resolved\n"));
    }

    @Test
    void aFailingOrHangingCommandIsAnErrorToRetry() throws Exception {
        ExecChannel failing = exec(script("fail", "echo 'pager down' >&2\nexit 3\n").toString(), Duration.ofSeconds(10));
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> failing.send(failing.envelope(CRASH)));
        assertTrue(e.getMessage().contains("exited with status 3: pager down") && !(e instanceof lib.Mail.Rejected), e.getMessage());
        ExecChannel hanging = exec(script("hang", "sleep 60\n").toString(), Duration.ofMillis(500));
        long start = System.nanoTime();
        java.io.IOException hung = assertThrows(java.io.IOException.class, () -> hanging.send(hanging.envelope(CRASH)));
        assertTrue(hung.getMessage().contains("did not finish within") && System.nanoTime() - start < 10_000_000_000L, hung.getMessage());
        assertEquals(2, AlertsTest.exitStatus(new crashmail(), "-a", "--exec", "'unclosed"));
    }
}
