import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import lib.Alert;
import lib.History;
import lib.History.Verdict;
import lib.Sizes;
import org.junit.jupiter.api.Test;

/** The history of watched processes, on a clock the test moves: hours pass in no time. */
class HistoryTest {
    static final long SECOND = 1000, MINUTE = 60 * SECOND, HOUR = 60 * MINUTE;
    private final AtomicLong clock = new AtomicLong(1_800_000_000_000L);
    private final History history = new History(clock::get);

    private void pass(long millis) { clock.addAndGet(millis); }

    private static Alert alert(String subject) {
        return new Alert("test", subject, "text", List.of(new Alert.Event(Alert.Kind.CRASH, "app", "app", 7, "RUNNING", null,
                java.time.Instant.EPOCH)), null);
    }

    @Test
    void ticksOverTheLimitCountInARowUntilUnderOrANewPid() {
        assertEquals(1, history.over("app", 10));
        assertEquals(2, history.over("app", 10));
        history.under("app");
        assertEquals(1, history.over("app", 10), "under the limit once: the count starts again");
        assertEquals(2, history.over("app", 10));
        assertEquals(1, history.over("app", 11), "another pid is another process: it starts again");
        history.restarted("app", "RSS 2 GB");
        assertEquals(1, history.over("app", 11), "a restart starts it again too");
        assertEquals(1, history.over("other", 12), "each process on its own");
    }

    @Test
    void aRestartLimitGivesUpOnceAndActsAgainWhenTheWindowHasPassedSinceTheLastRestart() {
        assertEquals(Verdict.RESTART, history.mayRestart("app", 10, 2, HOUR));
        history.restarted("app", "first");
        pass(10 * MINUTE);
        assertEquals(Verdict.RESTART, history.mayRestart("app", 11, 2, HOUR));
        history.restarted("app", "second");
        pass(10 * MINUTE);
        assertEquals(Verdict.GIVE_UP, history.mayRestart("app", 12, 2, HOUR), "a third restart within the hour: give up, once");
        assertTrue(history.givenUp("app"));
        assertEquals(List.of("first", "second"), history.restarts("app").stream().map(History.Restart::what).toList());
        pass(30 * MINUTE); // 50 min after the first restart, 40 after the last
        assertEquals(Verdict.GIVEN_UP, history.mayRestart("app", 12, 2, HOUR), "said once; still given up");
        pass(15 * MINUTE); // the first restart is out of the window, the second is not
        assertEquals(Verdict.GIVEN_UP, history.mayRestart("app", 12, 2, HOUR), "until the window has passed since the LAST restart");
        pass(5 * MINUTE); // an hour since the last restart
        assertEquals(Verdict.RESTART, history.mayRestart("app", 12, 2, HOUR));
        assertFalse(history.givenUp("app"));
        assertEquals(Verdict.RESTART, history.mayRestart("other", 1, 0, HOUR), "max 0: no limit");
    }

    @Test
    void aPidThePluginDidNotCauseEndsTheGivingUpWithAFreshWindow() {
        for (int pid = 10; pid < 12; pid++) {
            assertEquals(Verdict.RESTART, history.mayRestart("app", pid, 2, HOUR));
            history.restarted("app", "restart");
        }
        assertEquals(Verdict.GIVE_UP, history.mayRestart("app", 12, 2, HOUR));
        assertEquals(Verdict.GIVEN_UP, history.mayRestart("app", 12, 2, HOUR));
        assertEquals(Verdict.GIVEN_UP, history.mayRestart("app", 0, 2, HOUR), "not running (pid 0) is no new start");
        pass(MINUTE);
        assertEquals(Verdict.RESTART, history.mayRestart("app", 13, 2, HOUR), "supervisorctl restart: a pid memmon did not cause");
        assertEquals(List.of(), history.restarts("app"), "and a fresh window: the old restarts do not count");
        history.restarted("app", "restart");
        assertEquals(Verdict.RESTART, history.mayRestart("app", 14, 2, HOUR));
    }

    @Test
    void troubleEndsAfterTheSettleTimeRunningWithoutNewTrouble() {
        history.trouble("g:app", 10);
        pass(2 * MINUTE);
        history.trouble("g:app", 11);
        history.opened("g:app", alert("app crashed"));
        history.running("g:app");
        pass(30 * SECOND);
        assertEquals(List.of(), history.recovered(MINUTE), "RUNNING 30 s of a 60 s settle time");
        history.trouble("g:app", 12); // crashed again: the settle time starts over at the next RUNNING
        history.running("g:app");
        pass(59 * SECOND);
        assertEquals(List.of(), history.recovered(MINUTE));
        pass(SECOND);
        List<History.Recovery> fine = history.recovered(MINUTE);
        assertEquals(1, fine.size());
        History.Recovery r = fine.get(0);
        assertEquals("g:app", r.key());
        assertEquals(3, r.count());
        assertEquals("2m30s", Sizes.duration(r.millis()), "first crash to RUNNING for good");
        assertEquals("app crashed", r.open().subject(), "the alert that was open, to resolve");
        assertFalse(history.inTrouble("g:app"));
        assertEquals(List.of(), history.recovered(MINUTE), "said once");
        assertTrue(history.seesRunning());
    }

    @Test
    void aPassingCheckEndsTheTroubleAtOnce() {
        assertNull(history.fine("http://x/"), "nothing was wrong");
        for (int i = 0; i < 4; i++) {
            history.trouble("http://x/", 0);
            pass(50 * SECOND);
        }
        History.Recovery r = history.fine("http://x/");
        assertEquals(4, r.count());
        assertEquals("3m20s", Sizes.duration(r.millis()));
        assertNull(r.open(), "never alerted");
        assertNull(history.fine("http://x/"));
    }

    @Test
    void openAlertsArePostedAgainWhenDueUntilClosed() {
        history.opened("a", alert("a"));
        pass(30 * SECOND);
        history.opened("b", alert("b"));
        assertEquals(List.of(), history.due(MINUTE));
        pass(30 * SECOND);
        assertEquals(List.of("a"), history.due(MINUTE).stream().map(Alert::subject).toList());
        pass(30 * SECOND);
        assertEquals(List.of("b"), history.due(MINUTE).stream().map(Alert::subject).toList());
        assertEquals("a", history.close("a").subject());
        assertNull(history.close("a"));
        pass(HOUR);
        assertEquals(List.of("b"), history.due(MINUTE).stream().map(Alert::subject).toList());
        assertEquals(List.of("b"), history.closeAll().stream().map(Alert::subject).toList());
        assertNull(history.open("b"));
    }

    @Test
    void whatIsPastEveryWindowIsForgottenAndTheSizeIsBounded() {
        history.over("spike", 1);
        history.under("spike");
        history.restarted("restarted", "once");
        history.trouble("crashed", 3);
        history.forget(HOUR);
        assertEquals(2, history.size(), "the spike is over: nothing left to remember of it");
        pass(HOUR);
        history.forget(HOUR);
        assertEquals(1, history.size(), "the restart is out of the window; the crash is open until it runs again");
        history.running("crashed");
        pass(MINUTE);
        assertEquals(1, history.recovered(MINUTE).size());
        history.forget(HOUR);
        assertEquals(0, history.size());

        for (int i = 0; i < History.MAX_PROCESSES + 500; i++) history.trouble("p" + i, i);
        assertEquals(History.MAX_PROCESSES, history.size(), "thousands of short-lived names: bounded");
        assertFalse(history.inTrouble("p0"), "the least recently touched went first");
        assertTrue(history.inTrouble("p" + (History.MAX_PROCESSES + 499)));
    }

    @Test
    void aClockSteppingBackNeitherStretchesAWindowNorGivesNegativeDurations() {
        history.restarted("app", "first");
        assertEquals(Verdict.GIVE_UP, history.mayRestart("app", 1, 1, HOUR));
        history.trouble("web", 0);
        clock.addAndGet(-3 * HOUR); // NTP, or a person, sets the clock three hours back
        History.Recovery r = history.fine("web");
        assertNotNull(r);
        assertEquals(0, r.millis(), "never negative");
        assertEquals(Verdict.GIVEN_UP, history.mayRestart("app", 1, 1, HOUR), "the restart still counts after the step");
        pass(HOUR);
        assertEquals(Verdict.RESTART, history.mayRestart("app", 1, 1, HOUR),
                "an hour after the step the window has passed (it did not last three hours more)");
    }

    @Test
    void durationsReadAsTheOptionsTakeThem() {
        assertEquals("0s", Sizes.duration(999));
        assertEquals("45s", Sizes.duration(45_000));
        assertEquals("3m20s", Sizes.duration(200_000));
        assertEquals("1h", Sizes.duration(HOUR));
        assertEquals("1d2h5s", Sizes.duration(26 * HOUR + 5_000));
        assertEquals(Sizes.parseSeconds("12m") * 1000, 12 * MINUTE);
    }
}
