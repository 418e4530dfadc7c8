import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.TimeZone;
import lib.Log;
import org.junit.jupiter.api.Test;

/** Log's times and numbers, which it formats without the JDK's locale data (docs/performance.md). */
class LogTest {
    static final DateTimeFormatter ASCTIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");

    @Test
    void asctimeIsLocalTimeAsJavaTimeGivesItAcrossDaylightSavingChanges() {
        TimeZone before = TimeZone.getDefault();
        try {
            for (String zone : List.of("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")) {
                TimeZone.setDefault(TimeZone.getTimeZone(zone));
                // The epoch and before it; 2026's changes in Europe, the US and Lord Howe (half an hour); a leap day.
                for (long millis : new long[] {0, -1, -86_400_001L, 1_774_746_000_000L, 1_792_890_000_000L, 1_772_953_200_000L,
                        1_793_512_800_000L, 1_775_314_800_123L, 1_791_041_400_000L, 1_709_208_000_999L}) {
                    for (long m = millis - 3_600_000; m <= millis + 3_600_000; m += 1_800_000) {
                        String expected = LocalDateTime.ofInstant(Instant.ofEpochMilli(m), ZoneId.systemDefault()).format(ASCTIME);
                        assertEquals(expected, Log.asctime(m), zone + " at " + m);
                    }
                }
            }
        } finally {
            TimeZone.setDefault(before);
        }
    }

    @Test
    void linesReadTheSameWhateverTheServersLocale() {
        Locale before = Locale.getDefault();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Log.to(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            Locale.setDefault(Locale.GERMANY);
            Log.info("%.1f MiB, %d programs, %,d bytes", 1.5, 300, 1234567);
            Locale.setDefault(Locale.forLanguageTag("ar-EG")); // Arabic-Indic digits where localized
            Log.warn("%d", 42);
        } finally {
            Locale.setDefault(before);
            Log.to(System.err);
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertTrue(lines[0].matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} INFO \\S+: 1\\.5 MiB, 300 programs, 1,234,567 bytes"), lines[0]);
        assertTrue(lines[1].matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} WARN \\S+: 42"), lines[1]);
    }
}
