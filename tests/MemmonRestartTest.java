import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lib.Alerts;
import lib.Event;
import lib.Mail;
import lib.Outbox;
import lib.Supervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * memmon's restart path against a fake XML-RPC server (the real one is in
 * MemmonE2ETest): -u decides whether a restart is mailed, and a failed stop
 * or start gets its own mail while the listener carries on. The "process"
 * is this JVM, whose RSS is surely over 1 KB.
 */
class MemmonRestartTest {
    private FakeSupervisor rpc;
    private List<String> calls;
    private final List<Mail> mails = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<Outbox> outboxes = new ArrayList<>();
    private long uptime;
    private int webPid = (int) ProcessHandle.current().pid(); // "web" is this JVM unless a test says otherwise

    @BeforeEach
    void start() throws Exception {
        rpc = new FakeSupervisor();
        calls = rpc.calls;
    }

    @AfterEach
    void stop() throws InterruptedException {
        rpc.close();
        for (Outbox o : outboxes) o.stop();
    }

    private memmon memmon(String... args) {
        memmon m = new memmon();
        new CommandLine(m).parseArgs(args);
        m.parseLimits(Map.of());
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 20, webPid, uptime));
        m.supervisor = rpc.client();
        mailTo(m, new Outbox(mails::add, "memmon"));
        return m;
    }

    /** Alerts to this outbox alone, as call() makes them with -m. */
    private void mailTo(memmon m, Outbox outbox) {
        outboxes.add(outbox);
        m.alerts = new Alerts(outbox, "memmon@example.com", m.to, List.of(), "memmon");
    }

    /** The mails sent so far, once every outbox is empty (they send on their own thread). */
    private List<Mail> sent() {
        for (Outbox o : outboxes) assertTrue(o.drain(java.time.Duration.ofSeconds(10)));
        return mails;
    }

    @Test
    void uptimeLimitDecidesWhetherARestartIsMailed() throws Exception {
        uptime = 100;
        memmon("-p", "web=1KB", "-m", "ops@example.com", "-u", "1h").onEvent(AlertsTest.tick());
        assertEquals(List.of("supervisor.getAllProcessInfo []", "supervisor.getProcessInfo [web:web]",
                "supervisor.stopProcess [web:web, true]", "supervisor.startProcess [web:web, false]"), calls);
        assertEquals(1, sent().size());
        assertEquals("memmon: process web:web restarted", mails.get(0).subject());
        assertTrue(mails.get(0).body().contains("Uptime before the restart: 100 s"), mails.get(0).body());

        calls.clear();
        mails.clear();
        memmon("-p", "web=1KB", "-m", "ops@example.com", "-u", "10").onEvent(AlertsTest.tick());
        assertEquals(4, calls.size(), "restarted all the same");
        assertEquals(List.of(), sent(), "up 100 s, longer than -u 10: no mail");
    }

    @Test
    void aFailedStopIsMailedAndNothingIsStartedBlindly() throws Exception {
        rpc.faults.put("supervisor.stopProcess", Supervisor.FAILED);
        memmon(
                "-p", "web=1KB", "-m", "ops@example.com", "-n", "prod").onEvent(AlertsTest.tick());
        assertEquals(List.of("supervisor.getAllProcessInfo []", "supervisor.getProcessInfo [web:web]",
                "supervisor.stopProcess [web:web, true]"), calls);
        assertEquals(1, sent().size());
        assertEquals("memmon [prod]: failed to stop process web:web", mails.get(0).subject());
        assertTrue(mails.get(0).body().contains("FAILED: refused by the fake"), mails.get(0).body());
    }

    @Test
    void aSlowMailServerDoesNotHoldTheTick() throws Exception {
        memmon m = memmon("-p", "web=1KB", "-m", "ops@example.com");
        mailTo(m, new Outbox(mail -> {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                throw new java.io.IOException(e);
            }
            mails.add(mail);
        }, "memmon"));
        long start = System.nanoTime();
        m.onEvent(AlertsTest.tick());
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < 2500, "the tick took " + ms + " ms with a mail server that takes 3 s");
        assertEquals(1, sent().size(), "and the mail still went out");
    }

    @Test
    void theProcessListIsAskedForAgainOnlyWhenSupervisordsChildrenChange() throws Exception {
        Process web = new ProcessBuilder("sleep", "60").start(); // a child of this JVM, which plays supervisord
        Process other = null;
        try {
            webPid = (int) web.pid();
            memmon m = memmon("-p", "web=100GB");
            for (int i = 0; i < 3; i++) m.onEvent(AlertsTest.tick());
            assertEquals(List.of("supervisor.getAllProcessInfo []"), calls, "asked once while the children stay the same");
            other = new ProcessBuilder("sleep", "60").start(); // supervisord started something
            m.onEvent(AlertsTest.tick());
            assertEquals(2, calls.size(), "asked again: " + calls);
        } finally {
            web.destroyForcibly().waitFor();
            if (other != null) other.destroyForcibly().waitFor();
        }
    }

    @Test
    void aFailedStartIsMailed() throws Exception {
        rpc.faults.put("supervisor.startProcess", Supervisor.SPAWN_ERROR);
        memmon("-a", "1KB", "-m", "ops@example.com").onEvent(AlertsTest.tick());
        assertEquals(1, sent().size());
        assertEquals("memmon: failed to start process web:web", mails.get(0).subject());
        assertTrue(mails.get(0).body().contains("SPAWN_ERROR"), mails.get(0).body());
    }

    @Test
    void underTheLimitOrDryRunNothingHappens() throws Exception {
        memmon("-p", "web=100GB", "-m", "ops@example.com").onEvent(AlertsTest.tick());
        memmon("--dry-run", "-p", "web=1KB", "-m", "ops@example.com").onEvent(AlertsTest.tick());
        memmon("-p", "other=1KB").onEvent(AlertsTest.tick());
        assertEquals(List.of("supervisor.getAllProcessInfo []", "supervisor.getAllProcessInfo []",
                "supervisor.getAllProcessInfo []"), calls);
        assertEquals(List.of(), sent());
        memmon("-a", "1KB").onEvent(new Event(Map.of("eventname", "PROCESS_STATE_RUNNING"), "processname:web"));
        assertEquals(3, calls.size(), "non-TICK events are acknowledged and ignored");
    }

    @Test
    void aStopLongerThanTheRpcTimeoutIsWaitedForAndTheProgramStartedAgain() throws Exception {
        memmon m = memmon("-p", "web=1KB", "-m", "ops@example.com");
        // supervisord's stop outlasts one call (60 s in use, 1 s here): a long stopwaitsecs, workers draining.
        m.supervisor = new Supervisor("http://127.0.0.1:" + rpc.port(), null, null, Duration.ofSeconds(1), Duration.ofSeconds(1));
        rpc.stopMillis = 3500;
        m.onEvent(AlertsTest.tick());
        assertEquals("supervisor.startProcess [web:web, false]", calls.get(calls.size() - 1), "started again once stopped: " + calls);
        assertTrue(calls.stream().filter(c -> c.equals("supervisor.getProcessInfo [web:web]")).count() >= 2,
                "its state was polled while it stopped: " + calls);
        assertEquals("memmon: process web:web restarted", sent().get(0).subject());
    }

    @Test
    void oneProcessThatCannotBeAskedAboutDoesNotEndTheTick() throws Exception {
        memmon m = memmon("-a", "1KB");
        int pid = (int) ProcessHandle.current().pid();
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 20, pid, 5), FakeSupervisor.process("api", "api", 20, pid, 5));
        rpc.faults.put("supervisor.getProcessInfo", Supervisor.FAILED);
        m.onEvent(AlertsTest.tick());
        assertEquals(List.of("supervisor.getAllProcessInfo []", "supervisor.getProcessInfo [web:web]", "supervisor.getProcessInfo [api:api]"),
                calls, "the second process is still checked");

        calls.clear();
        rpc.faults.clear();
        rpc.answers.put("supervisor.getProcessInfo", "not a struct"); // an answer that does not parse is an IOException too
        m.onEvent(AlertsTest.tick());
        assertEquals(2, calls.stream().filter(c -> c.startsWith("supervisor.getProcessInfo")).count(), calls.toString());
    }

    @Test
    void withForNOnlyNTicksInARowOverTheLimitRestart() throws Exception {
        memmon m = memmon("-p", "web=1KB", "-m", "ops@example.com", "--for", "2");
        m.onEvent(AlertsTest.tick());
        assertTrue(calls.stream().noneMatch(c -> c.contains("stopProcess")), "one tick over its limit: " + calls);
        m.history.under("web:web"); // a tick under it: the count starts again
        m.onEvent(AlertsTest.tick());
        assertTrue(calls.stream().noneMatch(c -> c.contains("stopProcess")), "again one tick in a row: " + calls);
        m.onEvent(AlertsTest.tick());
        assertEquals(1, calls.stream().filter(c -> c.equals("supervisor.stopProcess [web:web, true]")).count(), "two in a row: " + calls);
        assertEquals(1, sent().size());
        assertEquals(2, AlertsTest.exitStatus(new memmon(), "-p", "web=1KB", "--for", "0"));
        assertEquals(2, AlertsTest.exitStatus(new memmon(), "-p", "web=1KB", "--max-restarts", "-1"));
    }

    @Test
    void afterMaxRestartsWithinTheWindowItGivesUpOnceAndActsAgainOnANewPid() throws Exception {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(1_800_000_000_000L);
        memmon m = memmon("-p", "web=1KB", "-m", "ops@example.com", "--max-restarts", "2", "--within", "1h");
        m.history = new lib.History(clock::get);
        for (int tick = 0; tick < 5; tick++) {
            m.onEvent(AlertsTest.tick());
            clock.addAndGet(60_000);
        }
        assertEquals(2, calls.stream().filter(c -> c.startsWith("supervisor.stopProcess")).count(), "two restarts, then no more: " + calls);
        List<String> subjects = sent().stream().map(Mail::subject).toList();
        assertEquals(List.of("memmon: process web:web restarted", "memmon: process web:web restarted",
                "memmon: giving up on web:web: restarted 2 times within 1h"), subjects, "one give-up alert, said once");
        String body = mails.get(2).body();
        assertTrue(body.contains("Each restart:") && body.split("RSS ", -1).length - 1 == 3, body);
        assertTrue(body.contains("supervisorctl restart web:web"), body);

        // Someone restarts it (a pid memmon did not cause): memmon acts on it again.
        webPid = (int) ProcessHandle.current().parent().orElseThrow().pid();
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 20, webPid, 5));
        m.onEvent(AlertsTest.tick());
        assertEquals(3, calls.stream().filter(c -> c.startsWith("supervisor.stopProcess")).count(), calls.toString());

        // And an hour after the last restart the window has passed too.
        clock.addAndGet(60_000);
        m.onEvent(AlertsTest.tick());
        clock.addAndGet(60_000);
        m.onEvent(AlertsTest.tick());
        assertEquals(4, calls.stream().filter(c -> c.startsWith("supervisor.stopProcess")).count(), "given up again: " + calls);
        clock.addAndGet(3_600_000);
        m.onEvent(AlertsTest.tick());
        assertEquals(5, calls.stream().filter(c -> c.startsWith("supervisor.stopProcess")).count(), "the window has passed: " + calls);
    }
}
