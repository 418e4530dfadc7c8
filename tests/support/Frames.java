import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** The event listener protocol from supervisord's side, for tests and benchmarks that play supervisord. */
final class Frames {
    private Frames() {}

    /** One event as supervisord frames it: len counts code points of the payload. */
    static String frame(String eventName, int serial, String payload) {
        int len = payload.codePointCount(0, payload.length());
        return "ver:3.0 server:supervisor serial:" + serial + " pool:listener poolserial:" + serial
                + " eventname:" + eventName + " len:" + len + "\n" + payload;
    }

    /** Reads exactly what the listener must write next ("READY\n", "RESULT 2\nOK"), or fails saying what came. */
    static void expect(InputStream in, String text) throws IOException {
        String got = new String(in.readNBytes(text.length()), StandardCharsets.US_ASCII);
        if (!got.equals(text)) {
            throw new IllegalStateException("expected " + text.replace("\n", "\\n") + ", got " + got.replace("\n", "\\n"));
        }
    }
}
