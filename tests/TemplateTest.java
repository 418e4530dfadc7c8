import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import lib.Alert;
import lib.Json;
import lib.WebChannel;
import org.junit.jupiter.api.Test;

/** --webhook-template: the examples stay JSON whatever a log holds; a broken template is refused at start, naming file and reason. */
class TemplateTest {
    static final List<String> EXAMPLES = List.of("teams", "telegram", "googlechat", "ntfy");

    /** A crash whose every field is hostile: quotes, backslashes, control characters, emoji, a placeholder, a script tag. */
    static final Alert HOSTILE = new Alert("crashmail", "web \"crashed\" at 10:00 \\ {{json}}",
            "Process web exited\n\t\u0001\u001b[31mred\u001b[0m \"quoted\" \\path\\ \ud83d\ude80 </script>\u2028end",
            List.of(new Alert.Event(Alert.Kind.CRASH, "grp", "web \"1\"", 7, "RUNNING", 3, Instant.now())), "Traceback:\r\n  \"x\"\\");

    private static WebChannel webhook() {
        return new WebChannel(WebChannel.Shape.WEBHOOK, "https://example.com/hook", "crashmail", "host \"1\"", Map.of(), null, false);
    }

    /** True when Python's json module reads the text and one of its strings holds `part` exactly. */
    static boolean holds(String json, String part) throws Exception {
        String code = "import json, sys\nd = json.loads(sys.stdin.read())\n"
                + "def strs(x):\n    if isinstance(x, dict): return [s for v in x.values() for s in strs(v)]\n"
                + "    if isinstance(x, list): return [s for v in x for s in strs(v)]\n    return [x] if isinstance(x, str) else []\n"
                + "print(any(sys.argv[1] in s for s in strs(d)))\n";
        Repo.Result r = Repo.run(List.of("python3", "-c", code, part), Map.of(), json.getBytes(StandardCharsets.UTF_8),
                java.time.Duration.ofSeconds(30));
        assertEquals(0, r.status(), r.err());
        return r.out().strip().equals("True");
    }

    @Test
    void everyExampleFilledWithAHostileAlertIsJsonThatKeepsItsText() throws Exception {
        for (String name : EXAMPLES) {
            Path file = Repo.ROOT.resolve("examples/templates/" + name + ".json");
            String body = webhook().template(Files.readString(file), file.toString()).envelope(HOSTILE).body();
            Json.check(body); // ours
            assertTrue(holds(body, HOSTILE.subject()), name + ": the subject, whole, read back by Python's json module: " + body);
            assertTrue(holds(body, "\ud83d\ude80 </script>\u2028end"), name + ": the text's end, emoji and all: " + body);
        }
        String json = webhook().template("{\"all\": {{json}}, \"s\": \"{{status}}\"}", "t.json").envelope(HOSTILE).body();
        assertEquals("('firing', 'crashmail', 'Traceback:\\r\\n  \"x\"\\\\')", JsonTest.python(json,
                "(d['s'], d['all']['plugin'], d['all']['excerpt'])"));
    }

    @Test
    void aTemplateThatIsNotJsonOnceFilledInIsRefusedAtStart() throws Exception {
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> webhook().template("{\"text\": {{text}}}", "teams.json"), "a placeholder outside quotes");
        assertTrue(bad.getMessage().startsWith("--webhook-template teams.json is not JSON once filled in: line 1: "), bad.getMessage());
        for (String broken : List.of("{\"a\": 1,}", "{\"a\" 1}", "[1, 2", "{\"a\": \"x\"} extra", "", "{'a': 1}", "{\"a\": tru}")) {
            assertThrows(IllegalArgumentException.class, () -> Json.check(broken), broken);
        }
        Json.check("{\"a\": [1, -2.5e3, true, false, null, \"\\u00e9\\n\"], \"b\": {}}");

        Path file = Files.createTempFile("broken", ".json");
        try {
            Files.writeString(file, "{\n  \"text\": \"{{text}}\",\n}\n");
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream saved = System.err;
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int status;
            try {
                status = lib.Cli.execute(new crashmail(), "-a", "--webhook", "https://example.com/h", "--webhook-template", file.toString());
            } finally {
                System.setErr(saved);
            }
            assertEquals(2, status);
            assertTrue(err.toString().contains("--webhook-template " + file + " is not JSON once filled in: line 3: "), err.toString());
        } finally {
            Files.delete(file);
        }
        assertEquals(2, AlertsTest.exitStatus(new crashmail(), "-a", "--webhook-template", "x.json", "--webhook", "https://example.com/h"),
                "a template before its webhook");
        assertEquals(2, AlertsTest.exitStatus(new crashmail(), "-a", "--webhook", "https://example.com/h", "--webhook-template", "/nonexistent"));
    }

    @Test
    void aTemplateBelongsToTheWebhookJustBeforeIt() throws Exception {
        crashmail plugin = new crashmail();
        Path teams = Repo.ROOT.resolve("examples/templates/teams.json");
        new picocli.CommandLine(plugin).setOverwrittenOptionsAllowed(true) // as lib/Cli parses
                .parseArgs("-a", "--webhook", "https://a.example.com/", "--webhook", "https://b.example.com/", "--webhook-template", teams.toString());
        List<lib.Channel> channels = plugin.channelOptions.channels("crashmail", Map.of());
        assertTrue(channels.get(0).envelope(HOSTILE).body().startsWith("{\"plugin\":\"crashmail\""), "the first: the webhook document");
        assertTrue(channels.get(1).envelope(HOSTILE).body().contains("AdaptiveCard"), "the second: its template");
    }
}
