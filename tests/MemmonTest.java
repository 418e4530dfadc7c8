import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import lib.ProcessTable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** memmon's options, limit precedence, cumulative sums and message text, without supervisord. */
class MemmonTest {
    private static final Map<String, String> ENV = Map.of("SUPERVISOR_GROUP_NAME", "memmon", "SUPERVISOR_PROCESS_NAME", "memmon");

    private static memmon parse(String... args) {
        memmon m = new memmon();
        new CommandLine(m).parseArgs(args);
        m.parseLimits(ENV);
        return m;
    }

    @Test
    void everySuperlanceOptionParses() {
        memmon m = parse("-c", "-p", "web=100MB", "--program", "jobs:worker=1GB", "-g", "batch=2GB",
                "--group", "etl=10000", "-a", "512MB", "-s", "/usr/sbin/sendmail -t", "-m", "ops@example.com",
                "-u", "1h", "-n", "prod");
        assertTrue(m.cumulative);
        assertEquals(100L << 20, m.programLimits.get("web"));
        assertEquals(1L << 30, m.programLimits.get("jobs:worker"));
        assertEquals(2L << 30, m.groupLimits.get("batch"));
        assertEquals(10000L, m.groupLimits.get("etl"));
        assertEquals(512L << 20, m.any);
        assertEquals("/usr/sbin/sendmail -t", m.sendmail);
        assertEquals("ops@example.com", m.email);
        assertEquals(3600L, m.uptimeLimit);
        assertEquals("memmon [prod]: process web:web restarted", m.subject("process web:web restarted"));
        memmon longNames = parse("--cumulative", "--any", "1gb", "--email", "a@example.com", "--uptime", "30",
                "--name", "x", "--sendmail_program", "msmtp -t", "--dry-run");
        assertTrue(longNames.cumulative && longNames.dryRun);
        assertEquals(30L, longNames.uptimeLimit);
        assertEquals("memmon: process a:a restarted", parse("-a", "1GB").subject("process a:a restarted"));
        assertEquals("/usr/sbin/sendmail -t -i", parse("-a", "1GB").sendmail);
    }

    @Test
    void badInputIsAUsageErrorWithExitStatus2() {
        for (String[] args : new String[][] {{}, {"-m", "ops@example.com"}, {"-p", "web=12XB"}, {"-p", "web"},
                {"-g", "=1GB"}, {"-a", "lots"}, {"-u", "5w", "-a", "1GB"}, {"--bogus"}, {"-a", "1GB", "-m", "not an address"}}) {
            memmon m = new memmon();
            assertThrows(CommandLine.ParameterException.class, () -> {
                new CommandLine(m).parseArgs(args);
                m.parseLimits(ENV);
            }, String.join(" ", args));
        }
        assertEquals(2, lib.Cli.execute(new memmon()));
        assertEquals(2, lib.Cli.execute(new memmon(), "-p", "web=12XB"));
        assertEquals(2, lib.Cli.execute(new memmon(), "-a", "1GB", "-m", "not an address"));
    }

    @Test
    void theMostSpecificLimitWins() {
        memmon m = parse("-p", "web:web=1KB", "-p", "web=2KB", "-p", "app=3KB", "-g", "batch=4KB", "-g", "jobs=5KB", "-a", "6KB");
        assertEquals(1024L, m.limitFor("web", "web"), "namespec beats bare name");
        assertEquals(2048L, m.limitFor("front", "web"), "bare name beats group");
        assertEquals(3072L, m.limitFor("app", "app_00"), "a numprocs group by its name, as -p");
        assertEquals(2048L, m.limitFor("web", "other"), "-p by group name (numprocs) beats -g");
        assertEquals(4096L, m.limitFor("batch", "other"), "group beats any");
        assertEquals(1024L, parse("-p", "web:web=1KB", "-g", "web=4KB").limitFor("web", "web"));
        assertEquals(5120L, m.limitFor("jobs", "w1"));
        assertEquals(6144L, m.limitFor("db", "db"), "any for the rest");
        assertNull(parse("-p", "web=1KB").limitFor("db", "db"), "no limit, no check");
        memmon named = parse("-n", "prod", "-p", "web=1KB");
        assertEquals("prod", named.name, "-n is not overwritten by -p (superlance bug)");
    }

    @Test
    void cumulativeRssSumsTheWholeTreeOnce() {
        ProcessTable table = new ProcessTable(Map.of(
                1, new ProcessTable.Entry(1, 0, 1000),
                10, new ProcessTable.Entry(10, 1, 100),
                11, new ProcessTable.Entry(11, 10, 20),
                12, new ProcessTable.Entry(12, 10, 30),
                13, new ProcessTable.Entry(13, 12, 4),
                20, new ProcessTable.Entry(20, 1, 7),
                30, new ProcessTable.Entry(30, 31, 5), // a loop, as pid reuse mid-scan could make
                31, new ProcessTable.Entry(31, 30, 6)));
        assertEquals(154, table.treeRss(10));
        assertEquals(34, table.treeRss(12));
        assertEquals(20, table.treeRss(11));
        assertEquals(11, table.treeRss(30));
        assertEquals(0, table.treeRss(99), "gone");
    }

    @Test
    void aStatLineGivesParentAndRssWhateverTheCommandName() throws Exception {
        // The name is in parentheses and may hold ')', spaces and digits; fields 4 (ppid) and 24 (rss, pages) follow.
        String tail = " R 4242 29881 1152 0 -1 4194304 97 0 0 0 0 0 0 0 20 -5 1 0 107827 3133440 379 18446744073709551615 0 0\n";
        for (String name : List.of("cat", "a) (b", "x 1 2 3)", "")) {
            byte[] line = ("29884 (" + name + ")" + tail).getBytes(StandardCharsets.UTF_8);
            ProcessTable.Entry e = ProcessTable.parse(29884, line, line.length);
            assertEquals(new ProcessTable.Entry(29884, 4242, 379 * ProcessTable.PAGE_SIZE), e, name);
        }
        byte[] cut = "29884 (cat) R 4242 29881 1152".getBytes(StandardCharsets.UTF_8);
        assertNull(ProcessTable.parse(29884, cut, cut.length), "a line cut short");
        assertNull(ProcessTable.parse(29884, new byte[0], 0), "nothing read");
    }

    @Test
    void procReadsThisJvmsMemory() throws Exception {
        ProcessTable.Entry me = ProcessTable.read((int) ProcessHandle.current().pid());
        assertTrue(me.rss() > 10L << 20 && me.rss() < 4L << 30, "rss " + me.rss());
        assertEquals(ProcessHandle.current().parent().orElseThrow().pid(), me.ppid());
        ProcessTable all = ProcessTable.scan();
        assertTrue(all.treeRss(1) >= me.rss(), "init's tree holds this process");
        assertNull(ProcessTable.read(Integer.MAX_VALUE));
    }

    @Test
    void mailTextNamesProcessTimeAndRss() {
        String body = memmon.restartBody("web:web", "PSS 83886080 bytes with its 8 descendant(s), limit 41943040 bytes", 12);
        assertTrue(body.startsWith("memmon restarted process web:web at 20"), body);
        assertTrue(body.contains("over its limit: PSS 83886080 bytes with its 8 descendant(s), limit 41943040 bytes.\n")
                && body.contains("Uptime before the restart: 12 s"), body);
    }
}
