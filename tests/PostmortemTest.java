import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import lib.Batch;
import lib.Postmortem;
import org.junit.jupiter.api.Test;

/** What a crash alert adds below superlance's line, and that log text stays data (PostmortemE2ETest: the real thing). */
class PostmortemTest {
    @Test
    void logTextIsShownEscapedAndBounded() {
        assertEquals("tab\tok \\x1b[31mred\\x1b[0m \\x00 \\x7f \\u009b", Postmortem.safe("tab\tok \u001b[31mred\u001b[0m \u0000 \u007f \u009b"));
        assertEquals("crlf", Postmortem.safe("crlf\r"));
        assertEquals("a\\x0db", Postmortem.safe("a\rb"), "a CR inside a line cannot return the carriage over earlier text");
        String cut = Postmortem.safe("y".repeat(100_000));
        assertEquals("y".repeat(500) + " [cut at 500 characters]", cut);
        String pair = Postmortem.safe("x".repeat(499) + "\uD83D\uDE00" + "z");
        assertTrue(pair.startsWith("x".repeat(499) + " [cut"), "a character is never split in two: " + pair.substring(495));
        assertEquals("bad \uFFFD stays replaced", Postmortem.safe("bad \uFFFD stays replaced"));
    }

    @Test
    void theReportSaysHowItEndedHowLongItRanAndWhyThereIsNoExcerpt() {
        Postmortem.Report full = new Postmortem.Report("exit status 3", 12, "", "stderr log", List.of("boom", "  at x"), null);
        assertEquals("exit status 3, after 12 s up\nlast 2 line(s) of its stderr log:\nboom\n  at x\n", full.text());
        Postmortem.Report fatal = new Postmortem.Report(null, -1, "can't find command '/opt/app/bin/x'", "", List.of(), null);
        assertEquals("supervisord says: can't find command '/opt/app/bin/x'\n", fatal.text());
        Postmortem.Report none = new Postmortem.Report("terminated by SIGKILL", -1, "", "", List.of(), "supervisord did not answer: timeout");
        assertEquals("terminated by SIGKILL\n(no log excerpt: supervisord did not answer: timeout)\n", none.text());
        assertEquals("(no log excerpt: SUPERVISOR_SERVER_URL is not set)\n",
                new Postmortem(null, 10).of("web", "web", 42).text(), "no supervisord to ask: said, and the alert goes out");
    }

    @Test
    void anSmsAddsTheEndOfTheLogOnlyAsFarAsItFits() {
        Batch batch = new Batch(1.0, 10);
        batch.add("[web:web](7) exited unexpectedly 2026-11-24 10:00:00,123");
        batch.report("web:web", new Postmortem.Report("exit status 3", 2, "", "stderr log",
                List.of("java.lang.IllegalStateException: boom", "at app.Main.run(Main.java:42) " + "x".repeat(200)), null));
        String sms = crashsms.body(batch.take());
        assertTrue(sms.length() <= crashsms.MAX_BODY, sms.length() + ": " + sms);
        assertTrue(sms.startsWith("[web:web](7) exited unexpectedly 2026-11-24 10:00:00,123\njava.lang.IllegalStateException: boom\nat app.Main.run"), sms);
        assertEquals(crashsms.MAX_BODY, sms.length(), "the last line is cut to what fits");
        Batch plain = new Batch(1.0, 10);
        plain.add("[web:web](7) exited unexpectedly 2026-11-24 10:00:00,123");
        assertEquals("[web:web](7) exited unexpectedly 2026-11-24 10:00:00,123\n", crashsms.body(plain.take()), "without --log-lines: as before");
    }
}
