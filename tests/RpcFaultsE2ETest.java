import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
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
 * memmon and httpok through ./jbang while the supervisord they talk to goes
 * away and comes back (an upgrade, a restart by hand): the tick without it
 * is logged and answered, and the next tick after it is back works, without
 * restarting the plugin. The test plays the listener's supervisord on stdin
 * and stdout, so the plugin outlives the supervisord it calls.
 */
class RpcFaultsE2ETest {
    static final Duration PROMPT = Duration.ofSeconds(15);
    private Path dir;
    private GreenMail greenMail;

    @BeforeAll
    static void build() throws Exception {
        Repo.build("memmon.java");
        Repo.build("httpok.java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("rpcfaults");
        Files.writeString(dir.resolve("hog.py"), "import time\nx = b'a' * (64 << 20)\ntime.sleep(1000)\n");
        greenMail = Mails.smtp(Repo.freePort());
    }

    @AfterEach
    void tearDown() throws Exception {
        greenMail.stop();
        Repo.deleteTree(dir);
    }

    private String smtp() { return "127.0.0.1:" + greenMail.getSmtp().getPort(); }

    private static int pid(Supervisord s, String namespec) throws Exception {
        return s.awaitRunning(Duration.ofSeconds(30), List.of(namespec)).stream()
                .filter(p -> p.namespec().equals(namespec)).findFirst().orElseThrow().pid();
    }

    private static long tick(ListenerProcess listener, int n) throws Exception {
        return listener.event("TICK_5", "when:" + (1_800_000_000L + 5L * n), n == 1 ? Duration.ofMinutes(1) : PROMPT);
    }

    /** Until python has touched its 64 MiB (a loaded machine takes its time), so that memmon finds it over 32 MB. */
    private static void awaitHog(int pid) throws InterruptedException {
        Repo.await("hog (pid " + pid + ") to hold its memory", Duration.ofSeconds(30), () -> {
            lib.ProcessTable.Entry e = lib.ProcessTable.read(pid);
            return e != null && e.rss() > 48L << 20;
        });
    }

    @Test
    void memmonSkipsTheTickWithoutSupervisordAndWorksWhenItIsBack() throws Exception {
        try (Supervisord s = Supervisord.start("[program:hog]\ncommand=/usr/bin/python3 " + dir.resolve("hog.py")
                + "\nstartsecs=1\n");
             ListenerProcess memmon = ListenerProcess.start("memmon",
                     List.of("-p", "hog=32MB", "-m", "ops@example.com", "--smtp-host", smtp()),
                     Map.of("SUPERVISOR_SERVER_URL", s.url()))) {
            int first = pid(s, "hog:hog");
            awaitHog(first);
            tick(memmon, 1);
            int second = pid(s, "hog:hog");
            assertNotEquals(first, second, "restarted while supervisord is up");

            s.stop();
            long ms = tick(memmon, 2);
            memmon.awaitLog("ERROR memmon: TICK_5: cannot get the process list from supervisord, skipping this check: .*" + s.socket, Duration.ofSeconds(5));
            assertTrue(ms < PROMPT.toMillis(), "answered in " + ms + " ms");

            s.restart(); // a new supervisord pid, and hog under a new pid
            int third = pid(s, "hog:hog");
            awaitHog(third);
            tick(memmon, 3);
            assertNotEquals(third, pid(s, "hog:hog"), "restarted again once supervisord is back");
            Repo.await("two restart mails", Duration.ofSeconds(30), () -> greenMail.getReceivedMessages().length == 2);
            String log = memmon.stderr();
            assertEquals(1, Repo.count(log, "ERROR"), log);
            assertFalse(log.contains("\tat ") || log.contains("Exception"), log);
        }
    }

    @Test
    void httpokSaysWhyItDidNotActAndActsWhenSupervisordIsBack() throws Exception {
        int closed = Repo.freePort(); // the check fails: nothing listens there
        try (Supervisord s = Supervisord.start("[program:web]\ncommand=sleep 1000\nstartsecs=1\n");
             ListenerProcess httpok = ListenerProcess.start("httpok",
                     List.of("-p", "web", "-t", "1", "-m", "ops@example.com", "--smtp-host", smtp(), "http://127.0.0.1:" + closed + "/"),
                     Map.of("SUPERVISOR_SERVER_URL", s.url()))) {
            int first = pid(s, "web:web");
            s.stop();
            tick(httpok, 1);
            httpok.awaitLog("Exception retrieving process info .*" + s.socket + ".*, not acting", Duration.ofSeconds(5));
            assertTrue(httpok.event("TICK_5", "when:1800000010", PROMPT) < PROMPT.toMillis());

            s.restart();
            int second = pid(s, "web:web");
            assertNotEquals(first, second);
            tick(httpok, 3);
            Repo.await("web restarted by httpok", Duration.ofSeconds(30), () -> {
                try {
                    return pid(s, "web:web") != second;
                } catch (Exception e) {
                    return false;
                }
            });
            Repo.await("three mails", Duration.ofSeconds(30), () -> greenMail.getReceivedMessages().length == 3);
            assertTrue(httpok.stderr().contains("web:web"), httpok.stderr());
            assertFalse(httpok.stderr().contains("\tat "), httpok.stderr());
        }
    }
}
