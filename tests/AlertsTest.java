import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import lib.Alerts;
import lib.Batch;
import lib.BatchOptions;
import lib.Cli;
import lib.Event;
import lib.Log;
import lib.MailOptions;
import lib.Outbox;
import lib.Storm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** crashmail, crashmailbatch, fatalmailbatch and crashsms without supervisord: options, filters, texts, folding. */
class AlertsTest {
    /** 2026-11-24 10:00:00.123 here, whatever the machine's zone. */
    static final long NOW = LocalDateTime.of(2026, 11, 24, 10, 0, 0, 123_000_000)
            .atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();

    static Event exited(String group, String name, int pid, boolean expected) {
        String payload = "processname:" + name + " groupname:" + group + " from_state:RUNNING expected:"
                + (expected ? 1 : 0) + " pid:" + pid;
        return new Event(Map.of("eventname", "PROCESS_STATE_EXITED", "len", String.valueOf(payload.length())), payload);
    }

    static Event tick() {
        return new Event(Map.of("eventname", "TICK_5", "serial", "1"), "when:1700000000");
    }

    static Event running(String group, String name, int pid) {
        String payload = "processname:" + name + " groupname:" + group + " from_state:STARTING pid:" + pid;
        return new Event(Map.of("eventname", "PROCESS_STATE_RUNNING", "len", String.valueOf(payload.length())), payload);
    }

    static Event fatal(String group, String name) {
        String payload = "processname:" + name + " groupname:" + group + " from_state:BACKOFF";
        return new Event(Map.of("eventname", "PROCESS_STATE_FATAL", "len", String.valueOf(payload.length())), payload);
    }

    static int exitStatus(Object command, String... args) {
        PrintStream saved = System.err;
        System.setErr(new PrintStream(new ByteArrayOutputStream()));
        try {
            return Cli.execute(command, args);
        } finally {
            System.setErr(saved);
        }
    }

    /** The outboxes the tests' plugins were given, stopped after each test. */
    static final List<Outbox> OUTBOXES = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    @AfterEach
    void stopOutboxes() throws InterruptedException {
        synchronized (OUTBOXES) {
            for (Outbox o : OUTBOXES) o.stop();
            OUTBOXES.clear();
        }
    }

    static crashmail crashmail(OutboxTest.FlakySender sender, String... args) {
        crashmail plugin = new crashmail();
        new CommandLine(plugin).parseArgs(args);
        plugin.configure(Map.of("SUPERVISOR_PROCESS_NAME", "crashmail", "SUPERVISOR_GROUP_NAME", "crashmail"));
        Outbox outbox = null; // as call() makes it: mail only with a sender
        if (sender != null) {
            outbox = new Outbox(sender, "crashmail", 100, Duration.ofMillis(50), Duration.ofMillis(50));
            OUTBOXES.add(outbox);
        }
        plugin.alerts = new Alerts(outbox, "crashmail@example.com", plugin.to, List.of(), "crashmail");
        plugin.tracking = plugin.recovery.tracked(plugin.alerts); // as call() does
        return plugin;
    }

    @Test
    void crashmailWatchesEveryProcessByDefaultAndChecksItsOptions() {
        crashmail all = crashmail(null, "-o", "PROD", "-m", "ops@example.com"); // neither -p nor -a: every process, as superlance
        assertTrue(all.selection.includes("web", "web") && !all.selection.includes("crashmail", "crashmail"));
        assertEquals(2, exitStatus(new crashmail(), "-a", "-m", "not an address"));
        assertEquals(2, exitStatus(new crashmail(), "-a", "--fold-after", "-1"));
        assertEquals(2, exitStatus(new crashmail(), "-a", "--fold-window", "ten"));
        assertEquals(2, exitStatus(new crashmail(), "-a", "--bogus"));
        assertEquals(0, exitStatus(new crashmail(), "--version"));
    }

    @Test
    void crashmailsClockRunsOnlyWhileSomethingCanComeDue() {
        crashmail plugin = crashmail(null, "-a");
        crashmail unfolded = crashmail(null, "-a", "--fold-after", "0");
        plugin.clock = unfolded.clock = new java.util.concurrent.ScheduledThreadPoolExecutor(1);
        try {
            plugin.onEvent(fatal("web", "web"));
            assertNull(plugin.ticking, "no crash, no window: the clock stays stopped");
            plugin.onEvent(exited("web", "web", 101, false));
            assertNotNull(plugin.ticking, "a crash opens a crash loop's window, which the clock must end");
            plugin.storm.take("web:web"); // the window is gone (as when a recovery takes it)
            plugin.summariesDue();
            assertNull(plugin.ticking, "nothing left to come due: the clock stops");
            unfolded.onEvent(exited("web", "web", 102, false));
            assertNull(unfolded.ticking, "without folding or recoveries a crash leaves nothing to come due");
        } finally {
            plugin.clock.shutdownNow();
        }
    }

    @Test
    void crashmailMailsUnexpectedExitsOfTheSelectedProcessesAsSuperlanceDoes() throws Exception {
        OutboxTest.FlakySender sender = new OutboxTest.FlakySender(0);
        crashmail plugin = crashmail(sender, "-p", "web", "-p", "workers:w1", "-o", "PROD", "-m", "ops@example.com, dev@example.com");
        plugin.onEvent(exited("web", "web", 101, false));
        plugin.onEvent(exited("web", "web", 102, true)); // expected: no mail
        plugin.onEvent(exited("db", "db", 103, false)); // not selected
        plugin.onEvent(exited("workers", "w1", 104, false));
        plugin.onEvent(exited("workers", "w2", 105, false)); // not selected
        plugin.onEvent(fatal("web", "web")); // not an exit
        Repo.await("two mails", Duration.ofSeconds(5), () -> sender.delivered.size() == 2);
        var first = sender.delivered.get(0);
        assertTrue(first.subject().matches("PROD: web crashed at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}"), first.subject());
        assertEquals("Process web in group web exited unexpectedly (pid 101) from state RUNNING\n", first.body());
        assertEquals(List.of("ops@example.com", "dev@example.com"), first.to());
        assertEquals("Process w1 in group workers exited unexpectedly (pid 104) from state RUNNING\n", sender.delivered.get(1).body());
        Thread.sleep(200);
        assertEquals(2, sender.delivered.size());
    }

    @Test
    void crashmailWithoutOptionalHeaderHasNoLeadingSpaceAndAnyNeverMeansItself() throws Exception {
        OutboxTest.FlakySender sender = new OutboxTest.FlakySender(0);
        crashmail plugin = crashmail(sender, "-a", "-m", "ops@example.com");
        plugin.onEvent(exited("crashmail", "crashmail", 100, false)); // itself (a restarted copy could not mail it anyway)
        plugin.onEvent(exited("other_listener", "other_listener", 101, false));
        Repo.await("one mail", Duration.ofSeconds(5), () -> sender.delivered.size() == 1);
        assertTrue(sender.delivered.get(0).subject().startsWith("other_listener crashed at "));
    }

    @Test
    void crashmailWithoutEmailOnlyLogs() {
        crashmail plugin = crashmail(null, "-a");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Log.to(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            plugin.onEvent(exited("web", "web", 101, false));
        } finally {
            Log.to(System.err);
        }
        assertFalse(plugin.alerts.any(), "no mail without -m");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("Process web in group web exited unexpectedly (pid 101)"));
    }

    @Test
    void aCrashLoopIsFoldedAfterTheLimitAndSummarisedOnce() throws Exception {
        OutboxTest.FlakySender sender = new OutboxTest.FlakySender(0);
        crashmail plugin = crashmail(sender, "-a", "-m", "ops@example.com", "--fold-after", "2", "--fold-window", "10m");
        for (int pid = 1; pid <= 6; pid++) plugin.onEvent(exited("web", "web", pid, false));
        plugin.onEvent(exited("db", "db", 99, false)); // another process has its own window
        Repo.await("three mails", Duration.ofSeconds(5), () -> sender.delivered.size() == 3);
        plugin.summaries(plugin.storm.all()); // what the window's end (or exit) does
        Repo.await("the summary", Duration.ofSeconds(5), () -> sender.delivered.size() == 4);
        var summary = sender.delivered.get(3);
        assertEquals("web crashed 4 more time(s) (crash loop)", summary.subject());
        for (int pid = 3; pid <= 6; pid++) assertTrue(summary.body().contains(" pid " + pid + " from state RUNNING\n"), summary.body());
        assertFalse(summary.body().contains(" pid 2 "), "a mailed crash is not repeated");
        assertTrue(summary.body().startsWith("Process web in group web exited unexpectedly 4 more time(s) in the 600 s after "));
    }

    @Test
    void stormWindowsOpenPerKeyAndSummariesComeWhenTheyEnd() {
        Storm storm = new Storm(2, 60_000);
        assertTrue(storm.admit("a", "1", 0));
        assertTrue(storm.admit("a", "2", 1_000));
        assertFalse(storm.admit("a", "3", 2_000));
        assertTrue(storm.admit("b", "1", 2_000));
        assertTrue(storm.due(59_999).isEmpty(), "a's window is still open");
        List<Storm.Folded> due = storm.due(60_000);
        assertEquals(1, due.size());
        assertEquals(new Storm.Folded("a", List.of("3"), 1, 0), due.get(0));
        assertTrue(storm.admit("a", "4", 61_000), "a new window opens with the next crash");
        // A window that ended before due() ran is still summarised, and the crash after it goes out.
        assertTrue(storm.admit("a", "5", 61_500));
        assertFalse(storm.admit("a", "6", 62_000));
        assertFalse(storm.admit("a", "6b", 62_500));
        assertTrue(storm.admit("a", "7", 121_000));
        assertEquals(List.of("6", "6b"), storm.due(121_000).get(0).entries());
        Storm off = new Storm(0, 60_000);
        for (int i = 0; i < 100; i++) assertTrue(off.admit("a", "x", i));
    }

    @Test
    void batchLinesAreSuperlancesLines() {
        assertEquals("2026-11-24 10:00:00,123 -- Process web:web (pid 4242) died unexpectedly",
                crashmailbatch.line(exited("web", "web", 4242, false), NOW));
        assertNull(crashmailbatch.line(exited("web", "web", 4242, true), NOW));
        assertNull(crashmailbatch.line(fatal("web", "web"), NOW));
        assertEquals("2026-11-24 10:00:00,123 -- Process workers:w1 failed to start too many times",
                fatalmailbatch.line(fatal("workers", "w1"), NOW));
        assertNull(fatalmailbatch.line(exited("web", "web", 1, false), NOW));
        assertEquals("[web:web](4242) exited unexpectedly 2026-11-24 10:00:00,123",
                crashsms.line(exited("web", "web", 4242, false), NOW));
        assertNull(crashsms.line(exited("web", "web", 4242, true), NOW));
    }

    @Test
    void anSmsFitsOneMessageAndCountsWhatDidNotFit() {
        Batch batch = new Batch(1, 1000);
        for (int pid = 1; pid <= 5; pid++) batch.add(crashsms.line(exited("web", "web", 1000 + pid, false), NOW));
        String body = crashsms.body(batch.take());
        assertTrue(body.length() <= crashsms.MAX_BODY, body.length() + ": " + body);
        assertEquals("[web:web](1001) exited unexpectedly 2026-11-24 10:00:00,123\n"
                + "[web:web](1002) exited unexpectedly 2026-11-24 10:00:00,123\n+3 more", body);

        batch.add(crashsms.line(exited("web", "web", 7, false), NOW));
        assertEquals("[web:web](7) exited unexpectedly 2026-11-24 10:00:00,123\n", crashsms.body(batch.take()));

        batch.add(crashsms.line(exited("g".repeat(100), "n".repeat(100), 7, false), NOW));
        String cut = crashsms.body(batch.take());
        assertTrue(cut.length() <= crashsms.MAX_BODY && cut.startsWith("[ggg"), cut);
    }

    /** A command with the batch family's options, to test them without starting a listener. */
    @Command(name = "batchtest")
    static final class BatchCommand implements java.util.concurrent.Callable<Integer> {
        @Mixin BatchOptions options = new BatchOptions();
        @Mixin MailOptions mail = new MailOptions();
        @Mixin lib.ChannelOptions channels = new lib.ChannelOptions();
        @Spec CommandSpec spec;
        Map<String, String> env = Map.of();

        @Override
        public Integer call() throws Exception {
            options.mailer(spec, mail, channels, "batchtest", "subject", lib.Alert.Kind.CRASH, Batch.Lines::text, env);
            return 0;
        }
    }

    @Test
    void batchOptionsAreCheckedAndNamedInTheError() {
        assertEquals(0, exitStatus(new BatchCommand(), "-t", "a@example.com,b@example.com", "-f", "s@example.com", "-i", "0.5",
                "-s", "S", "-H", "mail.example.com:2525", "-e", "TICK_5", "-u", "user", "-p", "pw", "--tls", "-T", "extra"));
        assertEquals(0, exitStatus(new BatchCommand(), "-t", "a@example.com", "--from", "s@example.com",
                "--sendmail_program", "/usr/sbin/sendmail -t -i"));
        assertEquals(2, exitStatus(new BatchCommand(), "-f", "s@example.com"), "no -t");
        assertEquals(2, exitStatus(new BatchCommand(), "-t", "a@example.com"), "no -f");
        assertEquals(2, exitStatus(new BatchCommand(), "-t", "a@example.com", "-f", "s@example.com", "-i", "0"));
        assertEquals(2, exitStatus(new BatchCommand(), "-t", "a@example.com", "-f", "s@example.com", "-i", "soon"));
        assertEquals(2, exitStatus(new BatchCommand(), "-t", "a@example.com", "-f", "s@example.com", "-e", "TOCK_5"));
        assertEquals(2, exitStatus(new BatchCommand(), "-t", "not an address", "-f", "s@example.com"));
        assertEquals(2, exitStatus(new BatchCommand(), "-t", "a@example.com", "-f", "s@example.com",
                "-H", "one.example.com", "--smtp-host", "two.example.com"), "two different hosts");
        assertEquals(2, exitStatus(new BatchCommand(), "-t", "a@example.com", "-f", "s@example.com",
                "-H", "one.example.com", "--sendmail_program", "sendmail -t"), "both transports");
        assertEquals(2, exitStatus(new BatchCommand(), "-t", "a@example.com", "-f", "s@example.com",
                "--smtp-user", "u"), "a user without any password");
    }

    @Test
    void crashmailSaysOnceThatACrashLoopEndedAfterTheSettleTime() throws Exception {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(NOW);
        OutboxTest.FlakySender sender = new OutboxTest.FlakySender(0);
        crashmail plugin = crashmail(sender, "-p", "web", "-m", "ops@example.com", "--recovery", "5s", "-o", "PROD");
        plugin.history = new lib.History(clock::get);
        plugin.onEvent(exited("web", "web", 101, false));
        plugin.onEvent(running("web", "web", 102));
        clock.addAndGet(2_000);
        plugin.onEvent(exited("web", "web", 102, false));
        plugin.onEvent(running("web", "web", 103));
        plugin.onEvent(running("db", "db", 104)); // not selected, and never crashed
        clock.addAndGet(4_000);
        plugin.summariesDue();
        Repo.await("two crash mails", Duration.ofSeconds(5), () -> sender.delivered.size() == 2);
        clock.addAndGet(1_000);
        plugin.summariesDue();
        Repo.await("the recovery", Duration.ofSeconds(5), () -> sender.delivered.size() == 3);
        var recovery = sender.delivered.get(2);
        assertEquals("PROD: web running again after 2 crashes in 2s", recovery.subject());
        assertTrue(recovery.body().startsWith("Process web in group web is running again: it crashed 2 time(s) from "), recovery.body());
        clock.addAndGet(60_000);
        plugin.summariesDue();
        Thread.sleep(200);
        assertEquals(3, sender.delivered.size(), "said once");

        // Without --recovery (and no Alertmanager) nothing is tracked and nothing said.
        OutboxTest.FlakySender quiet = new OutboxTest.FlakySender(0);
        crashmail plain = crashmail(quiet, "-p", "web", "-m", "ops@example.com");
        plain.onEvent(exited("web", "web", 101, false));
        plain.onEvent(running("web", "web", 102));
        assertEquals(0, plain.history.size());
        assertEquals(2, exitStatus(new crashmail(), "-a", "--recovery", "soon"));
    }

    @Test
    void aListenerWithoutRunningEventsSaysSoOnceACrashShowsAStartItMissed() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Log.to(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            crashmail plugin = crashmail(null, "-a", "--recovery");
            plugin.onEvent(exited("web", "web", 101, false));
            assertFalse(log.toString().contains("PROCESS_STATE_RUNNING"), "one crash says nothing yet");
            plugin.onEvent(exited("web", "web", 102, false)); // it ran again as 102, and no RUNNING event told of it
            plugin.onEvent(exited("web", "web", 103, false));
            assertEquals(1, Repo.count(log.toString(), "add PROCESS_STATE_RUNNING to events= of \\[eventlistener:crashmail\\]"), log.toString());
        } finally {
            Log.to(System.err);
        }
    }

    @Test
    void batchPluginsListRecoveriesAfterSuperlancesLines() throws Exception {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(NOW);
        OutboxTest.FlakySender sender = new OutboxTest.FlakySender(0);
        Outbox outbox = new Outbox(sender, "crashmailbatch", 100, Duration.ofMillis(50), Duration.ofMillis(50));
        OUTBOXES.add(outbox);
        Alerts alerts = new Alerts(outbox, "s@example.com", List.of("ops@example.com"), List.of(), "crashmailbatch");
        lib.RecoveryOptions recovery = new lib.RecoveryOptions();
        new CommandLine(recovery).parseArgs("--recovery", "30s");
        lib.BatchMailer mailer = new lib.BatchMailer(new Batch(1, 1000), alerts,
                lines -> new lib.Alert("crashmailbatch", "Crash alert from supervisord", lines.text(), lines.events(), null),
                lib.Alert.Kind.CRASH, null).recovering(recovery, Map.of(), new lib.History(clock::get));
        java.util.function.Function<Event, String> line = e -> crashmailbatch.line(e, NOW);
        java.util.function.BiFunction<String, String, String> again = (namespec, phrase) -> crashmailbatch.recoveryLine(namespec, phrase, NOW);
        Event tick30 = new Event(Map.of("eventname", "TICK_5"), "when:0");
        mailer.handle(exited("web", "web", 1, false), line, again);
        mailer.handle(running("web", "web", 2), line, again);
        for (int i = 0; i < 6; i++) { // 30 s of ticks: the settle time is over at the last one
            clock.addAndGet(5_000);
            mailer.handle(tick30, line, again);
        }
        for (int i = 0; i < 6; i++) mailer.handle(tick30, line, again); // the minute's batch ends
        Repo.await("the batch", Duration.ofSeconds(5), () -> sender.delivered.size() == 1);
        assertEquals("2026-11-24 10:00:00,123 -- Process web:web (pid 1) died unexpectedly\n"
                + "2026-11-24 10:00:00,123 -- Process web:web running again after 1 crash\n", sender.delivered.get(0).body());

        Batch sms = new Batch(1, 1000);
        sms.add(crashsms.line(exited("web", "web", 7, false), NOW));
        sms.recovered(crashsms.recoveryLine("db:db", "running again after 7 crashes in 12m"),
                lib.Alert.of(lib.Alert.Kind.CRASH, exited("db", "db", 8, false)).resolvedNow());
        assertEquals("[web:web](7) exited unexpectedly 2026-11-24 10:00:00,123\n[db:db] running again after 7 crashes in 12m\n",
                crashsms.body(sms.take()));
    }
}
