import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lib.Argv;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * superlance command lines as found in the field, run through ./jbang the
 * way supervisord runs command= (split into argv, no shell): each must
 * start, answer READY and end cleanly when stdin closes; the few refused on
 * purpose exit 2 with a message that says what to write instead.
 */
class CommandLinesTest {
    private static final List<String> PLUGINS = List.of("memmon", "crashmail", "httpok", "crashmailbatch", "fatalmailbatch", "crashsms");

    @BeforeAll
    static void build() throws Exception {
        for (String plugin : PLUGINS) Repo.build(plugin + ".java");
    }

    /** Runs `PLUGIN.java ARGS` (one command= line after the launcher) with stdin closed at once. */
    private static Repo.Result run(String commandLine) throws Exception {
        List<String> argv = new ArrayList<>(List.of(Repo.launcher()));
        argv.addAll(Argv.split(commandLine));
        Map<String, String> env = new HashMap<>();
        env.put("SUPERVISOR_SERVER_URL", "unix:///nonexistent/supervisor.sock"); // memmon and httpok need one to start
        return Repo.run(argv, env, new byte[0], Duration.ofMinutes(2));
    }

    /** Starts, says READY and nothing else on stdout, and exits 0 at EOF; returns its log. */
    private static String starts(String commandLine) throws Exception {
        Repo.Result r = run(commandLine);
        assertEquals(0, r.status(), commandLine + " was refused:\n" + r.err());
        assertEquals("READY\n", r.out(), commandLine);
        return r.err();
    }

    /** Refused as a usage error: exit 2, one line, no stack trace; returns the line. */
    private static String refused(String commandLine) throws Exception {
        Repo.Result r = run(commandLine);
        assertEquals(2, r.status(), commandLine + " started:\n" + r.err());
        assertEquals("", r.out(), commandLine);
        assertEquals(1, r.err().strip().lines().count(), r.err());
        return r.err();
    }

    @Test
    void localMailboxesAreRecipientsAndSenders() throws Exception {
        starts("memmon.java -a 800MB -c -m root");
        starts("crashmail.java -a -m ops --from supervisor");
        starts("httpok.java -p web -m root,ops http://127.0.0.1:9/health");
        starts("fatalmailbatch.java -t root -f supervisord --sendmail_program '/usr/sbin/sendmail -t -i'");
        String smtp = starts("crashmailbatch.java -t root,ops@example.com -f supervisord -H 127.0.0.1:25");
        assertTrue(smtp.contains("supervisord, root have no domain: an SMTP server may refuse them"), smtp);
        String sendmail = starts("crashmail.java -a -m root");
        assertTrue(!sendmail.contains("no domain"), "sendmail delivers local names; no warning: " + sendmail);

        // Still refused: nothing, whitespace, control characters, CR/LF.
        assertTrue(refused("crashmail.java -a -m ''").contains("--email"));
        assertTrue(refused("memmon.java -a 1GB -m 'ro ot'").contains("'ro ot' is not a mail address or a local mailbox name"));
        refused("crashmail.java -a -m 'root\u0007'");
        refused("crashmailbatch.java -t 'root\r\nBcc: x@example.com' -f s@example.com");
        refused("crashsms.java -t 5551234567@sms.example.com -f 's\nX: y'");
    }

    @Test
    void crashmailWithNeitherProgramNorAnyWatchesEveryProcess() throws Exception {
        String log = starts("crashmail.java -o PROD -m ops@example.com");
        assertTrue(log.contains("no -p or -a given: watching every process, as superlance did"), log);
        assertTrue(log.contains("watching every process; mail to ops@example.com"), log);
    }

    @Test
    void longOptionsTakeAnyUniquePrefixAsGetoptDid() throws Exception {
        String memmon = starts("memmon.java --prog=app=1GB --cumul --sendmail='/bin/cat -u' -m ops@example.com");
        assertTrue(memmon.contains("watching -p app=1073741824 (cumulative); memory from /proc (RSS); mail to ops@example.com via sendmail command /bin/cat -u"), memmon);
        String batch = starts("crashmailbatch.java --toE=ops@example.com --fromE s@example.com --interv 5 --smtpH=mail.example.com");
        assertTrue(batch.contains("batching every 5.0 min (TICK_60); mail to ops@example.com via SMTP mail.example.com:25"), batch);
        // --s fits superlance's --sendmail_program and options added here (--smtp-host ...): it means what it meant there.
        String s = starts("memmon.java -a 1GB -m ops@example.com --s /bin/cat");
        assertTrue(s.contains("via sendmail command /bin/cat"), s);
        String group = starts("memmon.java --groupname=web=1GB");
        assertTrue(group.contains("watching -g web=1073741824"), group);

        assertTrue(refused("httpok.java --co 200 http://127.0.0.1:9/").contains("'--co' is ambiguous: it could be --code, --coredir"));
        assertTrue(refused("crashmail.java -a --fold 3").contains("'--fold' is ambiguous: it could be --fold-after, --fold-window"));
        assertTrue(refused("memmon.java --nosuch=1 -a 1GB").contains("'--nosuch=1'"));
        assertTrue(refused("memmon.java -p a=1GB --nosuch").contains("Unknown option: '--nosuch'"), "an unknown option is not a left-over value");
    }

    @Test
    void anOptionGivenTwiceTakesTheLastValueAsGetoptDid() throws Exception {
        String crashmail = starts("crashmail.java -a -a -m a@example.com -m b@example.com");
        assertTrue(crashmail.contains("mail to b@example.com;"), crashmail);
        String memmon = starts("memmon.java -a 1GB -a 2GB");
        assertTrue(memmon.contains("watching -a 2147483648;"), memmon);
        String notEager = starts("httpok.java -e -E -p web http://127.0.0.1:9/");
        assertTrue(notEager.contains("only while a selected process is RUNNING"), notEager);
        String eager = starts("httpok.java -E -e -p web http://127.0.0.1:9/");
        assertTrue(!eager.contains("only while a selected process is RUNNING"), eager);
    }

    @Test
    void wordsLeftAfterAnOptionSayWhatToWrite() throws Exception {
        String memmon = refused("memmon.java -p a=500MB b=300MB");
        assertTrue(memmon.contains("each limit needs its own -p: -p b=300MB"), memmon);
        String crashmail = refused("crashmail.java -p web worker -m ops@example.com");
        assertTrue(crashmail.contains("each value needs its own -p: -p worker"), crashmail);
    }

    @Test
    void helpStillListsEveryOption() throws Exception {
        Repo.Result r = run("memmon.java --help");
        assertEquals(0, r.status(), r.err());
        String help = r.out() + r.err();
        assertTrue(help.contains("--groupname") && help.contains("--cumulative"), help);
    }
}
