import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * memmon --measure pss under a real supervisord, on what a pre-forking
 * server does: a parent fills 60 MB and forks 4 children that share it.
 * RSS counts those pages five times (over 150 MB: restarted), PSS once
 * (left alone), until a child writes 120 MB of its own.
 */
class MemmonMeasureE2ETest {
    private Path dir;

    @BeforeAll
    static void build() throws Exception {
        Repo.build("memmon.java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("measure");
        // forks.py FILE: 60 MB, then 4 children sharing it; child 0 writes 120 MB of its own once FILE says 'grow'.
        Files.writeString(dir.resolve("forks.py"), """
                import os, sys, time
                data = b'a' * (60 << 20)
                for i in range(4):
                    if os.fork() == 0:
                        own = None
                        while True:
                            if i == 0 and own is None and open(sys.argv[1]).read().strip() == 'grow':
                                own = b'b' * (120 << 20)
                            time.sleep(0.2)
                open(sys.argv[1] + '.ready', 'w').close()
                while True:
                    time.sleep(1)
                """);
    }

    @AfterEach
    void tearDown() throws IOException {
        Repo.deleteTree(dir);
    }

    private String forks(String name) throws IOException {
        Files.writeString(dir.resolve(name + ".mode"), "share");
        return "[program:" + name + "]\ncommand=/usr/bin/python3 " + dir.resolve("forks.py") + " " + dir.resolve(name + ".mode")
                + "\nstartsecs=1\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    private static String memmon(String name, String args) {
        return "[eventlistener:" + name + "]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve("memmon.java") + " " + args
                + "\nevents=TICK_5\nstderr_logfile=%(dir)s/" + name + ".err\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    @Test
    void pssCountsAPreforkedServersSharedPagesOnceAndRssFiveTimes() throws Exception {
        String sections = forks("by_rss") + forks("by_pss")
                + memmon("mm_rss", "-c -p by_rss=150MB") + memmon("mm_pss", "-c --measure pss -p by_pss=150MB");
        try (Supervisord s = Supervisord.start(sections)) {
            s.awaitAllRunning(Duration.ofSeconds(60));
            Repo.await("the 4 children forked", Duration.ofSeconds(30), () -> Files.exists(dir.resolve("by_pss.mode.ready")));
            int pss = s.pidOf("by_pss:by_pss");
            // RUNNING comes before the JVM has written anything: wait for the line rather than read it at once.
            Repo.await("the start-up line to say the measure", Duration.ofSeconds(30),
                    () -> s.read("mm_pss.err").contains("memory from /proc (PSS)"));

            Repo.await("RSS to restart by_rss", Duration.ofSeconds(60), () -> s.read("mm_rss.err").contains("restarting by_rss:by_rss"));
            assertTrue(s.read("mm_rss.err").matches("(?s).*restarting by_rss:by_rss: RSS \\d+ bytes with its 4 descendant\\(s\\).*"),
                    s.read("mm_rss.err"));

            int ticks = Repo.count(s.read("mm_pss.err"), "TICK_5: 1 checked, 0 over limit");
            Repo.await("two ticks of PSS under its limit", Duration.ofSeconds(60),
                    () -> Repo.count(s.read("mm_pss.err"), "TICK_5: 1 checked, 0 over limit") >= ticks + 2);
            assertEquals(pss, s.pidOf("by_pss:by_pss"), "PSS counts the shared 60 MB once: " + s.read("mm_pss.err"));

            Files.writeString(dir.resolve("by_pss.mode"), "grow"); // a worker's own 120 MB
            Repo.await("PSS to restart by_pss", Duration.ofSeconds(60), () -> s.read("mm_pss.err").contains("restarting by_pss:by_pss"));
            assertTrue(s.read("mm_pss.err").matches("(?s).*restarting by_pss:by_pss: PSS \\d+ bytes with its 4 descendant\\(s\\), "
                    + "limit 157286400 bytes.*"), s.read("mm_pss.err"));
        }
    }
}
