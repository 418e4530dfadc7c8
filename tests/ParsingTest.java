import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import lib.Argv;
import lib.Mail;
import lib.Selection;
import lib.Sizes;
import lib.Smtp;
import org.junit.jupiter.api.Test;

/** Sizes, durations, argv splitting, process selection and header cleaning. */
class ParsingTest {
    @Test
    void sizesAre1024BasedAndCaseInsensitive() {
        assertEquals(10000L, Sizes.parseBytes("10000"));
        assertEquals(200L * 1024, Sizes.parseBytes("200KB"));
        assertEquals(200L * 1024, Sizes.parseBytes("200kb"));
        assertEquals(40L * 1024 * 1024, Sizes.parseBytes("40Mb"));
        assertEquals(1L << 30, Sizes.parseBytes("1GB"));
        for (String bad : List.of("", "1.5GB", "10K", "GB", "-1", "1TB", "12 34", "99999999999999GB")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void durationsTakeSecondsOrAUnit() {
        assertEquals(30L, Sizes.parseSeconds("30"));
        assertEquals(30L, Sizes.parseSeconds("30s"));
        assertEquals(300L, Sizes.parseSeconds("5m"));
        assertEquals(7200L, Sizes.parseSeconds("2H"));
        assertEquals(86400L, Sizes.parseSeconds("1d"));
        for (String bad : List.of("", "m", "5w", "1.5h", "-3")) {
            assertThrows(IllegalArgumentException.class, () -> Sizes.parseSeconds(bad), bad);
        }
    }

    @Test
    void commandsSplitLikeAShellWithoutOne() {
        assertEquals(List.of("/usr/sbin/sendmail", "-t", "-i"), Argv.split("/usr/sbin/sendmail -t -i"));
        assertEquals(List.of("msmtp", "-t", "--host=h"), Argv.split("  msmtp  -t --host=h "));
        assertEquals(List.of("a b", "c\"d", "e'f", "g h", "$HOME", "x;y|z"),
                Argv.split("'a b' \"c\\\"d\" e\\'f g\\ h '$HOME' x;y|z"));
        assertEquals(List.of(""), Argv.split("''"));
        assertThrows(IllegalArgumentException.class, () -> Argv.split("'open"));
        assertThrows(IllegalArgumentException.class, () -> Argv.split("\"open"));
    }

    @Test
    void selectionMatchesNamesNamespecsAndGroupsButNeverItself() {
        Map<String, String> env = Map.of("SUPERVISOR_GROUP_NAME", "mon", "SUPERVISOR_PROCESS_NAME", "mon");
        Selection byName = new Selection(List.of("web", "jobs:worker", "app"), false, env);
        assertTrue(byName.includes("web", "web"));
        assertTrue(byName.includes("front", "web"), "bare name matches in any group");
        assertTrue(byName.includes("jobs", "worker"));
        assertFalse(byName.includes("other", "worker"), "a namespec names one group");
        assertTrue(byName.includes("app", "app_00"), "numprocs programs match by their group");
        assertTrue(byName.includes("app", "app_01"));
        assertFalse(byName.includes("db", "db"));
        Selection any = new Selection(List.of(), true, env);
        assertTrue(any.includes("db", "db"));
        assertTrue(any.includes("other-listener", "other-listener"), "other listener pools are ordinary processes");
        assertFalse(any.includes("mon", "mon"), "-a never selects the listener itself");
        assertFalse(new Selection(List.of("mon"), false, env).includes("mon", "mon"));
        assertTrue(new Selection(List.of("jobs:*"), false, env).includes("jobs", "w1"));
    }

    @Test
    void headerValuesLoseCrAndLf() {
        Mail mail = new Mail("a@example.com\r\nBcc: evil@example.com", List.of("b@example.com\nX: y"),
                "web crashed\r\nBcc: evil@example.com", "body\nkeeps\nlines");
        assertEquals("web crashed Bcc: evil@example.com", mail.subject());
        assertEquals("a@example.com Bcc: evil@example.com", mail.from());
        assertEquals(List.of("b@example.com X: y"), mail.to());
        assertEquals("body\nkeeps\nlines", mail.body());
    }

    @Test
    void smtpHostsTakeAnOptionalPort() {
        assertEquals(List.of("mail.example.com", "25"), List.of(Smtp.hostPort("mail.example.com", 25)));
        assertEquals(List.of("127.0.0.1", "2525"), List.of(Smtp.hostPort("127.0.0.1:2525", 25)));
        assertEquals(List.of("::1", "465"), List.of(Smtp.hostPort("[::1]:465", 25)));
        assertEquals(List.of("::1", "25"), List.of(Smtp.hostPort("::1", 25)));
        for (String bad : List.of("host:", "host:0", "host:99999", "host:x", ":25", "[::1")) {
            assertThrows(IllegalArgumentException.class, () -> Smtp.hostPort(bad, 25), bad);
        }
    }
}
