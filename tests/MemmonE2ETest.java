import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import lib.ProcessInfo;
import lib.ProcessTable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * memmon run by a real supervisord through ./jbang, as a user would run it,
 * against python programs that hold a known amount of memory.
 */
class MemmonE2ETest {
    private Path dir;
    private GreenMail greenMail;
    private int smtpPort;

    @BeforeAll
    static void build() throws Exception {
        Repo.build("memmon.java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("memmon");
        // hog.py MB: holds MB mebibytes of touched memory, then sleeps.
        Files.writeString(dir.resolve("hog.py"), "import sys, time\nx = b'a' * (int(sys.argv[1]) << 20)\ntime.sleep(1000)\n");
        // tree.sh: a small shell whose child holds the memory (sh stays the parent: more follows the child).
        executable("tree.sh", "#!/bin/sh\n/usr/bin/python3 " + dir.resolve("hog.py") + " 80\ntrue\n");
        executable("sendmail", "#!/bin/sh\ncat > \"" + dir + "/mail.$$\"\n");
        smtpPort = Repo.freePort();
        greenMail = Mails.smtp(smtpPort);
    }

    @AfterEach
    void tearDown() throws IOException {
        greenMail.stop();
        Repo.deleteTree(dir);
    }

    private void executable(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
        Files.setPosixFilePermissions(dir.resolve(name), PosixFilePermissions.fromString("rwx------"));
    }

    private String program(String name, String command) {
        return "[program:" + name + "]\ncommand=" + command + "\nstartsecs=1\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    private String hog(String name, int mb) { return program(name, "/usr/bin/python3 " + dir.resolve("hog.py") + " " + mb); }

    /** How memmon reads memory in this suite: its default (/proc on Linux); MemmonOshiE2ETest runs it all again with OSHI. */
    String memorySource() { return ""; }

    /** memmon's log says where it reads memory. */
    void checkLog(String log) {
        assertTrue(log.contains("; memory from /proc (RSS);"), "memmon said where it reads memory:\n" + log);
    }

    private String memmon(String name, String args) {
        return "[eventlistener:" + name + "]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve("memmon.java") + " " + args
                + memorySource()
                + "\nevents=TICK_5\nstderr_logfile=%(dir)s/" + name + ".err\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    private static Map<String, Integer> runningPids(Supervisord s) throws Exception {
        Map<String, Integer> pids = new HashMap<>();
        for (ProcessInfo p : s.awaitAllRunning(Duration.ofSeconds(60))) pids.put(p.namespec(), p.pid());
        return pids;
    }

    /** Waits until listener `name` has logged `ticks` more tick summaries than it had at the start. */
    private static void awaitTicks(Supervisord s, String name, int ticks) throws InterruptedException {
        int before = Repo.count(s.read(name + ".err"), "TICK_5: \\d+ checked");
        Repo.await(name + " to handle " + ticks + " ticks", Duration.ofSeconds(60),
                () -> Repo.count(s.read(name + ".err"), "TICK_5: \\d+ checked") >= before + ticks);
    }

    private static int pid(Supervisord s, String namespec) throws IOException {
        return s.unix().getProcessInfo(namespec).pid();
    }

    private static void awaitNewPid(Supervisord s, String namespec, int old) throws InterruptedException {
        Repo.await(namespec + " to be restarted (pid " + old + " replaced)", Duration.ofSeconds(60), () -> {
            try {
                int now = pid(s, namespec);
                return now > 0 && now != old;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private List<String> recordedMails() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("mail.")).map(p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    return "";
                }
            }).toList();
        }
    }

    @Test
    void restartsWhatIsOverItsLimitAndMails() throws Exception {
        String sections = hog("hog", 80) + hog("small", 2) + hog("hog2", 80) + "[group:grp]\nprograms=hog2\n\n"
                + hog("hog3", 80) + "[group:g3]\nprograms=hog3\n\n" + hog("hog4", 80)
                + program("tree", dir.resolve("tree.sh").toString()) + program("tree2", dir.resolve("tree.sh").toString())
                + memmon("mm_p", "-p hog=40MB -p small=40MB -m ops@example.com -s \"" + dir.resolve("sendmail") + " -t -i\"")
                + memmon("mm_ns", "-p grp:hog2=40MB -n prod -m ops@example.com --smtp-host 127.0.0.1:" + smtpPort
                        + " --from memmon@example.com")
                + memmon("mm_g", "-g g3=40MB")
                + memmon("mm_c", "-c -p tree=40MB")
                + memmon("mm_noc", "-p tree2=40MB")
                + memmon("mm_dry", "--dry-run -p hog4=40MB");
        try (Supervisord s = Supervisord.start(sections)) {
            Map<String, Integer> first = runningPids(s);
            awaitNewPid(s, "hog:hog", first.get("hog:hog"));
            awaitNewPid(s, "grp:hog2", first.get("grp:hog2"));
            awaitNewPid(s, "g3:hog3", first.get("g3:hog3"));
            awaitNewPid(s, "tree:tree", first.get("tree:tree"));

            // sendmail transport: the recorder got the restart report.
            Repo.await("a mail through the sendmail command", Duration.ofSeconds(30), () -> {
                try {
                    return recordedMails().stream().anyMatch(m -> m.contains("Subject: memmon: process hog:hog restarted"));
                } catch (IOException e) {
                    return false;
                }
            });
            String mail = recordedMails().stream().filter(m -> m.contains("hog:hog restarted")).findFirst().orElseThrow();
            assertTrue(mail.contains("To: ops@example.com"), mail);
            assertTrue(Pattern.compile("over its limit: RSS \\d{8,} bytes, limit 41943040 bytes").matcher(mail).find(), mail);

            // SMTP transport, with -n in the subject and a namespec limit (superlance crashed on group:name).
            assertTrue(greenMail.waitForIncomingEmail(30_000, 1), "a mail over SMTP");
            assertEquals("memmon [prod]: process grp:hog2 restarted", greenMail.getReceivedMessages()[0].getSubject());

            // Under the limit, without -c, and in a dry run: left alone while their listeners keep ticking.
            for (String listener : List.of("mm_p", "mm_noc", "mm_dry")) awaitTicks(s, listener, 2);
            assertEquals(first.get("small:small"), pid(s, "small:small"), "12 MB program left alone");
            assertEquals(first.get("tree2:tree2"), pid(s, "tree2:tree2"), "the shell alone is small: no restart without -c");
            assertEquals(first.get("hog4:hog4"), pid(s, "hog4:hog4"), "--dry-run restarts nothing");
            assertTrue(s.read("mm_dry.err").contains("would restart hog4:hog4"), s.read("mm_dry.err"));
            assertTrue(s.read("mm_c.err").matches("(?s).*RSS \\d+ bytes with its [1-9]\\d* descendant\\(s\\).*"), s.read("mm_c.err"));
            checkLog(s.read("mm_c.err"));
            String log = s.log();
            assertTrue(!log.contains("UNKNOWN state") && !log.contains("overflowed"), log);
        }
    }

    @Test
    void anyRestartsOthersButNeverItself() throws Exception {
        long limit = 30L << 20;
        try (Supervisord s = Supervisord.start(hog("hog", 80) + hog("small", 2) + memmon("mm_any", "-a 30MB"))) {
            Map<String, Integer> first = runningPids(s);
            awaitNewPid(s, "hog:hog", first.get("hog:hog"));
            awaitTicks(s, "mm_any", 2);
            int self = pid(s, "mm_any:mm_any");
            ProcessTable.Entry selfMemory = ProcessTable.read(self);
            assertTrue(selfMemory != null && selfMemory.rss() > limit,
                    "the listener itself is over -a (" + (selfMemory == null ? "gone" : selfMemory.rss()) + " bytes), so this proves something");
            assertEquals(first.get("mm_any:mm_any"), self, "memmon did not restart itself");
            assertEquals(first.get("small:small"), pid(s, "small:small"));
            assertNotEquals(first.get("hog:hog"), pid(s, "hog:hog"));
        }
    }
}
