import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.Argv;
import org.junit.jupiter.api.Test;

/**
 * Every plugin command line README.md and docs/ show (the supervisord.conf
 * snippets and the migration table) is run as supervisord would run it, with
 * stdin closed at once: it must be accepted, answer READY and exit 0; each
 * --test-alert line is run and tries its destinations; each script a
 * `./jbang` line names exists. The demo's config is checked by DemoTest.
 */
class ReadmeTest {
    /** README.md and every page of docs/, as one text. */
    static String docs() throws java.io.IOException {
        StringBuilder all = new StringBuilder(Files.readString(Repo.ROOT.resolve("README.md"), StandardCharsets.UTF_8));
        try (var pages = Files.list(Repo.ROOT.resolve("docs"))) {
            for (java.nio.file.Path page : pages.sorted().toList()) all.append('\n').append(Files.readString(page, StandardCharsets.UTF_8));
        }
        return all.toString();
    }

    @Test
    void everyCommandLineInTheReadmeAndTheDocsIsAccepted() throws Exception {
        // A command= line, and the environment= line after it if there is one (KEY="value",KEY="value", as supervisord reads it).
        Matcher m = Pattern.compile("command=(/opt/superlance-jbang/jbang [^`\n]+)(?:\n\\s*environment=([^\n]+))?").matcher(docs());
        Map<String, String> commands = new java.util.LinkedHashMap<>();
        while (m.find()) {
            if (!m.group(1).contains("@demo.local")) commands.put(m.group(1), m.group(2) == null ? "" : m.group(2)); // the demo's: DemoTest
        }
        assertTrue(commands.size() >= 25, "snippets found: " + commands.keySet());
        for (Map.Entry<String, String> snippet : commands.entrySet()) {
            Map<String, String> env = new java.util.HashMap<>(Map.of("SUPERVISOR_SERVER_URL", "unix:///nonexistent/supervisor.sock",
                    "SUPERVISOR_PROCESS_NAME", "x", "SUPERVISOR_GROUP_NAME", "x"));
            Matcher pair = Pattern.compile("(\\w+)=\"([^\"]*)\"").matcher(snippet.getValue());
            while (pair.find()) env.put(pair.group(1), pair.group(2));
            String command = snippet.getKey();
            List<String> argv = Argv.split(command.replace("/opt/superlance-jbang", Repo.ROOT.toString()));
            Repo.Result r = Repo.run(argv, env, new byte[0], Duration.ofMinutes(3));
            assertEquals(0, r.status(), command + "\n" + r.err());
            assertEquals("READY\n", r.out(), command + "\n" + r.err());
        }
    }

    @Test
    void everyTestAlertLineIsAcceptedAndTriesEachDestination() throws Exception {
        // The example servers do not resolve here: each destination is tried and fails (exit 1), never a usage error (2).
        Matcher m = Pattern.compile("(?m)^(/opt/superlance-jbang/jbang [^\n]+--test-alert[^\n]*)$").matcher(docs());
        int found = 0;
        while (m.find()) {
            found++;
            List<String> argv = Argv.split(m.group(1).replace("/opt/superlance-jbang", Repo.ROOT.toString()));
            Repo.Result r = Repo.run(argv, Map.of("SLACK_WEBHOOK_URL", "https://hooks.slack.invalid/services/T000/B000/XXXX"),
                    new byte[0], Duration.ofMinutes(3));
            assertEquals(1, r.status(), m.group(1) + "\n" + r.err());
            assertEquals("", r.out());
            assertTrue(r.err().contains("mail to ops@example.com via SMTP smtp.example.com:587 (starttls): failed: "), r.err());
        }
        assertTrue(found >= 2, "--test-alert lines found: " + found);
    }

    @Test
    void everyScriptTheDocsRunExists() throws Exception {
        Matcher m = Pattern.compile("(?m)^\\./jbang (?:build |app install )?(\\S+?)(?:@\\S+)?(?:\\s|$)").matcher(docs());
        int found = 0;
        while (m.find()) {
            found++;
            String script = m.group(1);
            boolean alias = Files.readString(Repo.ROOT.resolve("jbang-catalog.json")).contains("\"" + script + "\"");
            assertTrue(Files.exists(Repo.ROOT.resolve(script)) || alias, script + " is neither a file nor a catalog alias");
        }
        assertTrue(found >= 6, "./jbang lines found: " + found);
        for (String page : List.of("memmon", "httpok", "crashmail", "crashmailbatch", "fatalmailbatch", "crashsms", "channels",
                "reliability", "performance", "migration", "development", "demo")) {
            assertTrue(Files.readString(Repo.ROOT.resolve("README.md")).contains("](docs/" + page + ".md"), "README links docs/" + page + ".md");
        }
        assertTrue(Files.size(Repo.ROOT.resolve("README.md")) < 15_000, "README.md is the door, not the house");
    }

    @Test
    void theTestCommandNamesEachMissingServerAndStopsAtOnce() throws Exception {
        // A PATH without supervisord and prometheus-alertmanager, for a user who is not root (a fake `id`).
        java.nio.file.Path bin = Files.createTempDirectory("path");
        try {
            for (String dir : List.of("/usr/local/bin", "/usr/bin", "/bin")) {
                try (var files = Files.list(java.nio.file.Path.of(dir))) {
                    for (java.nio.file.Path f : files.toList()) {
                        String name = f.getFileName().toString();
                        if (List.of("supervisord", "prometheus-alertmanager", "id").contains(name) || Files.exists(bin.resolve(name))) continue;
                        Files.createSymbolicLink(bin.resolve(name), f);
                    }
                }
            }
            Files.writeString(bin.resolve("id"), "#!/bin/sh\necho 1000\n");
            bin.resolve("id").toFile().setExecutable(true);
            Repo.Result r = Repo.run(List.of(Repo.launcher(), "tests/run.java"), Map.of("PATH", bin.toString()), new byte[0],
                    Duration.ofMinutes(3));
            assertEquals(1, r.status(), r.out() + r.err());
            assertTrue(r.err().contains("tests/run.java: the end-to-end tests need Debian's supervisor: sudo apt-get install -y supervisor\n"
                    + "tests/run.java: the end-to-end tests need Debian's prometheus-alertmanager: sudo apt-get install -y "
                    + "prometheus-alertmanager\n"), r.err());
            assertTrue(!r.out().contains("passed"), "no test ran: " + r.out());
        } finally {
            Repo.deleteTree(bin);
        }
    }
}
