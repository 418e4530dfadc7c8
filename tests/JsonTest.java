import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lib.Json;
import org.junit.jupiter.api.Test;

/** The JSON the channels post: every string escaped, so event text never breaks the document (python3's json reads it back). */
class JsonTest {
    /** What python3's json module makes of the document, written back as Python's repr of the value at `path`. */
    static String python(String json, String expression) throws Exception {
        Repo.Result r = Repo.run(List.of("python3", "-c", "import json, sys; d = json.loads(sys.stdin.read()); print(ascii(" + expression + "))"),
                Map.of(), json.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30));
        assertEquals(0, r.status(), r.err());
        return r.out().strip();
    }

    @Test
    void everyStringIsEscaped() throws Exception {
        String nasty = "quote \" backslash \\ newline \n cr \r tab \t nul \u0000 esc \u001b del \u007f ls \u2028 emoji \uD83D\uDE00 lone \uD800 end";
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("text", nasty);
        doc.put("n", 42);
        doc.put("ok", true);
        doc.put("none", null);
        doc.put("list", List.of("a", 1, Map.of("k\"ey", "v")));
        String json = Json.write(doc);
        assertEquals("'quote \" backslash \\\\ newline \\n cr \\r tab \\t nul \\x00 esc \\x1b del \\x7f ls \\u2028 emoji \\U0001f600 lone \\ufffd end'",
                python(json, "d['text']"));
        assertEquals("[42, True, None, 'v']", python(json, "[d['n'], d['ok'], d['none'], d['list'][2]['k\"ey']]"));
        assertEquals("{\"a\":[]}", Json.write(Map.of("a", List.of())));
    }
}
