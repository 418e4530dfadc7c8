package lib;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.TimeZone;

/**
 * One timestamped line per message, on stderr. stdout belongs to the
 * supervisor protocol; supervisord keeps stderr in the listener's log file.
 */
public final class Log {
    /**
     * Formats without localization: a log reads "1.5", never "1,5", whatever the server's LANG.
     * It also keeps the JDK's locale data and DateTimeFormatter out of every listener: 1 MiB of
     * memory (docs/performance.md).
     */
    private static final Locale PLAIN = null;
    private static volatile String name = "superlance";
    private static volatile PrintStream out = System.err;

    private Log() {}

    /** supervisor's childutils.get_asctime, as the mails show times: "2026-11-24 10:00:00,123", local time. */
    public static String asctime(long epochMillis) {
        int offset = TimeZone.getDefault().getOffset(epochMillis) / 1000; // daylight saving time included
        LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(epochMillis, 1000), (int) Math.floorMod(epochMillis, 1000) * 1_000_000,
                ZoneOffset.ofTotalSeconds(offset));
        // By hand, not with String.format: batches log a line per event, and this is ten times faster.
        StringBuilder b = new StringBuilder(23);
        digits(b, t.getYear(), 4).append('-');
        digits(b, t.getMonthValue(), 2).append('-');
        digits(b, t.getDayOfMonth(), 2).append(' ');
        digits(b, t.getHour(), 2).append(':');
        digits(b, t.getMinute(), 2).append(':');
        digits(b, t.getSecond(), 2).append(',');
        return digits(b, t.getNano() / 1_000_000, 3).toString();
    }

    /** value with leading zeros to width digits. */
    private static StringBuilder digits(StringBuilder b, int value, int width) {
        String text = Integer.toString(value);
        for (int i = text.length(); i < width; i++) b.append('0');
        return b.append(text);
    }

    /** The program name printed on every line, e.g. "memmon". */
    public static void name(String programName) { name = programName; }

    /** Tests point the log somewhere they can read. */
    public static void to(PrintStream stream) { out = stream; }

    /** The exception and its causes on one line: "Could not connect...: Connection refused". */
    public static String describe(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName()
                    : t instanceof java.net.UnknownHostException ? "unknown host " + t.getMessage() : t.getMessage();
            if (text.indexOf(message) < 0) text.append(text.length() == 0 ? "" : ": ").append(message);
        }
        return text.toString().replaceAll("\\s+", " ").trim();
    }

    public static void info(String format, Object... args) { line("INFO", format, args); }
    public static void warn(String format, Object... args) { line("WARN", format, args); }
    public static void error(String format, Object... args) { line("ERROR", format, args); }

    private static void line(String level, String format, Object... args) {
        // "%s" is what most lines are (a crash line per event): no Formatter for it.
        String text = args.length == 0 ? format
                : format.equals("%s") && args.length == 1 ? String.valueOf(args[0]) : String.format(PLAIN, format, args);
        // A message is one line: a newline from event data must not forge a second one.
        if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) text = text.replace("\r", "\\r").replace("\n", "\\n");
        // One write a line: println would encode and write the text and its newline apart.
        byte[] bytes = (asctime(System.currentTimeMillis()) + " " + level + " " + name + ": " + text + "\n").getBytes(StandardCharsets.UTF_8);
        PrintStream to = out;
        to.write(bytes, 0, bytes.length);
        to.flush();
    }
}
