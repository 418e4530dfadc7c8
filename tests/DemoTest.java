import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's first command: the demo shows each plugin acting, exits 0, and leaves nothing running; docs/demo.md shows its config. */
class DemoTest {
    @Test
    void everyPluginActsAndEverythingIsStopped() throws Exception {
        Repo.Result demo = Repo.run(List.of(Repo.launcher(), "examples/demo.java"), Map.of(), new byte[0], Duration.ofMinutes(4));
        assertEquals(0, demo.status(), demo.out() + demo.err());
        for (String plugin : CatalogTest.PLUGINS) {
            assertTrue(demo.out().contains("mail            to " + plugin + "@demo.local: "), plugin + " mailed:\n" + demo.out());
        }
        assertTrue(Pattern.compile("memmon +restarting leaker:leaker: RSS \\d+ bytes").matcher(demo.out()).find(), demo.out());
        assertTrue(demo.out().contains("httpok          web:web restarted"), demo.out());
        assertTrue(Pattern.compile("mail +to httpok@demo.local: httpok: \\S+: healthy again").matcher(demo.out()).find(),
                "the recovery: " + demo.out());
        assertTrue(demo.out().contains("with --test-alert added"), "the demo points at --test-alert: " + demo.out());
        Matcher pid = Pattern.compile("supervisord \\(pid (\\d+)\\) in (\\S+);").matcher(demo.out());
        assertTrue(pid.find(), demo.out());
        assertTrue(ProcessHandle.of(Long.parseLong(pid.group(1))).isEmpty(), "supervisord stopped");
        assertTrue(!Files.exists(java.nio.file.Path.of(pid.group(2))), "its directory removed");
    }

    @Test
    void theReadmeShowsTheConfigTheDemoWrites() throws Exception {
        Repo.Result config = Repo.run(List.of(Repo.launcher(), "examples/demo.java", "--print-config"));
        assertEquals(0, config.status(), config.err());
        assertTrue(config.out().contains("[eventlistener:crashsms]"), config.out());
        String page = Files.readString(Repo.ROOT.resolve("docs/demo.md"), StandardCharsets.UTF_8);
        assertTrue(page.contains("```ini\n" + config.out() + "```\n"), "docs/demo.md must show the demo's supervisord.conf as printed");
    }
}
