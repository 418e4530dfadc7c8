import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The minimal listener on lib (tests/fixtures/eventlog.java), started by a real
 * supervisord through ./jbang exactly as a user would, over the unix socket
 * and over http with credentials from environment=: every event is answered,
 * and supervisord logs no protocol trouble.
 */
class ListenerE2ETest {
    @BeforeAll
    static void build() throws Exception {
        // A cold compile takes seconds; do it before supervisord starts the listener.
        Repo.build("tests/fixtures/eventlog.java");
    }

    @Test
    void everyEventIsAnsweredOverUnixAndHttp() throws Exception {
        String listener = Repo.launcher() + " " + Repo.ROOT.resolve("tests/fixtures/eventlog.java");
        try (Supervisord supervisord = Supervisord.start("""
                [program:crasher]
                command=/bin/sh -c "sleep 0.5; exit 3"
                startsecs=0
                autorestart=true
                startretries=1000

                [eventlistener:viaunix]
                command=%1$s
                events=TICK_5,PROCESS_STATE
                buffer_size=100
                stderr_logfile=%%(dir)s/viaunix.err
                stopasgroup=true
                killasgroup=true

                [eventlistener:viahttp]
                command=%1$s
                events=TICK_5,PROCESS_STATE_EXITED
                buffer_size=100
                serverurl=http://127.0.0.1:%%(port)s
                environment=SUPERVISOR_USERNAME="%2$s",SUPERVISOR_PASSWORD="%3$s"
                stderr_logfile=%%(dir)s/viahttp.err
                stopasgroup=true
                killasgroup=true
                """.formatted(listener, Supervisord.USER, Supervisord.PASSWORD))) {
            for (String name : List.of("viaunix", "viahttp")) {
                Repo.await(name + " to handle two ticks and crashes", Duration.ofSeconds(60), () -> {
                    String log = supervisord.read(name + ".err");
                    return Repo.count(log, "processes: ") >= 2 && Repo.count(log, "handled PROCESS_STATE_EXITED") >= 2;
                });
            }
            for (String name : List.of("viaunix", "viahttp")) {
                // The crasher goes on crashing while the files are read: count handled events before and after
                // reading supervisord's log, and its answers must fall between (one may be in flight).
                int handledBefore = Repo.count(supervisord.read(name + ".err"), "INFO eventlog: handled ");
                String log = supervisord.log();
                String err = supervisord.read(name + ".err");
                int handledAfter = Repo.count(err, "INFO eventlog: handled ");
                int processed = Repo.count(log, name + ": event was processed");
                assertTrue(processed >= handledBefore - 1 && processed <= handledAfter, name + ": handled " + handledBefore + " then "
                        + handledAfter + ", supervisord saw " + processed + " answers\n" + log);
                assertTrue(err.contains("crasher:crasher="), "the listener lists programs over RPC:\n" + err);
                assertFalse(err.contains("processes: viaunix") || err.contains(" " + name + ":" + name + "="),
                        "a listener never lists itself:\n" + err);
                assertFalse(err.contains("ERROR"), err);
            }
            assertTrue(supervisord.read("viahttp.err").contains("viaunix:viaunix="), "other listeners are ordinary processes");
            String log = supervisord.log();
            for (String trouble : List.of("UNKNOWN state", "bad result line", "event was rejected", "event caused an error", "overflowed")) {
                assertFalse(log.contains(trouble), trouble + " in supervisord.log:\n" + log);
            }
        }
    }
}
