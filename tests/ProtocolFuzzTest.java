import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Each plugin, run through ./jbang, fed thousands of generated events:
 * unknown event names, process output in several scripts and in invalid
 * UTF-8, text that looks like the protocol, 64 KiB lines, header tokens in
 * any order with unknown ones among them. stdout must carry exactly one
 * READY and one RESULT per event, in order, and nothing else.
 */
class ProtocolFuzzTest {
    static final int EVENTS = 2000;
    static final Map<String, List<String>> ARGS = Map.of(
            "memmon", List.of("-a", "1GB"),
            "httpok", List.of("-E", "-p", "web", "-t", "1", "http://127.0.0.1:1/"),
            "crashmail", List.of("-a"),
            "crashmailbatch", List.of("-t", "a@example.com", "-f", "b@example.com", "-i", "0.1", "--sendmail_program", "/bin/true"),
            "fatalmailbatch", List.of("-t", "a@example.com", "-f", "b@example.com", "-i", "0.1", "--sendmail_program", "/bin/true"),
            "crashsms", List.of("-t", "a@example.com", "-f", "b@example.com", "-i", "0.1", "--sendmail_program", "/bin/true"));
    // No supervisord here: RPC calls fail at once and are logged, which is part of what must not break the protocol.
    static final Map<String, String> ENV = Map.of("SUPERVISOR_SERVER_URL", "unix:///nonexistent/supervisor.sock");
    static final String[] NAMES = {"TICK_5", "TICK_60", "PROCESS_STATE_EXITED", "PROCESS_STATE_FATAL", "PROCESS_STATE_RUNNING",
            "PROCESS_LOG_STDOUT", "PROCESS_LOG_STDERR", "SUPERVISOR_STATE_CHANGE_RUNNING", "REMOTE_COMMUNICATION", "NO_SUCH_EVENT_X"};
    // Pieces of payload and how many characters supervisor's len counts for each (code points; a bad byte is one).
    static final byte[][] PIECES = {ascii("READY\n"), ascii("RESULT 2\nOK"), ascii("ver:3.0 len:99 eventname:TICK_5\n"),
            "é".getBytes(StandardCharsets.UTF_8), "日本".getBytes(StandardCharsets.UTF_8), "😀".getBytes(StandardCharsets.UTF_8),
            {(byte) 0xff}, {(byte) 0xc3, 'x'}, ascii(" plain text ")};
    static final int[] PIECE_CHARS = {6, 11, 32, 1, 2, 1, 1, 2, 12};

    static byte[] ascii(String s) { return s.getBytes(StandardCharsets.US_ASCII); }

    /** One event as supervisord frames it: header tokens shuffled, an unknown token among them, then the payload. */
    static void event(ByteArrayOutputStream out, Random random, int serial) {
        String name = NAMES[random.nextInt(NAMES.length)];
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        int chars;
        if (name.startsWith("TICK_")) {
            String text = "when:" + (1_800_000_000L + serial);
            payload.writeBytes(ascii(text));
            chars = text.length();
        } else {
            String first = "processname:p" + random.nextInt(5) + "é groupname:g from_state:RUNNING expected:" + random.nextInt(2)
                    + " pid:" + (1000 + serial) + (name.startsWith("PROCESS_LOG") ? " channel:stdout" : "");
            payload.writeBytes(first.getBytes(StandardCharsets.UTF_8));
            chars = first.codePointCount(0, first.length());
            if (name.startsWith("PROCESS_LOG")) {
                payload.write('\n');
                chars++;
                int pieces = random.nextInt(100) == 0 ? 6000 : random.nextInt(20); // now and then a 64 KiB line
                for (int i = 0; i < pieces; i++) {
                    int k = random.nextInt(PIECES.length);
                    payload.writeBytes(PIECES[k]);
                    chars += PIECE_CHARS[k];
                }
            }
        }
        List<String> tokens = new ArrayList<>(List.of("ver:3.0", "server:supervisor", "serial:" + serial, "pool:fuzz",
                "poolserial:" + serial, "eventname:" + name, "len:" + chars, "extra:token" + serial));
        Collections.shuffle(tokens, random);
        out.writeBytes(ascii(String.join(" ", tokens) + "\n"));
        out.writeBytes(payload.toByteArray());
    }

    static Repo.Result run(String plugin, byte[] stdin) throws Exception {
        List<String> command = new ArrayList<>(List.of(Repo.launcher(), plugin + ".java"));
        command.addAll(ARGS.get(plugin));
        return Repo.run(command, ENV, stdin, Duration.ofMinutes(3));
    }

    @Test
    void thousandsOfOddEventsGetOneAnswerEachAndNothingElse() throws Exception {
        for (String plugin : CatalogTest.PLUGINS) {
            Random random = new Random(plugin.hashCode());
            ByteArrayOutputStream stdin = new ByteArrayOutputStream();
            for (int serial = 1; serial <= EVENTS; serial++) event(stdin, random, serial);
            Repo.Result r = run(plugin, stdin.toByteArray());
            assertEquals(0, r.status(), plugin + ": " + tail(r.err()));
            assertEquals("READY\n" + "RESULT 2\nOKREADY\n".repeat(EVENTS), r.out(), plugin + ": stdout is the protocol only");
        }
    }

    @Test
    void aTruncatedEventThenEofEndsCleanlyAndAMalformedHeaderEndsWithAnError() throws Exception {
        String tick = Frames.frame("TICK_5", 1, "when:1800000000");
        for (String plugin : CatalogTest.PLUGINS) {
            Repo.Result truncated = run(plugin, ascii(tick + "ver:3.0 eventname:PROCESS_STATE_EXITED len:100\nprocessname:x"));
            assertEquals(0, truncated.status(), plugin + ": " + tail(truncated.err()));
            assertEquals("READY\nRESULT 2\nOKREADY\n", truncated.out(), plugin);
            assertTrue(truncated.err().contains("stdin closed in the middle of PROCESS_STATE_EXITED"), plugin + ": " + tail(truncated.err()));

            // Every plugin reads events through lib/Listener (ListenerTest has each case too): one bad header
            // each here, all four for one plugin, so the run starts 12 JVMs instead of 30.
            List<String> headers = List.of("eventname:TICK_5 len:abc\n", "eventname:TICK_5\n", "len:5\nhello", "eventname:TICK_5 len:-3\n");
            for (String header : plugin.equals("crashmail") ? headers : List.of(headers.get(CatalogTest.PLUGINS.indexOf(plugin) % 4))) {
                Repo.Result bad = run(plugin, ascii(tick + header));
                assertNotEquals(0, bad.status(), plugin + " with " + header.strip());
                assertEquals("READY\nRESULT 2\nOKREADY\n", bad.out(), plugin + ": nothing garbled on stdout");
                assertTrue(bad.err().contains("protocol error"), plugin + ": " + tail(bad.err()));
                assertTrue(!bad.err().contains("\tat "), plugin + ": no stack trace: " + tail(bad.err()));
            }
        }
    }

    static String tail(String text) { return text.length() > 3000 ? "..." + text.substring(text.length() - 3000) : text; }
}
