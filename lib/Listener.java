package lib;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The supervisor event listener protocol: write READY, read one event
 * (a header line, then exactly `len` characters of payload), handle it,
 * answer RESULT 2 OK, repeat. EOF on stdin is a clean exit.
 *
 * Every event is answered OK, even when the handler throws: FAIL would make
 * supervisord resend the same event at once, and an event that broke the
 * handler once would break it again. The error is logged instead.
 */
public final class Listener {
    /** What a plugin does with an event. */
    public interface Handler {
        void handle(Event event) throws Exception;
    }

    /** The header or payload is not what supervisord sends: a bug or a stray writer. */
    public static final class ProtocolException extends IOException {
        public ProtocolException(String message) { super(message); }
    }

    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final byte[] READY = "READY\n".getBytes(StandardCharsets.US_ASCII);
    /** The answer and the next READY in one write: one wake-up of supervisord an event instead of two (it reads both). */
    private static final byte[] OK_READY = "RESULT 2\nOKREADY\n".getBytes(StandardCharsets.US_ASCII);

    private final InputStream in;
    private final OutputStream out;
    // stdin is read a buffer at a time and parsed here: byte-by-byte reads through a
    // BufferedInputStream take a lock each, which was a fifth of the CPU an event (docs/performance.md).
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;
    private byte[] text = new byte[4 * 1024]; // the header line or payload being read
    private int textLength;

    public Listener(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
    }

    /**
     * Serves the process's own stdin and stdout and returns the exit status.
     * System.out is pointed at stderr first, so that a stray print from any
     * library cannot put the listener into supervisord's UNKNOWN state.
     */
    public static int serve(Handler handler) {
        OutputStream protocol = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        return new Listener(new FileInputStream(FileDescriptor.in), protocol).run(handler);
    }

    /** Runs until EOF (status 0) or a broken stream (status 1). */
    public int run(Handler handler) {
        byte[] answer = READY;
        while (true) {
            try {
                send(answer);
            } catch (IOException e) {
                Log.error("cannot talk to supervisord, exiting: %s", e);
                return 1;
            }
            Event event;
            try {
                event = next();
            } catch (ProtocolException e) {
                Log.error("protocol error, exiting: %s", e.getMessage());
                return 1;
            } catch (IOException e) {
                Log.error("cannot read from supervisord, exiting: %s", e);
                return 1;
            }
            if (event == null) return 0;
            handleSafely(handler, event);
            answer = OK_READY;
        }
    }

    private static void handleSafely(Handler handler, Event event) {
        try {
            handler.handle(event);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            StackTraceElement[] where = e.getStackTrace();
            Log.error("error while handling %s: %s%s", event, e,
                    where.length > 0 ? " at " + where[0] : "");
        }
    }

    private void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next event, or null on EOF between events (and after a truncated one, logged). */
    Event next() throws IOException {
        String line = readHeaderLine();
        if (line == null) return null;
        Map<String, String> header = Event.parseTokens(line);
        if (!header.containsKey("eventname")) throw new ProtocolException("header without eventname: " + clip(line));
        int len;
        try {
            len = Integer.parseInt(header.getOrDefault("len", ""));
        } catch (NumberFormatException e) {
            throw new ProtocolException("header without a numeric len: " + clip(line));
        }
        if (len < 0) throw new ProtocolException("header with a negative len: " + clip(line));
        String payload = readPayload(len);
        if (payload == null) {
            Log.warn("stdin closed in the middle of %s (serial %s): exiting", header.get("eventname"), header.get("serial"));
            return null;
        }
        return new Event(header, payload);
    }

    /** True when a byte is there to read (reading more when the buffer is used up), false at EOF. */
    private boolean available() throws IOException {
        while (position == limit) {
            int n = in.read(buffer, 0, buffer.length);
            if (n < 0) return false;
            position = 0;
            limit = n;
        }
        return true;
    }

    private void keep(int b) {
        if (textLength == text.length) text = java.util.Arrays.copyOf(text, text.length * 2);
        text[textLength++] = (byte) b;
    }

    /** What was kept, as UTF-8; a scratch array grown past 64 KiB by a large payload is let go. */
    private String takeText() {
        String s = new String(text, 0, textLength, StandardCharsets.UTF_8);
        textLength = 0;
        if (text.length > 64 * 1024) text = new byte[4 * 1024];
        return s;
    }

    private String readHeaderLine() throws IOException {
        textLength = 0;
        while (true) {
            if (!available()) {
                if (textLength > 0) Log.warn("stdin closed in the middle of a header: exiting");
                return null;
            }
            int b = buffer[position++];
            if (b == '\n') return takeText();
            if (textLength >= MAX_HEADER_BYTES) throw new ProtocolException("header line longer than " + MAX_HEADER_BYTES + " bytes");
            keep(b);
        }
    }

    /**
     * Reads `chars` code points of UTF-8 (what supervisor's len counts), or
     * null on EOF. A byte that does not start a valid sequence counts as one
     * character, and a sequence cut short ends at the first byte that does not
     * continue it, which then starts the next character.
     */
    private String readPayload(int chars) throws IOException {
        textLength = 0;
        for (int count = 0; count < chars; count++) {
            if (!available()) return null;
            int lead = buffer[position++] & 0xFF;
            keep(lead);
            int continuations = lead < 0xC2 ? 0 : lead < 0xE0 ? 1 : lead < 0xF0 ? 2 : lead < 0xF5 ? 3 : 0;
            for (int i = 0; i < continuations; i++) {
                if (!available()) break; // EOF: the next read of a character sees it
                int next = buffer[position] & 0xFF;
                if (next < 0x80 || next > 0xBF) break; // not consumed: it starts the next character
                position++;
                keep(next);
            }
        }
        return takeText();
    }

    private static String clip(String s) { return s.length() > 200 ? s.substring(0, 200) + "..." : s; }
}
