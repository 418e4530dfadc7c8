import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import lib.Event;
import lib.Listener;
import lib.Log;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ListenerTest {
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final List<Event> events = new ArrayList<>();
    private String stdout;

    @BeforeEach
    void captureLog() { Log.to(new PrintStream(log, true, StandardCharsets.UTF_8)); }

    @AfterEach
    void restoreLog() { Log.to(System.err); }

    private int run(byte[] input, Listener.Handler handler) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = new Listener(new ByteArrayInputStream(input), out).run(handler);
        stdout = out.toString(StandardCharsets.US_ASCII);
        return status;
    }

    private int run(String input) { return run(input.getBytes(StandardCharsets.UTF_8), events::add); }

    @Test
    void answersEachEventAndExitsCleanlyOnEof() {
        String input = Frames.frame("TICK_5", 1, "when:1700000000") + Frames.frame("TICK_60", 2, "when:1700000060");
        assertEquals(0, run(input));
        assertEquals("READY\nRESULT 2\nOKREADY\nRESULT 2\nOKREADY\n", stdout);
        assertEquals(2, events.size());
        assertEquals(5, events.get(0).tickSeconds());
        assertEquals(1700000060L, events.get(1).when());
        assertEquals(60, events.get(1).tickSeconds());
        assertEquals("2", events.get(1).serial());
        assertEquals("listener", events.get(1).pool());
    }

    @Test
    void eachAnswerAndTheNextReadyGoOutInOneWrite() {
        // One write, so one wake-up of supervisord an event (docs/performance.md); it reads both tokens from it.
        List<String> writes = new ArrayList<>();
        java.io.OutputStream counting = new java.io.OutputStream() {
            @Override
            public void write(int b) { writes.add(String.valueOf((char) b)); }

            @Override
            public void write(byte[] b, int off, int len) { writes.add(new String(b, off, len, StandardCharsets.US_ASCII)); }
        };
        String input = Frames.frame("TICK_5", 1, "when:1") + Frames.frame("TICK_5", 2, "when:2");
        assertEquals(0, new Listener(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), counting).run(events::add));
        assertEquals(List.of("READY\n", "RESULT 2\nOKREADY\n", "RESULT 2\nOKREADY\n"), writes);
    }

    @Test
    void lenCountsCodePointsNotBytesNorJavaChars() {
        // é is 2 bytes, € 3 bytes, 😀 4 bytes and two Java chars: each is one character for supervisor.
        String data = "é€😀 done";
        String payload = "processname:app groupname:app pid:42 channel:stdout\n" + data;
        String input = Frames.frame("PROCESS_LOG_STDOUT", 7, payload) + Frames.frame("TICK_5", 8, "when:1");
        assertEquals(0, run(input));
        assertEquals(2, events.size(), log.toString());
        assertEquals(data, events.get(0).data());
        assertEquals("app", events.get(0).processName());
        assertEquals("TICK_5", events.get(1).name());
    }

    @Test
    void readsA64KiBPayloadExactly() {
        String big = "x".repeat(64 * 1024 - 100) + "😀".repeat(50);
        String payload = "processname:p groupname:g pid:1 channel:stderr\n" + big;
        assertEquals(0, run(Frames.frame("PROCESS_LOG_STDERR", 1, payload) + Frames.frame("TICK_5", 2, "when:5")));
        assertEquals(2, events.size());
        assertEquals(big, events.get(0).data());
        assertEquals(5L, events.get(1).when());
    }

    @Test
    void twoEventsInOneReadAreBothDelivered() {
        byte[] both = (Frames.frame("PROCESS_STATE_EXITED", 1,
                "processname:cat groupname:cat from_state:RUNNING expected:0 pid:2766")
                + Frames.frame("PROCESS_STATE_RUNNING", 2, "processname:cat groupname:cat from_state:STARTING pid:2767"))
                .getBytes(StandardCharsets.UTF_8);
        // A stream without mark support that hands over everything in one read(), as a pipe can:
        // the listener buffers it, and the first payload must not swallow the second event.
        int[] reads = {0};
        java.io.InputStream oneRead = new java.io.InputStream() {
            private boolean done;

            @Override
            public int read() { throw new AssertionError("expected buffered reads"); }

            @Override
            public int read(byte[] b, int off, int len) {
                reads[0]++;
                if (done) return -1;
                done = true;
                assertTrue(len >= both.length);
                System.arraycopy(both, 0, b, off, both.length);
                return both.length;
            }
        };
        new Listener(oneRead, new ByteArrayOutputStream()).run(events::add);
        assertEquals(2, reads[0], "all bytes in one read, then EOF");
        assertEquals(2, events.size());
        Event exited = events.get(0);
        assertTrue(exited.isProcessState());
        assertFalse(exited.expected());
        assertEquals(2766, exited.pid());
        assertEquals("RUNNING", exited.fromState());
        assertEquals("cat:cat", exited.namespec());
        assertEquals(2767, events.get(1).pid());
    }

    @Test
    void headerTokensInAnyOrderAndUnknownTokensAreFine() {
        String input = "len:7 eventname:TICK_5 extra:thing serial:9 nocolon ver:3.0\nwhen:42";
        assertEquals(0, run(input));
        assertEquals(1, events.size());
        assertEquals(42L, events.get(0).when());
        assertEquals("9", events.get(0).serial());
    }

    @Test
    void aHandlerExceptionIsLoggedAndTheEventStillAnswered() {
        String input = Frames.frame("TICK_5", 1, "when:1") + Frames.frame("TICK_5", 2, "when:2");
        int[] calls = {0};
        int status = run(input.getBytes(StandardCharsets.UTF_8), event -> {
            calls[0]++;
            if (event.when() == 1) throw new IllegalStateException("boom");
        });
        assertEquals(0, status);
        assertEquals(2, calls[0]);
        assertEquals("READY\nRESULT 2\nOKREADY\nRESULT 2\nOKREADY\n", stdout);
        String logged = log.toString(StandardCharsets.UTF_8);
        assertTrue(logged.contains("ERROR") && logged.contains("boom") && logged.contains("TICK_5 serial 1"), logged);
    }

    @Test
    void eofBeforeAnyEventIsACleanExit() {
        assertEquals(0, run(""));
        assertEquals("READY\n", stdout);
        assertTrue(events.isEmpty());
    }

    @Test
    void aTruncatedEventEndsCleanlyWithAMessage() {
        assertEquals(0, run("ver:3.0 eventname:TICK_5 len:100\nwhen:1"));
        assertTrue(events.isEmpty());
        assertEquals("READY\n", stdout);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("stdin closed in the middle of TICK_5"), log.toString());
    }

    @Test
    void aMalformedHeaderIsAnErrorExit() {
        for (String header : List.of("ver:3.0 eventname:TICK_5\n", "eventname:TICK_5 len:-1\n",
                "eventname:TICK_5 len:abc\n", "ver:3.0 len:3\nabc")) {
            log.reset();
            assertEquals(1, run(header), header);
            assertEquals("READY\n", stdout, "nothing but READY on stdout for " + header);
            assertTrue(log.toString(StandardCharsets.UTF_8).contains("protocol error"), log.toString());
        }
    }

    @Test
    void invalidUtf8BytesCountAsOneCharacterEach() {
        byte[] head = "ver:3.0 eventname:PROCESS_LOG_STDOUT len:7\nab".getBytes(StandardCharsets.US_ASCII);
        // 0xFF never starts a sequence; 0xE2 0x28 is a cut-short sequence followed by '('.
        byte[] body = {(byte) 0xFF, (byte) 0xE2, 0x28, 'c', 'd'};
        byte[] next = Frames.frame("TICK_5", 2, "when:3").getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(head);
        all.writeBytes(body);
        all.writeBytes(next);
        assertEquals(0, run(all.toByteArray(), events::add));
        assertEquals(2, events.size(), log.toString());
        assertEquals("ab\uFFFD\uFFFD(cd", events.get(0).payload());
        assertEquals(3L, events.get(1).when());
    }
}
