import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import lib.Alert;
import lib.Alerts;
import lib.Batch;
import lib.BatchMailer;
import lib.Log;
import lib.Mail;
import lib.Outbox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Delivery that never loses an alert: the outbox's retries, its bound, and the batch mailer on top of it. */
class OutboxTest {
    /** A mail server that is down for the first `failures` attempts. */
    static final class FlakySender implements Mail.Sender {
        final List<Mail> delivered = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger attempts = new AtomicInteger();
        volatile int failures;
        volatile long delayMillis;

        FlakySender(int failures) { this.failures = failures; }

        @Override
        public void send(Mail mail) throws IOException {
            attempts.incrementAndGet();
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                throw new IOException("interrupted");
            }
            if (failures > 0) {
                // Down for good (MAX_VALUE) is never counted down: a test that brings the server back with
                // failures = 0 must not have that write undone by this thread's failures-- (a lost update).
                if (failures != Integer.MAX_VALUE) failures--;
                throw new IOException("421 try again later");
            }
            delivered.add(mail);
        }

        List<String> subjects() {
            synchronized (delivered) {
                return delivered.stream().map(Mail::subject).toList();
            }
        }
    }

    static Mail mail(String subject) { return new Mail("a@example.com", List.of("b@example.com"), subject, "body"); }

    static Outbox outbox(Mail.Sender sender, int capacity) {
        return new Outbox(sender, "test", capacity, Duration.ofMillis(50), Duration.ofMillis(200));
    }

    private final List<Outbox> started = new ArrayList<>();

    /** Every outbox a test makes is stopped when it ends: no thread of one test sends on into the next. */
    private Outbox kept(Outbox outbox) {
        started.add(outbox);
        return outbox;
    }

    @AfterEach
    void stopOutboxes() throws InterruptedException {
        for (Outbox o : started) o.stop();
    }

    @Test
    void failedSendsAreRetriedInOrderUntilTheServerIsBack() throws Exception {
        FlakySender sender = new FlakySender(4);
        Outbox outbox = kept(outbox(sender, 100));
        for (int i = 1; i <= 3; i++) outbox.submit(mail("crash " + i));
        Repo.await("three mails", Duration.ofSeconds(10), () -> sender.delivered.size() == 3);
        assertEquals(List.of("crash 1", "crash 2", "crash 3"), sender.subjects());
        assertEquals(7, sender.attempts.get(), "4 failed tries of the first mail, then one each");
        assertTrue(outbox.idle());
    }

    @Test
    void submitNeverWaitsForASlowServer() {
        FlakySender sender = new FlakySender(0);
        sender.delayMillis = 2000;
        Outbox outbox = kept(outbox(sender, 100));
        long start = System.nanoTime();
        for (int i = 0; i < 50; i++) outbox.submit(mail("m" + i));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < 1000, "50 submits took " + ms + " ms while the server takes 2 s a mail");
        assertEquals(50, outbox.pending());
    }

    @Test
    void pastItsCapacityTheOldestAreFoldedIntoOneNotice() throws Exception {
        FlakySender sender = new FlakySender(Integer.MAX_VALUE);
        Outbox outbox = kept(outbox(sender, 3));
        for (int i = 1; i <= 5; i++) outbox.submit(mail("crash " + i));
        assertEquals(4, outbox.pending(), "3 mails and the notice for the 2 folded ones");
        sender.failures = 0;
        Repo.await("the notice and 3 mails", Duration.ofSeconds(10), () -> sender.delivered.size() >= 4 && outbox.idle());
        // The try of crash 1 that was out when the server came back may have gone through: then crash 1 came on its own
        // and the notice lists crash 2 alone. Either way each crash is told once, in order, and the notice comes first.
        List<String> told = new ArrayList<>();
        List<String> notices = new ArrayList<>();
        for (Mail m : List.copyOf(sender.delivered)) {
            if (!m.subject().contains("folded")) {
                told.add(m.subject());
                continue;
            }
            notices.add(m.subject());
            for (String line : m.body().split("\n")) if (line.startsWith("crash ")) told.add(line);
        }
        assertEquals(List.of("crash 1", "crash 2", "crash 3", "crash 4", "crash 5"), told, sender.subjects().toString());
        assertEquals(1, notices.size(), sender.subjects().toString());
        assertTrue(notices.get(0).matches("test: [12] alert\\(s\\) folded while mail could not be sent"), notices.get(0));
        assertEquals(List.of("crash 3", "crash 4", "crash 5"), sender.subjects().subList(sender.subjects().size() - 3, sender.subjects().size()));
    }

    @Test
    void drainSendsWhatIsLeftAndGivesUpInTime() {
        FlakySender sender = new FlakySender(1);
        Outbox outbox = kept(new Outbox(sender, "test", 100, Duration.ofMinutes(5), Duration.ofMinutes(5)));
        outbox.submit(mail("last words"));
        // The first try fails and the next would be in 5 minutes; drain retries within a second or so.
        assertTrue(outbox.drain(Duration.ofSeconds(5)));
        assertEquals(List.of("last words"), sender.subjects());

        FlakySender dead = new FlakySender(Integer.MAX_VALUE);
        Outbox stuck = kept(outbox(dead, 100));
        stuck.submit(mail("never"));
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        Log.to(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
        long start = System.nanoTime();
        try {
            assertFalse(stuck.drain(Duration.ofMillis(800)));
        } finally {
            Log.to(System.err);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 800 && ms < 10_000, "drain gave up after " + ms + " ms");
        assertTrue(log.toString(java.nio.charset.StandardCharsets.UTF_8).contains("unsent: never\\nbody"),
                "the alert survives in the log: " + log);
    }

    @Test
    void aMailRefusedForGoodIsLoggedWholeAndDoesNotHoldTheOthers() throws Exception {
        List<Mail> delivered = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger refusals = new AtomicInteger();
        Mail.Sender sender = mail -> {
            if (mail.subject().equals("bad")) {
                refusals.incrementAndGet();
                throw new Mail.Rejected("550 5.1.1 no such mailbox");
            }
            delivered.add(mail);
        };
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        Log.to(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            Outbox outbox = kept(outbox(sender, 100));
            outbox.submit(mail("bad"));
            outbox.submit(mail("good"));
            Repo.await("the good mail", Duration.ofSeconds(5), () -> delivered.size() == 1);
            assertTrue(outbox.drain(Duration.ofSeconds(1)), "nothing left waiting");
        } finally {
            Log.to(System.err);
        }
        assertEquals(1, refusals.get(), "a refusal is not retried");
        String text = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1, Repo.count(text, "ERROR \\w+: mail 'bad' refused for good, not retrying: 550 5.1.1 no such mailbox; the mail follows\\\\nbody"), text);
    }

    @Test
    void aMailFoldedWhileItIsOutAndThenSentIsNotInTheNotice() throws Exception {
        java.util.concurrent.CountDownLatch firstStarted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        List<Mail> delivered = Collections.synchronizedList(new ArrayList<>());
        Mail.Sender sender = mail -> {
            if (mail.subject().equals("crash 1")) {
                firstStarted.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException("interrupted");
                }
            }
            delivered.add(mail);
        };
        Outbox outbox = kept(new Outbox(sender, "test", 2, Duration.ofMillis(50), Duration.ofMillis(50)));
        outbox.submit(mail("crash 1"));
        assertTrue(firstStarted.await(5, java.util.concurrent.TimeUnit.SECONDS));
        outbox.submit(mail("crash 2"));
        outbox.submit(mail("crash 3")); // full: crash 1, the oldest, is folded while it is being sent
        release.countDown(); // and then it goes out
        Repo.await("the outbox to be idle", Duration.ofSeconds(10), outbox::idle);
        assertEquals(List.of("crash 1", "crash 2", "crash 3"), delivered.stream().map(Mail::subject).toList(),
                "each mail once, and no notice for a mail that was sent");
    }

    @Test
    void mailsFoldedWhileTheNoticeIsOutGetTheNextNotice() throws Exception {
        java.util.concurrent.CountDownLatch noticeStarted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        List<Mail> delivered = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger down = new AtomicInteger(1); // the first try fails, so mails pile up
        Mail.Sender sender = mail -> {
            if (down.getAndDecrement() > 0) throw new IOException("421 busy");
            if (mail.subject().contains("folded")) {
                noticeStarted.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException("interrupted");
                }
            }
            delivered.add(mail);
        };
        Outbox outbox = kept(new Outbox(sender, "test", 2, Duration.ofMillis(300), Duration.ofMillis(300)));
        for (int i = 1; i <= 4; i++) outbox.submit(mail("crash " + i)); // 1 and 2 folded
        assertTrue(noticeStarted.await(5, java.util.concurrent.TimeUnit.SECONDS));
        outbox.submit(mail("crash 5")); // folds 3 while the first notice is being sent
        release.countDown();
        Repo.await("both notices and the 2 newest", Duration.ofSeconds(10), () -> delivered.size() == 4);
        List<String> subjects = delivered.stream().map(Mail::subject).toList();
        assertEquals(List.of("test: 2 alert(s) folded while mail could not be sent",
                "test: 1 alert(s) folded while mail could not be sent", "crash 4", "crash 5"), subjects);
        assertTrue(delivered.get(1).body().contains("crash 3\n") && !delivered.get(1).body().contains("crash 1"),
                delivered.get(1).body());
    }

    @Test
    void theBatchClockCountsEveryTickOnce() {
        Batch minute = new Batch(1.0, 10);
        assertFalse(minute.tick(5, 0));
        for (int i = 0; i < 10; i++) assertFalse(minute.tick(5, 0));
        assertTrue(minute.tick(5, 0), "12 TICK_5 make a minute even with -e TICK_60");

        Batch both = new Batch(1.0, 10); // subscribed to TICK_5 and TICK_60: the same second counts once
        long when = 1_800_000_000L;
        assertFalse(both.tick(5, when));
        for (int i = 1; i <= 10; i++) {
            assertFalse(both.tick(5, when + 5L * i));
            if (i == 7) assertFalse(both.tick(60, when + 35), "a TICK_60 at the same second adds nothing");
        }
        assertTrue(both.tick(5, when + 55), "the first tick counts its own 5 s, then 55 s of ticks");

        Batch half = new Batch(0.5, 10);
        assertFalse(half.tick(5, 0));
        assertTrue(half.tick(60, 0));
        half.take();
        assertFalse(half.tick(5, 0), "take() starts the clock again");
    }

    @Test
    void aFullBatchFoldsItsOldestLinesIntoACount() {
        Batch batch = new Batch(1.0, 3);
        for (int i = 1; i <= 5; i++) batch.add("line " + i);
        Batch.Lines lines = batch.take();
        assertEquals(List.of("line 3", "line 4", "line 5"), lines.lines());
        assertEquals(2, lines.folded());
        assertEquals("(2 earlier message(s) were folded to keep this mail bounded; the first was:)\nline 1\n\n"
                + "line 3\nline 4\nline 5\n", lines.text());
        assertTrue(batch.take().isEmpty());
    }

    @Test
    void aBatchThatCannotBeSentKeepsEveryLineAndNewLinesJoinTheNextMail() throws Exception {
        FlakySender sender = new FlakySender(Integer.MAX_VALUE);
        Outbox outbox = kept(outbox(sender, 100));
        BatchMailer mailer = new BatchMailer(new Batch(1.0, 1000),
                new Alerts(outbox, "a@example.com", List.of("b@example.com"), List.of(), "test"),
                lines -> new Alert("test", "batch", lines.text(), lines.events(), null), Alert.Kind.CRASH, null);
        mailer.add("crash 1");
        mailer.add("crash 2");
        mailer.tick(60, 0); // interval over: the first mail goes to the outbox and fails
        Repo.await("a failed try", Duration.ofSeconds(5), () -> sender.attempts.get() > 0);
        mailer.add("crash 3");
        mailer.tick(60, 0); // the first mail is still waiting: crash 3 stays in the batch
        mailer.add("crash 4");
        sender.failures = 0;
        // Sent, and taken off the queue (the sender has it a moment before the outbox is idle again).
        Repo.await("the first mail", Duration.ofSeconds(5), () -> sender.delivered.size() == 1 && outbox.idle());
        mailer.tick(60, 0);
        Repo.await("the second mail", Duration.ofSeconds(5), () -> sender.delivered.size() == 2);
        assertEquals("crash 1\ncrash 2\n", sender.delivered.get(0).body());
        assertEquals("crash 3\ncrash 4\n", sender.delivered.get(1).body());
    }

    @Test
    void flushSendsAPendingBatchBeforeTheIntervalEnds() {
        FlakySender sender = new FlakySender(0);
        BatchMailer mailer = new BatchMailer(new Batch(60.0, 1000),
                new Alerts(kept(outbox(sender, 100)), "a@example.com", List.of("b@example.com"), List.of(), "test"),
                lines -> new Alert("test", "batch", lines.text(), lines.events(), null), Alert.Kind.CRASH, null);
        mailer.add("crash 1");
        mailer.tick(60, 0);
        assertTrue(sender.delivered.isEmpty(), "an hour's batch is not due after a minute");
        assertTrue(mailer.flush(Duration.ofSeconds(5)));
        assertEquals("crash 1\n", sender.delivered.get(0).body());
        assertTrue(mailer.flush(Duration.ofSeconds(1)), "nothing left: flush returns at once");
        assertEquals(1, sender.delivered.size());
    }

    @Test
    void anErrorOnTheSendingThreadIsLoggedAndTheOutboxGoesOn() throws Exception {
        List<Mail> delivered = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger tries = new AtomicInteger();
        Outbox outbox = kept(outbox(mail -> {
            if (tries.incrementAndGet() == 1) throw new OutOfMemoryError("Java heap space (simulated)");
            if (tries.get() == 2) throw new NoClassDefFoundError("jakarta/mail/Simulated");
            delivered.add(mail);
        }, 100));
        outbox.submit(mail("after two errors"));
        Repo.await("the mail, once the errors have passed", Duration.ofSeconds(10), () -> delivered.size() == 1);
        outbox.submit(mail("and the next one"));
        Repo.await("the next mail", Duration.ofSeconds(10), () -> delivered.size() == 2);
        assertEquals(4, tries.get(), "two errors, then one try per mail");
    }

    @Test
    void recipientsDeferredWhileOthersTookTheMailAreTriedAgainAlone() throws Exception {
        List<List<String>> tried = Collections.synchronizedList(new ArrayList<>());
        Outbox outbox = kept(outbox(mail -> {
            tried.add(mail.to());
            if (mail.to().size() > 1) throw new Mail.Partial(mail.to(List.of("late@example.com")), "451 for late@example.com");
        }, 100));
        outbox.submit(new Mail("a@example.com", List.of("ops@example.com", "late@example.com"), "crash", "body"));
        outbox.submit(mail("next"));
        Repo.await("three tries", Duration.ofSeconds(10), () -> tried.size() == 3);
        assertEquals(List.of(List.of("ops@example.com", "late@example.com"), List.of("late@example.com"), List.of("b@example.com")), tried,
                "ops@ got it once; late@ again on its own, before the next mail");
    }

    @Test
    void theBatchClockGoesOnAfterTheWallClockStepsBack() {
        Batch batch = new Batch(0.5, 10);
        long when = 1_800_000_000L;
        assertFalse(batch.tick(5, when));
        assertFalse(batch.tick(5, when + 5));
        // NTP steps the clock back an hour: the ticks go on from the new time and the interval still ends.
        long back = when - 3600;
        assertFalse(batch.tick(5, back), "the step back counts its own 5 s");
        assertFalse(batch.tick(5, back + 5));
        assertFalse(batch.tick(5, back + 10));
        assertTrue(batch.tick(5, back + 15), "six ticks of 5 s: the 30 s interval is over");
    }

    @Test
    void aChannelThatIsDownDoesNotHoldTheMailBatches() throws Exception {
        FlakySender mail = new FlakySender(0);
        lib.WebChannel down = new lib.WebChannel(lib.WebChannel.Shape.WEBHOOK, "http://127.0.0.1:" + Repo.freePort() + "/hook", "test",
                "host", java.util.Map.of(), null, false); // nothing listens there: every post fails and is retried
        Outbox mailbox = kept(outbox(mail, 100));
        Alerts alerts = new Alerts(mailbox, "a@example.com", List.of("b@example.com"), List.of(down), "test");
        try {
            BatchMailer mailer = new BatchMailer(new Batch(1.0, 1000), alerts,
                    lines -> new Alert("test", "batch", lines.text(), lines.events(), null), Alert.Kind.CRASH, null);
            mailer.add("crash 1");
            mailer.tick(60, 0);
            Repo.await("the first batch mailed", Duration.ofSeconds(10), () -> mail.delivered.size() == 1 && mailbox.idle());
            mailer.add("crash 2");
            mailer.tick(60, 0);
            Repo.await("the second batch mailed while the webhook is still down", Duration.ofSeconds(10), () -> mail.delivered.size() == 2);
            assertEquals("crash 2\n", mail.delivered.get(1).body());
            assertFalse(alerts.drain(Duration.ofMillis(300)), "the webhook's posts are still waiting (and logged at exit)");
        } finally {
            alerts.stop();
        }
    }
}
